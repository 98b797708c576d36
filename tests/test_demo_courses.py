"""Example courses (issue 12): `demo: true` is never official — not imported without --demo, refused by
check-deploy when published, marked on its pages, and completing it issues no certificate."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.certificates.issuing import IssueError, issue_certificate
from lms.certificates.models import Certificate
from lms.courses.models import Course
from lms.deployment import Deployment, deploy_problems
from lms.extensions import db
from lms.learning.models import Enrolment
from tests.test_deploy import SAFE

EXAMPLE = Path(__file__).resolve().parent.parent / "courses" / "ejemplo-curso-corto"


@pytest.fixture
def library(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    shutil.copytree(EXAMPLE, tmp_path / "lib" / "ejemplo")
    return tmp_path / "lib"


def course_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Course.id)))


def test_the_production_import_skips_example_courses_and_says_so(app, library):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["courses", "import", str(library), "--publish"])
    assert result.exit_code == 0, result.output
    assert "ejemplo-curso-corto: omitido — es un curso de ejemplo (demo: true)" in result.output
    assert "Cursos: 0 creados, 0 actualizados, 0 sin cambios, 1 de ejemplo omitidos." in result.output
    assert course_count(app) == 0
    assert runner.invoke(args=["courses", "import", str(library), "--publish", "--demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Course.demo)) is True


def test_the_repository_example_course_is_a_demo_and_the_deploy_docs_do_not_import_it():
    assert "\ndemo: true" in (EXAMPLE / "course.yaml").read_text(encoding="utf-8")
    deploy = (EXAMPLE.parent.parent / "docs" / "deploy.md").read_text(encoding="utf-8")
    commands = [line for line in deploy.splitlines() if "flask courses import" in line]
    assert commands and not any("--demo" in line for line in commands)


def test_check_deploy_refuses_a_published_example_course(app, make_course):
    assert "example courses (demo: true) are published (demo-1)" in deploy_problems(SAFE, Deployment(), [],
                                                                                        ["demo-1"])[0]
    make_course(slug="curso-de-ejemplo", demo=True, status="draft")
    result = app.test_cli_runner().invoke(args=["lms", "check-deploy"])
    assert "example courses" not in result.output  # a draft example harms nobody
    make_course(slug="ejemplo-publicado", demo=True)
    result = app.test_cli_runner().invoke(args=["lms", "check-deploy"])
    assert result.exit_code == 1 and "example courses (demo: true) are published (ejemplo-publicado)" in result.output


def test_example_course_and_lesson_pages_say_curso_de_ejemplo(make_user, make_course, enrol, client_for):
    learner = make_user()
    demo, real = make_course(demo=True, modules=1, lessons=1), make_course(modules=1, lessons=1)
    for course in (demo, real):
        enrol(learner, course)
    client = client_for(learner)
    assert "Curso de ejemplo" in client.get(f"/cursos/{demo.slug}").get_data(as_text=True)
    assert "Curso de ejemplo" in client.get(f"/aprender/{demo.slug}/leccion-1-1").get_data(as_text=True)
    assert "Curso de ejemplo" not in client.get(f"/cursos/{real.slug}").get_data(as_text=True)
    assert "Curso de ejemplo" not in client.get(f"/aprender/{real.slug}/leccion-1-1").get_data(as_text=True)


def test_completing_an_example_course_issues_no_certificate_and_says_why(app, make_user, make_course, enrol,
                                                                         client_for):
    learner = make_user()
    demo = make_course(demo=True, modules=1, lessons=1, quiz=False)
    enrol(learner, demo)
    client = client_for(learner)
    client.post(f"/aprender/{demo.slug}/leccion-1-1/completar")
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.course_id == demo.id))
        assert enrolment.is_completed
        assert db.session.scalar(select(func.count(Certificate.id))) == 0
        with pytest.raises(IssueError, match="Los cursos de ejemplo no dan certificado"):
            issue_certificate(enrolment)
    page = client.get("/mis-cursos").get_data(as_text=True)
    assert "Los cursos de ejemplo no dan certificado." in page and "Descargar certificado" not in page


def test_a_certificate_cannot_be_issued_by_hand_for_an_example_course(app, make_user, make_course, enrol,
                                                                      client_for):
    trainer, learner = make_user(role="trainer"), make_user()
    demo = make_course(trainers=[trainer], demo=True)
    enrolment_id = enrol(learner, demo)
    response = client_for(trainer).post(f"/manage/certificates/course/{demo.id}/issue",
                                        data={"enrolment": enrolment_id, "reason": "Completó el taller"})
    assert response.status_code == 200
    assert "Los cursos de ejemplo no dan certificado." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Certificate.id))) == 0
        assert db.session.get(Enrolment, enrolment_id).completed_at is None  # nothing half-written
