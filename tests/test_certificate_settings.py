"""Certificates signed by real people: an admin sets signatories, scanned signatures and the logo; check-deploy
refuses the placeholder «María Reyes» until someone is configured (by the admin screen or the environment)."""

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from lms.certificates.models import Certificate
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.signals import enrolment_completed
from tests.test_deploy import SAFE

SIGNER = "Rosa Ccahuana Huamán"


def png(color, size=(300, 90)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    out.seek(0)
    return out


@pytest.fixture
def ready(app):
    """Everything check-deploy asks of a production host except the signatories (one host, so SQLite is fine)."""
    app.config.update({key: value for key, value in SAFE.items()
                       if key not in ("SQLALCHEMY_DATABASE_URI", "CERTIFICATE_SIGNATORIES")})
    app.config["CERTIFICATE_SIGNATORIES"] = []
    return app


def check_deploy(app):
    return app.test_cli_runner().invoke(args=["lms", "check-deploy", "--workers", "1", "--hosts", "1"])


def test_check_deploy_fails_while_the_placeholder_signatory_is_in_force(ready):
    result = check_deploy(ready)
    assert result.exit_code == 1 and "placeholder «María Reyes»" in result.output


def test_check_deploy_passes_once_the_environment_names_who_signs(ready):
    ready.config["CERTIFICATE_SIGNATORIES"] = [[SIGNER, "Presidenta de la RNM-MAPE"]]
    result = check_deploy(ready)
    assert result.exit_code == 0, result.output


def test_check_deploy_passes_once_an_admin_sets_who_signs(ready, make_user, client_for):
    admin = client_for(make_user(role="admin"))
    response = admin.post("/admin/certificados/", data={"name_1": SIGNER, "title_1": "Presidenta"},
                          content_type="multipart/form-data")
    assert response.headers["Location"] == "/admin/certificados/"
    result = check_deploy(ready)
    assert result.exit_code == 0, result.output


def test_check_deploy_fails_without_a_signing_key(ready, tmp_path):
    ready.config.update(SIGNING_KEY_DIR=str(tmp_path / "none"), CERTIFICATE_SIGNATORIES=[[SIGNER, "Presidenta"]])
    result = check_deploy(ready)
    assert result.exit_code == 1 and "flask lms keys generate" in result.output


def test_an_admin_sets_signatories_signatures_and_logo_and_new_certificates_print_them(
        app, tmp_path, make_user, make_course, client_for):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    admin = client_for(make_user(role="admin"))
    assert "María Reyes" in admin.get("/admin/certificados/").get_data(as_text=True)
    response = admin.post("/admin/certificados/", content_type="multipart/form-data", data={
        "name_1": SIGNER, "title_1": "Presidenta de la RNM-MAPE", "signature_1": (png("white"), "firma.png"),
        "name_2": "Lucía Mamani Condori", "title_2": "Coordinadora", "logo": (png("brown", (200, 200)), "logo.png")})
    assert response.headers["Location"] == "/admin/certificados/"

    learner, course = make_user(full_name="Juana Ccori"), make_course()
    with app.app_context():
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED,
                              completed_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
        db.session.add(enrolment)
        db.session.flush()
        enrolment_completed.send(enrolment)
        db.session.commit()
        cert = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
        assert [entry[:2] for entry in cert.signatories] == [[SIGNER, "Presidenta de la RNM-MAPE"],
                                                              ["Lucía Mamani Condori", "Coordinadora"]]
        assert len(cert.signatories[0]) == 3 and len(cert.signatories[1]) == 2
        cert_id = cert.id
    pdf = client_for(learner).get(f"/certificados/{cert_id}.pdf").data
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = " ".join(page.extract_text().split())
    assert SIGNER in text and "Coordinadora" in text and "María Reyes" not in text
    assert len(page.images) == 2, "the scanned signature and the logo"
    assert len(pdf) <= 100 * 1024


def test_a_signatory_needs_a_name_and_a_title_and_the_form_says_so(make_user, client_for):
    admin = client_for(make_user(role="admin"))
    response = admin.post("/admin/certificados/", data={"name_1": SIGNER}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Escribe el nombre y el cargo." in response.get_data(as_text=True)
    response = admin.post("/admin/certificados/", data={}, content_type="multipart/form-data")
    assert "Escribe al menos una persona que firme." in response.get_data(as_text=True)


def test_only_admins_open_the_settings(make_user, client_for):
    assert client_for(make_user(role="trainer")).get("/admin/certificados/").status_code == 403
    assert client_for(make_user()).get("/admin/certificados/").status_code == 403
