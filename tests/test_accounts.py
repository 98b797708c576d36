"""Sign-in, one-time PINs, throttling, sessions that really end, registration and profiles."""

import re
import time

import pytest
from sqlalchemy import select

from lms.accounts.models import AuditEvent, User
from lms.extensions import db


def one_time_secret(page: str) -> str:
    return re.search(r'class="big mono">([^<]+)<', page).group(1)


def test_sign_in_by_phone_number_in_any_spelling(make_user, login, app):
    user = make_user(phone="+51987654321")
    for spelling in ("+51 987 654 321", "987654321", "987 654 321", "51987654321", "+51-987-654-321"):
        response = login(app.test_client(), spelling, user.password)
        assert response.headers["Location"] == "/inicio", spelling


def test_six_wrong_pins_lock_the_account_whatever_identifier_is_typed_next(make_user, login, app):
    """The lock is the account's, not the text's: after five failures by username, neither the phone in any
    spelling nor the username gets in, even with the right PIN."""
    user = make_user(phone="+51987654321")
    for n, name in enumerate((user.username, "987654321", "+51 987 654 321", "987 654 321", user.username.upper())):
        assert login(app.test_client(), name, f"mal-{n}-000").status_code == 200
    for name in (user.username, "987654321", "+51987654321", "987-654-321", f"  {user.username} "):
        assert login(app.test_client(), name, user.password).status_code == 429, name


def test_a_username_that_looks_like_a_phone_is_refused_and_a_phone_never_reaches_another_account(
        make_user, login, client_for, app):
    owner = make_user(phone="+51912345678", password="pin-de-la-duena-1")
    impostor = make_user(username="912345678", password="pin-de-la-duena-1")  # an account from before the rule
    response = login(app.test_client(), "912 345 678", "pin-de-la-duena-1")
    assert response.headers["Location"] == "/inicio"
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.subject_id).where(AuditEvent.action == "signin")) == owner.id
    assert impostor.id != owner.id
    staff = client_for(make_user(role="trainer"))
    for username in ("987654321", "+51987654321", "9876543210"):
        page = staff.post("/manage/people/new", data={"full_name": "Ana Poma", "username": username,
                                                      "region": "puno", "language": "es"}).get_data(as_text=True)
        assert "no puede ser un número de celular" in page, username


def test_change_pin_form_is_throttled_like_sign_in(make_user, client_for, login, app):
    user = make_user()
    client = client_for(user)
    for n in range(5):
        page = client.post("/pin", data={"current": f"mal-{n}-000", "secret": "730592", "confirm": "730592"})
        assert page.status_code == 200 and "Tu PIN actual no es correcto." in page.get_data(as_text=True)
    locked = client.post("/pin", data={"current": user.password, "secret": "730592", "confirm": "730592"})
    assert locked.status_code == 429
    assert login(app.test_client(), user.username, user.password).status_code == 429, "one counter per account"
    with app.app_context():
        assert db.session.get(User, user.id).check_secret(user.password)


def test_unknown_inactive_and_active_accounts_each_check_one_password_hash(make_user, login, app, monkeypatch):
    """Equal work, so equal time, whatever the account: counted, not timed."""
    import werkzeug.security

    from lms.accounts import models, signin

    calls = []
    real = werkzeug.security.check_password_hash

    def counting(hashed, secret):
        calls.append(hashed)
        return real(hashed, secret)

    monkeypatch.setattr(models, "check_password_hash", counting)
    monkeypatch.setattr(signin, "check_password_hash", counting)
    active, inactive = make_user(), make_user(active=False)
    for name in ("nadie.existe", inactive.username, active.username):
        calls.clear()
        assert login(app.test_client(), name, "un-pin-equivocado").status_code == 200
        assert len(calls) == 1, name
    calls.clear()
    login(app.test_client(), inactive.username, inactive.password)
    assert len(calls) == 1


def test_unknown_user_and_wrong_pin_get_the_same_answer(make_user, login, client):
    user = make_user()
    wrong_pin = login(client, user.username, "000000-no").get_data(as_text=True)
    unknown = login(client, "nadie.existe", "000000-no").get_data(as_text=True)
    message = "El usuario o el PIN no son correctos."
    assert message in wrong_pin and message in unknown
    strip_token = re.compile(r'name="csrf_token"[^>]*>')
    assert strip_token.sub("", wrong_pin).replace(user.username, "X") == \
        strip_token.sub("", unknown).replace("nadie.existe", "X")


def test_failed_sign_ins_are_throttled_per_account_with_a_spanish_message(make_user, login, app):
    user = make_user()
    client = app.test_client()
    for _ in range(5):
        assert login(client, user.username, "mal-pin-000").status_code == 200
    response = login(client, user.username, user.password)
    assert response.status_code == 429
    assert "Demasiados intentos fallidos. Espera 15 minutos" in response.get_data(as_text=True)
    other_address = app.test_client()
    blocked = login(other_address, user.username, user.password, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert blocked.status_code == 429, "the account limit holds from any address"
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signin.throttled"))


def test_failed_sign_ins_are_throttled_per_address(make_user, login, app):
    app.config["SIGNIN_FAILURES_PER_ADDRESS"] = "3 per 15 minutes"
    victim = make_user()
    client = app.test_client()
    for n in range(3):
        login(client, f"adivina{n}", "123-probando")
    assert login(client, victim.username, victim.password).status_code == 429


def test_trainer_creates_learner_who_must_replace_the_one_time_pin(make_user, client_for, login, app):
    trainer = make_user(role="trainer")
    staff = client_for(trainer)
    response = staff.post("/manage/people/new", data={"full_name": "Juana Ccori Huanca", "region": "puno",
                                                      "language": "es"})
    slip_url = response.headers["Location"]  # post/redirect/get: a reload of the slip makes no second account
    assert slip_url.startswith("/manage/people/hoja/")
    slip = staff.get(slip_url)
    page = slip.get_data(as_text=True)
    assert slip.status_code == 200 and slip.headers["Cache-Control"] == "no-store"
    assert "juana.ccori" in page and "data-print" in page
    one_time = one_time_secret(page)
    assert one_time_secret(staff.get(slip_url).get_data(as_text=True)) == one_time, "a reload shows the same PIN"
    with app.app_context():
        assert db.session.scalar(select(db.func.count(User.id)).where(User.full_name == "Juana Ccori Huanca")) == 1
    assert client_for(make_user(role="trainer")).get(slip_url).status_code == 404, "only hers to see"
    learner = app.test_client()
    assert login(learner, "juana.ccori", one_time).headers["Location"] == "/inicio"
    assert learner.get("/inicio").headers["Location"] == "/pin"
    assert learner.get("/perfil").headers["Location"] == "/pin"
    chosen = learner.post("/pin", data={"secret": "802417", "confirm": "802417"})
    assert chosen.headers["Location"] == "/inicio"
    assert learner.get("/inicio").status_code == 200
    assert login(app.test_client(), "juana.ccori", one_time).status_code == 200, "one-time PIN is spent"
    assert login(app.test_client(), "juana.ccori", "802417").headers["Location"] == "/inicio"
    with app.app_context():
        juana = db.session.scalar(select(User).where(User.username == "juana.ccori"))
        assert juana.email is None and juana.phone is None and juana.created_by_id == trainer.id
        assert not juana.must_change_pin


def test_a_trivial_new_pin_is_refused_with_the_reason(make_user, client_for):
    learner = make_user(must_change_pin=True, dni="44556677", birth_year=1985)
    client = client_for(learner)
    for pin, reason in [("111111", "repetir"), ("123456", "serie seguida"), ("445566", "DNI"),
                        ("019851", "año de nacimiento"), ("12345", "al menos 6")]:
        page = client.post("/pin", data={"secret": pin, "confirm": pin}).get_data(as_text=True)
        assert reason in page, pin
    assert client.get("/inicio").headers["Location"] == "/pin"


def test_trainer_resets_a_learner_pin_and_her_sessions_end(make_user, client_for, login, app):
    trainer = make_user(role="trainer")
    learner = make_user(created_by_id=trainer.id)
    her_phone = client_for(learner)
    staff = client_for(trainer)
    page = staff.post(f"/manage/people/{learner.id}/reset", follow_redirects=True).get_data(as_text=True)
    assert her_phone.get("/inicio").headers["Location"].startswith("/login")
    assert login(app.test_client(), learner.username, learner.password).status_code == 200
    fresh = app.test_client()
    login(fresh, learner.username, one_time_secret(page))
    assert fresh.get("/inicio").headers["Location"] == "/pin"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pin.reset"))
        assert event.subject_id == learner.id and event.actor_id is not None
        assert "secret" not in str(event.detail) and one_time_secret(page) not in str(event.detail)


def test_trainer_cannot_reset_another_trainer_an_admin_or_a_learner_she_does_not_teach(make_user, client_for, app):
    trainer = make_user(role="trainer")
    staff = client_for(trainer)
    for role in ("trainer", "coordinator", "admin", "learner"):
        other = make_user(role=role)
        assert staff.post(f"/manage/people/{other.id}/reset").status_code == 404
        assert staff.get(f"/manage/people/{other.id}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pin.reset")) is None


def test_a_session_cookie_copied_before_sign_out_does_not_work_after_it(make_user, client_for, app):
    user = make_user()
    client = client_for(user)
    cookie = client.get_cookie("lms_session").value
    assert client.post("/logout").headers["Location"] == "/"
    replay = app.test_client()
    replay.set_cookie("lms_session", cookie)
    assert replay.get("/inicio").headers["Location"].startswith("/login")


def test_changing_the_pin_ends_the_other_sessions(make_user, client_for, app):
    user = make_user()
    other_phone = client_for(user)
    this_phone = client_for(user)
    response = this_phone.post("/pin", data={"current": user.password, "secret": "730592", "confirm": "730592"})
    assert response.headers["Location"] == "/inicio"
    assert this_phone.get("/inicio").status_code == 200
    assert other_phone.get("/inicio").headers["Location"].startswith("/login")


def test_session_ends_after_inactivity(make_user, client_for, app):
    client = client_for(make_user())
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = client.get("/inicio")
    assert response.headers["Location"] == "/login"
    assert "no la usaste por un tiempo" in client.get("/login").get_data(as_text=True)


def test_no_remember_me_cookie_is_set(make_user, login, client):
    user = make_user()
    response = login(client, user.username, user.password)
    assert not any("remember_token" in c for c in response.headers.getlist("Set-Cookie"))


def test_registration_needs_consent_and_records_its_date(client, app):
    data = {"full_name": "Lucía Ñahui Choque", "username": "lucia.nahui", "region": "puno",
            "secret": "730592", "confirm": "730592", "language": "es"}
    refused = client.post("/register", data=data)
    assert "debes aceptar el uso de tus datos" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "lucia.nahui")) is None
    accepted = client.post("/register", data={**data, "consent": "y"})
    assert accepted.headers["Location"] == "/inicio"
    with app.app_context():
        lucia = db.session.scalar(select(User).where(User.username == "lucia.nahui"))
        assert lucia.consent_at is not None and lucia.role == "learner" and lucia.full_name == "Lucía Ñahui Choque"


def test_registration_can_be_switched_off(app, client):
    app.config["SELF_REGISTRATION"] = False
    assert client.get("/register").status_code == 404


@pytest.mark.parametrize(("field", "value", "message"), [
    ("full_name", "", "Escribe el nombre completo."),
    ("birth_year", "1850", "Escribe un año entre 1920 y 2015."),
    ("region", "atlantida", "Opción inválida."),
])
def test_profile_refuses_bad_input_and_keeps_the_rest(make_user, client_for, app, field, value, message):
    user = make_user(full_name="Teresa Ticona")
    client = client_for(user)
    data = {"full_name": "Teresa Ticona Pari", "region": "arequipa", "language": "es", field: value}
    page = client.post("/perfil", data=data).get_data(as_text=True)
    assert message in page
    with app.app_context():
        assert db.session.get(User, user.id).full_name == "Teresa Ticona"


def test_her_own_profile_never_changes_her_dni_or_phone(make_user, client_for, app):
    """DNI and phone are set by staff in person: a form that took them would say whether they exist."""
    taken = make_user(dni="41234567", phone="+51911111111")
    user = make_user(dni="40123456", phone="+51922222222")
    client = client_for(user)
    page = client.post("/perfil", data={"full_name": "Teresa Ticona", "region": "puno", "language": "es",
                                        "dni": taken.dni, "phone": "911111111"})
    assert page.headers["Location"] == "/perfil"
    with app.app_context():
        person = db.session.get(User, user.id)
        assert (person.dni, person.phone) == ("40123456", "+51922222222")
    assert "922 222 222" in client.get("/perfil").get_data(as_text=True)


def test_dni_is_masked_for_trainers_and_whole_for_admins(make_user, client_for):
    trainer = make_user(role="trainer")
    learner = make_user(dni="40123456", created_by_id=trainer.id)
    trainer_view = client_for(trainer).get(f"/manage/people/{learner.id}").get_data(as_text=True)
    admin_view = client_for(make_user(role="admin")).get(f"/manage/people/{learner.id}").get_data(as_text=True)
    assert "40123456" not in trainer_view and "456" in trainer_view
    assert "40123456" in admin_view


def test_admin_changes_a_role_audit_logged_and_sessions_end(make_user, client_for, app):
    person = make_user(role="trainer")
    their_client = client_for(person)
    admin = client_for(make_user(role="admin"))
    response = admin.post(f"/admin/people/{person.id}/role", data={"role": "learner", "active": "y"})
    assert response.headers["Location"] == "/admin/people"
    assert their_client.get("/inicio").headers["Location"].startswith("/login")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.changed"))
        assert event.detail["before"] == "trainer" and event.detail["after"] == "learner"


def test_admin_creates_a_trainer_with_a_one_time_passphrase(make_user, client_for, login, app):
    admin = client_for(make_user(role="admin"))
    data = {"full_name": "Cecilia Julcarima", "username": "cecilia.j", "region": "junin", "role": "trainer",
            "language": "es"}
    page = admin.post("/admin/people/new", data=data, follow_redirects=True)
    secret = one_time_secret(page.get_data(as_text=True))
    client = app.test_client()
    login(client, "cecilia.j", secret)
    short = client.post("/pin", data={"secret": "803921", "confirm": "803921"}).get_data(as_text=True)
    assert "al menos 10 caracteres" in short
    ok = client.post("/pin", data={"secret": "socavón de plata 42", "confirm": "socavón de plata 42"})
    assert ok.headers["Location"] == "/inicio"


def test_admin_makes_a_regional_coordinator_who_needs_at_least_one_region(make_user, client_for, app):
    admin = client_for(make_user(role="admin"))
    data = {"full_name": "Gloria Apaza", "username": "gloria.apaza", "region": "puno", "role": "coordinator",
            "language": "es"}
    refused = admin.post("/admin/people/new", data=data).get_data(as_text=True)
    assert "Elige al menos una región para la coordinadora." in refused
    created = admin.post("/admin/people/new", data={**data, "regions": ["puno", "arequipa"]}, follow_redirects=True)
    assert created.status_code == 200 and "Cuenta creada para Gloria Apaza" in created.get_data(as_text=True)
    with app.app_context():
        gloria = db.session.scalar(select(User).where(User.username == "gloria.apaza"))
        assert gloria.role == "coordinator" and gloria.regions == ["arequipa", "puno"]
        gloria_id = gloria.id
    admin.post(f"/admin/people/{gloria_id}/role", data={"role": "trainer", "active": "y", "regions": ["puno"]})
    with app.app_context():
        gloria = db.session.get(User, gloria_id)
        assert gloria.role == "trainer" and gloria.regions == [] and gloria.region_rows == []
