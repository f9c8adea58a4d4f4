"""Mail jobs: render a message in the account's language and deliver it."""

from datetime import date, datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_mail import Message

from webapp.extensions import db
from webapp.integrations.mail import deliver
from webapp.models import User

# template name -> subject; the subject is translated when the message is rendered.
SUBJECTS = {
    "activation_code": _l("Your M-Paspor activation code"),
    "already_registered": _l("You already have an M-Paspor account"),
    "password_reset": _l("Reset your M-Paspor password"),
    "password_changed": _l("Your M-Paspor password was changed"),
    "account_closed": _l("Your M-Paspor account is closed"),
    "nik_verified": _l("Your NIK is verified"),
    "nik_refused": _l("Your NIK could not be verified"),
    "hold_created": _l("Your M-Paspor billing code"),
    "hold_expired": _l("Your M-Paspor billing code expired"),
    "rescheduled": _l("Your appointment is moved"),
    "payment_received": _l("Your M-Paspor payment is received"),
    "payment_after_expiry": _l("Your M-Paspor payment arrived too late"),
    "approved": _l("Your passport application is approved"),
    "incomplete": _l("Documents are needed for your passport application"),
    "rejected": _l("Your passport application is rejected"),
    "fine_billed": _l("Your M-Paspor billing code for the fine"),
    "fine_paid": _l("Your M-Paspor fine is paid"),
    # Printing and the collection desk.
    "ready_for_pickup": _l("Your passport is ready for collection"),
    "collected": _l("Your passport has been collected"),
    # Applications that end by the clock (services/endings.py).
    "no_show": _l("You missed your passport appointment"),
    "collection_reminder": _l("Collect your passport within 7 days"),
    "uncollected": _l("Your passport was not collected and is cancelled"),
    # Staff and supervisors invited by an administrator (services/invitations.py).
    "staff_invitation": _l("You are invited to M-Paspor for your office"),
    # Closures: the special reschedule offered to an appointment a closure took.
    "closure_reschedule": _l("Your appointment: the office is closed, choose a new time"),
    # The waiting room of a quota release (services/waiting_room.py).
    "room_admitted": _l("Your turn: choose your appointment within 10 minutes"),
    "room_sold_out": _l("The quota you waited for is gone"),
    # The waitlist for freed places (services/waitlist.py).
    "waitlist_offer": _l("A place came free: accept it within 30 minutes"),
}


def send_account_email(user_id: int, template: str, **context) -> None:
    """Mail templates/emails/<template>.{txt,html} to an account, in its language.

    Moments travel as ISO strings named *_at, so that job arguments stay plain; the templates
    get them back as datetimes, to show in the office's time.
    """
    user = db.session.get(User, user_id)
    if user is None:
        return
    context = {
        name: datetime.fromisoformat(value) if name.endswith("_at") else value
        for name, value in context.items()
    }
    # Days travel as ISO dates: the collection date (collect_from) comes back as a date.
    if isinstance(context.get("collect_from"), str):
        context["collect_from"] = date.fromisoformat(context["collect_from"])
    base_url = current_app.config["BASE_URL"]
    with current_app.test_request_context(base_url=base_url), force_locale(user.locale):
        message = Message(
            subject=str(SUBJECTS[template]),
            recipients=[f"{user.full_name} <{user.email}>"],
            body=render_template(f"emails/{template}.txt", user=user, **context),
            html=render_template(f"emails/{template}.html", user=user, **context),
        )
    deliver(message)


# Invitations of staff and supervisors: mailed before the account exists ------------------------

INVITATION_LOCALE = "id"  # the office side's default language; the pages offer English


def send_invitation(invitation_id: int, token: str) -> None:
    """Mail templates/emails/staff_invitation.{txt,html} to the person an invitation names."""
    from webapp.services import invitations

    found = invitations.mail_context(invitation_id)
    if found is None:
        return
    invitation, office = found
    # The layout greets `user` by name: the invitee has no account yet, the invitation names them.
    context = {"user": invitation, "invitation": invitation, "office": office, "token": token}
    base_url = current_app.config["BASE_URL"]
    with current_app.test_request_context(base_url=base_url), force_locale(INVITATION_LOCALE):
        message = Message(
            subject=str(SUBJECTS["staff_invitation"]),
            recipients=[f"{invitation.full_name} <{invitation.email}>"],
            body=render_template("emails/staff_invitation.txt", **context),
            html=render_template("emails/staff_invitation.html", **context),
        )
    deliver(message)
