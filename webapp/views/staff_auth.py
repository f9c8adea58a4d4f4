"""The second factor at sign-in of staff, supervisors and administrators: enrolment with a QR code
and recovery codes, the code page, and what their sessions may reach before and after it.

Until the second factor is given, such an account reaches only these pages and logout. Its
session ends after STAFF_IDLE without a request (applicants' sessions follow SESSION_IDLE_MINUTES).
"""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from webapp import clock
from webapp.forms.staff import EnrolmentForm, SecondFactorForm
from webapp.i18n import clock_time
from webapp.rules import roles
from webapp.services import staff_auth
from webapp.services.staff_auth import Outcome
from webapp.views.access import SECOND_FACTOR, second_factor_given, signing_in
from webapp.views.confirmations import elsewhere
from webapp.views.limits import keeps_form_when_refused, per_account, with_refusal

bp = Blueprint("staff_auth", __name__, url_prefix="/staff/sign-in")

STAFF_IDLE = timedelta(minutes=15)
LAST_SEEN = "last_seen"  # in the session: when its last request came, as a UNIX time
POLL_HEADER = "X-Poll"  # sent by the fragments that pages poll (hx-headers)
# What an account that still owes its second factor may reach.
REACHABLE_BEFORE_SECOND_FACTOR = frozenset(
    {"auth.logout", "main.language", "staff_auth.code", "staff_auth.enrol"}
)
CODE_LIMIT = "20 per 15 minutes"


def landing() -> str:
    """Where a signed-in account of the office side starts: staff and supervisors at check-in."""
    if current_user.role == roles.ADMINISTRATOR:
        return url_for("admin.jobs")
    return url_for("checkin.scan")


def second_factor_page(user) -> str:
    return url_for("staff_auth.code" if user.totp_enrolled_at else "staff_auth.enrol")


@bp.before_app_request
def _staff_session():
    """Every request of an account with a second factor: its session ends after STAFF_IDLE
    without one, and until the factor is given it is sent to give it (a whole page, also from
    htmx)."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    if not roles.needs_second_factor(current_user.role):
        return None
    current = clock.now().timestamp()
    last_seen = session.get(LAST_SEEN)
    if last_seen is not None and current - last_seen > STAFF_IDLE.total_seconds():
        logout_user()
        session.clear()
        flash(_("You were signed out after 15 minutes without activity. Log in again."), "warning")
        return elsewhere(url_for("auth.login"))
    if request.headers.get(POLL_HEADER) != "true":
        session[LAST_SEEN] = current  # a page polling by itself is not someone at the desk
    if not second_factor_given() and request.endpoint not in REACHABLE_BEFORE_SECOND_FACTOR:
        return elsewhere(second_factor_page(current_user))
    return None


def _code_page(form):
    locked_until = staff_auth.current_lock(current_user)
    return render_template(
        "staff_auth/code.html", form=form, lock=locked_until and _lock_message(locked_until)
    )


@bp.route("/code", methods=["GET", "POST"])
@signing_in
@per_account(CODE_LIMIT)
@keeps_form_when_refused(lambda message: _code_page(with_refusal(SecondFactorForm(), message)))
def code():
    if second_factor_given():
        return redirect(landing())
    if current_user.totp_enrolled_at is None:
        return redirect(url_for("staff_auth.enrol"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        check = staff_auth.check_code(current_user.id, form.code.data)
        if check.accepted:
            return _signed_in(check)
        form.code.errors.append(_refusal(check))
    page = _code_page(form)
    return page, 422 if request.method == "POST" else 200


def _signed_in(check: staff_auth.CodeCheck):
    session[SECOND_FACTOR] = current_user.get_id()
    if check.outcome is Outcome.RECOVERY_USED:
        flash(
            _(
                "You signed in with a recovery code; it cannot be used again. "
                "%(count)d recovery codes are left.",
                count=check.recovery_codes_left,
            ),
            "warning",
        )
    return redirect(landing())


def _enrol_page(form):
    return render_template(
        "staff_auth/enrol.html", form=form, enrolment=staff_auth.enrolment(current_user)
    )


@bp.route("/enrol", methods=["GET", "POST"])
@signing_in
@per_account(CODE_LIMIT)
@keeps_form_when_refused(lambda message: _enrol_page(with_refusal(EnrolmentForm(), message)))
def enrol():
    if current_user.totp_enrolled_at is not None:
        return redirect(url_for("staff_auth.code"))
    form = EnrolmentForm()
    if form.validate_on_submit():
        check = staff_auth.confirm_enrolment(current_user.id, form.code.data)
        if check.accepted:
            session[SECOND_FACTOR] = current_user.get_id()
            # Shown once, in this answer alone: the codes are kept only as hashes.
            return render_template(
                "staff_auth/recovery_codes.html", codes=check.recovery_codes, next=landing()
            )
        if check.outcome is Outcome.NOT_ENROLLING:
            return redirect(url_for("staff_auth.code"))
        form.code.errors.append(_refusal(check))
    return _enrol_page(form), 422 if request.method == "POST" else 200


def _lock_message(locked_until) -> str:
    return _(
        "After five wrong codes this account is locked until %(time)s. Try again then.",
        time=clock_time(locked_until, staff_auth.zone_of(current_user)),
    )


def _refusal(check: staff_auth.CodeCheck) -> str:
    if check.outcome is Outcome.LOCKED:
        return _lock_message(check.locked_until)
    if check.outcome is Outcome.REPLAYED:
        return _(
            "That code was used already. Wait for the next code in the app. %(count)d tries left.",
            count=check.attempts_left,
        )
    return _("That code is not right. %(count)d tries left.", count=check.attempts_left)
