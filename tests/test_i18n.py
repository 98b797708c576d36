"""The English catalogue is complete, and the language choice sticks to the person."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from lms.accounts.models import User
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "lms" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def msg_id(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _extracted_ids(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), str(ROOT)],
                   check=True, cwd=ROOT, capture_output=True)
    with pot.open("rb") as handle:
        return {msg_id(message) for message in read_po(handle) if message.id}


def test_english_catalogue_has_every_source_string_translated_and_none_fuzzy(tmp_path):
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    missing = [m.id for m in catalogue if m.id and not (m.string and all(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"
    in_code = _extracted_ids(tmp_path)
    known = {msg_id(m) for m in catalogue if m.id}
    assert not in_code - known, f"not in the catalogue (run python3 dev.py i18n): {sorted(in_code - known)[:10]}"


def test_language_switch_is_remembered_for_the_person(make_user, client_for, app, login):
    user = make_user(full_name="Elena Cusi")
    client = client_for(user)
    response = client.post("/idioma", data={"lang": "en", "next": "/perfil"})
    assert response.headers["Location"] == "/perfil"
    page = client.get("/perfil").get_data(as_text=True)
    assert '<html lang="en">' in page and "My profile" in page and "Mi perfil" not in page
    with app.app_context():
        assert db.session.get(User, user.id).language == "en"
    other_device = app.test_client()
    login(other_device, user.username, user.password)
    assert '<html lang="en">' in other_device.get("/inicio").get_data(as_text=True)


def test_anonymous_language_choice_lasts_for_the_device(client):
    client.post("/idioma", data={"lang": "en"})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page


def test_unknown_language_is_ignored(client):
    client.post("/idioma", data={"lang": "xx"})
    assert '<html lang="es">' in client.get("/").get_data(as_text=True)
