"""Races on the second factor: codes sent at the same instant from several devices, on SQLite and
on PostgreSQL (the module's database, as in test_races). A code is accepted once, and every wrong
code counts: the lock comes at the fifth, recorded once.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_office
from tests.html import csrf_token, submit
from tests.integration.test_races import database_url  # noqa: F401 (both databases)
from tests.staff import code_at, current_step, make_staff
from webapp.extensions import db
from webapp.models import AccountEvent, User
from webapp.services import staff_auth

CODE_PAGE = "/staff/sign-in/code"


@pytest.fixture
def race_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


@pytest.fixture
def staff_email(race_app) -> str:
    with race_app.app_context():
        return make_staff(make_office()).email


def devices(app, email: str, count: int) -> list:
    """Clients past the password on `count` devices, each with its code page's CSRF token."""
    signed = []
    for _ in range(count):
        client = app.test_client()
        assert submit(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
        signed.append((client, csrf_token(client.get(CODE_PAGE))))
    return signed


def all_at_once(signed: list, codes: list[str]) -> list[int]:
    start = threading.Barrier(len(signed))

    def post(i: int) -> int:
        client, token = signed[i]
        start.wait()
        return client.post(CODE_PAGE, data={"csrf_token": token, "code": codes[i]}).status_code

    with ThreadPoolExecutor(len(signed)) as pool:
        return list(pool.map(post, range(len(signed))))


def state(app, email: str) -> tuple[User, list[str]]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user, [event for event, _ in staff_auth.events_of(user.id)]


def test_one_code_sent_from_four_devices_at_once_signs_in_one(race_app, staff_email):
    signed = devices(race_app, staff_email, 4)
    code = code_at(current_step())
    statuses = all_at_once(signed, [code] * 4)
    assert sorted(statuses) == [302, 422, 422, 422]
    user, _ = state(race_app, staff_email)
    assert user.failed_codes == 3  # every replay counted, none lost
    reached = [client.get("/admin/jobs").status_code for client, _ in signed]
    assert sorted(reached) == [302, 302, 302, 403]  # a staff member, not an administrator


def test_twelve_wrong_codes_at_once_lock_the_account_once(race_app, staff_email):
    signed = devices(race_app, staff_email, 12)
    near = {code_at(current_step() + offset) for offset in (-1, 0, 1)}
    wrong = [f"{n:06d}" for n in range(100, 200) if f"{n:06d}" not in near][:12]
    assert all_at_once(signed, wrong) == [422] * 12
    user, events = state(race_app, staff_email)
    assert user.locked_until is not None and events == ["locked"]
    with race_app.app_context():
        assert db.session.scalar(select(AccountEvent.detail)) == "5 wrong codes in a row"
