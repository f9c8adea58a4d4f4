"""Approved applications for the receipt tests: served at a counter, every document judged,
photo and fingerprints taken, and approved by the officer, as the counter does it."""

from tests.reviews import in_service, ready_to_approve
from webapp.extensions import db
from webapp.models import Application, Office, User
from webapp.services import review


def approved(office: Office, staff: User, **answers) -> Application:
    """An application of the office approved now by `staff` (who has a counter open); inside an
    app context."""
    visit = in_service(office, staff, **answers)
    ready_to_approve(staff, visit.application_id)
    review.approve(staff, visit.application_id)
    return db.session.get(Application, visit.application_id)
