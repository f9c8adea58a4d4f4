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
