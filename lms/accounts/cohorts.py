"""Cohorts: named groups of learners with a region and trainers (being built)."""

from flask import Blueprint

from lms.accounts.access import require_roles
from lms.accounts.models import Role

bp = Blueprint("cohorts", __name__, url_prefix="/manage/cohorts")
bp.before_request(require_roles(Role.TRAINER, Role.ADMIN))
