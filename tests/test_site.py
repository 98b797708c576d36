"""The front page, health check and role homes."""


def test_front_page_presents_the_three_themes_in_spanish(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="es">' in page
    for theme in ("Formalización", "Seguridad y salud", "Derechos"):
        assert theme in page
    assert 'href="/login"' in page and 'href="/register"' in page


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_each_role_lands_on_its_own_home(make_user, login, app):
    expectations = {"admin": "Cuentas y roles", "trainer": "Crear cuenta de participante",
                    "learner": "Aquí verás tus cursos"}
    for role, marker in expectations.items():
        user = make_user(role=role, full_name=f"Ana {role}")
        client = app.test_client()
        response = login(client, user.username, user.password)
        assert response.headers["Location"] == "/inicio"
        page = client.get("/inicio").get_data(as_text=True)
        assert marker in page
        assert f"Ana {role}" in page and ">Salir<" in page


def test_signed_in_visitor_of_front_page_goes_home(client_for, make_user):
    client = client_for(make_user())
    assert client.get("/").headers["Location"] == "/inicio"


def test_static_files_are_closed_for_full_and_not_modified_answers(client):
    import gc

    first = client.get("/static/css/site.css")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/static/css/site.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    first.close()
    again.close()
    gc.collect()  # an open file would surface here as a ResourceWarning, which the suite turns into an error


def test_a_range_request_for_a_static_file_gets_exactly_those_bytes(client):
    whole = client.get("/static/css/site.css").data
    part = client.get("/static/css/site.css", headers={"Range": "bytes=10-29", "Accept-Encoding": "identity"})
    assert part.status_code == 206 and part.data == whole[10:30]
