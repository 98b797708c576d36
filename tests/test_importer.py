"""The course library importer/exporter: every error with its path and line, idempotent by slug, lossless."""

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent
from lms.courses.importer import ImportErrors, export_course, import_courses
from lms.courses.models import Course, CourseStatus, Lesson, Media, Module, Quiz
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion
from tests.conftest import AUDIO_SAMPLES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "courses" / "ejemplo-curso-corto"


@pytest.fixture
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def library(tmp_path, uploads):
    """A copy of the example course in a library folder of its own, free to edit."""
    folder = tmp_path / "lib"
    shutil.copytree(EXAMPLE, folder / "ejemplo")
    return folder


def run_import(app, path, publish=False):
    with app.app_context():
        results = import_courses(path, publish=publish, include_demo=True)  # the example course is a demo
        db.session.commit()
        return results


def _media(media: Media | None):
    """A file's identity: its bytes for audio and PDF; for images (re-encoded on every import) name and size."""
    if media is None:
        return None
    same = (media.width, media.height) if media.kind == "image" else media.sha256
    return (media.kind, media.filename, media.content_type, same)


def dump(app, ids: bool = False) -> dict:
    """Every course's content, normalised; with ids=True also every row id and the courses' updated_at."""
    with app.app_context():
        result = {}
        for course in db.session.scalars(select(Course).order_by(Course.slug)):
            fields = {key: getattr(course, key) for key in (
                "title", "summary", "language", "hours", "sensitive", "demo", "self_enrol", "enrolment_key",
                "require_lessons", "require_quizzes", "min_sessions")}
            fields |= {"theme": course.theme.slug, "cover": _media(course.cover),
                       "trainers": [t.username for t in course.trainers]}
            modules = []
            for module in course.modules:
                lessons = [(lesson.slug, lesson.title, lesson.body, lesson.minutes, lesson.position,
                            _media(lesson.audio), [_media(m) for m in lesson.attachments],
                            lesson.reviewed_on, lesson.review_by,
                            [(v.language, v.title, v.body, _media(v.audio)) for v in lesson.variants],
                            *((lesson.id, lesson.module_id) if ids else ())) for lesson in module.lessons]
                quiz = module.quiz and (quiz_content(module.quiz, ids))
                modules.append((module.slug, module.title, module.position, lessons, quiz,
                                *((module.id,) if ids else ())))
            result[course.slug] = (fields, modules, *((course.id, course.updated_at, course.cover_id) if ids else ()))
        if ids:
            result["media"] = sorted(db.session.execute(select(Media.id, Media.stored_name, Media.sha256)).all())
            result["audit"] = db.session.scalar(select(func.count(AuditEvent.id)))
        return result


def quiz_content(quiz: Quiz, ids: bool):
    questions = [(q.kind, q.text, q.explanation, q.position,
                  [(c.text, c.correct, c.position, *((c.id,) if ids else ())) for c in q.choices],
                  [(r.language, _media(r.media)) for r in q.recordings],
                  *((q.id,) if ids else ())) for q in quiz.questions]
    return (quiz.title, quiz.pass_mark, quiz.max_attempts, questions, *((quiz.id,) if ids else ()))


def import_errors(app, path) -> list[str]:
    with app.app_context(), pytest.raises(ImportErrors) as raised:
        import_courses(path)
    return [str(problem) for problem in raised.value.problems]


def assert_nothing_written(app, uploads):
    with app.app_context():
        assert db.session.scalar(select(func.count(Course.id))) == 0
        assert db.session.scalar(select(func.count(Media.id))) == 0
    assert not uploads.exists() or not any(uploads.iterdir())


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "yaml syntax error carries its line": (
        "01-antes-de-empezar/quiz.yaml", "pass_mark: 70", "pass_mark: [70",
        "01-antes-de-empezar/quiz.yaml:3: Error de formato YAML"),
    "front matter error counts the --- line": (
        "01-antes-de-empezar/02-manos-limpias.md", "minutes: 4", "minutes: 4: 5",
        "01-antes-de-empezar/02-manos-limpias.md:3: Error de formato YAML"),
    "missing explanation": (
        "01-antes-de-empezar/quiz.yaml", "    explanation: Si cada", "    comment: Si cada",
        "01-antes-de-empezar/quiz.yaml:5: Falta el campo «explanation»"),
    "single with two correct answers": (
        "01-antes-de-empezar/quiz.yaml", "      - text: En cualquier lugar del camino",
        "      - text: En cualquier lugar del camino\n        correct: true",
        "01-antes-de-empezar/quiz.yaml:5: La pregunta debe tener exactamente una respuesta correcta (tiene 2)"),
    "truefalse needs exactly two choices": (
        "01-antes-de-empezar/quiz.yaml", "      - text: Verdadero", "      - text: Verdadero\n      - text: A veces",
        "01-antes-de-empezar/quiz.yaml:13: Una pregunta truefalse tiene exactamente dos opciones"),
    "multiple needs a correct answer": (
        "02-repaso/quiz.yaml",
        "        correct: true\n      - text: Lavarte las manos antes de comer\n        correct: true",
        "      - text: Lavarte las manos antes de comer",
        "02-repaso/quiz.yaml:5: La pregunta necesita al menos una respuesta correcta"),
    "unknown question kind": (
        "02-repaso/quiz.yaml", "kind: multiple", "kind: varias",
        "02-repaso/quiz.yaml:5: Tipo de pregunta desconocido"),
    "unknown theme": (
        "course.yaml", "theme: seguridad-salud", "theme: cocina",
        "course.yaml:6: El tema «cocina» no existe"),
    "missing media file": (
        "01-antes-de-empezar/01-el-orden-en-la-labor.md", "media/el-orden-en-la-labor.ogg", "media/no-existe.mp3",
        "01-antes-de-empezar/01-el-orden-en-la-labor.md:4: No existe el archivo media/no-existe.mp3"),
    "media outside media/": (
        "01-antes-de-empezar/02-manos-limpias.md", "  - media/lista-antes-de-comer.pdf", "  - ../../secreto.pdf",
        "01-antes-de-empezar/02-manos-limpias.md:4: «../../secreto.pdf» debe ser un archivo dentro de media/"),
    "bad slug characters": (
        "course.yaml", "slug: ejemplo-curso-corto", "slug: Ejemplo_Curso",
        "course.yaml:1: El slug «Ejemplo_Curso» solo puede tener minúsculas"),
    "wrong kind of value": (
        "course.yaml", "hours: 0.5", "hours: media hora",
        "course.yaml:8: «hours» debe ser un número mayor que 0"),
    "unknown field": (
        "01-antes-de-empezar/02-manos-limpias.md", "minutes: 4", "minutes: 4\naudios: media/x.mp3",
        "01-antes-de-empezar/02-manos-limpias.md:4: Campo desconocido «audios»"),
    "missing title": (
        "02-repaso/module.yaml", "title: Repaso", "titulo: Repaso",
        "02-repaso/module.yaml:1: Falta el campo «title»"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_is_reported_with_path_line_and_message_and_nothing_is_imported(app, library, uploads, case):
    relative, old, new, expected = BROKEN[case]
    edit(library / "ejemplo" / relative, old, new)
    errors = import_errors(app, library)
    assert any(error.startswith(f"{library / 'ejemplo'}/") and expected in error for error in errors), errors
    assert_nothing_written(app, uploads)


def test_every_error_in_every_course_is_listed_and_no_course_is_imported(app, library, uploads):
    shutil.copytree(EXAMPLE, library / "otro")
    edit(library / "otro" / "course.yaml", "slug: ejemplo-curso-corto", "slug: otro-curso")
    edit(library / "otro" / "02-repaso" / "quiz.yaml", "    explanation: El camino", "    nota: El camino")
    edit(library / "ejemplo" / "course.yaml", "theme: seguridad-salud", "theme: cocina")
    (library / "ejemplo" / "02-repaso" / "03-Mal Nombre.md").write_text("---\ntitle: x\nminutes: 1\n---\nHola\n")
    shutil.copy(library / "ejemplo" / "02-repaso" / "01-lo-que-aprendimos.md",
                library / "ejemplo" / "01-antes-de-empezar" / "09-lo-que-aprendimos.md")
    errors = "\n".join(import_errors(app, library))
    for expected in ("otro/02-repaso/quiz.yaml:13: Campo desconocido «nota»", "ejemplo/course.yaml:6: El tema",
                     "03-Mal Nombre.md: Nombre no válido", "Ya hay una lección «lo-que-aprendimos»"):
        assert expected in errors
    assert_nothing_written(app, uploads)


def test_two_courses_with_one_slug_are_refused(app, library, uploads):
    shutil.copytree(EXAMPLE, library / "copia")
    assert any("Otro curso ya usa el slug «ejemplo-curso-corto»" in e for e in import_errors(app, library))
    assert_nothing_written(app, uploads)


def test_importing_the_same_files_twice_changes_nothing(app, library, make_user):
    make_user(role="trainer", username="formadora.demo")
    first = run_import(app, library)
    assert [(r.slug, r.outcome, r.modules, r.lessons, r.quizzes, r.questions) for r in first] == [
        ("ejemplo-curso-corto", "created", 2, 3, 2, 3)]
    before = dump(app, ids=True)
    second = run_import(app, library)
    assert [r.outcome for r in second] == ["unchanged"]
    assert dump(app, ids=True) == before
    assert before["ejemplo-curso-corto"][0]["trainers"] == ["formadora.demo"]


def cairo_available() -> bool:
    try:
        import cairosvg  # noqa: F401 - needs the system's libcairo2 as well
    except (ImportError, OSError):
        return False
    return True


needs_cairo = pytest.mark.skipif(not cairo_available(), reason="CairoSVG/libcairo2 not installed (optional)")


def use_svg_cover(library):
    course_yaml = library / "ejemplo" / "course.yaml"
    text = course_yaml.read_text(encoding="utf-8")
    course_yaml.write_text(re.sub(r"(?m)^cover: .*$", "cover: media/portada.svg", text), encoding="utf-8")


@needs_cairo
def test_svg_cover_is_stored_as_a_small_png_and_the_example_has_audio_and_pdf(app, library):
    use_svg_cover(library)
    run_import(app, library)
    course = dump(app)["ejemplo-curso-corto"]
    assert course[0]["cover"][:3] == ("image", "portada.png", "image/png")
    lessons = [lesson for module in course[1] for lesson in module[3]]
    assert lessons[0][5][:3] == ("audio", "el-orden-en-la-labor.ogg", "audio/ogg")
    assert lessons[1][6][0][:3] == ("pdf", "lista-antes-de-comer.pdf", "application/pdf")
    with app.app_context():
        assert db.session.scalar(select(Media.width).where(Media.kind == "image")) == 640
        assert not db.session.scalar(select(func.count(Media.id)).where(Media.filename.like("%.svg")))


def test_new_courses_are_drafts_unless_published_and_existing_ones_keep_their_status(app, library):
    run_import(app, library)
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.status == CourseStatus.DRAFT
        course.archive()
        db.session.commit()
    run_import(app, library, publish=True)
    with app.app_context():
        assert db.session.scalar(select(Course.status)) == CourseStatus.ARCHIVED
        db.session.delete(db.session.scalar(select(Course)))
        db.session.commit()
    run_import(app, library, publish=True)
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.status == CourseStatus.PUBLISHED and course.published_at is not None


def test_missing_trainers_are_a_warning_not_an_error(app, library, make_user):
    learner = make_user(username="minera.x")
    edit(library / "ejemplo" / "course.yaml", "trainers: [formadora.demo]", "trainers: [formadora.demo, minera.x]")
    [result] = run_import(app, library)
    assert result.outcome == "created" and len(result.warnings) == 2
    assert "formadora.demo" in result.warnings[0] and learner.username in result.warnings[1]
    trainer = make_user(role="trainer", username="formadora.demo")
    [again] = run_import(app, library)
    assert again.outcome == "updated"
    with app.app_context():
        assert [t.id for t in db.session.scalar(select(Course)).trainers] == [trainer.id]


def test_reimport_after_edit_reorder_and_removal_keeps_enrolments_and_remaining_progress(app, library, make_user):
    learner = make_user()
    run_import(app, library, publish=True)
    with app.app_context():
        course = db.session.scalar(select(Course))
        lesson_ids = {lesson.slug: lesson.id for lesson in course.lessons()}
        enrolment = Enrolment(user_id=learner.id, course_id=course.id)
        db.session.add(enrolment)
        db.session.flush()
        db.session.add_all(LessonCompletion(enrolment_id=enrolment.id, lesson_id=i) for i in lesson_ids.values())
        db.session.commit()
        enrolment_id, course_id = enrolment.id, course.id
    folder = library / "ejemplo"
    module_one = folder / "01-antes-de-empezar"
    edit(module_one / "02-manos-limpias.md", "Quítate los guantes.", "Quítate los guantes y el casco.")
    (module_one / "01-el-orden-en-la-labor.md").unlink()  # removed
    (module_one / "02-manos-limpias.md").rename(module_one / "01-manos-limpias.md")  # reordered
    (folder / "02-repaso" / "01-lo-que-aprendimos.md").rename(module_one / "02-lo-que-aprendimos.md")  # moved
    shutil.rmtree(folder / "02-repaso")  # a module and its quiz removed
    [result] = run_import(app, library)
    assert (result.outcome, result.modules, result.lessons, result.quizzes) == ("updated", 1, 2, 1)
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert course.status == CourseStatus.PUBLISHED
        assert [(lesson.slug, lesson.id, lesson.position) for lesson in course.lessons()] == [
            ("manos-limpias", lesson_ids["manos-limpias"], 1),
            ("lo-que-aprendimos", lesson_ids["lo-que-aprendimos"], 2)]
        assert "los guantes y el casco" in course.lessons()[0].body
        assert db.session.get(Enrolment, enrolment_id).user_id == learner.id
        kept = set(db.session.scalars(select(LessonCompletion.lesson_id).where(
            LessonCompletion.enrolment_id == enrolment_id)))
        assert kept == {lesson_ids["manos-limpias"], lesson_ids["lo-que-aprendimos"]}
        assert db.session.scalar(select(func.count(Module.id))) == 1
        assert db.session.scalar(select(func.count(Lesson.id))) == 2
        assert db.session.scalar(select(func.count(Quiz.id))) == 1


def test_changing_a_question_replaces_the_quiz_questions_but_keeps_the_quiz(app, library):
    run_import(app, library)
    before = dump(app, ids=True)["ejemplo-curso-corto"][1][0][4]
    edit(library / "ejemplo" / "01-antes-de-empezar" / "quiz.yaml", "¿Dónde van las herramientas?",
         "¿Dónde se guardan las herramientas?")
    assert [r.outcome for r in run_import(app, library)] == ["updated"]
    after = dump(app, ids=True)["ejemplo-curso-corto"][1][0][4]
    assert after[-1] == before[-1] and after[3][0][1] == "¿Dónde se guardan las herramientas?"


def test_export_then_import_into_an_empty_database_gives_identical_content(app, tmp_path, uploads, make_user):
    make_user(role="trainer", username="formadora.demo")
    run_import(app, ROOT / "courses", publish=True)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "ejemplo-curso-corto"))
        course.self_enrol, course.enrolment_key, course.min_sessions = False, "mina2026", 2
        db.session.commit()
    original = dump(app)
    with app.app_context():
        for course in db.session.scalars(select(Course)):
            export_course(course, tmp_path / "export" / course.slug)
        for table in (Course, Media):
            for row in db.session.scalars(select(table)):
                db.session.delete(row)
        db.session.commit()
    shutil.rmtree(uploads)
    run_import(app, tmp_path / "export")
    assert dump(app) == original
    assert len(original) == 4
    with app.app_context():
        export_course(db.session.scalar(select(Course).where(Course.slug == "ejemplo-curso-corto")),
                      tmp_path / "again")
    first, second = tmp_path / "export" / "ejemplo-curso-corto", tmp_path / "again"
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    assert "enrolment_key: mina2026" in (first / "course.yaml").read_text(encoding="utf-8")


def test_export_refuses_a_folder_that_is_not_empty(app, library, tmp_path):
    run_import(app, library)
    (tmp_path / "lleno").mkdir()
    (tmp_path / "lleno" / "algo.txt").write_text("x")
    with app.app_context(), pytest.raises(ValueError, match="no está vacía"):
        export_course(db.session.scalar(select(Course)), tmp_path / "lleno")


def test_cli_import_prints_each_course_outcome_and_counts(app, library, make_user):
    make_user(role="trainer", username="formadora.demo")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "import", str(library), "--publish", "--demo"])
    assert first.exit_code == 0, first.output
    assert "ejemplo-curso-corto: creado — 2 módulos, 3 lecciones, 2 evaluaciones, 3 preguntas" in first.output
    assert "Cursos: 1 creados, 0 actualizados, 0 sin cambios." in first.output
    second = runner.invoke(args=["courses", "import", str(library / "ejemplo"), "--demo"])
    assert second.exit_code == 0 and "ejemplo-curso-corto: sin cambios" in second.output
    with app.app_context():
        assert db.session.scalar(select(Course.status)) == CourseStatus.PUBLISHED


def test_cli_import_with_errors_prints_path_line_message_and_exits_1(app, library, uploads):
    edit(library / "ejemplo" / "02-repaso" / "quiz.yaml", "kind: multiple", "kind: varias")
    result = app.test_cli_runner().invoke(args=["courses", "import", str(library)])
    assert result.exit_code == 1
    assert f"{library}/ejemplo/02-repaso/quiz.yaml:5: Tipo de pregunta desconocido" in result.output
    assert "no se importó nada" in result.output
    assert_nothing_written(app, uploads)


def test_cli_export_writes_the_library_format(app, library, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(args=["courses", "import", str(library), "--demo"])
    result = runner.invoke(args=["courses", "export", "ejemplo-curso-corto", str(tmp_path / "salida")])
    assert result.exit_code == 0, result.output
    names = sorted(str(p.relative_to(tmp_path / "salida")) for p in (tmp_path / "salida").rglob("*.*"))
    assert names == ["01-antes-de-empezar/01-el-orden-en-la-labor.md", "01-antes-de-empezar/02-manos-limpias.md",
                     "01-antes-de-empezar/module.yaml", "01-antes-de-empezar/quiz.yaml",
                     "02-repaso/01-lo-que-aprendimos.md", "02-repaso/module.yaml", "02-repaso/quiz.yaml",
                     "course.yaml", "media/el-orden-en-la-labor.ogg", "media/lista-antes-de-comer.pdf",
                     "media/portada.png"]
    unknown = runner.invoke(args=["courses", "export", "no-existe", str(tmp_path / "otra")])
    assert unknown.exit_code == 1 and "No existe un curso" in unknown.output



@needs_cairo
def test_a_broken_svg_cover_is_reported_and_nothing_is_imported(app, library, uploads):
    use_svg_cover(library)
    (library / "ejemplo" / "media" / "portada.svg").write_text("<svg><rect", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["courses", "import", str(library), "--demo"])
    assert result.exit_code == 1
    assert f"{library}/ejemplo/media/portada.svg: El dibujo SVG no se puede leer" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Course.id))) == 0


# ---- lessons and questions in several languages ----------------------------------------------------------------

LESSON = "01-antes-de-empezar/02-manos-limpias"


def add_languages(folder: Path) -> None:
    """A Quechua text for a lesson, recordings in Quechua for it and for a question (placeholders, not Quechua)."""
    shutil.copy(AUDIO_SAMPLES / "recorded-chromium.webm", folder / "media" / "manos-limpias-qu.webm")
    shutil.copy(AUDIO_SAMPLES / "tone.m4a", folder / "media" / "pregunta-qu.m4a")
    shutil.copy(AUDIO_SAMPLES / "tone.ogg", folder / "media" / "pregunta-es.ogg")
    (folder / f"{LESSON}.qu.md").write_text("---\ntitle: \"[qu] título de prueba\"\n---\n\n[qu] texto de prueba\n",
                                            encoding="utf-8")
    edit(folder / f"{LESSON}.md", "minutes: 4", "minutes: 4\naudio:\n  qu: media/manos-limpias-qu.webm")
    edit(folder / "01-antes-de-empezar" / "quiz.yaml", "    explanation: Si cada",
         "    audio:\n      es: media/pregunta-es.ogg\n      qu: media/pregunta-qu.m4a\n    explanation: Si cada")


def test_lesson_variants_and_recordings_per_language_are_imported_idempotently(app, library):
    add_languages(library / "ejemplo")
    assert [r.outcome for r in run_import(app, library)] == ["created"]
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "manos-limpias"))
        (variant,) = lesson.variants
        assert (variant.language, variant.title, variant.body) == ("qu", "[qu] título de prueba",
                                                                   "[qu] texto de prueba")
        assert variant.audio.content_type == "audio/webm" and variant.audio.duration_ms == 1980
        question = db.session.scalars(select(Quiz)).first().questions[0]
        assert [(r.language, r.media.content_type) for r in question.recordings] == [("es", "audio/ogg"),
                                                                                      ("qu", "audio/mp4")]
    before = dump(app, ids=True)
    assert [r.outcome for r in run_import(app, library)] == ["unchanged"]
    assert dump(app, ids=True) == before
    (library / "ejemplo" / f"{LESSON}.qu.md").unlink()
    assert [r.outcome for r in run_import(app, library)] == ["updated"]
    with app.app_context():
        (variant,) = db.session.scalar(select(Lesson).where(Lesson.slug == "manos-limpias")).variants
        assert not variant.has_text and variant.audio is not None, "the recording stays without the text"


def test_export_then_import_keeps_variants_and_recordings_per_language(app, library, tmp_path, uploads):
    add_languages(library / "ejemplo")
    run_import(app, library)
    original = dump(app)
    with app.app_context():
        export_course(db.session.scalar(select(Course)), tmp_path / "export" / "ejemplo")
    exported = tmp_path / "export" / "ejemplo"
    assert (exported / f"{LESSON}.qu.md").read_text(encoding="utf-8") == (
        "---\ntitle: '[qu] título de prueba'\n---\n\n[qu] texto de prueba\n")
    assert "audio:\n  qu: media/manos-limpias-qu.webm\n" in (exported / f"{LESSON}.md").read_text(encoding="utf-8")
    assert ((exported / "media" / "manos-limpias-qu.webm").read_bytes()
            == (AUDIO_SAMPLES / "recorded-chromium.webm").read_bytes())
    with app.app_context():
        for table in (Course, Media):
            for row in db.session.scalars(select(table)):
                db.session.delete(row)
        db.session.commit()
    shutil.rmtree(uploads)
    run_import(app, tmp_path / "export")
    assert dump(app) == original


LANGUAGE_ERRORS = {
    "unknown language in a file name": (
        lambda folder: (folder / "01-antes-de-empezar" / "02-manos-limpias.xx.md").write_text(
            "---\ntitle: x\n---\n\ny\n", encoding="utf-8"),
        "01-antes-de-empezar/02-manos-limpias.xx.md: Idioma desconocido «xx» en el nombre del archivo"),
    "the course's own language": (
        lambda folder: (folder / "01-antes-de-empezar" / "02-manos-limpias.es.md").write_text(
            "---\ntitle: x\n---\n\ny\n", encoding="utf-8"),
        "01-antes-de-empezar/02-manos-limpias.es.md: «es» es el idioma del curso"),
    "no lesson of that name": (
        lambda folder: (folder / "01-antes-de-empezar" / "02-manos-sucias.qu.md").write_text(
            "---\ntitle: x\n---\n\ny\n", encoding="utf-8"),
        "01-antes-de-empezar/02-manos-sucias.qu.md: No hay una lección 02-manos-sucias.md para esta traducción"),
    "variant without a title": (
        lambda folder: (folder / "01-antes-de-empezar" / "02-manos-limpias.qu.md").write_text(
            "---\nminutes: 3\n---\n\ny\n", encoding="utf-8"),
        "01-antes-de-empezar/02-manos-limpias.qu.md:2: Campo desconocido «minutes»"),
    "unknown language of a recording": (
        lambda folder: edit(folder / f"{LESSON}.md", "minutes: 4", "minutes: 4\naudio:\n  quechua: media/x.webm"),
        f"{LESSON}.md:5: Idioma desconocido «quechua»"),
    "a video as a recording": (
        lambda folder: (shutil.copy(AUDIO_SAMPLES / "video.webm", folder / "media" / "v.webm"),
                        edit(folder / f"{LESSON}.md", "minutes: 4", "minutes: 4\naudio:\n  qu: media/v.webm")),
        f"{LESSON}.md:5: media/v.webm: Ese archivo no es un audio válido (MP3, OGG, WebM o M4A, sin video)."),
    "a recording over the budget": (
        lambda folder: (shutil.copy(AUDIO_SAMPLES / "tone-128k.mp3", folder / "media" / "m.mp3"),
                        edit(folder / f"{LESSON}.md", "minutes: 4", "minutes: 4\naudio: media/m.mp3")),
        f"{LESSON}.md:4: media/m.mp3: Este audio pesa 32 KB y dura 0:02"),
}


@pytest.mark.parametrize("case", sorted(LANGUAGE_ERRORS))
def test_a_wrong_variant_or_recording_is_reported_with_path_and_line_and_nothing_is_imported(app, library, uploads,
                                                                                          case):
    change, expected = LANGUAGE_ERRORS[case]
    change(library / "ejemplo")
    errors = import_errors(app, library)
    assert any(e.startswith(str(library / "ejemplo" / expected.split(":")[0])) and expected in e for e in errors), \
        errors
    assert_nothing_written(app, uploads)
