"""Telling applicants what happened to their application, by mail, once per event."""

from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.jobs import enqueue
from webapp.models import Application, Notification


def notify(application: Application, event: str, key: str, **context) -> bool:
    """Mail templates/emails/<event> to the account unless this event and key were told before.

    The row is written first and the mail queued after the commit: a second call, a replayed job
    or a race between two workers finds the row and sends nothing.
    """
    db.session.add(Notification(application_id=application.id, event=event, key=key))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    enqueue(
        "webapp.jobs.mail.send_account_email",
        application.account_id,
        event,
        queue="mail",
        application_id=application.public_id,
        applicant_name=application.full_name,
        **context,
    )
    return True
