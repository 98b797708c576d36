"""Views of the learning package (being built)."""

from flask import Blueprint

bp = Blueprint("learning", __name__, url_prefix=None)
