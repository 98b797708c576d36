"""Personal data: a person downloads hers; an admin anonymises a learner on request (being built)."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)
