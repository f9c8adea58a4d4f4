"""Two application servers behind one balancer: whichever one a request reaches, it is the same
product.

Two gunicorn servers on two loopback ports, in production mode (DEMO_MODE=0, every production
setting given: no stand-in inside the product, no secret generated per instance), each with an
instance folder of its own, share one PostgreSQL database (made for this module), the run's
Redis database and one S3 bucket (moto's server). An RQ worker runs beside the second server.
The outside world is real on loopback too: the stand-in population registry and travel-ban
list over HTTP, and an SMTP server. Every request goes to one of the two servers at random.
"""

import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask_migrate import upgrade

from tests import loopback, services
from tests.factories import (
    FORM_ANSWERS,
    PASSWORD,
    jpeg_bytes,
    make_application,
    make_office,
    make_slot,
    make_user,
    submitted_application,
    unique_nik,
)
from tests.integration.test_deploy import _signing_key_pem
from tests.integration.test_mail_smtp import Collector
from tests.journeys import tomorrow_at_nine
from webapp import create_app
from webapp.extensions import db
from webapp.integrations import registry_standin, travel_ban_standin
from webapp.models import Application, Document, Hold

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET_KEY = "two-servers-secret-key"
WORKERS = 2  # per server: requests run side by side on each, as in production
LOGIN_LIMIT = 10  # per email typed, "10 per 15 minutes" (webapp/views/auth.py)
CAPACITY, APPLICANTS = 5, 30
SETTLED_WITHIN = 30  # seconds for a job to show its effect


@dataclass
class Cluster:
    ports: tuple[int, int]  # A, then B (the one with the worker beside it)
    app: object  # this process's app on the shared database, to seed and to look
    bucket: str
    s3_url: str
    mail: Collector

    def client(self) -> loopback.Client:
        return loopback.Client(self.either())

    def either(self) -> int:
        return random.choice(self.ports)


@pytest.fixture(scope="module")
def cluster(registry_url, s3_server, tmp_path_factory):
    services.require(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        "runs when the suite runs on PostgreSQL (DATABASE_URL)",
    )
    services.require(services.postgres_server_reachable(), "PostgreSQL unreachable")
    redis_url = services.redis_url()
    services.require(services.redis_reachable(redis_url), f"Redis unreachable at {redis_url}")
    scratch = tmp_path_factory.mktemp("two-servers")
    shared_url = services.postgres_url() + "_two"  # beside the run's database, this module's
    services.create_database(shared_url)
    services.empty_redis(redis_url)
    with ExitStack() as stack:
        stack.callback(services.drop_database, shared_url)
        stack.callback(services.empty_redis, redis_url)
        mail = Collector()
        settings = {
            **production_settings(shared_url, redis_url),
            **outside_world(stack, mail, registry_url),
            **storage_settings(bucket := services.create_bucket(s3_server), s3_server),
        }
        ports = (loopback.free_port(), loopback.free_port())
        servers = [
            stack.enter_context(
                loopback.running(
                    loopback.gunicorn_command(port, WORKERS),
                    str(scratch / f"gunicorn-{name}.log"),
                    {**settings, "INSTANCE_PATH": str(scratch / f"instance-{name}")},
                )
            )
            for name, port in zip("ab", ports, strict=True)
        ]
        beside_b = {**settings, "INSTANCE_PATH": str(scratch / "instance-b")}
        worker = loopback.running(loopback.worker_command(), str(scratch / "worker.log"), beside_b)
        processes = [*servers, stack.enter_context(worker)]
        stack.callback(stop_together, processes)
        app = migrated_app(shared_url, scratch / "seeding")  # while the servers start
        for server, port in zip(servers, ports, strict=True):
            loopback.wait_until_answering(server, port, "/healthz")
        yield Cluster(ports, app, bucket, s3_server, mail)
        with app.app_context():
            db.engine.dispose()
    for process in processes:  # stopped by now: no request and no job failed
        assert not [line for line in process.problems if "Traceback" in line], process.log_path


def production_settings(database_url: str, redis_url: str) -> dict:
    """Production mode's own settings: no stand-in, no secret generated per instance."""
    return {
        "DEMO_MODE": "0",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PAYMENT_WEBHOOK_SECRET": "two-servers-webhook-secret",
        "PROOF_SIGNING_KEY": _signing_key_pem(),
        "RATELIMIT_ENABLED": "true",
        "FLASK_DEBUG": "0",
    }


def outside_world(stack: ExitStack, mail: Collector, registry_url: str) -> dict:
    """An SMTP server and the travel-ban list on loopback, until the stack closes; with the
    registry, the settings that reach them."""
    smtp = Controller(mail, hostname=loopback.HOST, port=loopback.free_port())
    smtp.start()
    stack.callback(smtp.stop)
    travel_ban_url = stack.enter_context(services.serving(travel_ban_standin.create_standin()))
    return {
        "MAIL_SERVER": loopback.HOST,
        "MAIL_PORT": str(smtp.port),
        "REGISTRY_URL": registry_url,
        "REGISTRY_API_KEY": registry_standin.STANDIN_API_KEY,
        "TRAVEL_BAN_URL": travel_ban_url,
        "TRAVEL_BAN_API_KEY": travel_ban_standin.STANDIN_API_KEY,
    }


def storage_settings(bucket: str, endpoint_url: str) -> dict:
    return {
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": endpoint_url,
        "STORAGE_S3_REGION": services.S3_TEST_REGION,
        "STORAGE_S3_PREFIX": "uploads/",
    }


def stop_together(processes: list[loopback.Process]) -> None:
    """Ask every process to stop at once; each one's own exit then waits for it."""
    for process in processes:
        if process.popen.poll() is None:
            process.popen.terminate()


def migrated_app(url: str, instance_path):
    app = create_app(
        {
            "TESTING": True,
            "DEMO_MODE": True,
            "INSTANCE_PATH": str(instance_path),
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def signed_in(cluster: Cluster, email: str) -> loopback.Client:
    return cluster.client().sign_in(email, PASSWORD)


def wait_until(look, settled, what: str):
    """look() again until settled(its answer); the last answer."""
    give_up = time.monotonic() + SETTLED_WITHIN
    while True:
        answer = look()
        if settled(answer) or time.monotonic() > give_up:
            assert settled(answer), f"{what}: still {answer!r} after {SETTLED_WITHIN} s"
            return answer
        time.sleep(0.2)


# Sessions and CSRF -----------------------------------------------------------------------------


def test_a_session_and_form_from_one_server_are_good_on_the_other(cluster):
    a, b = cluster.ports
    with cluster.app.app_context():
        user = make_user()
        email, public_id = user.email, make_application(user, nik=unique_nik()).public_id
    travel = f"/applications/{public_id}/travel"
    on_a = loopback.Client(a).sign_in(email, PASSWORD)
    on_b = on_a.on(b)
    stranger = loopback.Client(b)
    assert stranger.request("GET", travel)[0] == 302 and stranger.location == "/login"

    for here, there, country in ((on_a, on_b, "Korea Selatan"), (on_b, on_a, "Malaysia")):
        status, token = here.csrf_token(travel)
        assert status == 200 and token
        answers = {**FORM_ANSWERS["travel"], "destination_country": country}
        status, _ = there.request("POST", travel, {"csrf_token": token, **answers})
        assert status == 302 and there.location == f"/applications/{public_id}/documents"
        with cluster.app.app_context():
            saved = db.session.scalar(
                sa.select(Application.destination_country).filter_by(public_id=public_id)
            )
        assert saved == country

    refused, _ = on_b.request("POST", travel, {"csrf_token": "forged", **FORM_ANSWERS["travel"]})
    assert refused == 400


# Rate limits -----------------------------------------------------------------------------------


def test_a_limit_counts_the_tries_made_on_both_servers(cluster):
    with cluster.app.app_context():
        email = make_user().email
    browser = cluster.client()
    # Both servers take some of the tries, so neither saw the whole limit by itself.
    servers = [*cluster.ports, *(cluster.either() for _ in range(LOGIN_LIMIT - 2))]
    random.shuffle(servers)
    answers = []
    for port in [*servers, cluster.either()]:
        status, token = browser.on(port).csrf_token("/login")
        assert status == 200
        form = {"csrf_token": token, "email": email, "password": "bukan-sandinya"}
        answers.append(browser.on(port).request("POST", "/login", form)[0])
    assert answers == [422] * LOGIN_LIMIT + [429]


# The quota -------------------------------------------------------------------------------------


def test_holds_sent_to_both_servers_at_once_fill_the_slot_exactly(cluster):
    with cluster.app.app_context():
        office = make_office()
        slot_id = make_slot(office, tomorrow_at_nine(), capacity=CAPACITY).id
        accounts = []
        for _ in range(APPLICANTS):
            user = make_user()
            application = submitted_application(user, office, nik=unique_nik())
            accounts.append((user.email, application.public_id))

    def get_ready(account):
        email, public_id = account
        browser = signed_in(cluster, email)
        status, token = browser.on(cluster.either()).csrf_token(f"/applications/{public_id}")
        assert status == 200 and token
        return browser.on(cluster.either()), public_id, token

    with ThreadPoolExecutor(8) as pool:
        ready = list(pool.map(get_ready, accounts))
    start = threading.Barrier(APPLICANTS)

    def attempt(item):
        browser, public_id, token = item
        form = {"csrf_token": token, "slot": str(slot_id), "seen": "submitted"}
        start.wait()
        status, _ = browser.request("POST", f"/applications/{public_id}/hold", form)
        granted = status == 302 and browser.location == f"/applications/{public_id}"
        return status, public_id if granted else None

    with ThreadPoolExecutor(APPLICANTS) as pool:
        answers = list(pool.map(attempt, ready))

    assert {status for status, _ in answers} == {302}
    granted = {public_id for _, public_id in answers if public_id}
    with cluster.app.app_context():
        held = set(
            db.session.scalars(
                sa.select(Application.public_id)
                .join(Hold, Hold.application_id == Application.id)
                .where(Hold.slot_id == slot_id, Hold.status == "held")
            )
        )
    assert len(held) == CAPACITY
    assert granted == held


# Uploads and jobs ------------------------------------------------------------------------------


def test_an_upload_through_one_server_is_checked_by_the_worker_and_served_by_the_other(cluster):
    a, b = cluster.ports
    with cluster.app.app_context():
        user = make_user()
        email = user.email
        public_id = make_application(user, nik=unique_nik(), nik_status="verified").public_id
    on_a = loopback.Client(a).sign_in(email, PASSWORD)
    base = f"/applications/{public_id}/documents"
    status, token = on_a.csrf_token(base)
    assert status == 200 and token
    photo = jpeg_bytes()
    status, _ = on_a.request(
        "POST", f"{base}/ktp", {"csrf_token": token}, files={"file": ("ktp.jpg", photo)}
    )
    assert status == 302

    # The quality check is a job: the worker beside B loads the photo from the bucket.
    item = wait_until(
        lambda: on_a.request("GET", f"{base}/ktp/status", headers={"HX-Request": "true"})[1],
        lambda fragment: "every 1s" not in fragment,
        "the photo's check",
    )
    assert "tag-ok" in item
    assert on_a.request("GET", f"{base}/ktp/file")[0] == 200
    served_by_a = on_a.body
    on_b = on_a.on(b)
    assert on_b.request("GET", f"{base}/ktp/file")[0] == 200
    assert on_b.body == served_by_a
    with cluster.app.app_context():
        key = db.session.scalar(sa.select(Document.storage_key).filter_by(code="ktp"))
    stored = services.s3_client(cluster.s3_url).list_objects_v2(Bucket=cluster.bucket)
    assert f"uploads/{key}" in {entry["Key"] for entry in stored.get("Contents", [])}


def test_a_nik_saved_through_one_server_is_verified_by_the_worker_beside_the_other(cluster):
    a = cluster.ports[0]
    budi = registry_standin.DEMO_RESIDENTS[1]  # a NIK the factories never give
    with cluster.app.app_context():
        user = make_user()
        email = user.email
        public_id = make_application(
            user, nik=None, full_name=None, birth_date=budi.birth_date, sex=None
        ).public_id
    on_a = loopback.Client(a).sign_in(email, PASSWORD)
    personal = f"/applications/{public_id}/personal"
    status, token = on_a.csrf_token(personal)
    assert status == 200 and token
    answers = {
        **FORM_ANSWERS["personal"],
        "nik": budi.nik,
        "full_name": budi.full_name,
        "birth_place": budi.birth_place,
        "sex": budi.sex,
        "mother_name": budi.mother_name,
    }
    status, _ = on_a.request("POST", personal, {"csrf_token": token, **answers})
    assert status == 302

    fragment = wait_until(
        lambda: on_a.request("GET", f"/applications/{public_id}/nik-status")[1],
        lambda page: not re.search(r"notice-info|every 1s", page),
        "the NIK check",
    )
    assert "notice-success" in fragment
    # Its answer went out by mail too: a second job, its mail sent through SMTP.
    wait_until(
        lambda: [m for m in cluster.mail.received if email in m["To"]], bool, "the NIK's mail"
    )
