"""Trainers' views of their courses' learners and progress (being built)."""

from flask import Blueprint

from lms.accounts.access import require_roles
from lms.accounts.models import Role

bp = Blueprint("teaching", __name__, url_prefix="/manage/teaching")
bp.before_request(require_roles(Role.TRAINER, Role.ADMIN))
