"""Background verification: NIK against the registry, document quality, notices, faults."""

import io
import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from PIL import Image, ImageFilter
from sqlalchemy import func, select

from tests import services
from tests.conftest import Mailbox
from tests.factories import jpeg_bytes, make_application, make_user
from tests.html import csrf_token, submit
from tests.integration.test_wizard import PERSONAL, signed_in, upload
from tests.staff import make_administrator, sign_in_staff
from webapp.extensions import db
from webapp.integrations.registry_standin import FAILING_NIK, SLOW_NIK, UNKNOWN_NIK
from webapp.jobs.verification import verify_nik
from webapp.models import Application, Document, Notification

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HTMX = {"HX-Request": "true"}
AGUS = {"nik": "3273011203850007", "full_name": "Agus Setiawan", "birth": date(1985, 3, 12)}


def draft(app, email="siti@contoh.id", **answers):
    """A signed-in client and an application whose personal step is about to be saved."""
    with app.app_context():
        user = make_user(email=email, locale="en")
        application = make_application(user, nik=None, **answers)
        return signed_in(app, email), application.public_id


def save_personal(client, public_id, **changes):
    data = {**PERSONAL, **changes}
    return submit(client, f"/applications/{public_id}/personal", data)


def current(app) -> Application:
    with app.app_context():
        application = db.session.scalar(select(Application))
        db.session.expunge(application)
        return application


def test_a_matching_nik_is_verified_and_the_applicant_told_once(app):
    client, public_id = draft(app)
    assert save_personal(client, public_id).status_code == 302
    Mailbox(app).run_jobs()
    assert current(app).nik_status == "verified"
    page = client.get(f"/applications/{public_id}/travel").text
    assert "match the Dukcapil records" in page
    notices = Mailbox(app).messages("siti@contoh.id")
    assert [m["Subject"] for m in notices] == ["Your NIK is verified"]


def test_a_birth_date_mismatch_names_the_field_and_never_the_registry_value(app):
    client, public_id = draft(app, birth_date=AGUS["birth"], sex="M", full_name="Agus Setiawan")
    save_personal(client, public_id, nik=AGUS["nik"], full_name=AGUS["full_name"], sex="M")
    Mailbox(app).run_jobs()
    application = current(app)
    assert (application.nik_status, application.nik_reason) == ("mismatch", "birth_date")
    page = client.get(f"/applications/{public_id}/travel").text
    assert "the date of birth does not match the Dukcapil records" in page
    assert "14 March 1985" not in page and "1985-03-14" not in page
    refused = Mailbox(app).last("siti@contoh.id")
    assert refused["Subject"] == "Your NIK could not be verified"
    assert "date of birth does not match" in Mailbox.text(refused)


def test_a_nik_missing_from_the_registry_is_explained(app):
    client, public_id = draft(app, birth_date=date(2000, 5, 15))
    save_personal(client, public_id, nik=UNKNOWN_NIK)
    Mailbox(app).run_jobs()
    assert current(app).nik_status == "not_found"
    assert "not in the Dukcapil records" in client.get(f"/applications/{public_id}/travel").text


def test_a_new_passport_for_someone_who_holds_one_is_flagged(app):
    client, public_id = draft(app, birth_date=date(1979, 6, 25), sex="M")
    save_personal(client, public_id, nik="1275012506790003", full_name="Ahmad Maruf", sex="M")
    Mailbox(app).run_jobs()
    page = client.get(f"/applications/{public_id}/travel").text
    assert "already holds a valid passport" in page and "replacement" in page


def test_submission_waits_for_a_verified_nik(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        application = make_application(user, nik_status="mismatch", nik_reason="birth_date")
        for code in ("ktp", "kk", "civil_record"):
            application.documents.append(
                Document(
                    code=code,
                    storage_key=f"x/{code}.jpg",
                    media_type="image/jpeg",
                    size_bytes=1,
                    check_status="ok",
                )
            )
        db.session.commit()
        public_id = application.public_id
    client = signed_in(app)
    response = submit(
        client,
        f"/applications/{public_id}/review",
        {"declare_true": "y", "accept_forfeit": "y"},
        follow_redirects=True,
    )
    assert "once the NIK is verified" in response.text
    assert current(app).status == "draft"


def test_a_late_answer_about_an_older_nik_is_never_applied(app):
    client, public_id = draft(app)
    with app.app_context():
        application = db.session.scalar(select(Application))
        application.nik, application.nik_check_version = PERSONAL["nik"], 2
        application.nik_status = "pending"
        db.session.commit()
        verify_nik(application.id, 1)  # the answer about version 1 arrives late
        db.session.refresh(application)
        assert application.nik_status == "pending"
        verify_nik(application.id, 2)
        verify_nik(application.id, 2)  # a duplicate job
        db.session.refresh(application)
        assert application.nik_status == "verified"
        assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_a_failing_registry_leaves_an_error_the_applicant_can_retry(make_app):
    app = make_app(REDIS_URL=None)  # the check runs in-process, with no retries to wait for
    client, public_id = draft(app, birth_date=date(2002, 2, 2), sex="M")
    save_personal(client, public_id, nik=FAILING_NIK, sex="M")
    assert current(app).nik_status == "error"
    page = client.get(f"/applications/{public_id}/travel").text
    assert "could not be reached" in page and "Check again" in page
    first_version = current(app).nik_check_version
    token = csrf_token(client.get(f"/applications/{public_id}/travel"))
    client.post(f"/applications/{public_id}/nik-status", data={"csrf_token": token})
    retried = current(app)
    assert retried.nik_check_version == first_version + 1  # asked the registry again
    assert retried.nik_status == "error"  # which still fails


@pytest.mark.parametrize(
    ("nik", "born"), [(FAILING_NIK, date(2002, 2, 2)), (SLOW_NIK, date(2001, 1, 1))]
)
def test_registry_over_http_answering_500_or_too_late_becomes_an_error(
    make_app, registry_url, nik, born
):
    app = make_app(REGISTRY_URL=registry_url, REGISTRY_TIMEOUT=0.5, REDIS_URL=None)
    client, public_id = draft(app, birth_date=born, sex="M")
    assert save_personal(client, public_id, nik=nik, sex="M").status_code == 302
    assert current(app).nik_status == "error"


def test_registry_over_http_verifies(make_app, registry_url):
    app = make_app(REGISTRY_URL=registry_url, REDIS_URL=None)
    client, public_id = draft(app)
    save_personal(client, public_id)
    assert current(app).nik_status == "verified"


def test_a_real_worker_verifies_over_http_and_retries_a_failing_registry(
    make_app, registry_url, redis
):
    app = make_app(REGISTRY_URL=registry_url, REDIS_URL=redis)
    client, public_id = draft(app)
    save_personal(client, public_id)
    assert current(app).nik_status == "pending"
    page = client.get(f"/applications/{public_id}/travel").text
    assert 'hx-trigger="every 1s"' in page  # the fragment polls while the job is queued
    Mailbox(app).run_jobs()
    assert current(app).nik_status == "verified"
    settled = client.get(f"/applications/{public_id}/nik-status", headers=HTMX).text
    assert "every 1s" not in settled  # and stops polling once settled

    failing, failing_id = draft(app, "budi@contoh.id", birth_date=date(2002, 2, 2), sex="M")
    save_personal(failing, failing_id, nik=FAILING_NIK, sex="M")
    Mailbox(app).run_jobs()
    with app.app_context():
        status = db.session.scalar(
            select(Application.nik_status).where(Application.public_id == failing_id)
        )
    assert status == "pending"  # waiting for its retry, not failed
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from webapp.jobs import redis_connection

    with app.app_context():
        scheduled = ScheduledJobRegistry(queue=Queue("verification", connection=redis_connection()))
        assert scheduled.count == 1


def test_a_blurred_photo_is_sent_back_with_a_hint(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        public_id = make_application(user, nik_status="verified").public_id
    client = signed_in(app)
    base = f"/applications/{public_id}"
    sharp = Image.open(io.BytesIO(jpeg_bytes()))
    blurred = io.BytesIO()
    sharp.filter(ImageFilter.GaussianBlur(6)).save(blurred, "JPEG")
    upload(client, base, "ktp", blurred.getvalue())
    Mailbox(app).run_jobs()
    page = client.get(f"{base}/documents").text
    assert "The photo is blurred." in page and "Hold the phone still" in page
    upload(client, base, "ktp", jpeg_bytes())
    Mailbox(app).run_jobs()
    with app.app_context():
        assert db.session.scalar(select(Document.check_status)) == "ok"


def test_a_check_of_a_replaced_upload_changes_nothing(app):
    from webapp.services import documents

    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        public_id = make_application(user).public_id
    client = signed_in(app)
    upload(client, f"/applications/{public_id}", "ktp", jpeg_bytes())
    with app.app_context():
        document = db.session.scalar(select(Document))
        old_key = document.storage_key
    upload(client, f"/applications/{public_id}", "ktp", jpeg_bytes(colour="#f0f0f0"))
    with app.app_context():
        db.session.execute(Document.__table__.update().values(check_status="pending"))
        db.session.commit()
        documents.check(document.id, old_key)  # the late check of the first upload
        assert db.session.scalar(select(Document.check_status)) == "pending"


def test_the_service_keeps_serving_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    client, public_id = draft(app)
    assert save_personal(client, public_id).status_code == 302
    assert current(app).nik_status == "verified"  # ran in-process instead
    for path in ("/", f"/applications/{public_id}/travel", "/register", "/login"):
        assert client.get(path).status_code in (200, 302)
    response = submit(
        app.test_client(),
        "/register",
        {
            "full_name": "Budi Santoso",
            "email": "budi@contoh.id",
            "phone": "0813 1111 2222",
            "password": "kopi-tubruk-pagi",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 302
    assert app.test_client().get("/healthz").status_code == 503
    app.config["REDIS_URL"] = None  # read the mail written in-process without a worker
    assert Mailbox(app).code_for("budi@contoh.id")


def test_failed_jobs_page_is_for_administrators(make_app, redis):
    app = make_app(REDIS_URL=redis)
    with app.app_context():
        make_user(email="siti@contoh.id")
        make_administrator(email="admin@contoh.id")
        from rq import Queue

        from webapp.jobs import redis_connection

        Queue("mail", connection=redis_connection()).enqueue("builtins.int", "not a number")
    Mailbox(app).run_jobs()
    assert signed_in(app).get("/admin/jobs").status_code == 403
    admin = sign_in_staff(app, "admin@contoh.id")
    page = admin.get("/admin/jobs").text
    assert "invalid literal for int()" in page
    token = csrf_token(admin.get("/admin/jobs"))
    assert admin.post("/admin/jobs/mail/retry", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert Queue("mail", connection=redis_connection()).count == 1


def test_a_worker_killed_mid_job_is_replaced_and_the_effect_happens_once(make_app, tmp_path, redis):
    """A real worker process is killed while the registry is answering; the job runs again."""
    from rq import Queue, SimpleWorker
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from webapp.integrations.registry_standin import create_standin
    from webapp.jobs import QUEUES, redis_connection

    url = redis
    with services.serving(create_standin(delay_seconds=3)) as registry:
        app = make_app(REDIS_URL=url, REGISTRY_URL=registry)
        client, public_id = draft(app)
        save_personal(client, public_id)
        environment = {
            **os.environ,
            "DEMO_MODE": "1",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": url,
            "REGISTRY_URL": registry,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "INSTANCE_PATH": app.instance_path,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            env=environment,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with app.app_context():
                queue = Queue("verification", connection=redis_connection())
                started = StartedJobRegistry(queue=queue)
                deadline = time.monotonic() + 30
                while not _running(started) and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert _running(started), "the worker never started the job"
                time.sleep(0.5)  # well inside the registry's three-second answer
        finally:
            os.killpg(worker.pid, signal.SIGKILL)  # the pool and its workers, mid-request
            worker.wait()
        with app.app_context():
            _until_redis_drops_the_killed_workers(redis_connection())
        assert current(app).nik_status == "pending"

        with app.app_context():
            # An hour later another worker's maintenance finds the job abandoned: it is retried.
            started.cleanup(timestamp=time.time() + 3600)
            for job_id in ScheduledJobRegistry(queue=queue).get_job_ids():
                queue.enqueue_job(Job.fetch(job_id, connection=redis_connection()))
            SimpleWorker(list(QUEUES), connection=redis_connection()).work(burst=True)
        assert current(app).nik_status == "verified"
        with app.app_context():
            assert db.session.scalar(select(func.count(Notification.id))) == 1


def _until_redis_drops_the_killed_workers(connection) -> None:
    """Until no client waits in a blocking pop: a worker killed a moment ago still does, for
    Redis, until it notices the closed connection, and would be handed the job queued next."""
    ours = str(connection.connection_pool.connection_kwargs.get("db", 0))
    deadline = time.monotonic() + 10
    while any("b" in c["flags"] and c["db"] == ours for c in connection.client_list()):
        assert time.monotonic() < deadline, "Redis still has a killed worker waiting"
        time.sleep(0.05)


def _running(started) -> bool:
    from rq.job import Job, JobStatus

    return any(
        Job.fetch(job_id, connection=started.connection).get_status() == JobStatus.STARTED
        for job_id in started.get_job_ids()
    )
