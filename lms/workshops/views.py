"""Views of the workshops package (being built)."""

from flask import Blueprint

bp = Blueprint("workshops", __name__, url_prefix="/manage/workshops")
