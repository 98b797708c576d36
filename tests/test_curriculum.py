"""The network's starter curriculum (issue 7): it imports, its quizzes are right, its lessons are plain and sourced.

Run with -s to see the per-lesson report (words and Fernández-Huerta readability).
"""

import re
from pathlib import Path

import pytest
from readability import fernandez_huerta, median, word_count
from sqlalchemy import select

from lms.courses.importer import CourseSpec, import_courses, read_library
from lms.courses.models import Course, QuestionKind
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
COURSES = ("formalizacion-minera", "seguridad-y-salud", "nuestros-derechos")
SENSITIVE = "nuestros-derechos"
STATES_A_FACT = re.compile(
    r"\bLey\b|\bDS\b|Decreto|S/\s?\d|\d\s?%|\b\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|setiembre|octubre|noviembre|diciembre)\b|\b(19|20)\d\d\b")
REVIEWED = re.compile(r"^Última revisión:\s*\S.*\b20\d\d\b", re.M)
SOURCES = re.compile(r"^## Fuentes\s*$", re.M)


@pytest.fixture
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def specs(app, uploads) -> dict[str, CourseSpec]:
    """The three courses as read (and checked) by the importer, by slug."""
    with app.app_context():
        found = {}
        for slug in COURSES:
            [spec] = read_library(ROOT / "courses" / slug, max_bytes=app.config["MAX_UPLOAD_MB"] * 1024 * 1024)
            found[spec.slug] = spec
        db.session.rollback()
    assert sorted(found) == sorted(COURSES)
    return found


def lessons(specs):
    for slug, spec in specs.items():
        for module in spec.modules:
            for lesson in module.lessons:
                yield slug, module, lesson


def prose(body: str) -> str:
    """The lesson without its sources, where-to-check and review-date lines."""
    return re.split(r"^## Fuentes|^Dónde verificar|^Última revisión", body, flags=re.M)[0]


def test_the_three_courses_import_without_error_and_a_second_import_changes_nothing(app, uploads):
    with app.app_context():
        first = [r for slug in COURSES for r in import_courses(ROOT / "courses" / slug, publish=True)]
        db.session.commit()
        second = [r for slug in COURSES for r in import_courses(ROOT / "courses" / slug, publish=True)]
        db.session.commit()
        statuses = set(db.session.scalars(select(Course.status)))
    assert [r.outcome for r in first] == ["created"] * 3 and [r.outcome for r in second] == ["unchanged"] * 3
    assert statuses == {"published"}
    for result in first:
        print(f"\n{result.slug}: {result.modules} módulos, {result.lessons} lecciones, {result.quizzes} evaluaciones,"
              f" {result.questions} preguntas")


def test_every_question_has_the_right_number_of_correct_answers_and_an_explanation(specs):
    for slug, spec in specs.items():
        for module in spec.modules:
            for kind, text, explanation, choices in module.quiz.questions:
                correct = sum(is_correct for _text, is_correct in choices)
                where = f"{slug}/{module.slug}: {text}"
                assert len(explanation) >= 20, where
                assert correct >= 1 if kind == QuestionKind.MULTIPLE else correct == 1, where
                assert len(choices) == 2 if kind == QuestionKind.TRUEFALSE else len(choices) >= 2, where


def test_each_course_has_4_to_6_modules_each_with_one_quiz_of_5_to_8_questions(specs):
    for slug, spec in specs.items():
        assert 4 <= len(spec.modules) <= 6, slug
        for module in spec.modules:
            assert module.quiz is not None, f"{slug}/{module.slug}"
            assert 5 <= len(module.quiz.questions) <= 8, f"{slug}/{module.slug}"


def test_lessons_are_about_250_to_600_words_and_end_with_lo_importante(specs):
    for slug, _module, lesson in lessons(specs):
        text = prose(lesson.body)
        assert 250 <= word_count(text) <= 600, f"{slug}/{lesson.slug}: {word_count(text)} palabras"
        last_heading = re.findall(r"^## (.+)$", text, flags=re.M)[-1]
        assert last_heading.strip() == "Lo importante", f"{slug}/{lesson.slug}"


def test_every_lesson_stating_a_law_a_number_or_a_date_names_its_sources_and_review_date(specs):
    stating = 0
    for slug, _module, lesson in lessons(specs):
        if STATES_A_FACT.search(prose(lesson.body)):
            stating += 1
            assert SOURCES.search(lesson.body), f"{slug}/{lesson.slug}: falta «## Fuentes»"
            assert REVIEWED.search(lesson.body), f"{slug}/{lesson.slug}: falta «Última revisión: <fecha>»"
            assert re.search(r"gob\.pe|El Peruano|DREM|GREM", lesson.body), f"{slug}/{lesson.slug}: dónde verificar"
    assert stating >= 30  # the rule really applies: most lessons cite a law, a figure or a date


def test_readability_of_each_course_is_fairly_easy_or_easier(specs):
    print("\ncurso / lección                                          palabras  Fernández-Huerta")
    for slug in COURSES:
        scores = []
        for _slug, module, lesson in (item for item in lessons(specs) if item[0] == slug):
            text = prose(lesson.body)
            scores.append(fernandez_huerta(text))
            print(f"{slug[:20]:20} {module.slug[:16]:16} {lesson.slug[:22]:22} {word_count(text):5} {scores[-1]:8.1f}")
        print(f"{slug}: mediana {median(scores):.1f}, mínimo {min(scores):.1f}")
        assert median(scores) >= 70, slug  # 70-80 is «bastante fácil» on the Fernández-Huerta scale


def test_the_rights_course_is_sensitive_and_every_lesson_gives_the_help_line(specs):
    assert specs[SENSITIVE].fields["sensitive"] is True
    assert not any(specs[slug].fields["sensitive"] for slug in COURSES if slug != SENSITIVE)
    for slug, _module, lesson in lessons({SENSITIVE: specs[SENSITIVE]}):
        assert "Línea 100" in lesson.body, f"{slug}/{lesson.slug}"


def test_each_course_has_a_cover_drawing_and_estimated_hours(specs):
    for slug, spec in specs.items():
        assert spec.cover is not None and spec.cover.suffix == ".png", slug  # drawn from the SVG beside it
        source = spec.cover.with_suffix(".svg")
        assert "<image" not in source.read_text(encoding="utf-8"), slug  # a drawing, no embedded photo
        assert spec.fields["hours"] > 0, slug
