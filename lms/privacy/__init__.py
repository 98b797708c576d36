"""privacy: a person's data under Peru's Ley 29733 — her export and her erasure — on top of every package.

It reads each package's own `privacy.py` hook (rows for the export, erase for the erasure) and owns no table.
"""
