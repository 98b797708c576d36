"""Ways to enrol (self, key, trainer, cohort, CSV), unenrolment that keeps history, and the issue's journey."""

import io
import re

from sqlalchemy import func, select

from lms.accounts.models import AuditEvent, Cohort, User, cohort_member
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion


def enrolment_of(app, user_id, course_id):
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id,
                                                              Enrolment.course_id == course_id))
        if enrolment is not None:
            db.session.expunge(enrolment)
        return enrolment


def make_cohort(app, name, trainers=(), members=()):
    with app.app_context():
        cohort = Cohort(name=name, trainers=[db.session.get(User, t.id) for t in trainers],
                        members=[db.session.get(User, m.id) for m in members])
        db.session.add(cohort)
        db.session.commit()
        return cohort.id


def test_self_enrolment_in_an_open_published_course(make_user, make_course, client_for, app):
    learner = make_user()
    course = make_course()
    client = client_for(learner)
    page = client.get(f"/cursos/{course.slug}").get_data(as_text=True)
    assert "Inscribirme" in page
    response = client.post(f"/aprender/{course.slug}/inscribirme")
    assert response.headers["Location"] == f"/aprender/{course.slug}"
    enrolment = enrolment_of(app, learner.id, course.id)
    assert (enrolment.status, enrolment.method, enrolment.enrolled_by_id) == ("active", "self", learner.id)
    assert client.post(f"/aprender/{course.slug}/inscribirme").headers["Location"] == f"/aprender/{course.slug}"
    assert "Continuar el curso" in client.get(f"/cursos/{course.slug}").get_data(as_text=True)


def test_self_enrolment_is_refused_when_the_course_is_closed_or_a_draft(make_user, make_course, client_for):
    client = client_for(make_user())
    closed = make_course(self_enrol=False)
    assert client.post(f"/aprender/{closed.slug}/inscribirme").status_code == 403
    assert "Tu formadora te inscribe en este curso." in client.get(f"/cursos/{closed.slug}").get_data(as_text=True)
    assert client.post(f"/aprender/{make_course(status='draft').slug}/inscribirme").status_code == 404


def test_enrolment_with_the_course_key_ignores_case_and_spaces(make_user, make_course, client_for, app):
    learner = make_user()
    course = make_course(self_enrol=False, enrolment_key="Rinconada2026")
    client = client_for(learner)
    assert 'name="key"' in client.get(f"/cursos/{course.slug}").get_data(as_text=True)
    wrong = client.post(f"/aprender/{course.slug}/clave", data={"key": "rinconada2025"})
    assert "La clave no es correcta." in wrong.get_data(as_text=True)
    assert enrolment_of(app, learner.id, course.id) is None
    right = client.post(f"/aprender/{course.slug}/clave", data={"key": "  RINCONADA2026 "})
    assert right.headers["Location"] == f"/aprender/{course.slug}"
    assert enrolment_of(app, learner.id, course.id).method == "key"
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrolment.key_failed"))


def test_wrong_keys_are_throttled_per_learner(make_user, make_course, client_for, app):
    course = make_course(enrolment_key="clave-buena")
    client = client_for(make_user())
    for _ in range(5):
        assert client.post(f"/aprender/{course.slug}/clave", data={"key": "adivina"}).status_code == 200
    throttled = client.post(f"/aprender/{course.slug}/clave", data={"key": "clave-buena"})
    assert throttled.status_code == 429 and "Demasiados intentos" in throttled.get_data(as_text=True)
    other = client_for(make_user())
    assert other.post(f"/aprender/{course.slug}/clave", data={"key": "clave-buena"}).status_code == 302


def test_a_course_without_key_has_no_key_page(make_user, make_course, client_for):
    course = make_course()
    assert client_for(make_user()).get(f"/aprender/{course.slug}/clave").status_code == 404


def test_trainer_finds_and_enrols_a_learner_in_her_course(make_user, make_course, client_for, app):
    trainer = make_user(role="trainer")
    learner = make_user(full_name="Teresa Ticona Pari", created_by_id=trainer.id)
    stranger = make_user(full_name="Rosa Ticona Mamani")  # someone else's learner: never found, never enrolled
    course = make_course(trainers=[trainer])
    staff = client_for(trainer)
    page = staff.get(f"/manage/teaching/{course.id}/inscribir?q=ticona").get_data(as_text=True)
    assert "Teresa Ticona Pari" in page and "Inscribir" in page and "Rosa Ticona" not in page
    assert staff.post(f"/manage/teaching/{course.id}/inscribir", data={"user_id": stranger.id}).status_code == 404
    response = staff.post(f"/manage/teaching/{course.id}/inscribir", data={"user_id": learner.id})
    assert response.headers["Location"] == f"/manage/teaching/{course.id}"
    enrolment = enrolment_of(app, learner.id, course.id)
    assert (enrolment.method, enrolment.enrolled_by_id) == ("trainer", trainer.id)
    assert "Ya está inscrita" in staff.get(f"/manage/teaching/{course.id}/inscribir?q=ticona").get_data(as_text=True)


def test_trainers_act_only_on_their_own_courses(make_user, make_course, client_for):
    owner, other = make_user(role="trainer"), make_user(role="trainer")
    learner = make_user()
    course = make_course(trainers=[owner])
    client = client_for(other)
    for url in ("", "/inscribir", "/csv", f"/participantes/{learner.id}"):
        assert client.get(f"/manage/teaching/{course.id}{url}").status_code == 403, url
    assert client.post(f"/manage/teaching/{course.id}/inscribir", data={"user_id": learner.id}).status_code == 403
    assert client.get("/manage/teaching/999999").status_code == 404
    admin = client_for(make_user(role="admin"))
    assert admin.get(f"/manage/teaching/{course.id}").status_code == 200


def test_only_learners_can_be_enrolled_by_a_trainer(make_user, make_course, client_for):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    response = client_for(trainer).post(f"/manage/teaching/{course.id}/inscribir", data={"user_id": trainer.id})
    assert response.status_code == 404


def test_unenrolment_keeps_history_and_reenrolling_reactivates_the_same_row(make_user, make_course, client_for,
                                                                             app):
    trainer, learner = make_user(role="trainer"), make_user()
    course = make_course(trainers=[trainer])
    student, staff = client_for(learner), client_for(trainer)
    student.post(f"/aprender/{course.slug}/inscribirme")
    student.post(f"/aprender/{course.slug}/leccion-1-1/completar")
    first = enrolment_of(app, learner.id, course.id)
    response = staff.post(f"/manage/teaching/{course.id}/participantes/{learner.id}/retirar")
    assert response.headers["Location"] == f"/manage/teaching/{course.id}"
    withdrawn = enrolment_of(app, learner.id, course.id)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at is not None
    assert student.get(f"/aprender/{course.slug}/leccion-1-1").status_code == 404
    assert course.title not in student.get("/mis-cursos").get_data(as_text=True)
    staff.post(f"/manage/teaching/{course.id}/inscribir", data={"user_id": learner.id})
    again = enrolment_of(app, learner.id, course.id)
    assert again.id == first.id and again.status == "active" and again.withdrawn_at is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(LessonCompletion.enrolment_id == first.id)) == 1
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrolment.withdrawn"))


def test_trainer_creates_a_cohort_adds_and_removes_members(make_user, client_for, app):
    trainer, cotrainer = make_user(role="trainer"), make_user(role="trainer", full_name="Justa Taipe")
    ana = make_user(full_name="Ana Condori", created_by_id=trainer.id)
    eva = make_user(full_name="Eva Condori", created_by_id=trainer.id)
    staff = client_for(trainer)
    response = staff.post("/manage/cohorts/new", data={"name": "Pallaqueras La Rinconada 2026", "region": "puno",
                                                       "trainers": [cotrainer.id]})
    cohort_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert cohort.region == "puno" and {t.id for t in cohort.trainers} == {trainer.id, cotrainer.id}
    page = staff.get(f"/manage/cohorts/{cohort_id}?q=condori").get_data(as_text=True)
    assert "Ana Condori" in page and "Eva Condori" in page
    staff.post(f"/manage/cohorts/{cohort_id}/members", data={"user_id": [ana.id, eva.id]})
    staff.post(f"/manage/cohorts/{cohort_id}/members", data={"user_id": [ana.id]})
    staff.post(f"/manage/cohorts/{cohort_id}/members/{eva.id}/remove")
    with app.app_context():
        assert [m.id for m in db.session.get(Cohort, cohort_id).members] == [ana.id]
    assert "Pallaqueras La Rinconada 2026" in staff.get("/manage/cohorts/").get_data(as_text=True)
    duplicate = staff.post("/manage/cohorts/new", data={"name": "Pallaqueras La Rinconada 2026", "trainers": []})
    assert "Ya existe un grupo con ese nombre." in duplicate.get_data(as_text=True)


def test_cohort_is_edited_only_by_its_trainers_or_admins(make_user, client_for, app):
    lead, other = make_user(role="trainer"), make_user(role="trainer")
    cohort_id = make_cohort(app, "Grupo Chala", trainers=[lead])
    assert client_for(other).get(f"/manage/cohorts/{cohort_id}").status_code == 403
    assert client_for(other).post(f"/manage/cohorts/{cohort_id}/edit", data={"name": "X"}).status_code == 403
    assert "Grupo Chala" not in client_for(other).get("/manage/cohorts/").get_data(as_text=True)
    admin = client_for(make_user(role="admin"))
    response = admin.post(f"/manage/cohorts/{cohort_id}/edit", data={"name": "Grupo Chala 2026", "region": "",
                                                                      "trainers": [lead.id]})
    assert response.headers["Location"] == f"/manage/cohorts/{cohort_id}"
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).name == "Grupo Chala 2026"


def test_enrolling_a_cohort_is_one_step_and_idempotent(make_user, make_course, client_for, app):
    trainer = make_user(role="trainer")
    members = [make_user() for _ in range(3)]
    course = make_course(trainers=[trainer])
    cohort_id = make_cohort(app, "Grupo Secocha", trainers=[trainer], members=members)
    staff = client_for(trainer)
    for _ in range(2):
        response = staff.post(f"/manage/teaching/{course.id}/grupo", data={"cohort_id": cohort_id})
        assert response.headers["Location"] == f"/manage/teaching/{course.id}?cohort={cohort_id}"
    with app.app_context():
        rows = db.session.execute(select(Enrolment.method, Enrolment.cohort_id).where(
            Enrolment.course_id == course.id)).all()
    assert sorted(rows) == [("cohort", cohort_id)] * 3
    from_cohort_page = staff.post(f"/manage/cohorts/{cohort_id}/enrol", data={"course_id": course.id})
    assert from_cohort_page.headers["Location"] == f"/manage/cohorts/{cohort_id}"  # back where she was
    page = staff.get(f"/manage/cohorts/{cohort_id}").get_data(as_text=True)
    assert page.count("participantes inscritas ahora") == 3 and "«Grupo Secocha»: 0 participantes" in page
    assert course.title in page.split("Cursos del grupo", 1)[1]


def test_a_trainer_cannot_enrol_a_cohort_she_does_not_lead(make_user, make_course, client_for, app):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    cohort_id = make_cohort(app, "Grupo Ajeno", members=[make_user()])
    response = client_for(trainer).post(f"/manage/teaching/{course.id}/grupo", data={"cohort_id": cohort_id})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def csv_of(names, bad=()):
    lines = ["nombre;celular;dni;region;comunidad;grupo"]
    for n, name in enumerate(names):
        phone = "12345" if n in bad else f"9{n:08d}"
        lines.append(f"{name};{phone};;Puno;La Rinconada;Pallaqueras La Rinconada 2026")
    return "\n".join(lines).encode()


def test_done_when_journey_csv_cohort_pins_lessons_quiz_retry_completion_and_trainer_view(
        make_user, make_course, client_for, login, app):
    trainer = make_user(role="trainer", full_name="Cecilia Huamán Ríos")
    staff = client_for(trainer)
    intro = make_course(trainers=[trainer], title="Bienvenida a la Red")
    course = make_course(trainers=[trainer], title="Seguridad en la bocamina")
    names = [f"Participante {chr(65 + n // 10)}{n % 10} Quispe" for n in range(30)]

    def upload(data):
        return staff.post(f"/manage/teaching/{intro.id}/csv", data={"file": (io.BytesIO(data), "taller.csv")},
                          content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)

    with app.app_context():
        users_before = db.session.scalar(select(func.count()).select_from(User))
    report = upload(csv_of(names, bad={4, 17}))
    assert "Hay 2 problemas en el archivo. No se guardó nada." in report
    assert "<tr><td>6</td><td>celular</td>" in report and "<tr><td>19</td><td>celular</td>" in report
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users_before
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0

    sheet = upload(csv_of(names))
    accounts = re.findall(r'<td class="mono">([^<]+)</td><td class="mono pin">(\d{6})</td>', sheet)
    assert len(accounts) == 30 and "Imprimir" in sheet
    with app.app_context():
        cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == "Pallaqueras La Rinconada 2026"))
        assert db.session.scalar(select(func.count()).where(cohort_member.c.cohort_id == cohort_id)) == 30
    enrolled = staff.post(f"/manage/teaching/{course.id}/grupo", data={"cohort_id": cohort_id})
    assert enrolled.headers["Location"] == f"/manage/teaching/{course.id}?cohort={cohort_id}"

    username, one_time = accounts[7]
    learner = app.test_client()
    assert login(learner, username, one_time).headers["Location"] == "/inicio"
    assert learner.get("/inicio").headers["Location"] == "/pin"
    assert learner.post("/pin", data={"secret": "802417", "confirm": "802417"}).headers["Location"] == "/inicio"
    home = learner.get("/inicio").get_data(as_text=True)
    assert "Seguridad en la bocamina" in home and "Empezar" in home
    step = learner.get(f"/aprender/{course.slug}").headers["Location"]
    quiz_attempts = 0
    while step.startswith(f"/aprender/{course.slug}/") and not step.endswith("/completado"):
        if "/evaluacion/" in step:
            quiz_id = int(step.rsplit("/", 1)[1])
            token = re.search(r'name="token" value="(\w+)"', learner.get(step).get_data(as_text=True)).group(1)
            answers = course.wrong[quiz_id] if quiz_attempts == 0 else course.answers[quiz_id]
            result = learner.post(step, data={"token": token, **{f"q{q}": c for q, c in answers.items()}})
            quiz_attempts += 1
            page = learner.get(result.headers["Location"]).get_data(as_text=True)
            assert ("No aprobaste esta vez" in page) == (quiz_attempts == 1)
            if quiz_attempts == 1:
                continue
            step = re.search(r'href="([^"]+)">(?:Seguir con|<svg[^"]*"[^>]*>.*?</svg> Ver mi certificado)', page,
                             re.S).group(1)
        else:
            assert "Marcar como completada" in learner.get(step).get_data(as_text=True)
            step = learner.post(step + "/completar").headers["Location"]
    assert step == f"/aprender/{course.slug}/completado" and quiz_attempts == 3
    assert "¡Completaste el curso!" in learner.get(step).get_data(as_text=True)
    mine = learner.get("/mis-cursos").get_data(as_text=True)
    assert "Cursos completados" in mine and "Seguridad en la bocamina" in mine
    with app.app_context():
        learner_id = db.session.scalar(select(User.id).where(User.username == username))
        assert enrolment_of(app, learner_id, course.id).status == "completed"
    overview = staff.get(f"/manage/teaching/{course.id}?cohort={cohort_id}").get_data(as_text=True)
    assert len(re.findall(rf'href="/manage/teaching/{course.id}/participantes/\d+"', overview)) == 30
    her_row = re.search(rf'participantes/{learner_id}".*?</li>', overview, re.S).group(0)
    assert "100 % hecho" in her_row and "Completado" in her_row
    detail = staff.get(f"/manage/teaching/{course.id}/participantes/{learner_id}").get_data(as_text=True)
    assert "100 % hecho" in detail and "Completado" in detail
