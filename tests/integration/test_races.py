"""Races on PostgreSQL: many requests at the same instant, and the database keeps its promises."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests import services
from tests.conftest import Mailbox
from tests.factories import make_user
from tests.html import csrf_token

RACERS = 16


@pytest.fixture
def pg_app(make_app):
    url = services.postgres_url()
    services.require(services.postgres_reachable(url), f"PostgreSQL unreachable at {url}")
    app = make_app(RATELIMIT_ENABLED=False)
    if app.config["SQLALCHEMY_DATABASE_URI"] != url:
        pytest.skip("the race tests run when the suite runs on PostgreSQL (DATABASE_URL)")
    return app


def race(app, path: str, forms: list[dict]) -> list[int]:
    """POST each form from its own client, all released at once; return the status codes."""
    clients = [app.test_client() for _ in forms]
    tokens = [csrf_token(client.get(path)) for client in clients]
    start = threading.Barrier(len(forms))

    def post(i: int) -> int:
        start.wait()
        return clients[i].post(path, data={"csrf_token": tokens[i], **forms[i]}).status_code

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, range(len(forms))))


def test_one_account_per_email_under_simultaneous_registrations(pg_app):
    from webapp.extensions import db
    from webapp.models import User

    form = {
        "full_name": "Siti Aminah",
        "email": "siti@contoh.id",
        "phone": "081234567890",
        "password": "kopi-tubruk-pagi",
        "accept_terms": "y",
    }
    statuses = race(pg_app, "/register", [form] * RACERS)
    assert set(statuses) == {302}
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_reset_link_is_used_once_under_simultaneous_use(pg_app):
    with pg_app.app_context():
        make_user(email="siti@contoh.id")
    client = pg_app.test_client()
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client.get("/password/forgot")), "email": "siti@contoh.id"},
    )
    text = Mailbox.text(Mailbox(pg_app).last("siti@contoh.id"))
    path = "/password/reset/" + text.split("/password/reset/")[1].split()[0]
    forms = [{"password": f"sandi-baru-ke-{n}", "confirm": f"sandi-baru-ke-{n}"} for n in range(8)]
    statuses = race(pg_app, path, forms)
    assert statuses.count(302) == 1
    assert set(statuses) <= {302, 410}


def test_never_more_than_five_active_applications_per_account(pg_app):
    from tests.factories import PASSWORD
    from webapp.extensions import db
    from webapp.models import Application

    with pg_app.app_context():
        make_user(email="siti@contoh.id")
    clients = [pg_app.test_client() for _ in range(RACERS)]
    for client in clients:
        token = csrf_token(client.get("/login"))
        client.post(
            "/login", data={"csrf_token": token, "email": "siti@contoh.id", "password": PASSWORD}
        )
    tokens = [csrf_token(client.get("/")) for client in clients]
    start = threading.Barrier(RACERS)

    def begin(i: int) -> int:
        start.wait()
        return clients[i].post("/applications", data={"csrf_token": tokens[i]}).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(begin, range(RACERS)))
    assert set(statuses) == {302}
    with pg_app.app_context():
        places = db.session.scalars(select(Application.place)).all()
        assert sorted(places) == [1, 2, 3, 4, 5]


def test_one_active_application_per_nik_across_accounts(pg_app):
    from tests.factories import PASSWORD, make_application
    from webapp.extensions import db
    from webapp.models import Application

    nik = "5104075111970004"
    clients, paths = [], []
    with pg_app.app_context():
        for n in range(8):
            user = make_user(email=f"pemohon{n}@contoh.id")
            application = make_application(user, nik=f"510407511197{n + 10:04d}")
            paths.append(f"/applications/{application.public_id}/personal")
    for n in range(8):
        client = pg_app.test_client()
        token = csrf_token(client.get("/login"))
        client.post(
            "/login",
            data={"csrf_token": token, "email": f"pemohon{n}@contoh.id", "password": PASSWORD},
        )
        clients.append(client)
    tokens = [csrf_token(client.get(path)) for client, path in zip(clients, paths, strict=True)]
    form = {
        "nik": nik,
        "full_name": "Siti Rahayu",
        "birth_place": "Denpasar",
        "sex": "F",
        "address": "Jl. Raya 1",
        "occupation": "Guru",
        "phone": "081234567890",
        "mother_name": "Ni Made Sari",
        "father_name": "I Wayan Budi",
    }
    start = threading.Barrier(8)

    def save(i: int) -> int:
        start.wait()
        data = {"csrf_token": tokens[i], **form}
        return clients[i].post(paths[i], data=data).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(save, range(8)))
    assert sorted(statuses) == [302] + [422] * 7
    with pg_app.app_context():
        holders = db.session.scalars(select(Application.id).where(Application.nik == nik)).all()
        assert len(holders) == 1
