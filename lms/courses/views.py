"""Views of the courses package (being built)."""

from flask import Blueprint

bp = Blueprint("courses", __name__, url_prefix=None)
