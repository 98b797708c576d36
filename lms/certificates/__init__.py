"""Certificates: issued when an enrolment is completed (the one place that link is written)."""

from lms.learning.signals import enrolment_completed


@enrolment_completed.connect
def issue_on_completion(enrolment, by=None, **_extra) -> None:
    """Issue the certificate inside the transaction that completed the enrolment (idempotent)."""
    from lms.certificates.issuing import issue_certificate  # imported late: models import this package

    if not enrolment.course.demo:  # example courses give no certificate (the learner is told so)
        issue_certificate(enrolment, issued_by=by)
