"""workshops"""
