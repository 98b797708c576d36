"""Public verification: anyone checks a code; only name, course, hours, date and issuer; guessing is throttled."""

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.certificates.issuing import reissue_certificate
from lms.certificates.models import CODE_ALPHABET, CODE_LENGTH, Certificate, new_code
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.signals import enrolment_completed

NAME = "María Ñahui Quispe Ccori"


@pytest.fixture
def cert(app, make_user, make_course):
    """A learner with DNI, phone, community, region and email who completed a course, and her certificate."""
    learner = make_user(full_name=NAME, dni="40123456", phone="987654321", community="Lunar de Oro",
                        region="puno", email="maria@example.pe", username="maria.quispe")
    course = make_course(title="Derechos de las mujeres mineras", hours=6)
    with app.app_context():
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED,
                              completed_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
        db.session.add(enrolment)
        db.session.flush()
        enrolment_completed.send(enrolment)
        db.session.commit()
        found = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
        return SimpleNamespace(id=found.id, code=found.code, display=found.display_code, learner=learner,
                               course=course)


def body(response) -> str:
    return response.get_data(as_text=True)


def main_text(response) -> str:
    """The visible text of <main>, tags stripped and spaces collapsed."""
    main = re.search(r"<main[^>]*>(.*)</main>", body(response), re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_a_valid_code_shows_name_course_hours_date_and_issuer(client, cert):
    response = client.get(f"/verify/{cert.code}")
    text = main_text(response)
    assert response.status_code == 200
    for expected in ("VÁLIDO", NAME, "Derechos de las mujeres mineras", "6 horas",
                     "28 de noviembre de 2026", "Red Nacional de Mujeres", cert.display):
        assert expected in text
    assert 'id="verdict" class="state state-valid" aria-label="Certificado válido"' in body(response)


def test_verification_reveals_nothing_else_about_her(client, cert):
    page = body(client.get(f"/verify/{cert.code}"))
    for private in ("40123456", "••••", "987654321", "Lunar de Oro", "Puno", "maria.quispe", "maria@example.pe"):
        assert private not in page


def test_codes_are_accepted_in_any_case_with_or_without_dashes_or_spaces(client, cert):
    for typed in (cert.code.lower(), cert.display, cert.display.lower(), f"{cert.code[:4]} {cert.code[4:]}"):
        assert "Certificado válido" in body(client.get(f"/verify/{typed}")), typed


def test_the_verify_box_redirects_to_the_code_page(client, cert):
    page = client.get("/verify")
    assert page.status_code == 200 and 'name="code"' in body(page)
    response = client.get("/verify", query_string={"code": f" {cert.display.lower()} "})
    assert response.headers["Location"] == f"/verify/{cert.code}"
    assert "Escribe el código del certificado." in body(client.get("/verify?code="))


def test_an_unknown_code_says_not_found_and_nothing_else(client, cert):
    for _ in range(5):
        guess = new_code()
        response = client.get(f"/verify/{guess}")
        assert response.status_code == 404
        text = main_text(response)
        assert "No encontramos un certificado con ese código" in text
        assert NAME not in text and "Derechos" not in text and guess not in text
    assert client.get("/verify/" + "A" * 40).status_code == 404


def test_guessing_is_throttled_per_address(app, client, cert):
    alphabet_ok = all(ch in CODE_ALPHABET for ch in cert.code) and len(cert.code) == CODE_LENGTH
    assert alphabet_ok
    statuses = [client.get(f"/verify/{new_code()}").status_code for _ in range(30)]
    assert set(statuses) == {404}
    blocked = client.get(f"/verify/{cert.code}")
    assert blocked.status_code == 429 and "Demasiados intentos" in body(blocked)
    other_address = app.test_client().get(f"/verify/{cert.code}", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other_address.status_code == 200


def test_a_revoked_certificate_says_revoked_with_the_date(app, client, cert):
    with app.app_context():
        found = db.session.get(Certificate, cert.id)
        found.revoke("Emitido por error")
        found.revoked_at = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
        db.session.commit()
    text = main_text(client.get(f"/verify/{cert.code}"))
    assert "REVOCADO" in text and "Este certificado ya no vale." in text
    assert "Revocado el 3 de diciembre de 2026" in text
    assert "Emitido por error" in text and "Certificado válido" not in text and NAME not in text


def test_a_replaced_certificate_points_to_a_newer_one_without_its_data(app, client, cert):
    from lms.accounts.models import User

    with app.app_context():
        db.session.get(User, cert.learner.id).full_name = "María Ñahui Quispe Ccory"
        new = reissue_certificate(db.session.get(Certificate, cert.id))
        db.session.commit()
        new_code_, new_display = new.code, new.display_code
    old = main_text(client.get(f"/verify/{cert.code}"))
    assert "reemplazado por uno más nuevo" in old
    assert "Ccory" not in old and new_display not in old and new_code_ not in old and "Certificado válido" not in old
    assert "María Ñahui Quispe Ccory" in main_text(client.get(f"/verify/{new_code_}"))


def test_verification_pages_are_not_indexed_and_send_no_referrer(client, cert):
    for url in ("/verify", f"/verify/{cert.code}", "/verify/NOPE"):
        response = client.get(url)
        assert response.headers["X-Robots-Tag"] == "noindex"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_verification_speaks_english_after_the_switch(client, cert):
    client.post("/idioma", data={"lang": "en", "next": f"/verify/{cert.code}"})
    text = main_text(client.get(f"/verify/{cert.code}"))
    assert "November 28, 2026" in text and "6 hours" in text


def test_verification_needs_no_sign_in(client, cert):
    assert client.get(f"/verify/{cert.code}").status_code == 200
    assert client.get("/verify").status_code == 200


def test_the_status_endpoint_says_only_whether_a_code_is_valid(client, cert, app):
    response = client.get(f"/verify/{cert.code.lower()}/status.json")
    assert response.status_code == 200 and response.get_json() == {"code": cert.code, "status": "valid"}
    assert response.headers["Cache-Control"] == "no-cache"
    assert NAME not in response.get_data(as_text=True)
    with app.app_context():
        db.session.get(Certificate, cert.id).revoke("Error.")
        db.session.commit()
    assert client.get(f"/verify/{cert.code}/status.json").get_json()["status"] == "revoked"
    missing = client.get(f"/verify/{new_code()}/status.json")
    assert missing.status_code == 404 and missing.get_json()["status"] == "missing"


def test_the_verify_page_embeds_every_published_key_for_the_offline_check(client, cert, key_dir):
    from lms.certificates.signing import public_keys

    page = body(client.get(f"/verify/{cert.code}"))
    for kid, public in public_keys(key_dir).items():
        assert kid in page and public.hex() in page
    assert re.search(r'<script src="/static/js/verify\.js\?v=[0-9a-f]{10}" defer></script>', page)


def test_the_service_worker_is_served_from_the_root_and_changes_when_the_keys_change(make_app, tmp_path):
    from lms.certificates.signing import generate_key

    folder = tmp_path / "keys"
    generate_key(folder)
    app = make_app(SIGNING_KEY_DIR=str(folder))
    first = app.test_client().get("/sw.js")
    assert first.status_code == 200 and first.mimetype == "text/javascript"
    assert first.headers["Cache-Control"] == "no-cache"
    text = first.get_data(as_text=True)
    assert "__PRECACHE__" not in text and '"/verify"' in text and "/static/js/verify.js?v=" in text
    generate_key(folder)
    assert app.test_client().get("/sw.js").get_data(as_text=True) != text, "a rotation must update the worker"
