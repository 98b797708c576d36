"""Review dates (issue 12): lessons that cite sources carry reviewed/review_by; once review_by has passed, learners
see a notice, staff see the lesson in /manage/courses/review and `flask courses stale` lists it."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.courses.importer import ImportErrors, export_course, import_courses
from lms.courses.models import Course, Lesson, local_today
from lms.extensions import db

EXAMPLE = Path(__file__).resolve().parent.parent / "courses" / "ejemplo-curso-corto"
SOURCED = """---
title: Una lección con fuentes
minutes: 5
{dates}---

El plazo vence el 31 de diciembre de 2026.

## Lo importante

- Revisa el plazo.

## Fuentes

- [Una fuente](https://example.org/fuente)

Dónde verificar: pregunta en la DREM o GREM de tu región.
"""


@pytest.fixture
def library(app, tmp_path):
    """A copy of the example course (a demo, imported with include_demo) with one lesson that cites sources."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    shutil.copytree(EXAMPLE, tmp_path / "lib" / "ejemplo")
    return tmp_path / "lib"


def write_sourced(library: Path, dates: str) -> Path:
    path = library / "ejemplo" / "02-repaso" / "02-con-fuentes.md"
    path.write_text(SOURCED.format(dates=dates), encoding="utf-8")
    return path


def import_errors(app, library) -> str:
    with app.app_context(), pytest.raises(ImportErrors) as raised:
        import_courses(library, include_demo=True)
    return str(raised.value)


@pytest.mark.parametrize(("dates", "expected"), [
    ("", "02-con-fuentes.md:2: Falta el campo «reviewed»: una lección con «## Fuentes»"),
    ("reviewed: 2026-01-31\n", "02-con-fuentes.md:2: Falta el campo «review_by»"),
    ("reviewed: enero de 2026\nreview_by: 2026-12-31\n", "02-con-fuentes.md:4: «reviewed» debe ser una fecha escrita"),
    ("reviewed: 2026-12-31\nreview_by: 2026-01-31\n", "02-con-fuentes.md:5: «review_by» debe ser una fecha posterior"),
    ("reviewed: 2026-02-30\nreview_by: 2026-12-31\n", "02-con-fuentes.md: Valor no válido"),
])
def test_a_lesson_citing_sources_needs_both_review_dates_as_real_iso_dates(app, library, dates, expected):
    write_sourced(library, dates)
    assert expected in import_errors(app, library)


def test_review_dates_are_stored_and_exported_back(app, library, tmp_path):
    write_sourced(library, "reviewed: 2026-01-31\nreview_by: 2026-12-31\n")
    with app.app_context():
        import_courses(library, include_demo=True)
        db.session.commit()
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "con-fuentes"))
        assert (lesson.reviewed_on, lesson.review_by) == (date(2026, 1, 31), date(2026, 12, 31))
        export_course(db.session.scalar(select(Course)), tmp_path / "export")
    text = (tmp_path / "export" / "02-repaso" / "02-con-fuentes.md").read_text(encoding="utf-8")
    assert "reviewed: 2026-01-31\nreview_by: 2026-12-31\n" in text


@pytest.fixture
def dated(app, make_user, make_course, enrol):
    """A learner enrolled in a course whose first lesson says where to check; set_review(days) moves review_by."""
    learner, trainer = make_user(), make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False, title="Formalización de prueba")
    enrol(learner, course)

    def set_review(days_from_today: int) -> None:
        with app.app_context():
            lesson = db.session.get(Lesson, course.lesson_ids[0])
            lesson.body += "\n\nDónde verificar: pregunta en la DREM o GREM de tu región."
            lesson.reviewed_on = date(2026, 1, 31)
            lesson.review_by = local_today() + timedelta(days=days_from_today)
            db.session.commit()

    return learner, trainer, course, set_review


def test_a_learner_sees_the_notice_once_the_review_date_has_passed(app, dated, client_for):
    learner, _trainer, course, set_review = dated
    set_review(-1)
    page = client_for(learner).get(f"/aprender/{course.slug}/leccion-1-1").get_data(as_text=True)
    assert "Revisamos esta lección en enero de 2026." in page
    assert "Dónde verificar: pregunta en la DREM o GREM de tu región." in page.split('class="lesson-body"')[0]


def test_no_notice_while_the_review_date_has_not_passed(app, dated, client_for):
    learner, _trainer, course, set_review = dated
    set_review(0)  # review_by is today: still current
    page = client_for(learner).get(f"/aprender/{course.slug}/leccion-1-1").get_data(as_text=True)
    assert "Revisamos esta lección en" not in page
    assert "Última revisión de esta lección: enero de 2026." in page


def stale_lesson(app, make_course, trainer, title):
    course = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False, title=title)
    with app.app_context():
        lesson = db.session.get(Lesson, course.lesson_ids[0])
        lesson.title, lesson.reviewed_on, lesson.review_by = f"Plazo de {title}", date(2026, 1, 31), date(2026, 2, 28)
        db.session.commit()
    return course


def test_the_review_list_is_for_staff_and_a_trainer_sees_only_her_courses(app, make_user, make_course, client_for):
    mine, theirs = make_user(role="trainer"), make_user(role="trainer")
    stale_lesson(app, make_course, mine, "Puno")
    stale_lesson(app, make_course, theirs, "Arequipa")
    make_course(trainers=[mine], title="Sin fechas")  # lessons without review dates are never listed
    assert client_for(make_user()).get("/manage/courses/review").status_code == 403
    page = client_for(mine).get("/manage/courses/review").get_data(as_text=True)
    assert "Plazo de Puno" in page and "Plazo de Arequipa" not in page and "Lección 1.1" not in page
    admin_page = client_for(make_user(role="admin")).get("/manage/courses/review").get_data(as_text=True)
    assert "Plazo de Puno" in admin_page and "Plazo de Arequipa" in admin_page
    assert 'href="/manage/courses/review"' in client_for(mine).get("/manage/courses/").get_data(as_text=True)


def test_flask_courses_stale_lists_the_lessons_due_for_review(app, make_user, make_course):
    stale_lesson(app, make_course, make_user(role="trainer"), "Puno")
    make_course(title="Sin fechas")
    result = app.test_cli_runner().invoke(args=["courses", "stale"])
    assert result.exit_code == 0, result.output
    assert "Lecciones con la fecha de revisión (review_by) vencida" in result.output and ": 1\n" in result.output
    assert "2026-02-28" in result.output and "«Plazo de Puno» (revisada el 2026-01-31)" in result.output
    assert "Lección 1.1" not in result.output
