"""Security defaults that every route gets without anyone remembering: guards, CSRF, headers, limits."""

import re
import time
from pathlib import Path

import pytest
from flask import url_for
from werkzeug.routing import AnyConverter, IntegerConverter

STAFF_PREFIXES = ("/manage", "/admin")
ADMIN_PREFIXES = ("/admin",)


def concrete_urls(app, method: str):
    """Every rule of the app with placeholder values, for `method`."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if method not in rule.methods or rule.endpoint == "static":
                continue
            values = {arg: placeholder(rule._converters[arg]) for arg in rule.arguments}
            urls.append((rule, url_for(rule.endpoint, **values)))
    return urls


def placeholder(converter):
    """A value the converter accepts: 1 for ids, the first choice of <any(...)>, else "x"."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def is_public(app, endpoint: str) -> bool:
    return getattr(app.view_functions[endpoint], "public", False)


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_non_public_endpoint_sends_anonymous_visitors_to_sign_in(app, client, method):
    checked = 0
    for rule, url in concrete_urls(app, method):
        if is_public(app, rule.endpoint):
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
        checked += 1
    assert checked > 3


def test_public_endpoints_are_only_the_expected_ones(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint != "static" and is_public(app, rule.endpoint)}
    allowed = {"site.index", "site.healthz", "site.set_language", "site.language_page", "accounts.login",
               "accounts.logout",
               "accounts.register", "certificates.verify", "certificates.verify_code", "courses.catalogue",
               "courses.course", "courses.cover", "courses.neutral",
               # the offline check: its service worker and the revocation status by code
               "site.service_worker", "certificates.verify_status",
               # Open Badges 3.0: what any verifier must be able to fetch (no personal data)
               "badges.did_document", "badges.issuer", "badges.achievement", "badges.status_list"}
    assert public <= allowed, public - allowed


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_staff_endpoint_refuses_a_learner(app, make_user, client_for, method):
    learner = client_for(make_user())
    checked = 0
    for _rule, url in concrete_urls(app, method):
        if url.startswith(STAFF_PREFIXES):
            assert learner.open(url, method=method).status_code == 403, url
            checked += 1
    assert checked > 2


def test_every_admin_endpoint_refuses_a_trainer(app, make_user, client_for):
    trainer = client_for(make_user(role="trainer"))
    for method in ("GET", "POST"):
        for _rule, url in concrete_urls(app, method):
            if url.startswith(ADMIN_PREFIXES):
                assert trainer.open(url, method=method).status_code == 403, url


def test_every_post_without_a_csrf_token_is_refused(make_app, make_user, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    admin = make_user(role="admin")
    client = app.test_client()
    token = csrf_token(client)
    assert client.post("/login", data={"login": admin.username, "secret": admin.password,
                                       "csrf_token": token}).status_code == 302
    for _rule, url in concrete_urls(app, "POST"):
        response = client.post(url, data={})
        assert response.status_code == 400, url
        assert "La página caducó" in response.get_data(as_text=True), url


def test_a_csrf_token_from_another_session_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user()
    attacker, victim = app.test_client(), app.test_client()
    stolen = csrf_token(attacker)
    response = victim.post("/login", data={"login": user.username, "secret": user.password, "csrf_token": stolen})
    assert response.status_code == 400


def test_every_response_carries_the_security_headers(client, make_user, client_for):
    responses = [client.get("/"), client.get("/login"), client.get("/no-such-page"),
                 client_for(make_user()).get("/inicio")]
    for response in responses:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_signed_in_page_is_no_store_and_public_pages_are_not(app, client, make_user, client_for):
    """A shared phone keeps no copy of her pages (Back, the cache, a stranger with the phone)."""
    signed_in = client_for(make_user())
    for path in ("/inicio", "/mis-cursos", "/perfil", "/cursos"):
        assert signed_in.get(path).headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    static = signed_in.get("/static/css/site.css")
    assert "max-age=31536000" in static.headers["Cache-Control"]  # fingerprinted files stay cacheable
    static.close()


def test_hsts_is_sent_when_the_public_address_is_https(make_app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers  # http://127.0.0.1 in development
    secure = make_app(PUBLIC_BASE_URL="https://cursos.rnm-mape.pe").test_client()
    for path in ("/", "/login", "/static/css/site.css", "/no-such-page"):
        response = secure.get(path)
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains", path
        response.close()


def test_the_nginx_example_sends_hsts_with_subdomains_in_every_location_that_adds_headers():
    conf = (Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf").read_text()
    blocks = re.findall(r"location [^{]+\{[^}]*\}", conf)
    assert blocks
    for block in [conf.split("location", 1)[0], *blocks]:
        if "add_header" in block:
            assert 'Strict-Transport-Security "max-age=63072000; includeSubDomains" always' in block, block[:60]


def test_a_session_ends_after_its_absolute_lifetime_even_when_in_use(make_user, client_for):
    client = client_for(make_user())
    with client.session_transaction() as session:
        session["born"] = int(time.time()) - 12 * 3600 - 60
        session["seen"] = int(time.time())  # used a minute ago
    assert client.get("/inicio").headers["Location"] == "/login"
    assert "pasaron muchas horas" in client.get("/login").get_data(as_text=True)


def test_pages_have_no_inline_script_and_no_external_requests(client):
    page = client.get("/").get_data(as_text=True) + client.get("/login").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    assert not re.search(r'(src|href)="(https?:)?//', page), "external request"
    assert " on" not in re.sub(r"<[^>]*>", "", page) or not re.search(r"<[^>]+\son\w+=", page)


def test_session_cookie_is_httponly_lax_and_secure_over_https(app, make_user, login):
    user = make_user()
    plain = login(app.test_client(), user.username, user.password).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = login(app.test_client(), user.username, user.password, base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in secure


def test_proxy_headers_are_ignored_unless_trusted(make_app, make_user, login):
    user = make_user()
    headers = {"X-Forwarded-Proto": "https"}
    untrusted = make_app()
    assert "Secure" not in login(untrusted.test_client(), user.username, user.password,
                                 headers=headers).headers["Set-Cookie"]
    trusted = make_app(TRUSTED_PROXIES=1)
    assert "Secure" in login(trusted.test_client(), user.username, user.password, headers=headers).headers["Set-Cookie"]


def test_production_refuses_the_default_secret_key(make_app):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app(ENV_NAME="production", SECRET_KEY="dev-only-change-me")
    assert make_app(ENV_NAME="production", SECRET_KEY="x" * 40)


def test_oversized_requests_get_a_spanish_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"login": "a" * 5000, "secret": "b"})
    assert response.status_code == 413
    assert "Archivo demasiado grande" in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "code", "spanish", "english"), [
    ("/no-existe", 404, "Página no encontrada", "Page not found"),
    ("/manage/people/", 403, "No tienes permiso", "Not allowed"),
])
def test_error_pages_speak_spanish_and_english(make_user, client_for, path, code, spanish, english):
    client = client_for(make_user())
    response = client.get(path)
    assert response.status_code == code and spanish in response.get_data(as_text=True)
    client.post("/idioma", data={"lang": "en"})
    response = client.get(path)
    assert english in response.get_data(as_text=True)
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_open_redirects_are_refused_after_sign_in(make_user, login, client):
    user = make_user()
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        response = login(client, user.username, user.password, query_string={"next": target})
        assert response.headers["Location"] == "/inicio"
        client.post("/logout")
