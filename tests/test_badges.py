"""Open Badges 3.0: her credential, checked by an independent verifier (Digital Bazaar's VC libraries on node),
revocation through the published Bitstring Status List, the baked badge, the phone picture of the certificate."""

import base64
import gzip
import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from lms.certificates import badges
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.signals import enrolment_completed
from tests.test_signing import qr_in_pdf

PUBLIC = "https://cursos.example.pe"
NAME = "María Ñahui Quispe Ccori"
VERIFIER = Path(__file__).parent / "credentials"


def independent_verify(credential: dict, did: dict, documents: dict, tmp_path) -> dict:
    """Digital Bazaar's @digitalbazaar/vc + eddsa-rdfc-2022 + vc-bitstring-status-list, run by node."""
    node = shutil.which("node")
    if node is None or not (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").exists():
        pytest.skip("the independent verifier needs node and `npm ci --prefix tests/credentials` (dev.py setup)")
    path = tmp_path / f"input-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"credential": credential, "did": did, "documents": documents}))
    result = subprocess.run([node, str(VERIFIER / "verify.mjs"), str(path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def earned(app, make_user, make_course, client_for):
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    learner = make_user(full_name=NAME)
    course = make_course(title="Seguridad y salud en la minería artesanal", hours=6)
    with app.app_context():
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED,
                              completed_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
        db.session.add(enrolment)
        db.session.flush()
        enrolment_completed.send(enrolment)
        db.session.commit()
        cert_id = db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == enrolment.id))
    return SimpleNamespace(learner=learner, course=course, cert_id=cert_id, client=client_for(learner))


def published(client, cert_id: int) -> tuple[dict, dict]:
    """What anyone can fetch: the did:web document and the status list the credential points at."""
    did = client.get("/.well-known/did.json").get_json()
    status_url = badges.status_entry(PUBLIC, cert_id)["statusListCredential"]
    status = client.get(status_url.removeprefix(PUBLIC)).get_json()
    return did, {status_url: status}


def revoked_bit(status_credential: dict, index: int) -> bool:
    encoded = status_credential["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_her_open_badge_credential_passes_the_independent_verifier(client, earned, tmp_path):
    response = earned.client.get(f"/certificados/{earned.cert_id}.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    credential = json.loads(response.data)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][:2] == [badges.VC_V2, badges.OB_V3]
    assert credential["issuer"]["id"] == "did:web:cursos.example.pe"
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == NAME and subject["creditsEarned"] == 6
    did, documents = published(client, earned.cert_id)
    result = independent_verify(credential, did, documents, tmp_path)
    assert result == {"verified": True, "errors": [], "statuses": [{"verified": True, "revoked": False}]}, result


def test_a_credential_with_one_letter_changed_fails_the_independent_verifier(client, earned, tmp_path):
    credential = earned.client.get(f"/certificados/{earned.cert_id}.json").get_json()
    credential["credentialSubject"]["identifier"][0]["identityHash"] = NAME.replace("María", "Maria")
    did, documents = published(client, earned.cert_id)
    assert independent_verify(credential, did, documents, tmp_path)["verified"] is False


def test_after_revocation_the_status_list_says_revoked_and_the_verifier_reports_it_until_reinstated(
        app, client, client_for, make_user, earned, tmp_path):
    credential = earned.client.get(f"/certificados/{earned.cert_id}.json").get_json()
    index = int(credential["credentialStatus"]["statusListIndex"])
    admin = client_for(make_user(role="admin"))
    response = admin.post(f"/manage/certificates/{earned.cert_id}/revoke", data={"reason": "Emitido por error."})
    assert response.status_code == 302
    did, documents = published(client, earned.cert_id)
    status_credential = next(iter(documents.values()))
    assert revoked_bit(status_credential, index) and status_credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    result = independent_verify(credential, did, documents, tmp_path)
    assert result["statuses"] == [{"verified": True, "revoked": True}], result

    with app.app_context():
        db.session.get(Certificate, earned.cert_id).reinstate()
        db.session.commit()
    did, documents = published(client, earned.cert_id)
    assert not revoked_bit(next(iter(documents.values())), index)
    assert independent_verify(credential, did, documents, tmp_path)["statuses"] == [
        {"verified": True, "revoked": False}]


def test_credentials_signed_before_a_key_rotation_still_pass_the_independent_verifier(
        make_app, make_user, make_course, client_for, tmp_path):
    from lms.certificates.signing import generate_key

    folder = tmp_path / "keys"
    generate_key(folder)
    app = make_app(SIGNING_KEY_DIR=str(folder), PUBLIC_BASE_URL=PUBLIC)
    learner, course = make_user(full_name=NAME), make_course()
    with app.app_context():
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED,
                              completed_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
        db.session.add(enrolment)
        db.session.flush()
        enrolment_completed.send(enrolment)
        db.session.commit()
        cert_id = db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == enrolment.id))
    her = app.test_client()
    her.post("/login", data={"login": learner.username, "secret": learner.password})
    old = her.get(f"/certificados/{cert_id}.json").get_json()
    assert app.test_cli_runner().invoke(args=["lms", "keys", "rotate"]).exit_code == 0
    anyone = app.test_client()
    did, documents = published(anyone, cert_id)
    assert len(did["verificationMethod"]) == 2
    for method in did["verificationMethod"]:
        assert method["type"] == "Multikey" and method["publicKeyMultibase"].startswith("z6Mk")
    result = independent_verify(old, did, documents, tmp_path)
    assert result["verified"] is True, result


def test_the_badge_image_has_the_signed_credential_baked_in(client, earned, tmp_path):
    response = earned.client.get(f"/certificados/{earned.cert_id}-insignia.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    with Image.open(io.BytesIO(response.data)) as image:
        baked = json.loads(image.text["openbadgecredential"])
    assert b"iTXt" in response.data and baked["type"][-1] == "OpenBadgeCredential"
    did, documents = published(client, earned.cert_id)
    assert independent_verify(baked, did, documents, tmp_path)["verified"] is True


def test_each_course_is_an_achievement_with_name_description_criteria_hours_and_theme(client, earned):
    document = client.get(f"/credentials/achievements/{earned.course.id}").get_json()
    assert document["type"] == ["Achievement"] and document["name"] == earned.course.title
    assert document["description"] == "Un curso para probar." and "6 horas" in document["criteria"]["narrative"]
    assert document["creditsAvailable"] == 6 and document["tag"] == ["Seguridad y salud"]
    assert client.get("/credentials/achievements/999999").status_code == 404
    profile = client.get("/credentials/issuer").get_json()
    assert profile["id"] == "did:web:cursos.example.pe" and "Red Nacional" in profile["name"]


def test_downloads_are_hers_only(client, client_for, make_user, earned):
    other = client_for(make_user())
    for path in (".json", "-insignia.png", ".png"):
        assert other.get(f"/certificados/{earned.cert_id}{path}").status_code == 404
        assert client.get(f"/certificados/{earned.cert_id}{path}").headers["Location"].startswith("/login")


def test_the_phone_picture_is_small_and_carries_the_same_qr_as_the_pdf(earned):
    png = earned.client.get(f"/certificados/{earned.cert_id}.png")
    assert png.status_code == 200 and len(png.data) <= 150 * 1024, len(png.data)
    with Image.open(io.BytesIO(png.data)) as image:
        assert image.size == (720, 1280)
        found = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    pdf = earned.client.get(f"/certificados/{earned.cert_id}.pdf").data
    assert found == [qr_in_pdf(pdf)]


def test_the_json_ld_loader_never_fetches_what_is_not_bundled():
    with pytest.raises(badges.OfflineLoaderError):
        badges.document_loader("https://example.org/context.json")
    assert badges.document_loader(badges.OB_V3)["document"]["@context"]["@protected"] is True
