"""Applications in service at a counter for tests: checked in, called and served, with every
required document uploaded, as the counter's review finds them."""

from tests.factories import jpeg_bytes
from tests.staff import make_staff
from tests.visits import checked_in
from webapp.extensions import db
from webapp.jobs.screening import check_travel_ban
from webapp.models import Application, Office, User, Visit
from webapp.rules import visits
from webapp.services import calling, documents, review


def counter_officer(office: Office, counter: int = 2, **fields) -> User:
    """A member of staff of the office with a counter open for every lane."""
    staff = make_staff(office, **fields)
    calling.open_counter(staff, counter, list(visits.LANES))
    return staff


def in_service(office: Office, staff: User, **answers) -> Visit:
    """A checked-in applicant (with these answers) called to the staff member's counter and
    served, every required document uploaded; inside an app context."""
    visit = checked_in(office, by=staff, **answers)
    application = db.session.get(Application, visit.application_id)
    for code, _document in documents.required_items(application):
        documents.upload(application, code, jpeg_bytes())
    calling.call_next(staff)
    calling.start_service(staff, visit.id)
    # The travel-ban check the start queued, answered now as a worker would (clear, for these).
    check_travel_ban(visit.application_id)
    return visit


def ready_to_approve(staff: User, application_id: int) -> None:
    """Every document judged as matching its original, photo and fingerprints taken."""
    application = db.session.get(Application, application_id)
    for code, _document in documents.required_items(application):
        review.judge(staff, application_id, code, True, "")
    review.record_capture(staff, application_id, "CAP-01/0042", "CAP-01/0042")
