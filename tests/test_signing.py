"""Signed certificates: the QR's statement verifies offline with the network's public keys, and nothing else does."""

import dataclasses
import os
import stat
from datetime import UTC, datetime
from types import SimpleNamespace

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import select

from lms.certificates import signing
from lms.certificates.issuing import certificate_data
from lms.certificates.models import Certificate
from lms.certificates.pdf import render_certificate
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.signals import enrolment_completed

NAME = "María Ñahui Quispe Ccori"
PUBLIC = "https://cursos.example.pe"


@pytest.fixture
def award(app):
    """Factory: award(learner, course) completes the enrolment the way learning does; returns the certificate id."""
    app.config["PUBLIC_BASE_URL"] = PUBLIC

    def make(learner, course, target=None):
        with (target or app).app_context():
            enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED,
                                  completed_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
            db.session.add(enrolment)
            db.session.flush()
            enrolment_completed.send(enrolment)
            db.session.commit()
            return db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == enrolment.id))
    return make


@pytest.fixture
def earned(make_user, make_course, award):
    learner = make_user(full_name=NAME)
    course = make_course(title="Seguridad y salud en la minería artesanal", hours=6)
    return SimpleNamespace(learner=learner, course=course, cert_id=award(learner, course))


def qr_in_pdf(pdf: bytes) -> str:
    """The text of the one QR code on the rendered first page."""
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    document.close()
    found = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1, found
    return found[0]


def offline_check(text: str, keys: dict[str, bytes]) -> tuple[bool, signing.Statement]:
    code, fragment = signing.split_qr_text(text)
    statement, signature = signing.unpack(code, fragment)
    return signing.verify(statement, signature, keys), statement


def test_a_printed_certificate_verifies_offline_from_its_qr_and_one_changed_letter_or_date_fails(
        app, client_for, earned, key_dir):
    pdf = client_for(earned.learner).get(f"/certificados/{earned.cert_id}.pdf").data
    text = qr_in_pdf(pdf)
    keys = signing.public_keys(key_dir)  # only public keys: what a phone has offline

    valid, statement = offline_check(text, keys)
    assert valid
    assert (statement.name, statement.course, statement.hours, statement.completed) == (
        NAME, "Seguridad y salud en la minería artesanal", "6", "2026-11-28")
    _code, fragment = signing.split_qr_text(text)
    _statement, signature = signing.unpack(statement.code, fragment)
    for forged in (dataclasses.replace(statement, name=NAME.replace("María", "Maria")),
                   dataclasses.replace(statement, completed="2026-11-29"),
                   dataclasses.replace(statement, hours="60"),
                   dataclasses.replace(statement, code="K7QXM4PA93")):
        assert not signing.verify(forged, signature, keys), forged
    # a forger who re-packs the changed statement with the old signature fails as well
    renamed = dataclasses.replace(statement, name="Maria Ñahui Quispe Ccori")
    forged_text = text.split("#")[0] + "#" + signing.pack(renamed, signature)
    assert offline_check(forged_text, keys)[0] is False


def test_the_qr_stays_small_enough_to_print_and_scan_on_a4(app, earned):
    from lms.certificates.pdf import QR_QUIET, QR_SIZE, qr_code

    with app.app_context():
        cert = db.session.get(Certificate, earned.cert_id)
        content = certificate_data(cert, PUBLIC).qr_content
    qr = qr_code(content)
    module_mm = QR_SIZE / (qr.symbol_size(border=0)[0] + 2 * QR_QUIET)
    assert qr.version <= 10 and qr.error in ("M", "Q", "H")
    assert module_mm >= 0.5, module_mm


def test_a_key_rotation_keeps_old_certificates_valid_and_signs_new_ones_with_the_new_key(
        make_app, make_user, make_course, award, tmp_path):
    folder = tmp_path / "keys"
    first = signing.generate_key(folder)
    app = make_app(SIGNING_KEY_DIR=str(folder), PUBLIC_BASE_URL=PUBLIC)
    course = make_course()
    old_id = award(make_user(full_name="Juana Ccori"), course, target=app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "keys", "rotate"])
    assert result.exit_code == 0, result.output
    second = signing.active_kid(folder)
    assert second != first and not (folder / f"{first}.key").exists(), "the old private key is gone"
    new_id = award(make_user(full_name="Lucía Choque"), course, target=app)
    with app.app_context():
        old, new = db.session.get(Certificate, old_id), db.session.get(Certificate, new_id)
        assert (old.signing_kid, new.signing_kid) == (first, second)
        old_pdf = render_certificate(certificate_data(old, PUBLIC))
        new_pdf = render_certificate(certificate_data(new, PUBLIC))
    keys = signing.public_keys(folder)
    assert set(keys) == {first, second}
    assert offline_check(qr_in_pdf(old_pdf), keys)[0] and offline_check(qr_in_pdf(new_pdf), keys)[0]
    listed = runner.invoke(args=["lms", "keys", "list"]).output
    assert first in listed and f"{second}" in listed and "(activa)" in listed


def test_keys_live_in_files_only_their_owner_can_read(tmp_path, make_app):
    folder = tmp_path / "keys"
    app = make_app(SIGNING_KEY_DIR=str(folder))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lms", "keys", "generate"]).exit_code == 0
    assert runner.invoke(args=["lms", "keys", "generate"]).exit_code != 0, "a second generate would orphan keys"
    kid = signing.active_kid(folder)
    assert stat.S_IMODE((folder / f"{kid}.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    os.chmod(folder / f"{kid}.key", 0o644)
    with pytest.raises(signing.KeyStoreError):
        signing.signing_key(folder)


def test_certificates_issued_before_the_network_had_a_key_are_signed_by_sign_missing(
        make_app, make_user, make_course, award, tmp_path):
    folder = tmp_path / "keys"
    app = make_app(SIGNING_KEY_DIR=str(folder), PUBLIC_BASE_URL=PUBLIC)
    cert_id = award(make_user(full_name=NAME), make_course(), target=app)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.signature is None
        assert "#" not in certificate_data(cert, PUBLIC).qr_content, "no key yet: the QR holds the URL only"
    runner = app.test_cli_runner()
    assert "No hay clave" in runner.invoke(args=["lms", "keys", "sign-missing"]).output
    assert runner.invoke(args=["lms", "keys", "generate"]).exit_code == 0
    result = runner.invoke(args=["lms", "keys", "sign-missing"])
    assert result.exit_code == 0 and "1 certificado" in result.output
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        pdf = render_certificate(certificate_data(cert, PUBLIC))
    assert offline_check(qr_in_pdf(pdf), signing.public_keys(folder))[0]


def test_verify_qr_command_checks_an_image_or_its_text_and_refuses_a_forgery(app, client_for, earned, tmp_path):
    pdf = client_for(earned.learner).get(f"/certificados/{earned.cert_id}.pdf").data
    document = pypdfium2.PdfDocument(pdf)
    image_path = tmp_path / "foto.png"
    document[0].render(scale=3).to_pil().save(image_path)
    document.close()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "verify-qr", str(image_path)])
    assert result.exit_code == 0, result.output
    assert "VÁLIDO" in result.output and NAME in result.output and "2026-11-28" in result.output
    text = qr_in_pdf(pdf)
    code, fragment = signing.split_qr_text(text)
    statement, signature = signing.unpack(code, fragment)
    forged = text.split("#")[0] + "#" + signing.pack(dataclasses.replace(statement, hours="120"), signature)
    result = runner.invoke(args=["lms", "verify-qr", forged])
    assert result.exit_code != 0 and "NO VÁLIDO" in result.output
    assert runner.invoke(args=["lms", "verify-qr", "https://cursos.example.pe/verify/K7QX"]).exit_code != 0


def test_an_anonymised_learner_keeps_a_paper_that_verifies_while_the_server_forgets_her_name(
        app, client_for, earned, key_dir, make_user):
    from lms.accounts.models import User
    from lms.certificates.models import WITHDRAWN_CERTIFICATE_NAME
    from lms.privacy.data import anonymise

    pdf = client_for(earned.learner).get(f"/certificados/{earned.cert_id}.pdf").data
    with app.app_context():
        anonymise(db.session.get(User, earned.learner.id))
        db.session.commit()
    with app.app_context():
        cert = db.session.get(Certificate, earned.cert_id)
        assert cert.learner_name == WITHDRAWN_CERTIFICATE_NAME and cert.signature is None
        assert cert.signing_kid is not None
    valid, statement = offline_check(qr_in_pdf(pdf), signing.public_keys(key_dir))
    assert valid and statement.name == NAME, "her printed paper stays hers and still verifies"


def test_the_qr_alphabet_round_trips_every_byte_and_refuses_what_it_did_not_write():
    data = bytes(range(256)) + b"\x00"
    text = signing.qr_encode(data)
    assert signing.qr_decode(text) == data
    assert set(text) <= set(signing.QR_ALPHABET) and not set(text) & set(" %/:#")
    for bad in ("A", "...", "a0"):
        with pytest.raises(ValueError):
            signing.qr_decode(bad)
    with pytest.raises(ValueError):
        signing.unpack("K7QXM4PA93", signing.qr_encode(b"\x01short"))


def test_a_certificate_from_before_the_key_is_signed_when_she_first_downloads_it(
        make_app, make_user, make_course, award, tmp_path):
    folder = tmp_path / "keys"
    app = make_app(SIGNING_KEY_DIR=str(folder), PUBLIC_BASE_URL=PUBLIC)
    learner = make_user(full_name=NAME)
    cert_id = award(learner, make_course(), target=app)
    signing.generate_key(folder)
    her = app.test_client()
    her.post("/login", data={"login": learner.username, "secret": learner.password})
    pdf = her.get(f"/certificados/{cert_id}.pdf").data
    assert offline_check(qr_in_pdf(pdf), signing.public_keys(folder))[0]
    with app.app_context():
        assert db.session.get(Certificate, cert_id).signing_kid == signing.active_kid(folder)
