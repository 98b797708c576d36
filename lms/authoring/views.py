"""Views of the authoring package (being built)."""

from flask import Blueprint

bp = Blueprint("authoring", __name__, url_prefix="/manage/courses")
