"""Views of the reports package (being built)."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/manage/reports")
