"""Certificates: issued once on completion, a snapshot, downloaded by the right people, revoked, reissued, batched."""

import csv
import io
import threading
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import event, func, select

from lms.accounts.models import AuditEvent, Cohort, User
from lms.certificates.issuing import certificates_by_enrolment, issue_certificate, safe_cell
from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.signals import enrolment_completed

ACCENTED = "María Ñahui Quispe Ccori"
PUBLIC = "https://cursos.example.pe"


@pytest.fixture
def app(app):
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    return app


@pytest.fixture
def award(app):
    """Factory: award(learner, course, **enrolment_fields) completes an enrolment the way learning does
    (status completed, then the signal inside the same transaction) and returns its ids and the code."""
    def make(learner, course, send=True, **fields):
        with app.app_context():
            fields.setdefault("completed_at", datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
            enrolment = Enrolment(user_id=learner.id, course_id=course.id, status=EnrolmentStatus.COMPLETED, **fields)
            db.session.add(enrolment)
            db.session.flush()
            if send:
                enrolment_completed.send(enrolment)
            db.session.commit()
            cert = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
            return SimpleNamespace(enrolment_id=enrolment.id, cert_id=cert and cert.id, code=cert and cert.code)
    return make


@pytest.fixture
def world(make_user, make_course, award):
    """A course with its trainer, a learner who completed it, another learner, another trainer and an admin."""
    trainer, other_trainer = make_user(role="trainer"), make_user(role="trainer")
    learner = make_user(full_name=ACCENTED, dni="40123456", phone="987654321", community="Lunar de Oro")
    course = make_course(trainers=[trainer], title="Seguridad y salud en la minería artesanal")
    done = award(learner, course)
    return SimpleNamespace(trainer=trainer, other_trainer=other_trainer, learner=learner, course=course,
                           other_learner=make_user(), admin=make_user(role="admin"), **vars(done))


def certificate_count(app, enrolment_id=None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Certificate)
        if enrolment_id is not None:
            query = query.where(Certificate.enrolment_id == enrolment_id)
        return db.session.scalar(query)


def test_completion_signal_issues_exactly_one_certificate_even_when_sent_twice(app, world):
    with app.app_context():
        enrolment = db.session.get(Enrolment, world.enrolment_id)
        enrolment_completed.send(enrolment)
        enrolment_completed.send(enrolment)
        db.session.commit()
    assert certificate_count(app, world.enrolment_id) == 1


def test_ten_parallel_issues_create_one_certificate(app, make_user, make_course, award):
    done = award(make_user(), make_course(), send=False)
    results, errors, start = [], [], threading.Barrier(10)

    def issue():
        try:
            with app.app_context():
                enrolment = db.session.get(Enrolment, done.enrolment_id)
                start.wait()
                cert = issue_certificate(enrolment)
                db.session.commit()
                results.append(cert.code)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=issue) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert certificate_count(app, done.enrolment_id) == 1
    assert len(set(results)) == 1 and len(results) == 10


def test_certificate_is_a_snapshot_that_later_edits_do_not_change(app, client_for, world):
    with app.app_context():
        db.session.get(Course, world.course.id).title = "Otro título"
        db.session.get(User, world.learner.id).full_name = "Otra Persona"
        db.session.commit()
        cert = db.session.get(Certificate, world.cert_id)
        assert (cert.learner_name, cert.course_title) == (ACCENTED, world.course.title)
        assert (cert.theme, cert.hours, cert.network_name) == ("Seguridad y salud", 1, app.config["NETWORK_NAME"]
                                                                + " (RNM-MAPE)")
        assert cert.signatories and cert.completed_on == date(2026, 11, 28)
    text = PdfReader(io.BytesIO(client_for(world.learner).get(f"/certificados/{world.cert_id}.pdf").data))
    assert ACCENTED in " ".join(text.pages[0].extract_text().split())


def test_completion_date_is_the_day_in_lima(app, make_user, make_course, award):
    late_evening_in_lima = datetime(2026, 11, 29, 3, 30, tzinfo=UTC)
    done = award(make_user(), make_course(), completed_at=late_evening_in_lima)
    with app.app_context():
        assert db.session.get(Certificate, done.cert_id).completed_on == date(2026, 11, 28)


def test_certificate_language_follows_the_learner(app, make_user, make_course, award):
    done = award(make_user(language="en"), make_course())
    with app.app_context():
        cert = db.session.get(Certificate, done.cert_id)
        assert (cert.language, cert.theme) == ("en", "Safety and health")


def test_downloaded_pdf_reads_back_and_its_qr_leads_to_a_valid_verification(app, client, client_for, world):
    import pypdfium2
    import zxingcpp

    response = client_for(world.learner).get(f"/certificados/{world.cert_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(response.data) <= 100 * 1024
    text = " ".join(PdfReader(io.BytesIO(response.data)).pages[0].extract_text().split())
    display = f"{world.code[:4]}-{world.code[4:8]}-{world.code[8:]}"
    for expected in (ACCENTED, world.course.title, display, "28 de noviembre de 2026"):
        assert expected in text
    document = pypdfium2.PdfDocument(response.data)
    image = document[0].render(scale=3).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.QRCode]
    document.close()
    assert len(decoded) == 1 and decoded[0].startswith(f"{PUBLIC}/verify/{world.code}#"), decoded
    page = client.get(decoded[0].removeprefix(PUBLIC).split("#")[0])
    assert page.status_code == 200 and "Certificado válido" in page.get_data(as_text=True)


def test_download_is_an_uncached_attachment_with_a_neutral_name(client_for, world):
    response = client_for(world.learner).get(f"/certificados/{world.cert_id}.pdf")
    display = f"{world.code[:4]}-{world.code[4:8]}-{world.code[8:]}"
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificado-{display}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"


def test_download_permissions(client, client_for, world):
    url = f"/certificados/{world.cert_id}.pdf"
    for person in (world.learner, world.trainer, world.admin):
        assert client_for(person).get(url).status_code == 200
    for person in (world.other_learner, world.other_trainer):
        assert client_for(person).get(url).status_code == 404
    assert client.get(url).headers["Location"].startswith("/login")
    assert client_for(world.admin).get("/certificados/999999.pdf").status_code == 404


def test_trainer_of_the_course_sees_and_reissues_but_cannot_revoke_or_reinstate(app, client_for, world):
    """Reissuing with a corrected name is the trainer's to do (she fixed the name at the workshop); revoking and
    reinstating speak for the whole network and stay with the admins."""
    trainer = client_for(world.trainer)
    assert trainer.get(f"/manage/certificates/{world.cert_id}").status_code == 200
    assert client_for(world.other_trainer).get(f"/manage/certificates/{world.cert_id}").status_code == 404
    assert trainer.get(f"/manage/certificates/{world.cert_id}/revoke").status_code == 403
    assert trainer.post(f"/manage/certificates/{world.cert_id}/revoke", data={"reason": "x"}).status_code == 403
    assert trainer.post(f"/manage/certificates/{world.cert_id}/reinstate").status_code == 403
    assert client_for(world.other_trainer).post(f"/manage/certificates/{world.cert_id}/reissue").status_code == 404
    unchanged = trainer.post(f"/manage/certificates/{world.cert_id}/reissue")  # the name did not change: refused
    assert unchanged.headers["Location"] == f"/manage/certificates/{world.cert_id}"
    with app.app_context():
        assert db.session.get(Certificate, world.cert_id).status == CertificateStatus.VALID


def test_revoking_needs_a_reason_and_is_audited(app, client_for, world):
    admin = client_for(world.admin)
    url = f"/manage/certificates/{world.cert_id}/revoke"
    refused = admin.post(url, data={"reason": "  "})
    assert refused.status_code == 400 and "Escribe el motivo." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Certificate, world.cert_id).status == CertificateStatus.VALID
    response = admin.post(url, data={"reason": "Emitido por error"})
    assert response.headers["Location"] == f"/manage/certificates/{world.cert_id}"
    with app.app_context():
        cert = db.session.get(Certificate, world.cert_id)
        assert cert.status == CertificateStatus.REVOKED and cert.revoked_reason == "Emitido por error"
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
        assert event_.actor_id == world.admin.id and event_.subject_id == world.learner.id
    assert client_for(world.learner).get(f"/certificados/{world.cert_id}.pdf").status_code == 404


def test_reissue_after_a_name_correction_gives_a_new_code_and_replaces_the_old(app, client_for, world):
    admin = client_for(world.admin)
    url = f"/manage/certificates/{world.cert_id}/reissue"
    admin.post(url)
    assert certificate_count(app) == 1, "nothing to correct: the name did not change"
    with app.app_context():
        db.session.get(User, world.learner.id).full_name = "María Ñahui Quispe Ccory"
        db.session.commit()
    response = admin.post(url)
    with app.app_context():
        old = db.session.get(Certificate, world.cert_id)
        new = db.session.get(Certificate, old.replaced_by_id)
        assert old.status == CertificateStatus.REPLACED and old.learner_name == ACCENTED
        assert (new.status, new.generation, new.learner_name) == ("valid", 2, "María Ñahui Quispe Ccory")
        assert new.code != old.code and new.course_title == old.course_title
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "certificate.reissued")) == 1
        assert issue_certificate(db.session.get(Enrolment, world.enrolment_id)).id == new.id
    assert response.headers["Location"] == f"/manage/certificates/{new.id}"


def test_manual_issue_needs_a_reason_then_completes_and_audits(app, make_user, make_course, client_for):
    trainer, learner = make_user(role="trainer"), make_user()
    course = make_course(trainers=[trainer])
    with app.app_context():
        enrolment = Enrolment(user_id=learner.id, course_id=course.id)
        db.session.add(enrolment)
        db.session.commit()
        enrolment_id = enrolment.id
    client = client_for(trainer)
    url = f"/manage/certificates/course/{course.id}/issue"
    assert learner.full_name in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"enrolment": enrolment_id, "reason": ""})
    assert "Escribe el motivo." in refused.get_data(as_text=True)
    assert certificate_count(app) == 0
    response = client.post(url, data={"enrolment": enrolment_id, "reason": "Completó el taller de Juliaca"})
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        cert = db.session.scalar(select(Certificate))
        assert enrolment.status == EnrolmentStatus.COMPLETED and enrolment.completed_at is not None
        assert cert.enrolment_id == enrolment_id and cert.issued_by_id == trainer.id
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issued_manually"))
        assert event_.detail["reason"] == "Completó el taller de Juliaca"
    assert response.headers["Location"] == f"/manage/certificates/{cert.id}"


def test_manual_issue_only_for_trainers_of_the_course(make_user, make_course, client_for):
    course = make_course(trainers=[make_user(role="trainer")])
    outsider = client_for(make_user(role="trainer"))
    assert outsider.get(f"/manage/certificates/course/{course.id}/issue").status_code == 403


def test_batch_pdf_has_one_page_per_valid_certificate(app, make_user, make_course, award, client_for):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    names = ["Ana Pariʼ Ch’uqi", "Juana Huamaní Ñaupa", "Rosa Mamani"]
    done = [award(make_user(full_name=name), course) for name in names]
    with app.app_context():
        db.session.get(Certificate, done[2].cert_id).revoke("Error")
        db.session.commit()
    response = client_for(trainer).get(f"/manage/certificates/course/{course.id}.pdf")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    assert [name in " ".join(page.extract_text().split()) for page, name in zip(reader.pages, names, strict=False)] \
        == [True, True]
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificados-curso-{course.id}.pdf"'


def test_cohort_batch_is_for_its_trainers_and_holds_its_members_in_her_courses_only(app, make_user, make_course,
                                                                                    award, client_for):
    lead, outsider, member = make_user(role="trainer"), make_user(role="trainer"), make_user()
    with app.app_context():
        cohort = Cohort(name="Pallaqueras La Rinconada 2026", trainers=[db.session.get(User, lead.id)],
                        members=[db.session.get(User, member.id)])
        db.session.add(cohort)
        db.session.commit()
        cohort_id = cohort.id
    hers = make_course(trainers=[lead])
    award(member, hers)
    award(member, make_course(title="Nuestros derechos"))  # a course the lead does not teach: not hers to print
    award(make_user(), hers)  # not in the cohort
    assert client_for(outsider).get(f"/manage/certificates/cohort/{cohort_id}.pdf").status_code == 403
    response = client_for(lead).get(f"/manage/certificates/cohort/{cohort_id}.pdf")
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert len(pages) == 1 and "Nuestros derechos" not in pages[0].extract_text()


def test_batch_csv_neutralises_formulas_and_is_audited(app, make_user, make_course, award, client_for):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    evil = '=HYPERLINK("http://evil.example","clic")'
    done = award(make_user(full_name=evil), course)
    response = client_for(trainer).get(f"/manage/certificates/course/{course.id}.csv")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["nombre", "curso", "código", "fecha", "URL de verificación"]
    assert rows[1][0] == "'" + evil
    assert rows[1][2].replace("-", "") == done.code and rows[1][3] == "2026-11-28"
    assert rows[1][4] == f"{PUBLIC}/verify/{done.code}"
    with app.app_context():
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.batch_exported"))
        assert event_.detail == {"format": "csv", "count": 1, "course_id": course.id}


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("María") == "María"


def test_an_empty_batch_says_so_instead_of_a_broken_file(make_user, make_course, client_for):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    assert client_for(trainer).get(f"/manage/certificates/course/{course.id}.pdf").headers["Location"] \
        == "/manage/certificates/"


def test_my_certificate_slot_links_the_valid_certificate(app, make_user, make_course, award):
    learner = make_user()
    done, pending = award(learner, make_course()), award(learner, make_course(), send=False)
    with app.app_context(), app.test_request_context():
        enrolments = [db.session.get(Enrolment, done.enrolment_id), db.session.get(Enrolment, pending.enrolment_id)]
        by_enrolment = certificates_by_enrolment(e.id for e in enrolments)
        template = app.jinja_env.get_template("certificates/_my_certificate.html")
        ready, waiting = (template.render(enrolment=e, enrolment_certificates=by_enrolment) for e in enrolments)
        assert f"/certificados/{done.cert_id}.pdf" in ready and "Descargar certificado (PDF · " in ready
        assert "Tu certificado aparecerá aquí cuando completes el curso" in waiting


def test_certificates_for_many_enrolments_take_one_query(app, make_user, make_course, award):
    learner = make_user()
    ids = [award(learner, make_course()).enrolment_id for _ in range(3)]
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        found = certificates_by_enrolment(ids)
    assert sorted(found) == sorted(ids) and len(statements) == 1


def test_staff_page_lists_certificates_of_own_courses_only(make_user, make_course, award, client_for):
    trainer = make_user(role="trainer")
    mine, theirs = make_course(trainers=[trainer]), make_course(trainers=[make_user(role="trainer")])
    award(make_user(full_name="Lucía de mi curso"), mine)
    award(make_user(full_name="Rosa de otro curso"), theirs)
    page = client_for(trainer).get("/manage/certificates/").get_data(as_text=True)
    assert "Lucía de mi curso" in page and "Rosa de otro curso" not in page
    admin_page = client_for(make_user(role="admin")).get("/manage/certificates/").get_data(as_text=True)
    assert "Lucía de mi curso" in admin_page and "Rosa de otro curso" in admin_page


def test_staff_page_query_count_does_not_grow(app, make_user, make_course, award, client_for):
    trainer = make_user(role="trainer")
    client = client_for(trainer)

    def count_statements() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            assert client.get("/manage/certificates/").status_code == 200
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    award(make_user(), make_course(trainers=[trainer]))
    small = count_statements()
    for _ in range(4):
        course = make_course(trainers=[trainer])
        for _ in range(2):
            award(make_user(), course)
    assert count_statements() == small


def test_the_loser_of_an_insert_race_gets_the_winners_certificate(app, world):
    from lms.certificates.issuing import _insert

    with app.app_context():
        winner = db.session.get(Certificate, world.cert_id)
        fields = {key: getattr(winner, key) for key in ("learner_name", "course_title", "theme", "hours",
                                                         "completed_on", "issued_on", "network_name")}
        assert _insert(world.enrolment_id, 1, fields).id == winner.id
        db.session.commit()
    assert certificate_count(app) == 1
