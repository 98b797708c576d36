"""Serving course files: only to who may see the course, with ranges for audio, and never as a runnable page."""

import gzip
import hashlib
import re
import secrets
from pathlib import Path

import pytest
from flask import render_template_string
from sqlalchemy import select

from lms.courses.models import Course, Lesson, Media
from lms.courses.variants import reading_of
from lms.extensions import db


@pytest.fixture
def client(app):
    """An anonymous visitor. pytest-flask's `client` keeps its last request context pushed, which makes every
    other client in the same test look anonymous too; this one keeps nothing between requests."""
    return app.test_client()

AUDIO = bytes(range(256)) * 40  # 10 KB standing in for an MP3: serving never looks inside
PDF = b"%PDF-1.4\n" + b"x" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 500
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def fetch(client, url, **kwargs):
    """GET, read the body and close the file behind it (as a server does after sending)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def add_media(app, uploads):
    """Factory: add_media(course_id, kind, content_type, data, filename) -> media id, with its file on disk."""
    def add(course_id, kind, content_type, data, filename):
        with app.app_context():
            stored = secrets.token_hex(8) + Path(filename).suffix
            (uploads / stored).write_bytes(data)
            media = Media(course_id=course_id, kind=kind, filename=filename, stored_name=stored,
                          content_type=content_type, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
            db.session.add(media)
            db.session.commit()
            return media.id
    return add


def attach(app, course, audio_id=None, attachment_ids=(), cover_id=None):
    """Give the course's first lesson this audio and attachments, and the course this cover."""
    with app.app_context():
        lesson = db.session.get(Lesson, course.lesson_ids[0])
        lesson.audio_id = audio_id
        lesson.attachments = [db.session.get(Media, media_id) for media_id in attachment_ids]
        if cover_id:
            db.session.get(Course, course.id).cover_id = cover_id
        db.session.commit()


@pytest.fixture
def published(make_course, add_media, app):
    course = make_course(title="Curso con archivos")
    course.audio = add_media(course.id, "audio", "audio/mpeg", AUDIO, "leccion-1.mp3")
    course.pdf = add_media(course.id, "pdf", "application/pdf", PDF, "guia.pdf")
    course.image = add_media(course.id, "image", "image/png", PNG, "foto.png")
    course.cover = add_media(course.id, "image", "image/png", PNG, "portada.png")
    attach(app, course, course.audio, [course.pdf, course.image], course.cover)
    return course


@pytest.fixture
def learner(client_for, make_user, published, enrol):
    """A learner enrolled in the published course (its files are for its learners)."""
    user = make_user()
    enrol(user, published)
    return client_for(user)


def test_a_course_file_is_refused_to_those_not_enrolled_and_to_a_withdrawn_learner(published, make_user, client_for,
                                                                                  enrol):
    """A course with a key keeps its files to those who knew the key: no signed-in stranger gets them by id."""
    stranger = client_for(make_user())
    withdrawn = make_user()
    enrol(withdrawn, published, status="withdrawn")
    other_trainer = client_for(make_user(role="trainer"))
    for media_id in (published.audio, published.pdf, published.image):
        for client in (stranger, client_for(withdrawn), other_trainer):
            assert fetch(client, f"/media/{media_id}").status_code == 404


def test_audio_range_request_returns_206_with_exactly_the_requested_bytes(learner, published):
    response = fetch(learner, f"/media/{published.audio}", headers={"Range": "bytes=100-299"})
    assert response.status_code == 206
    assert response.data == AUDIO[100:300]
    assert response.headers["Content-Range"] == f"bytes 100-299/{len(AUDIO)}"
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Accept-Ranges"] == "bytes"


def test_whole_audio_is_served_inline_with_nosniff_and_a_private_cache(learner, published):
    response = fetch(learner, f"/media/{published.audio}")
    assert response.status_code == 200 and response.data == AUDIO
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert response.headers["Content-Disposition"].startswith("inline")


def test_pdf_is_always_an_attachment_with_a_locked_policy(learner, published):
    response = fetch(learner, f"/media/{published.pdf}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment") and "guia.pdf" in response.headers[
        "Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_images_are_inline_unless_a_download_is_asked_for(learner, published):
    assert fetch(learner, f"/media/{published.image}").headers["Content-Disposition"].startswith("inline")
    forced = fetch(learner, f"/media/{published.image}?download=1")
    assert forced.status_code == 200 and forced.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("content_type, data, name", [("image/svg+xml", SVG, "dibujo.svg"),
                                                      ("text/html", b"<script>alert(1)</script>", "pagina.html")])
def test_svg_or_html_rows_are_never_served_inline(learner, published, add_media, content_type, data, name):
    media_id = add_media(published.id, "image", content_type, data, name)
    response = fetch(learner, f"/media/{media_id}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_draft_course_files_are_refused_to_learners_but_served_to_its_trainer(make_course, make_user, client_for,
                                                                            add_media, learner, enrol):
    owner = make_user(role="trainer")
    draft = make_course(status="draft", trainers=[owner])
    enrolled = make_user()
    enrol(enrolled, draft)
    learner = client_for(enrolled)  # even enrolled, a draft's files are not hers
    pdf = add_media(draft.id, "pdf", "application/pdf", PDF, "borrador.pdf")
    assert fetch(learner, f"/media/{pdf}").status_code == 404
    assert fetch(client_for(make_user(role="trainer")), f"/media/{pdf}").status_code == 404
    assert fetch(client_for(owner), f"/media/{pdf}").data == PDF
    assert fetch(client_for(make_user(role="admin")), f"/media/{pdf}").status_code == 200


def test_anonymous_visitors_get_covers_of_published_courses_only(client, published, make_course, add_media, app):
    cover = fetch(client, f"/media/{published.cover}/portada")
    assert cover.status_code == 200 and cover.data == PNG
    assert cover.headers["Cache-Control"] == "public, max-age=86400"
    assert cover.headers["X-Content-Type-Options"] == "nosniff"
    for media_id in (published.audio, published.pdf, published.image, published.cover):
        assert fetch(client, f"/media/{media_id}").headers["Location"].startswith("/login")
    for media_id in (published.audio, published.pdf, published.image):
        assert fetch(client, f"/media/{media_id}/portada").status_code == 404
    draft = make_course(status="draft")
    draft_cover = add_media(draft.id, "image", "image/png", PNG, "portada.png")
    attach(app, draft, cover_id=draft_cover)
    assert fetch(client, f"/media/{draft_cover}/portada").status_code == 404


def test_catalogue_shows_the_cover_through_the_public_route(client, published):
    html = fetch(client, "/cursos").get_data(as_text=True)
    assert f'src="/media/{published.cover}/portada"' in html


def test_unknown_id_or_missing_file_is_404(learner, published, uploads, app):
    assert fetch(learner, "/media/999999").status_code == 404
    with app.app_context():
        stored = db.session.get(Media, published.pdf).stored_name
    (uploads / stored).unlink()
    assert fetch(learner, f"/media/{published.pdf}").status_code == 404


def test_only_numeric_ids_reach_the_files(learner, published):
    for path in ("/media/..%2f..%2fconfig.py", "/media/../../etc/passwd", "/media/%2e%2e/instance"):
        assert fetch(learner, path).status_code == 404


def render_lesson(app, lesson_id) -> str:
    with app.test_request_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.id == lesson_id))
        return render_template_string('{% extends "base.html" %}{% block content %}'
                                      '{% include "courses/_lesson_body.html" %}{% endblock %}',
                                      lesson=lesson, course=lesson.course, reading=reading_of(lesson, "es"))


def test_lesson_offers_its_audio_and_files_with_type_and_size(app, published):
    html = render_lesson(app, published.lesson_ids[0])
    assert re.search(f'<audio id="audio-lesson-{published.lesson_ids[0]}" controls preload="none" [^>]*'
                     f'src="/media/{published.audio}"></audio>', html), "one player, fetched only on a tap"
    assert html.count("Escuchar · 10 KB") == 2, "the size on the button and, without JavaScript, on the player"
    assert f'href="/media/{published.audio}?download=1">Descargar el audio (10 KB)</a>' in html
    assert "data-target" not in html, "with a recording there is no second «Escuchar» (the phone's voice)"
    assert f'<a href="/media/{published.pdf}">guia.pdf</a>' in html and "PDF · 2 KB" in html
    assert "Imagen · 1 KB" in html


def test_lesson_without_files_shows_no_player(app, published):
    html = render_lesson(app, published.lesson_ids[1])
    assert "<audio" not in html and "Archivos" not in html


def test_escuchar_button_is_hidden_until_the_script_finds_speech(app, client, published):
    html = render_lesson(app, published.lesson_ids[1])
    assert '<button class="btn" type="button" hidden data-listen' in html and "Escuchar" in html
    assert b".btn[hidden]{display:none}" in fetch(client, "/static/css/site.css").data  # .btn must not unhide it
    assert 'src="/static/js/listen.js?v=' in html


def test_listen_and_quick_exit_scripts_are_small_and_served(client):
    for name in ("listen.js", "quick-exit.js"):
        response = fetch(client, f"/static/js/{name}")
        assert response.status_code == 200 and len(response.data) < 4000 and len(gzip.compress(response.data)) < 1500
    assert b'"-pe"' in fetch(client, "/static/js/listen.js").data  # a Peruvian voice first
    assert b"location.replace" in fetch(client, "/static/js/quick-exit.js").data
