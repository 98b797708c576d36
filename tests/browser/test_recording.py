"""A trainer records a lesson in Quechua from the editor with Chromium's fake microphone; a learner whose language
is Quechua hears exactly that recording, reads the Quechua variant and completes the lesson once."""

import hashlib
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.courses.media import media_path
from lms.courses.models import Lesson, LessonVariant
from lms.extensions import db
from lms.learning.models import LessonCompletion
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, sign_in

FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
QU_TITLE, QU_TEXT = "[qu] título de prueba", "[qu] texto de prueba"  # placeholders: no Quechua is invented


# The file in the form data that record.js sends, handed to the test before the request leaves (the page's
# CSP lets no script fetch the blob: URL, and Playwright does not show a blob body).
SEE_WHAT_IS_SENT = """
(() => {
  const send = window.fetch;
  window.fetch = function (url, options) {
    const file = options && options.body instanceof FormData && options.body.get("audio-file");
    if (!file) { return send.apply(this, arguments); }
    return file.arrayBuffer().then(b => window.keepSent(Array.from(new Uint8Array(b))))
      .then(() => send.call(window, url, options));
  };
})();
"""


@pytest.fixture
def microphone_browser(browser):
    """Chromium with a fake microphone (a beeping tone) that needs no permission prompt."""
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS + FAKE_MICROPHONE)
    yield chromium
    chromium.close()


@pytest.fixture
def world(app, tmp_path, make_user, make_course, enrol):
    app.config.update(LANGUAGES=("es", "en", "qu"), UPLOAD_FOLDER=str(tmp_path / "uploads"))
    trainer = make_user(role="trainer", full_name="Juana Huamán")
    course = make_course(trainers=[trainer], modules=1, lessons=2, title="Seguridad en el socavón")
    quechua, spanish = make_user(language="qu"), make_user(language="es")
    for learner in (quechua, spanish):
        enrol(learner, course)
    with app.app_context():
        lesson = db.session.get(Lesson, course.lesson_ids[0])
        lesson.variants.append(LessonVariant(language="qu", title=QU_TITLE, body=QU_TEXT))
        db.session.commit()
    return SimpleNamespace(trainer=trainer, course=course, quechua=quechua, spanish=spanish,
                           lesson_id=course.lesson_ids[0], lesson_url=f"/aprender/{course.slug}/leccion-1-1")


def phone_page(chromium, shots, prefix: str):
    context = chromium.new_context(viewport=PHONE, locale="es-PE", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.shot = lambda name: page.screenshot(path=str(shots / f"{prefix}{name}.png"), full_page=True)
    return page


def record_in_quechua(page, base: str, world) -> bytes:
    """The trainer records about two seconds, listens back, and uploads it as the Quechua audio; returns the
    bytes the page sent (read from the form's file as fetch() is called, before it goes)."""
    sent = []
    page.expose_function("keepSent", lambda data: sent.append(bytes(data)))
    page.add_init_script(SEE_WHAT_IS_SENT)
    sign_in(page, base, world.trainer.username, world.trainer.password)
    page.goto(f"{base}/manage/courses/{world.course.id}/lessons/{world.lesson_id}/edit")
    page.get_by_label("Idioma de la grabación").select_option("qu")
    page.get_by_role("button", name="Grabar audio").click()
    status = page.locator("[data-status]")
    expect(status).to_contain_text("Grabando 0:02")  # time and size while recording
    expect(status).to_contain_text("KB")
    page.shot("01-recording")
    page.get_by_role("button", name="Detener").click()
    expect(page.locator("[data-playback]")).to_be_visible()  # listen back before uploading
    expect(page.get_by_role("button", name="Grabar otra vez")).to_be_visible()
    page.shot("02-recorded")
    page.wait_for_function("() => document.querySelector('[data-playback]').readyState >= 1")  # it plays (CSP)
    page.get_by_role("button", name="Subir esta grabación").click()
    page.wait_for_url(f"**/lessons/{world.lesson_id}/edit#archivos")
    expect(page.locator("#archivos ~ ul strong", has_text="Runasimi")).to_be_visible()
    page.shot("03-uploaded")
    assert len(sent) == 1
    return sent[0]


def test_a_recording_made_in_the_editor_is_what_a_quechua_learner_hears(app, microphone_browser, browser, shots,
                                                                       live_server, world):
    trainer = phone_page(microphone_browser, shots, "trainer-")
    recorded = record_in_quechua(trainer, live_server, world)
    with app.app_context():
        variant = db.session.get(Lesson, world.lesson_id).variant("qu")
        media = variant.audio
        stored = media_path(media, app.config["UPLOAD_FOLDER"]).read_bytes()
        assert media.content_type == "audio/webm" and media.filename.endswith("-qu.webm")
        assert 1500 <= media.duration_ms <= 60_000 and media.size_bytes == len(stored)
    assert stored == recorded, "stored byte for byte as it was recorded"

    learner = phone_page(browser, shots, "learner-qu-")
    sign_in(learner, live_server, world.quechua.username, world.quechua.password)
    learner.goto(live_server + world.lesson_url)
    expect(learner.get_by_role("heading", name=QU_TITLE)).to_be_visible()
    expect(learner.get_by_text(QU_TEXT)).to_be_visible()
    audio = learner.locator("audio")
    assert audio.count() == 1 and audio.get_attribute("src") == f"/media/{media.id}"
    assert audio.get_attribute("preload") == "none"
    listen = learner.get_by_role("button", name="Escuchar ·")
    expect(listen).to_be_visible()
    assert learner.evaluate("performance.getEntriesByType('resource').every(e => !e.name.includes('/media/'))"), \
        "nothing downloaded before the tap"
    learner.shot("01-lesson")
    listen.click()
    learner.wait_for_function("() => document.querySelector('audio').currentTime > 0")
    heard = learner.evaluate("""async () => {
        const response = await fetch(document.querySelector('audio').currentSrc);
        return Array.from(new Uint8Array(await response.arrayBuffer()));
    }""")
    assert hashlib.sha256(bytes(heard)).digest() == hashlib.sha256(stored).digest() == hashlib.sha256(
        recorded).digest(), "she hears the bytes that were recorded"
    learner.shot("02-listening")
    learner.get_by_role("button", name="Marcar como completada").click()
    learner.goto(live_server + world.lesson_url)
    expect(learner.get_by_text("Completaste esta lección.")).to_be_visible()

    other = phone_page(browser, shots, "learner-es-")
    sign_in(other, live_server, world.spanish.username, world.spanish.password)
    other.goto(live_server + world.lesson_url)
    expect(other.get_by_role("heading", name="Lección 1.1")).to_be_visible()
    expect(other.get_by_text(QU_TEXT)).to_have_count(0)
    assert other.locator("audio").count() == 0, "the Quechua recording is not hers; no Spanish one exists"
    other.get_by_role("button", name="Marcar como completada").click()
    with app.app_context():
        completions = db.session.scalars(select(LessonCompletion.lesson_id)).all()
    assert completions == [world.lesson_id, world.lesson_id], "one completion each, of the same lesson"
    for page in (trainer, learner, other):
        page.context.close()


def test_without_javascript_the_lesson_keeps_a_plain_player_and_the_editor_a_file_upload(
        app, browser, shots, live_server, world):
    with app.app_context():
        from lms.courses.media import store_upload
        from lms.courses.models import Course, MediaKind
        from tests.conftest import audio_sample

        lesson = db.session.get(Lesson, world.lesson_id)
        lesson.variant("qu").audio = store_upload(audio_sample("tone.ogg"), "t.ogg", db.session.get(
            Course, world.course.id), {MediaKind.AUDIO}, app.config["UPLOAD_FOLDER"], 10 * 1024 * 1024)
        db.session.commit()
    context = browser.new_context(viewport=PHONE, locale="es-PE", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, world.quechua.username, world.quechua.password)
    page.goto(live_server + world.lesson_url)
    expect(page.locator("audio[controls]")).to_be_visible()
    expect(page.locator(".listen-label")).to_have_text("▶ Escuchar · 8 KB")
    expect(page.get_by_role("button", name="Escuchar")).to_be_hidden()
    expect(page.get_by_role("link", name="Descargar el audio (8 KB)")).to_be_visible()
    page.screenshot(path=str(shots / "learner-no-js.png"), full_page=True)
    trainer = context.browser.new_context(viewport=PHONE, locale="es-PE", java_script_enabled=False).new_page()
    sign_in(trainer, live_server, world.trainer.username, world.trainer.password)
    trainer.goto(f"{live_server}/manage/courses/{world.course.id}/lessons/{world.lesson_id}/edit")
    expect(trainer.get_by_role("button", name="Grabar audio")).to_be_hidden()
    expect(trainer.get_by_label("O sube un archivo de audio (MP3, OGG, WebM o M4A)")).to_be_visible()
    trainer.screenshot(path=str(shots / "trainer-no-js.png"), full_page=True)
    trainer.context.close()
    context.close()
