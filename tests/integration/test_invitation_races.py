"""Races on an invitation link, on SQLite and on PostgreSQL (the module's database, as in
test_races): the same link posted from several devices at once makes one account, and the
others are told the link was used."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.conftest import Mailbox
from tests.factories import make_office
from tests.html import csrf_token, submit
from tests.integration.test_races import database_url  # noqa: F401 (both databases)
from tests.staff import make_administrator, sign_in_staff
from webapp.extensions import db
from webapp.models import AccountEvent, Change, Invitation, User

INVITEE = "nurul@imigrasi.go.id"


@pytest.fixture
def race_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


def test_one_link_posted_from_six_devices_at_once_makes_one_account(race_app):
    with race_app.app_context():
        make_administrator(email="admin@contoh.id")
        office_id = make_office().id
    admin = sign_in_staff(race_app, "admin@contoh.id")
    data = {"full_name": "Nurul Hidayah", "email": INVITEE, "office_id": str(office_id)}
    assert submit(admin, "/admin/staff/invite", {**data, "role": "staff"}).status_code == 302
    mailbox = Mailbox(race_app)
    path = re.search(r"http://localhost(/invitation/\S+)", mailbox.text(mailbox.last(INVITEE)))
    path = path.group(1)

    devices = []
    for _ in range(6):
        client = race_app.test_client()
        devices.append((client, csrf_token(client.get(path))))
    start = threading.Barrier(len(devices))

    def post(i: int) -> int:
        client, token = devices[i]
        start.wait()
        password = f"sambal-matah-{i}-pedas"
        data = {"csrf_token": token, "password": password, "confirm": password}
        return client.post(path, data=data).status_code

    with ThreadPoolExecutor(len(devices)) as pool:
        statuses = list(pool.map(post, range(len(devices))))
    assert sorted(statuses) == [302] + [410] * 5
    with race_app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == INVITEE)) == 1
        user_id = db.session.scalar(select(User.id).where(User.email == INVITEE))
        assert db.session.scalar(select(Invitation.user_id)) == user_id
        created = select(func.count()).select_from(AccountEvent).filter_by(event="created")
        assert db.session.scalar(created) == 1
        made = select(func.count(Change.id)).where(Change.entity == "account")
        assert db.session.scalar(made) == 1
