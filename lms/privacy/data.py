"""All of a person's data, and erasing a learner's identity: each package hands its own rows and erases its own."""

import json
from datetime import UTC, datetime

from lms.accounts import privacy as accounts
from lms.accounts.models import Role, User
from lms.certificates import privacy as certificates
from lms.learning import privacy as learning
from lms.workshops import privacy as workshops


def personal_data(user: User) -> dict:
    """Everything the platform keeps about `user`, and nothing about anyone else (never a secret)."""
    data = {"generated_at": accounts.plain(datetime.now(UTC))}
    for package in (accounts, learning, workshops, certificates):
        data |= package.rows(user)
    return data


def export_json(user: User) -> str:
    """Her data as the JSON file she downloads."""
    return json.dumps(personal_data(user), ensure_ascii=False, indent=1)


def anonymise(user: User) -> None:
    """Remove what identifies a learner, keep what counts (region, enrolments, progress, attendance).

    Her traces are gathered first; certificates then accounts erase theirs. The caller audits and commits.
    """
    if user.role != Role.LEARNER:
        raise ValueError("only learners are anonymised")
    traces = accounts.traces_of(user)
    certificates.erase(user, traces)
    accounts.erase(user, traces)
