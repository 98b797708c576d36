"""Authoring under /manage/courses: the trainer's whole flow, ordering, progress kept, permissions, sanitising."""

import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent
from lms.courses.models import Course, Lesson, Module, Question, Quiz, Theme, ensure_starter_themes
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion
from tests.conftest import audio_sample

MP3 = audio_sample("tone.mp3")


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


def png_bytes(width=1200, height=800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 90, 20)).save(out, "PNG")
    return out.getvalue()


def theme_id(app, slug="seguridad-salud") -> int:
    with app.app_context():
        ensure_starter_themes()
        db.session.commit()
        return db.session.scalar(select(Theme.id).where(Theme.slug == slug))


def course_data(app, **fields) -> dict:
    data = {"title": "Seguridad en la bocamina", "summary": "Cuidarnos al entrar.", "theme_id": theme_id(app),
            "language": "es", "hours": "2,5", "self_enrol": "y", "require_lessons": "y", "require_quizzes": "y",
            "min_sessions": "0"}
    return data | fields


def new_id(response) -> int:
    """The id in a redirect such as /manage/courses/7 or /manage/courses/7/lessons/12/edit."""
    return int(re.findall(r"/(\d+)", response.headers["Location"])[-1])


def text(response) -> str:
    return response.get_data(as_text=True)


def question(kind, text_, *choices, truth=None) -> dict:
    data = {"kind": kind, "text": text_, "explanation": "Porque así nos cuidamos."}
    for n, (choice, correct) in enumerate(choices):
        data[f"choices-{n}-text"] = choice
        if correct:
            data[f"choices-{n}-correct"] = "y"
    return data | ({"truth": truth} if truth else {})


def publish(client, course_id):
    return client.post(f"/manage/courses/{course_id}/status", data={"action": "publish"}, follow_redirects=True)


def test_a_trainer_builds_previews_and_publishes_a_course_through_the_pages(app, make_user, client_for):
    trainer = make_user(role="trainer")
    web = client_for(trainer)
    assert web.get("/manage/courses/new").status_code == 200
    created = web.post("/manage/courses/new", data=course_data(app))
    course_id = new_id(created)
    assert created.headers["Location"] == f"/manage/courses/{course_id}"
    base = f"/manage/courses/{course_id}"
    for title in ("Antes de entrar", "El mercurio"):
        assert web.post(f"{base}/modules", data={"title": title}).headers["Location"].startswith(base)
    with app.app_context():
        first, second = db.session.scalars(select(Module.id).where(Module.course_id == course_id)
                                           .order_by(Module.position)).all()
    refused = publish(web, course_id)
    assert "Todavía no se puede publicar" in text(refused) and "El curso no tiene lecciones." in text(refused)

    lesson_data = {"title": "El casco", "minutes": "5", "body": "Usa **siempre** el casco.", "action": "save"}
    helmet = new_id(web.post(f"{base}/modules/{first}/lessons/new", data=lesson_data | {"module_id": first}))
    song = new_id(web.post(f"{base}/modules/{second}/lessons/new",
                           data=lesson_data | {"title": "Escucha: el mercurio", "module_id": second}))
    image = web.post(f"{base}/lessons/{helmet}/files/attachment", content_type="multipart/form-data",
                     data={"attachment-file": (io.BytesIO(png_bytes()), "casco.png")})
    assert image.headers["Location"].startswith(f"{base}/lessons/{helmet}/edit")
    audio = web.post(f"{base}/lessons/{song}/files/audio", content_type="multipart/form-data",
                     data={"audio-file": (io.BytesIO(MP3), "mercurio.mp3")})
    assert audio.headers["Location"].startswith(f"{base}/lessons/{song}/edit")

    quiz_saved = web.post(f"{base}/modules/{first}/quiz", data={"title": "¿Qué aprendí?", "pass_mark": "70",
                                                                 "max_attempts": "0"})
    assert quiz_saved.headers["Location"] == f"{base}/modules/{first}/quiz"
    refused = publish(web, course_id)
    assert "La evaluación «¿Qué aprendí?» no tiene preguntas." in text(refused)
    with app.app_context():
        quiz_id = db.session.scalar(select(Quiz.id).where(Quiz.module_id == first))
        assert db.session.get(Course, course_id).status == "draft"
    for data in (question("single", "¿Qué protege la cabeza?", ("El casco", True), ("La gorra", False)),
                 question("multiple", "¿Qué nos protege?", ("Guantes", True), ("Botas", True), ("Nada", False)),
                 question("truefalse", "El mercurio es seguro.", truth="false")):
        saved = web.post(f"{base}/quizzes/{quiz_id}/questions/new", data=data)
        assert saved.headers["Location"].startswith(f"{base}/modules/{first}/quiz"), text(saved)

    outline = text(web.get(f"{base}/preview"))
    assert "Vista previa" in outline and "El casco" in outline and "¿Qué aprendí?" in outline
    lesson_page = text(web.get(f"{base}/preview/lessons/{helmet}"))
    assert "Vista previa" in lesson_page and "<strong>siempre</strong>" in lesson_page
    assert re.search(r"Imagen · \d+ KB", lesson_page)
    assert re.search(r"Escuchar · \d+ KB", text(web.get(f"{base}/preview/lessons/{song}")))
    assert "Verdadero" in text(web.get(f"{base}/preview/quizzes/{quiz_id}"))

    published = publish(web, course_id)
    assert "Listo: el curso ahora está «Publicado»." in text(published)
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert course.status == "published" and course.published_at is not None
        assert [t.id for t in course.trainers] == [trainer.id]
        assert course.slug == "seguridad-en-la-bocamina" and course.hours == 2.5
        kinds = [(q.kind, [c.text for c in q.choices if c.correct]) for q in course.quizzes()[0].questions]
        assert kinds == [("single", ["El casco"]), ("multiple", ["Guantes", "Botas"]), ("truefalse", ["Falso"])]
        assert db.session.get(Lesson, helmet).attachments[0].width == 1000
        assert db.session.get(Lesson, song).audio.kind == "audio"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.published")).actor_id \
            == trainer.id


def test_the_slug_comes_from_the_title_once_and_a_taken_slug_gets_the_form_back(app, make_user, client_for):
    web = client_for(make_user(role="trainer"))
    web.get("/manage/courses/new")
    course_id = new_id(web.post("/manage/courses/new", data=course_data(app, title="¿Qué es el REINFO?")))
    web.post(f"/manage/courses/{course_id}/edit", data=course_data(app, title="El REINFO, paso a paso"))
    second = new_id(web.post("/manage/courses/new", data=course_data(app, title="¿Qué es el REINFO?")))
    taken = web.post("/manage/courses/new", data=course_data(app, title="Otro", slug="que-es-el-reinfo"))
    bad = web.post("/manage/courses/new", data=course_data(app, title="Otro", slug="Con Espacios"))
    assert taken.status_code == 200 and "Esa dirección web ya la usa otro curso." in text(taken)
    assert "Solo minúsculas sin tilde" in text(bad)
    with app.app_context():
        assert db.session.get(Course, course_id).slug == "que-es-el-reinfo"
        assert db.session.get(Course, second).slug == "que-es-el-reinfo-2"
        assert db.session.scalar(select(func.count()).select_from(Course)) == 2


def test_bad_input_returns_the_form_with_spanish_messages_and_writes_nothing(app, make_user, client_for,
                                                                              make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], status="draft")
    web = client_for(trainer)
    web.get("/manage/courses/new")
    empty = web.post("/manage/courses/new", data=course_data(app, title="", hours="0"))
    assert "Escribe el título del curso." in text(empty)
    quiz = web.post(f"/manage/courses/{course.id}/modules/{course.module_ids[0]}/quiz",
                    data={"title": "Q", "pass_mark": "150", "max_attempts": "0"})
    assert "Escribe un número entre 1 y 100." in text(quiz)
    no_correct = web.post(f"/manage/courses/{course.id}/quizzes/{course.quiz_ids[0]}/questions/new",
                          data=question("single", "¿Cuál?", ("Una", False), ("Otra", False)))
    one_choice = web.post(f"/manage/courses/{course.id}/quizzes/{course.quiz_ids[0]}/questions/new",
                          data=question("multiple", "¿Cuáles?", ("Una", True)))
    assert "debe tener exactamente una respuesta correcta" in text(no_correct)
    assert "necesita al menos dos opciones" in text(one_choice)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1
        assert len(db.session.get(Quiz, course.quiz_ids[0]).questions) == 2
        assert db.session.get(Quiz, course.quiz_ids[0]).pass_mark == 70


def test_reordering_modules_lessons_and_questions_keeps_their_ids(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=2, lessons=3)
    web = client_for(trainer)
    base = f"/manage/courses/{course.id}"
    first_lesson, second_lesson, third_lesson = course.lesson_ids[:3]
    web.post(f"{base}/lesson/{first_lesson}/move", data={"step": "down"})
    web.post(f"{base}/lesson/{third_lesson}/move", data={"step": "up"})
    web.post(f"{base}/module/{course.module_ids[1]}/move", data={"step": "up"})
    with app.app_context():
        first_quiz = db.session.get(Quiz, course.quiz_ids[0])
        question_ids = [q.id for q in first_quiz.questions]
    moved = web.post(f"{base}/question/{question_ids[1]}/move", data={"step": "up"})
    assert moved.headers["Location"] == f"{base}/modules/{course.module_ids[0]}/quiz"
    web.post(f"{base}/lesson/{second_lesson}/move", data={"step": "up"})  # already first: nothing moves
    with app.app_context():
        db_course = db.session.get(Course, course.id)
        assert [m.id for m in db_course.modules] == [course.module_ids[1], course.module_ids[0]]
        assert [lesson.id for lesson in db_course.modules[1].lessons] == [second_lesson, third_lesson, first_lesson]
        assert [q.id for q in db.session.get(Quiz, course.quiz_ids[0]).questions] == question_ids[::-1]
        assert sorted(lesson.id for lesson in db_course.lessons()) == sorted(course.lesson_ids)


def complete_lessons(app, course, lesson_id, learners):
    with app.app_context():
        for learner in learners:
            enrolment = Enrolment(user_id=learner.id, course_id=course.id)
            db.session.add(enrolment)
            db.session.flush()
            db.session.add(LessonCompletion(enrolment_id=enrolment.id, lesson_id=lesson_id))
        db.session.commit()


def test_editing_and_moving_a_lesson_of_a_published_course_keeps_learners_progress(app, make_user, client_for,
                                                                                      make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    lesson_id = course.lesson_ids[0]
    complete_lessons(app, course, lesson_id, [make_user(), make_user()])
    web = client_for(trainer)
    saved = web.post(f"/manage/courses/{course.id}/lessons/{lesson_id}/edit",
                     data={"title": "Lección renovada", "minutes": "8", "body": "Texto nuevo.",
                           "module_id": course.module_ids[1], "action": "save"})
    assert saved.headers["Location"] == f"/manage/courses/{course.id}#lesson-{lesson_id}"
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        assert (lesson.title, lesson.module_id, lesson.slug) == ("Lección renovada", course.module_ids[1],
                                                                 "leccion-1-1")
        assert [other.id for other in lesson.module.lessons][-1] == lesson_id
        assert [other.position for other in db.session.get(Module, course.module_ids[0]).lessons] == [1]
        assert db.session.scalar(select(func.count()).select_from(LessonCompletion)
                                 .where(LessonCompletion.lesson_id == lesson_id)) == 2
        assert db.session.get(Course, course.id).status == "published"


def test_deleting_a_completed_lesson_first_says_how_many_completed_it(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    lesson_id = course.lesson_ids[0]
    complete_lessons(app, course, lesson_id, [make_user() for _ in range(3)])
    web = client_for(trainer)
    url = f"/manage/courses/{course.id}/lessons/{lesson_id}/delete"
    page = text(web.get(url))
    assert "3 participantes completaron esta lección" in page and "Sí, eliminar" in page
    with app.app_context():
        assert db.session.get(Lesson, lesson_id) is not None
    assert web.post(url).headers["Location"] == f"/manage/courses/{course.id}#module-{course.module_ids[0]}"
    with app.app_context():
        assert db.session.get(Lesson, lesson_id) is None
        assert [lesson.position for lesson in db.session.get(Module, course.module_ids[0]).lessons] == [1]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lesson.deleted"))
        assert event.detail["completions"] == 3


def test_a_course_with_enrolments_is_not_deleted_and_archiving_is_offered(app, make_user, client_for,
                                                                           make_course):
    trainer = make_user(role="trainer")
    busy, empty = make_course(trainers=[trainer]), make_course(trainers=[trainer], status="draft")
    complete_lessons(app, busy, busy.lesson_ids[0], [make_user(), make_user()])
    web = client_for(trainer)
    refused = web.post(f"/manage/courses/{busy.id}/delete")
    assert "2 participantes están inscritas" in text(refused) and "Archivar curso" in text(refused)
    assert web.post(f"/manage/courses/{empty.id}/delete").headers["Location"] == "/manage/courses/"
    with app.app_context():
        assert db.session.get(Course, busy.id) is not None and db.session.get(Course, empty.id) is None


def test_modules_are_renamed_and_deleted_after_a_confirmation(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=3)
    web = client_for(trainer)
    base = f"/manage/courses/{course.id}/modules/{course.module_ids[0]}"
    web.post(f"{base}/edit", data={"title": "Primeros pasos"})
    assert "Se borrarán también sus 2 lecciones." in text(web.get(f"{base}/delete"))
    web.post(f"{base}/delete")
    with app.app_context():
        modules = db.session.get(Course, course.id).modules
        assert [(m.id, m.position) for m in modules] == [(course.module_ids[1], 1), (course.module_ids[2], 2)]
        assert db.session.scalar(select(func.count()).select_from(Lesson).where(Lesson.course_id == course.id)) == 4


def test_the_lesson_preview_button_shows_the_sanitised_text_without_saving(app, make_user, client_for,
                                                                            make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    web = client_for(trainer)
    page = text(web.post(f"/manage/courses/{course.id}/lessons/{course.lesson_ids[0]}/edit",
                         data={"title": "X", "minutes": "5", "module_id": course.module_ids[0], "action": "preview",
                               "body": "## Subtítulo\n\n<script>alert(1)</script> **ojo**"}))
    assert 'id="vista-previa"' in page and "<h2>Subtítulo</h2>" in page and "<strong>ojo</strong>" in page
    assert "<script>alert" not in page
    with app.app_context():
        assert db.session.get(Lesson, course.lesson_ids[0]).title == "Lección 1.1"


XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
       "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))", "![x](javascript:alert(1))",
       '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "<iframe src=//evil.example></iframe>",
       '<svg onload="alert(1)">', '[x](https://a.example "t\\"><script>alert(1)</script>")',
       "<object data=x></object>", '<p style="background:url(javascript:alert(1))">x</p>']


class TagChecker(HTMLParser):
    """Collects every real tag that could run script: escaped text and attribute values are data, not tags."""

    def __init__(self):
        super().__init__()
        self.bad = []

    def handle_starttag(self, tag, attrs):
        script_url = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
        if tag in ("iframe", "object", "embed") or (tag == "script" and "src" not in dict(attrs)):
            self.bad.append(tag)
        self.bad += [f"{tag} {name}" for name, value in attrs
                     if name.startswith("on") or (name in ("href", "src", "data", "action") and
                                                  script_url.match(value or ""))]


def assert_harmless(page: str) -> None:
    checker = TagChecker()
    checker.feed(page)
    assert checker.bad == []


def test_xss_in_title_summary_and_lesson_body_is_escaped_or_removed_on_the_preview(app, make_user, client_for,
                                                                                    make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], status="draft")
    web = client_for(trainer)
    base = f"/manage/courses/{course.id}"
    web.post(f"{base}/edit", data=course_data(app, title=XSS[0], summary=XSS[1] + XSS[7]))
    lesson_id = course.lesson_ids[0]
    web.post(f"{base}/lessons/{lesson_id}/edit", data={"title": XSS[8], "minutes": "5", "action": "save",
                                                       "module_id": course.module_ids[0], "body": "\n\n".join(XSS)})
    for url in (f"{base}/preview", f"{base}/preview/lessons/{lesson_id}", base, f"{base}/lessons/{lesson_id}/edit"):
        assert_harmless(text(web.get(url)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(web.get(f"{base}/preview"))


def authoring_urls(app, course, question_id, media_id):
    """Every authoring URL that names a course, filled with `course`'s ids."""
    values = {"course_id": course.id, "module_id": course.module_ids[0], "lesson_id": course.lesson_ids[0],
              "quiz_id": course.quiz_ids[0], "question_id": question_id, "media_id": media_id, "kind": "lesson",
              "item_id": course.lesson_ids[0], "language": "qu"}
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("authoring.") and "course_id" in rule.arguments:
                kind = {"kind": "audio"} if rule.endpoint == "authoring.add_file" else {}
                for method in {"GET", "POST"} & rule.methods:
                    urls.append((method, url_for(rule.endpoint, **{a: values[a] for a in rule.arguments} | kind)))
    return urls


def test_a_trainer_cannot_see_or_change_another_trainers_course(app, make_user, client_for, make_course):
    owner, other = make_user(role="trainer"), make_user(role="trainer")
    course = make_course(trainers=[owner])
    with app.app_context():
        question_id = db.session.get(Quiz, course.quiz_ids[0]).questions[0].id
    urls = authoring_urls(app, course, question_id, media_id=1)
    assert len(urls) > 25
    intruder = client_for(other)
    for method, url in urls:
        response = intruder.open(url, method=method, data={"title": "Hackeado", "action": "publish", "step": "down"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert course.title not in text(intruder.get("/manage/courses/"))
    learner = client_for(make_user())
    for method, url in urls + [("GET", "/manage/courses/"), ("GET", "/manage/courses/new")]:
        assert learner.open(url, method=method).status_code == 403, url
    with app.app_context():
        db_course = db.session.get(Course, course.id)
        assert db_course.title == course.title and len(db_course.lessons()) == 4
        assert db.session.get(Question, question_id) is not None


def test_admins_edit_every_course_and_choose_its_trainers(app, make_user, client_for, make_course):
    owner, admin = make_user(role="trainer"), make_user(role="admin")
    helper = make_user(role="trainer", full_name="Ana Formadora")
    course = make_course(trainers=[owner])
    web = client_for(admin)
    assert course.title in text(web.get("/manage/courses/"))
    form = text(web.get(f"/manage/courses/{course.id}/edit"))
    assert "Ana Formadora" in form and "slug" not in form  # a published course keeps its address
    saved = web.post(f"/manage/courses/{course.id}/edit", data=course_data(app, title="Curso compartido",
                                                                           trainer_ids=[owner.id, helper.id]))
    assert saved.headers["Location"] == f"/manage/courses/{course.id}"
    with app.app_context():
        assert sorted(u.id for u in db.session.get(Course, course.id).trainers) == sorted([owner.id, helper.id])
    assert "Curso compartido" in text(client_for(helper).get("/manage/courses/"))


def test_only_admins_add_themes(app, make_user, client_for):
    assert client_for(make_user(role="trainer")).get("/manage/courses/themes/new").status_code == 403
    admin = client_for(make_user(role="admin"))
    assert admin.post("/manage/courses/themes/new", data={"name": "Medio ambiente", "name_en": "Environment"}) \
        .headers["Location"] == "/manage/courses/themes/new"
    again = admin.post("/manage/courses/themes/new", data={"name": "Medio Ambiente"})
    assert "Ya existe un tema con ese nombre." in text(again)
    with app.app_context():
        assert db.session.scalar(select(Theme.slug).where(Theme.name == "Medio ambiente")) == "medio-ambiente"
        assert db.session.scalar(select(func.count()).select_from(Theme)) == 1


def test_editing_a_question_keeps_its_choice_ids_and_true_false_flips_in_place(app, make_user, client_for,
                                                                                make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    with app.app_context():
        single, truefalse = db.session.get(Quiz, course.quiz_ids[0]).questions
        single_ids, tf_ids = [c.id for c in single.choices], [c.id for c in truefalse.choices]
        single_id, tf_id = single.id, truefalse.id
    web = client_for(trainer)
    base = f"/manage/courses/{course.id}/questions"
    assert 'value="Esta"' in text(web.get(f"{base}/{single_id}/edit"))
    data = question("single", "¿Cuál es la buena?", ("Esta sí", True), ("Otra no", False), ("Tercera", False))
    data |= {"choices-0-choice_id": single_ids[0], "choices-1-choice_id": single_ids[1]}
    assert web.post(f"{base}/{single_id}/edit", data=data).headers["Location"].endswith(f"#question-{single_id}")
    web.post(f"{base}/{tf_id}/edit", data=question("truefalse", "El mercurio es seguro.", truth="true"))
    with app.app_context():
        single, truefalse = db.session.get(Question, single_id), db.session.get(Question, tf_id)
        assert [c.id for c in single.choices][:2] == single_ids and len(single.choices) == 3
        assert [(c.text, c.correct) for c in single.choices] == [("Esta sí", True), ("Otra no", False),
                                                                  ("Tercera", False)]
        assert [(c.id, c.text, c.correct) for c in truefalse.choices] == [(tf_ids[0], "Verdadero", True),
                                                                           (tf_ids[1], "Falso", False)]


def test_questions_and_quizzes_are_deleted_after_a_confirmation(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], status="draft")
    with app.app_context():
        first, second = (q.id for q in db.session.get(Quiz, course.quiz_ids[0]).questions)
    web = client_for(trainer)
    base = f"/manage/courses/{course.id}"
    assert "¿Eliminar esta pregunta?" in text(web.get(f"{base}/questions/{first}/delete"))
    web.post(f"{base}/questions/{first}/delete")
    quiz_url = f"{base}/modules/{course.module_ids[1]}/quiz"
    assert "¿Eliminar esta evaluación?" in text(web.get(f"{quiz_url}/delete"))
    assert web.post(f"{quiz_url}/delete").headers["Location"] == f"{base}#module-{course.module_ids[1]}"
    with app.app_context():
        assert [q.id for q in db.session.get(Quiz, course.quiz_ids[0]).questions] == [second]
        assert db.session.get(Question, second).position == 1
        assert db.session.get(Quiz, course.quiz_ids[1]) is None
        assert db.session.get(Module, course.module_ids[1]) is not None
