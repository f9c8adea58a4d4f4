"""The demo training office's four bookings of the day (`flask seed-demo`): made once, checked
in through the real check-in, and each decision of the counter's story tried on them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import jpeg_bytes
from tests.staff import make_staff
from webapp import clock
from webapp.documents.quality import assess
from webapp.extensions import db
from webapp.integrations.payment_gateway import Notice
from webapp.jobs.screening import check_travel_ban
from webapp.models import Application, Bill, Issuance, Office, Visit
from webapp.rules import roles, statuses, visits
from webapp.rules.working_days import national_holidays
from webapp.services import (
    calling,
    checkin,
    documents,
    examination,
    payments,
    receipts,
    review,
    screening,
)
from webapp.services.demo_booking import DEMO_BOOKINGS, DEMO_OFFICE

CREATED = re.compile(r"created: paid demo booking .*application number (\d{16}), ([^(]+) \(")


@pytest.fixture
def seeded(runner):
    """The application numbers of today's demo bookings, by the applicant's name."""
    output = runner.invoke(args=["seed-demo"]).output
    if _a_holiday_in_makassar():  # the training office closes too
        pytest.skip("the demo office is closed on national holidays")
    return {name: number for number, name in CREATED.findall(output)}


def test_seed_demo_books_four_demo_people_once_each_with_their_documents(app, runner, seeded):
    assert sorted(seeded) == ["Ahmad Ma'ruf", "Budi Santoso", "Hendra Wijaya", "Siti Rahayu"]
    again = runner.invoke(args=["seed-demo"]).output
    for number in seeded.values():
        assert f"exists: demo booking for today, application number {number}" in again
    assert "created: paid demo booking" not in again
    with app.app_context():
        applications = db.session.scalars(
            select(Application).where(Application.number.in_(seeded.values()))
        ).all()
        assert len(applications) == len(DEMO_BOOKINGS)
        for application in applications:
            assert application.status == statuses.SCHEDULED
            items = documents.required_items(application)
            assert items and all(document is not None for _code, document in items)
            for code, document in items:  # good enough for the officer to compare
                content = documents.load(document, "original")
                assert assess(content, document.media_type, code).status == "ok", code


def test_each_demo_booking_checks_in_and_the_counter_story_can_be_played(app, seeded):
    with app.test_request_context():  # the supervisor's list of hits is worded for a reader
        office = db.session.scalar(select(Office).where(Office.code == DEMO_OFFICE))
        officer = make_staff(office)
        supervisor = make_staff(office, role=roles.SUPERVISOR)
        calling.open_counter(officer, 1, list(visits.LANES))
        arrivals = {name: checkin.check_in(officer, number) for name, number in seeded.items()}
        assert all(visit.number > 0 for visit in arrivals.values())
        assert len({visit.number for visit in arrivals.values()}) == len(arrivals)

        served = {}
        for _ in arrivals:  # in the order the counter calls them
            visit = calling.call_next(officer)
            calling.start_service(officer, visit.id)
            check_travel_ban(visit.application_id)  # the job the start queued, as a worker would
            name = db.session.get(Application, visit.application_id).full_name
            served[name] = visit.application_id
            _play(name, officer, supervisor, visit.application_id)
        assert sorted(served) == sorted(arrivals)

        outcomes = {name: db.session.get(Application, id_).status for name, id_ in served.items()}
        assert outcomes == {
            "Siti Rahayu": statuses.APPROVED,
            "Budi Santoso": statuses.APPROVED,
            "Hendra Wijaya": statuses.REJECTED,
            "Ahmad Ma'ruf": statuses.APPROVED,
        }
        hendra = db.session.get(Application, served["Hendra Wijaya"])
        assert review.rejection_pdf(hendra).startswith(b"%PDF")


def _play(name, officer, supervisor, application_id):
    """What the README tells the officer to do with this demo applicant."""
    if name == "Hendra Wijaya":
        visit_id = db.session.scalar(select(Visit.id).filter_by(application_id=application_id))
        assert screening.hit_awaiting(supervisor, visit_id) is not None
        with pytest.raises(review.ReviewRefused):
            _judged_and_approved(officer, application_id)
        screening.confirm_hit(supervisor, visit_id, "Dicocokkan dengan daftar pencegahan.")
        return
    if name == "Budi Santoso":
        review.mark_incomplete(officer, application_id, ["ktp"])
        application = db.session.get(Application, application_id)
        review.upload_owed(application, "ktp", jpeg_bytes())
        review.resume(officer, application_id)
    if name == "Ahmad Ma'ruf":
        with pytest.raises(review.ReviewRefused):
            _judged_and_approved(officer, application_id)
        fine = _recorded_report(officer, application_id)
        with pytest.raises(review.ReviewRefused):
            review.approve(officer, application_id)
        notice = Notice(f"DEMO-FINE-{application_id}", fine.code, fine.amount, clock.now())
        assert payments.apply_notice(notice) == "applied"
        review.approve(officer, application_id)
        return
    _judged_and_approved(officer, application_id)


def _judged_and_approved(officer, application_id):
    application = db.session.get(Application, application_id)
    for code, _document in documents.required_items(application):
        review.judge(officer, application_id, code, True, "")
    review.record_capture(officer, application_id, "CAP-01/0001", "CAP-01/0001")
    review.approve(officer, application_id)


def _recorded_report(officer, application_id) -> Bill:
    office = db.session.get(Office, officer.office_id)
    report = examination.Report(
        account="Paspor hilang di angkutan umum.",
        happened_on=clock.today(office.timezone) - timedelta(days=2),
        happened_where="Medan",
        police_report_number="LP/B/12/XII/2026",
    )
    return db.session.get(Bill, examination.record_report(officer, application_id, report).bill_id)


def _a_holiday_in_makassar() -> bool:
    today = clock.today("Asia/Makassar")
    return today in national_holidays([today.year])


# The applications the sweeps end: a missed booking of yesterday and a passport ready 31 days.

MISSED = re.compile(r"created: missed demo booking .*application number (\d{16}), Rina Kusuma")
UNCOLLECTED = re.compile(
    r"created: demo passport ready for 31 days, application number (\d{16}), Yohanes Wenda"
)


def _status(app, number: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Application.status).where(Application.number == number))


def test_seed_demo_leaves_a_missed_booking_and_an_old_ready_passport_for_the_sweeps(app, runner):
    first = runner.invoke(args=["seed-demo"]).output
    [missed], [waiting] = MISSED.findall(first), UNCOLLECTED.findall(first)
    assert _status(app, missed) == statuses.SCHEDULED
    assert _status(app, waiting) == statuses.READY_FOR_PICKUP
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == waiting))
        issuance = db.session.get(Issuance, application.id)
        assert clock.now() - issuance.ready_since >= timedelta(days=31)
        # It has its receipt, as any passport waiting to be collected.
        assert receipts.receipt_for(application) is not None
    again = runner.invoke(args=["seed-demo"]).output
    assert f"exists: missed demo booking, application number {missed}" in again
    assert f"exists: demo passport ready for collection, application number {waiting}" in again
    assert not MISSED.search(again) and not UNCOLLECTED.search(again)
    with app.app_context():
        demo_people = ("Rina Kusuma", "Yohanes Wenda")
        count = db.session.scalar(
            select(func.count(Application.id)).where(Application.full_name.in_(demo_people))
        )
        assert count == 2

    assert runner.invoke(args=["sweep-no-shows"]).output == "no-shows: 1\n"
    assert _status(app, missed) == statuses.NO_SHOW
    swept = runner.invoke(args=["sweep-uncollected"]).output
    assert swept == "uncollected: 1\nreminded: 0\n"
    assert _status(app, waiting) == statuses.UNCOLLECTED
    assert runner.invoke(args=["sweep-no-shows"]).output == "no-shows: 0\n"
    assert runner.invoke(args=["sweep-uncollected"]).output == "uncollected: 0\nreminded: 0\n"
