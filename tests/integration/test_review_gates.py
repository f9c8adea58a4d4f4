"""What approval waits for beyond the counter's own checks, through the review itself: the
travel-ban list's answer, and a lost passport's examination report and its fine, paid through the
payment channel."""

import itertools
from datetime import timedelta

import pytest

from tests.factories import make_office
from tests.html import csrf_token
from tests.reviews import counter_officer, in_service, ready_to_approve
from tests.staff import sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.integrations.payment_gateway import Notice
from webapp.integrations.travel_ban_standin import DEMO_LISTED
from webapp.models import Application, Bill
from webapp.rules import statuses
from webapp.services import examination, payments, review

_transactions = itertools.count(1)
LOST = {"application_type": "replacement", "replacement_reason": "lost"}


def refusal(staff, application_id: int) -> str:
    with pytest.raises(review.ReviewRefused) as refused:
        review.approve(staff, application_id)
    return refused.value.code


def test_a_lost_passport_is_approved_once_its_report_is_recorded_and_its_fine_paid(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        application_id = in_service(office, staff, **LOST).application_id
        ready_to_approve(staff, application_id)
        assert refusal(staff, application_id) == "report_missing"
        report = examination.Report(
            account="Paspor hilang di pasar.",
            happened_on=clock.today(office.timezone) - timedelta(days=3),
            happened_where="Pasar Terong, Makassar",
            police_report_number="LP/B/77/XII/2026",
        )
        fine = db.session.get(
            Bill, examination.record_report(staff, application_id, report).bill_id
        )
        assert (fine.purpose, fine.amount) == ("fine", 1_000_000)
        assert refusal(staff, application_id) == "fine_unpaid"
        notice = Notice(f"BRI-{next(_transactions)}", fine.code, fine.amount, clock.now())
        assert payments.apply_notice(notice) == "applied"
        review.approve(staff, application_id)
        assert db.session.get(Application, application_id).status == statuses.APPROVED


def test_the_counter_is_told_in_words_what_approval_waits_for(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office, locale="en")
        visit = in_service(office, staff, **LOST)
        ready_to_approve(staff, visit.application_id)
        email, visit_id, application_id = staff.email, visit.id, visit.application_id
    counter = sign_in_staff(app, email)
    page = f"/counter/service/{visit_id}"
    token = csrf_token(counter.get(page))
    answer = counter.post(f"{page}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "The examination report (BAP) is not recorded yet." in answer.text
    with app.app_context():
        assert db.session.get(Application, application_id).status == statuses.IN_REVIEW


def test_a_person_on_the_travel_ban_list_is_not_approved_however_ready(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        application_id = in_service(office, staff, nik=DEMO_LISTED[0]).application_id
        ready_to_approve(staff, application_id)
        assert refusal(staff, application_id) == "travel_ban_hit"
        assert db.session.get(Application, application_id).status == statuses.IN_REVIEW
