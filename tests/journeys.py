"""Applications brought into a booking state the way an applicant brings them: a hold posted from
the application's page, its bill paid at the stand-in channel (/pay). Tests that start from a
booking state then follow the product's own transitions, whatever the statuses are called inside.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.factories import (
    PASSWORD,
    make_office,
    make_slot,
    make_user,
    submitted_application,
    unique_nik,
)
from tests.html import csrf_token, submit
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Bill, Hold, Office

WITA = ZoneInfo("Asia/Makassar")  # the factories' offices are in Makassar


def as_read(code: str) -> str:
    """A billing code as plain-text mail writes it, in groups of four: 1234 5678 9012 345."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def tomorrow_at_nine() -> datetime:
    day = clock.now().astimezone(WITA).date() + timedelta(days=1)
    return datetime.combine(day, time(9), tzinfo=WITA).astimezone(ZoneInfo("UTC"))


def open_office(app, **fields) -> tuple[str, int]:
    """An office with an hour tomorrow that has room for every test: (its code, the slot's id)."""
    with app.app_context():
        office = make_office(**fields)
        return office.code, make_slot(office, tomorrow_at_nine(), capacity=1000).id


def sign_in(app, email: str):
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


@dataclass
class Booking:
    """A signed-in applicant and one submitted application of theirs, at an office."""

    app: object
    client: object
    email: str
    public_id: str
    slot_id: int

    def url(self, tail: str = "") -> str:
        return f"/applications/{self.public_id}{tail}"

    def token(self) -> str:
        return csrf_token(self.client.get(self.url()))

    def post(self, tail: str, data: dict, **kwargs):
        return self.client.post(self.url(tail), data={"csrf_token": self.token(), **data}, **kwargs)

    def hold(self) -> "Booking":
        # As the confirmation page posts it: the hour, and the status it was shown for.
        response = self.post("/hold", {"slot": self.slot_id, "seen": self.status()})
        assert response.location == self.url(), response.status_code
        assert self.status() == "awaiting_payment"
        return self

    def pay(self) -> "Booking":
        code = self.billing_code()
        response = submit(self.client, "/pay", {"billing_code": code, "pay": "1"})
        assert response.status_code == 302, response.status_code
        assert self.status() == "scheduled"
        return self

    def _application(self) -> Application:
        return db.session.scalar(sa.select(Application).filter_by(public_id=self.public_id))

    def status(self) -> str:
        with self.app.app_context():
            return self._application().status

    def application_id(self) -> int:
        with self.app.app_context():
            return self._application().id

    def office_code(self) -> str | None:
        with self.app.app_context():
            office = db.session.get(Office, self._application().office_id)
            return office.code if office else None

    def holds(self) -> list[tuple[int, str]]:
        return holds_of(self.app, self.public_id)

    def billing_code(self) -> str:
        with self.app.app_context():
            return db.session.scalar(
                sa.select(Bill.code)
                .where(Bill.application_id == self._application().id)
                .order_by(Bill.id.desc())
                .limit(1)
            )


def holds_of(app, public_id: str) -> list[tuple[int, str]]:
    """(slot id, status) of every hold an application ever had, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Hold.slot_id, Hold.status)
            .join(Application, Application.id == Hold.application_id)
            .where(Application.public_id == public_id)
            .order_by(Hold.id)
        )
        return [tuple(row) for row in rows]


def bookable(app, office: tuple[str, int]) -> Booking:
    """A new verified applicant, signed in, with an application submitted at `office` (from
    open_office) and ready to hold its slot. Each has a NIK of its own."""
    code, slot_id = office
    with app.app_context():
        user = make_user()
        at = db.session.scalar(sa.select(Office).filter_by(code=code))
        public_id = submitted_application(user, at, nik=unique_nik()).public_id
        email = user.email
    return Booking(app, sign_in(app, email), email, public_id, slot_id)
