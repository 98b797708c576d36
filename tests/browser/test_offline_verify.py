"""The certificate check with no signal: the real service worker, Chromium offline, the QR decoded from the PDF."""

import dataclasses
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.certificates import signing
from lms.certificates.issuing import certificate_data
from lms.certificates.models import Certificate
from lms.certificates.pdf import render_certificate
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.signals import enrolment_completed
from tests.browser.test_journeys import verification_url_in

NAME = "Rosa Ñahui Mamani"
COURSE = "Seguridad en el socavón"
WITHOUT_WEBCRYPTO_ED25519 = """(() => {
  const original = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
    (algorithm && (algorithm.name || algorithm) === "Ed25519")
      ? Promise.reject(new DOMException("not supported", "NotSupportedError"))
      : original(format, key, algorithm, ...rest);
})();"""


@pytest.fixture
def qr_url(app, live_server, make_user, make_course):
    """The text of the QR printed on a real certificate (decoded from the rendered PDF) and the certificate id."""
    app.config["PUBLIC_BASE_URL"] = live_server
    learner, course = make_user(full_name=NAME), make_course(title=COURSE, hours=6)
    with app.app_context():
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED,
                              completed_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
        db.session.add(enrolment)
        db.session.flush()
        enrolment_completed.send(enrolment)
        db.session.commit()
        cert = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
        pdf = render_certificate(certificate_data(cert, live_server))
        return verification_url_in(pdf), cert.id


def forged(url: str, **changes) -> str:
    """The same QR with a field changed and the original signature kept."""
    code, fragment = signing.split_qr_text(url)
    statement, signature = signing.unpack(code, fragment)
    return url.split("#")[0] + "#" + signing.pack(dataclasses.replace(statement, **changes), signature)


def visit_verify_once(page, base: str) -> None:
    """Open /verify with signal and wait until the service worker controls the page (its cache is filled)."""
    page.goto(f"{base}/verify")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_with_no_signal_the_qr_of_a_printed_certificate_shows_valid_and_a_forged_one_not_valid(
        phone, live_server, qr_url):
    url, _cert_id = qr_url
    visit_verify_once(phone, live_server)
    phone.context.set_offline(True)

    phone.goto(url)
    expect(phone.get_by_role("heading", name="VÁLIDO", exact=True)).to_be_visible()
    expect(phone.locator("#offline-name")).to_have_text(NAME)
    expect(phone.locator("#offline-course")).to_have_text(COURSE)
    expect(phone.locator("#offline-completed")).to_have_text("28 de noviembre de 2026")
    expect(phone.get_by_text("Verificado sin conexión: revisa la revocación cuando tengas señal.")).to_be_visible()
    phone.shot("01-offline-valid")

    for changed in (forged(url, name=NAME.replace("Rosa", "Rosy")), forged(url, completed="2026-11-29")):
        phone.goto("about:blank")
        phone.goto(changed)
        expect(phone.get_by_role("heading", name="NO VÁLIDO")).to_be_visible()
        expect(phone.get_by_text(NAME)).to_have_count(0)
    phone.shot("02-offline-forged")


def test_phones_without_webcrypto_ed25519_verify_with_the_bundled_verifier(browser, shots, live_server, qr_url):
    from tests.browser.conftest import new_phone_page

    page = new_phone_page(browser, shots)
    page.context.add_init_script(WITHOUT_WEBCRYPTO_ED25519)
    url, _cert_id = qr_url
    visit_verify_once(page, live_server)
    page.context.set_offline(True)
    page.goto(url)
    expect(page.get_by_role("heading", name="VÁLIDO", exact=True)).to_be_visible()
    expect(page.locator("#offline-check")).to_have_attribute("data-verifier", "fallback")
    expect(page.locator("#offline-name")).to_have_text(NAME)
    page.goto("about:blank")
    page.goto(forged(url, hours="60"))
    expect(page.get_by_role("heading", name="NO VÁLIDO")).to_be_visible()
    page.context.close()


def test_with_signal_the_page_also_asks_the_server_and_reports_a_revocation(app, phone, live_server, qr_url):
    url, cert_id = qr_url
    phone.goto(url)
    expect(phone.get_by_role("heading", name="VÁLIDO", exact=True)).to_be_visible()
    expect(phone.get_by_text("Consultamos al servidor: el certificado sigue vigente.")).to_be_visible()
    with app.app_context():
        db.session.get(Certificate, cert_id).revoke("Emitido por error.")
        db.session.commit()
    phone.goto("about:blank")
    phone.goto(url)
    expect(phone.get_by_text("Consultamos al servidor: este certificado fue revocado o reemplazado.")).to_be_visible()
    expect(phone.get_by_role("heading", name="NO VÁLIDO")).to_be_visible()
    expect(phone.get_by_text(NAME)).to_have_count(0)
    phone.shot("01-revoked")


@pytest.mark.parametrize("phone", [False], indirect=True)
def test_with_javascript_off_the_server_check_still_works(phone, live_server, qr_url):
    url, _cert_id = qr_url
    phone.goto(url)
    expect(phone.get_by_role("heading", name="Certificado válido")).to_be_visible()
    expect(phone.locator("#offline-check")).to_be_hidden()
