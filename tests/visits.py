"""Visits for tests: applicants checked in at an office and waiting for their number to be called,
made as the check-in makes them (the application moved to checked_in and the visit created, both
audited, the number taken from the office's sequence of the day)."""

from datetime import datetime

from tests.factories import make_user, submitted_application, unique_nik
from tests.staff import make_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Office, User, Visit
from webapp.rules import statuses, visits
from webapp.services import arrivals, lifecycle
from webapp.services.calling import today_at


def checked_in(
    office: Office,
    lane: str = visits.REGULAR,
    *,
    rank: int = visits.ON_TIME,
    queued_at: datetime | None = None,
    by: User | None = None,
    **answers,
) -> Visit:
    """A submitted application of a new applicant (with the answers given), checked in today and
    waiting in `lane`; inside an app context."""
    officer = by or make_staff(office)
    answers.setdefault("nik", unique_nik())
    application = submitted_application(make_user(), office, **answers)
    application.status = statuses.SCHEDULED  # booked and paid, as the booking tests make it
    db.session.commit()
    lifecycle.transition(application, statuses.CHECKED_IN, actor_id=officer.id)
    day = today_at(office)
    visit = Visit(
        application_id=application.id,
        office_id=office.id,
        day=day,
        lane=lane,
        number=arrivals.next_number(office.id, day, lane),
        rank=rank,
        queued_at=queued_at or clock.now(),
        checked_in_by=officer.id,
    )
    db.session.add(visit)
    db.session.flush()
    lifecycle.created(visit, actor_id=officer.id)
    db.session.commit()
    return visit
