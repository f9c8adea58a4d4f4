"""The collection date written at approval (review.approve through days_off.collection_date):
4 working days after the interview for regular service, the same day for express, in the
office's time, skipping weekends, the official calendar's days off, the leave days an
administrator added and the office's own closures; across the turn of a year too.

Each application is brought into service at the real time, then approved at a moment of the
test's choosing (webapp.clock.now patched): the Issuance row is what the receipt and the
collection desk read."""

import itertools
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_office
from tests.reviews import counter_officer, in_service, ready_to_approve
from tests.staff import make_administrator
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Closure, Issuance, User
from webapp.services import leave_days, review

WITA = "Asia/Makassar"
_counters = itertools.count(1)


def approved_on(monkeypatch, office, moment: datetime, service: str = "regular") -> date:
    """Approve an application of the office at moment; the collection date it was given."""
    staff = counter_officer(office, counter=next(_counters))
    visit = in_service(office, staff, service=service)
    ready_to_approve(staff, visit.application_id)
    monkeypatch.setattr(clock, "now", lambda: moment)
    review.approve(staff, visit.application_id)
    monkeypatch.undo()
    return db.session.get(Issuance, visit.application_id).collect_from


def local(day: date, zone: str = WITA, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(
    ("interview", "service", "collect_from"),
    [
        # Regular: Monday -> Friday of the same week, 4 working days on.
        (date(2027, 4, 5), "regular", date(2027, 4, 9)),
        # Express: the same day.
        (date(2027, 4, 5), "express", date(2027, 4, 5)),
        # A weekend in between: Thursday -> Friday, Monday, Tuesday, Wednesday.
        (date(2027, 4, 8), "regular", date(2027, 4, 14)),
        # A national holiday: Independence Day, Tuesday 17 August 2027, is skipped.
        (date(2027, 8, 13), "regular", date(2027, 8, 20)),
        # The turn of a year: 29, 30, 31 December, New Year's Day skipped, then 4 January.
        (date(2026, 12, 28), "regular", date(2027, 1, 4)),
    ],
)
def test_collection_date_from_the_calendar(app, monkeypatch, interview, service, collect_from):
    with app.app_context():
        office = make_office(express_per_hour=5)
        assert approved_on(monkeypatch, office, local(interview), service) == collect_from


def test_an_office_closure_is_skipped_at_that_office_only(app, monkeypatch):
    with app.app_context():
        closed, other = make_office(), make_office()
        db.session.add(Closure(office_id=closed.id, day=date(2027, 4, 7), reason="Rapat kerja"))
        db.session.commit()
        assert approved_on(monkeypatch, closed, local(date(2027, 4, 5))) == date(2027, 4, 12)
        assert approved_on(monkeypatch, other, local(date(2027, 4, 5))) == date(2027, 4, 9)


def test_a_leave_day_an_administrator_added_is_skipped_from_then_on(app, monkeypatch):
    with app.app_context():
        office = make_office()
        interview = local(date(2027, 4, 5))
        assert approved_on(monkeypatch, office, interview) == date(2027, 4, 9)
        leave_days.add(make_administrator(), date(2027, 4, 6), "Cuti Bersama")
        assert approved_on(monkeypatch, office, interview) == date(2027, 4, 12)


def test_the_interview_day_is_the_offices_own(app, monkeypatch):
    """Sunday 4 April 2027 at 16.30 UTC is 23.30 on Sunday in Jakarta but 01.30 on Monday in
    Jayapura: Jakarta counts Monday to Thursday, Jayapura Tuesday to Friday."""
    with app.app_context():
        moment = datetime(2027, 4, 4, 16, 30, tzinfo=UTC)
        wib = make_office(timezone="Asia/Jakarta")
        wit = make_office(timezone="Asia/Jayapura")
        assert approved_on(monkeypatch, wib, moment) == date(2027, 4, 8)
        assert approved_on(monkeypatch, wit, moment) == date(2027, 4, 9)


def test_the_approval_mail_says_the_collection_date(app, monkeypatch, mailbox):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        ready_to_approve(staff, visit.application_id)
        monkeypatch.setattr(clock, "now", lambda: local(date(2027, 4, 5)))
        review.approve(staff, visit.application_id)
        monkeypatch.undo()
        assert db.session.get(Issuance, visit.application_id).collect_from == date(2027, 4, 9)
        account_id = db.session.get(Application, visit.application_id).account_id
        email = db.session.get(User, account_id).email
    message = mailbox.last(email)
    assert message["Subject"] == "Permohonan paspor Anda disetujui"
    assert "Paspor dapat diambil mulai 9 April 2027" in mailbox.text(message)
