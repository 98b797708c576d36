"""The learners' side of courses: catalogue by theme, word search, published course pages, quick exit, budgets."""

import gzip
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from lms.courses.models import Course, Theme
from lms.extensions import db


@pytest.fixture
def client(app):
    """An anonymous visitor. pytest-flask's `client` keeps its last request context pushed, which makes every
    other client in the same test look anonymous too; this one keeps nothing between requests."""
    return app.test_client()


@contextmanager
def counting_queries(app):
    """Collect the SQL statements run while the block executes."""
    statements = []

    def counter(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def queries_for(app, client, url) -> int:
    client.get(url)  # warm up: first-request work is not what we measure
    with counting_queries(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def set_course(app, course_id, **values):
    """Change course fields that make_course fixes (e.g. the summary)."""
    with app.app_context():
        db.session.execute(update(Course).where(Course.id == course_id).values(**values))
        db.session.commit()


def title_tag(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_catalogue_groups_published_courses_by_theme_in_theme_order(client, make_course):
    make_course(title="Derechos en el trabajo", theme="derechos", modules=1, lessons=3)
    make_course(title="Pasos del REINFO", theme="formalizacion")
    make_course(title="El mercurio", theme="seguridad-salud")
    html = page(client, "/cursos")
    order = [html.index(text) for text in ("Formalización", "Pasos del REINFO", "Seguridad y salud", "El mercurio",
                                           "Derechos</h2>", "Derechos en el trabajo")]
    assert order == sorted(order)
    assert "3 lecciones" in html and "4 lecciones" in html
    assert 'href="/cursos/' in html


def test_catalogue_follows_the_theme_positions_set_by_admins(app, client, make_course):
    make_course(title="Curso A", theme="formalizacion")
    make_course(title="Curso B", theme="derechos")
    with app.app_context():
        db.session.execute(update(Theme).where(Theme.slug == "derechos").values(position=-1))
        db.session.commit()
    html = page(client, "/cursos")
    assert html.index("Curso B") < html.index("Curso A")


def test_search_ignores_case_and_accents(app, client, make_course):
    set_course(app, make_course(title="Minería segura").id, summary="")
    set_course(app, make_course(title="Otro curso").id, summary="Cómo usar la RETORTA sin peligro.")
    make_course(title="Nada que ver")
    for q, expected in (("mineria", "Minería segura"), ("MINERÍA", "Minería segura"), ("Mineria Segura", "Minería"),
                        ("como retorta", "Otro curso"), ("cómo", "Otro curso")):
        html = page(client, f"/cursos?q={q}")
        assert expected in html, q
        assert "Nada que ver" not in html, q
    html = page(client, "/cursos?q=mineria")
    assert "1 curso encontrado" in html and "Otro curso" not in html


def test_search_for_words_that_are_nowhere_finds_nothing_and_says_so(client, make_course):
    make_course(title="El mercurio")
    html = page(client, "/cursos?q=volcanes")
    assert "El mercurio" not in html and "0 cursos encontrados" in html


def test_search_treats_percent_and_underscore_as_plain_letters(client, make_course):
    make_course(title="Cien por ciento")
    assert "Cien por ciento" not in page(client, "/cursos?q=%25")
    assert "Cien por ciento" not in page(client, "/cursos?q=_")


def test_draft_and_archived_courses_are_hidden_from_the_catalogue(client, make_course, make_user, client_for):
    trainer = make_user(role="trainer")
    make_course(title="Borrador secreto", status="draft", trainers=[trainer])
    make_course(title="Curso viejo", status="archived", trainers=[trainer])
    make_course(title="Curso abierto")
    for viewer in (client, client_for(trainer), client_for(make_user(role="admin"))):
        html = page(viewer, "/cursos")
        assert "Curso abierto" in html and "Borrador secreto" not in html and "Curso viejo" not in html


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_course_page_is_404_except_for_its_trainers_and_admins(client, make_course, make_user,
                                                                          client_for, status):
    owner, other = make_user(role="trainer"), make_user(role="trainer")
    course = make_course(title="Todavía no", status=status, trainers=[owner])
    url = f"/cursos/{course.slug}"
    assert client.get(url).status_code == 404
    assert client_for(make_user()).get(url).status_code == 404
    assert client_for(other).get(url).status_code == 404
    for viewer in (client_for(owner), client_for(make_user(role="admin"))):
        html = page(viewer, url)
        assert "Todavía no" in html and "solo lo ven sus formadoras" in html


def test_unknown_course_is_404(client):
    assert client.get("/cursos/no-existe").status_code == 404


def test_course_page_shows_outline_hours_theme_and_quiz_per_module(client, make_course, make_user):
    course = make_course(title="Seguridad en la bocamina", modules=2, lessons=3, hours=2.5, min_sessions=1,
                         trainers=[make_user(role="trainer", full_name="Rosa Quispe")])
    html = page(client, f"/cursos/{course.slug}")
    assert "<h1>Seguridad en la bocamina</h1>" in html
    assert "2,5 horas" in html and "Seguridad y salud" in html and "1 taller presencial" in html
    assert html.index("Módulo 1") < html.index("Lección 1.3") < html.index("Evaluación 1") < html.index("Módulo 2")
    assert html.count("5 min") == 6 and html.count("2 preguntas") == 2
    assert "<title>Seguridad en la bocamina · RNM-MAPE</title>" in html


def test_trainers_names_are_shown_to_signed_in_people_only(client, make_course, make_user, client_for):
    course = make_course(trainers=[make_user(role="trainer", full_name="Rosa Quispe")])
    assert "Rosa Quispe" not in page(client, f"/cursos/{course.slug}")
    assert "Rosa Quispe" in page(client_for(make_user()), f"/cursos/{course.slug}")


def test_course_text_is_escaped_on_catalogue_and_course_page(app, client, make_course):
    course = make_course(title="<script>alert(1)</script>")
    set_course(app, course.id, summary='<img src=x onerror="alert(1)">')
    for url in ("/cursos", f"/cursos/{course.slug}"):
        html = page(client, url)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_catalogue_query_count_does_not_grow_with_courses(app, client, client_for, make_user, make_course):
    learner = client_for(make_user())
    for _ in range(2):
        make_course(theme="derechos")
    small = [queries_for(app, client, "/cursos"), queries_for(app, learner, "/cursos"),
             queries_for(app, client, "/cursos?q=curso")]
    for theme in ("formalizacion", "seguridad-salud", "derechos") * 2:
        make_course(theme=theme, modules=3)
    with app.app_context():
        assert len(db.session.scalars(select(Course)).all()) == 8
    large = [queries_for(app, client, "/cursos"), queries_for(app, learner, "/cursos"),
             queries_for(app, client, "/cursos?q=curso")]
    assert small == large
    assert small[0] == 1 and small[1] == 2  # one query for the page; the learner's own row besides


def test_course_page_query_count_does_not_grow_with_lessons(app, client, client_for, make_user, make_course):
    trainers = [make_user(role="trainer")]
    small = make_course(modules=2, lessons=2, trainers=trainers)
    large = make_course(modules=4, lessons=6, trainers=trainers + [make_user(role="trainer")])
    learner = client_for(make_user())
    assert ">Salir<" in page(learner, f"/cursos/{small.slug}")
    for viewer in (client, learner):
        assert queries_for(app, viewer, f"/cursos/{small.slug}") == queries_for(app, viewer, f"/cursos/{large.slug}")


def test_sensitive_course_page_has_quick_exit_and_a_neutral_title(client, make_course):
    course = make_course(title="Violencia y ayuda", theme="derechos", sensitive=True)
    response = client.get(f"/cursos/{course.slug}")
    html = response.get_data(as_text=True)
    assert 'class="quick-exit" href="/clima"' in html and "Salir rápido" in html
    assert re.search(r'<script src="/static/js/quick-exit\.js\?v=\w+" defer>', html)
    assert "Violencia" not in title_tag(html)
    assert response.headers["Cache-Control"] == "no-store"


def test_ordinary_course_page_has_no_quick_exit(client, make_course):
    course = make_course(title="El mercurio")
    html = page(client, f"/cursos/{course.slug}")
    assert "quick-exit" not in html and "El mercurio" in title_tag(html)


def test_neutral_page_is_reachable_anonymously_and_shows_no_platform(client, client_for, make_user):
    for viewer in (client, client_for(make_user())):
        response = viewer.get("/clima")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert title_tag(html) == "El tiempo hoy"
        for branding in ("RNM", "Red Nacional", "Cursos", "Salir", "favicon", "curso", "<a ", "<form"):
            assert branding not in html, branding


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def test_learner_pages_stay_within_30_kb_compressed_with_their_css_and_js(client, client_for, make_user, make_course):
    for theme in ("formalizacion", "seguridad-salud", "derechos"):
        for _ in range(4):
            make_course(theme=theme, modules=5, lessons=5, sensitive=theme == "derechos")
    sensitive = make_course(theme="derechos", modules=6, lessons=6, sensitive=True)
    learner = client_for(make_user())
    for url in ("/cursos", f"/cursos/{sensitive.slug}", "/clima"):
        html = learner.get(url).get_data()
        assets = re.findall(rb'(?:href|src)="(/static/[^"?]+)', html)
        total = gzipped(html) + sum(gzipped(client.get(asset.decode()).get_data()) for asset in set(assets))
        assert total <= 30 * 1024, (url, total)
        assert not re.search(rb'(?:src|href)="(?:https?:)?//', html), url
