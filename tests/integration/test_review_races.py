"""Decisions posted at the same instant: one is applied, the others are refused, and the audit
trail records one decision. On an SQLite file of its own and on the run's PostgreSQL, as the
races of tests/integration/test_races.py run."""

import pytest
from sqlalchemy import select

from tests.factories import make_office
from tests.integration.test_races import database_url, together  # noqa: F401 (the fixture)
from tests.reviews import counter_officer, in_service, ready_to_approve
from webapp.extensions import db
from webapp.models import Application, AuditEntry, User
from webapp.rules import decisions, statuses
from webapp.services import review


@pytest.fixture
def office_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


def deciding(staff_id: int, decide, application_id: int, *args):
    """A decision as its own request makes it: the staff member loaded afresh."""

    def press():
        try:
            decide(db.session.get(User, staff_id), application_id, *args)
            return "done"
        except review.ReviewRefused as refused:
            return refused.code

    return press


def test_approve_and_reject_posted_at_once_decide_once(office_app):
    with office_app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        staff_id, application_id = staff.id, visit.application_id
        ready_to_approve(staff, application_id)
    presses = [
        deciding(staff_id, review.approve, application_id),
        deciding(staff_id, review.approve, application_id),
        deciding(staff_id, review.reject, application_id, decisions.FALSE_DATA, ""),
        deciding(staff_id, review.reject, application_id, decisions.FALSE_DATA, ""),
    ]
    outcomes = together(office_app, presses)
    assert sorted(outcomes) == ["already_decided"] * 3 + ["done"]
    with office_app.app_context():
        status = db.session.get(Application, application_id).status
        assert status in (statuses.APPROVED, statuses.REJECTED)
        decided = db.session.scalars(
            select(AuditEntry.to_status).where(
                AuditEntry.application_id == application_id,
                AuditEntry.from_status == statuses.IN_REVIEW,
            )
        ).all()
        assert decided == [status]
