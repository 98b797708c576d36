"""Views of the certificates package (being built)."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix=None)
