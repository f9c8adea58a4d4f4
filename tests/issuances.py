"""Passports after approval for tests: applications approved at the counter as the review
approves them (so each has its collection date), then printed and marked ready as the printing
page does."""

from tests.reviews import in_service, ready_to_approve
from webapp.extensions import db
from webapp.models import Application, Office, User
from webapp.services import issuance, review


def approved(office: Office, officer: User, **answers) -> Application:
    """An application of the office approved by the officer (a counter officer: see
    tests/reviews.counter_officer); inside an app context."""
    visit = in_service(office, officer, **answers)
    ready_to_approve(officer, visit.application_id)
    review.approve(officer, visit.application_id)
    return db.session.get(Application, visit.application_id)


def printed(office: Office, officer: User, **answers) -> Application:
    application = approved(office, officer, **answers)
    issuance.mark_printed(officer, application.id)
    return db.session.get(Application, application.id)


def ready(office: Office, officer: User, **answers) -> Application:
    application = printed(office, officer, **answers)
    issuance.mark_ready(officer, application.id)
    return db.session.get(Application, application.id)
