"""Closures: the supervisor closes the own office for a day or some hours (services/closures.py),
and the applicant whose appointment it took accepts the place offered or chooses another."""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.auth import EmptyForm
from webapp.forms.closures import ChooseSlotForm, ClosureForm
from webapp.i18n import long_date
from webapp.services import closures
from webapp.services.booking import BookingRefused
from webapp.views.access import supervisor, verified
from webapp.views.apply import owned

bp = Blueprint("closures", __name__, url_prefix="/supervisor/closures")
offers_bp = Blueprint("closure_offers", __name__, url_prefix="/applications")


@bp.route("", methods=["GET", "POST"])
@supervisor
def index():
    """The office's coming closures with their offers counted, and the form to add one."""
    form = ClosureForm()
    if form.validate_on_submit():
        try:
            added = closures.add(
                current_user,
                form.day.data,
                form.from_hour.data,
                form.to_hour.data,
                form.reason.data,
            )
        except closures.ClosureRefused as refused:
            form.day.errors.append(_refusal(refused))
        else:
            flash(_("The office is closed on %(day)s.", day=long_date(added.day)), "success")
            return redirect(url_for("closures.index"))
    status = 422 if form.errors else 200
    return render_template(
        "closures/index.html", form=form, summaries=closures.coming(current_user.office_id)
    ), status


def _refusal(refused: closures.ClosureRefused) -> str:
    message = labels.CLOSURE_PROBLEMS[refused.code]
    if refused.other is None:
        return str(message)
    return str(message) % {
        "day": long_date(refused.other.day),
        "hours": closure_hours(refused.other),
        "reason": refused.other.reason,
    }


@bp.app_template_global()
def closure_hours(closure) -> str:
    if closure.whole_day:
        return str(labels.WHOLE_DAY)
    return f"{closure.from_hour:02d}.00-{closure.to_hour:02d}.00"


@bp.app_template_global()
def closure_offer(application):
    """The special reschedule the application may still act on, for its page (read here, in
    the view layer, not by the template itself)."""
    return closures.open_offer(application)


@offers_bp.route("/<public_id>/closure-offer/accept", methods=["POST"])
@verified
def accept(public_id: str):
    application = owned(public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        closures.accept(application)
    except BookingRefused as refused:
        flash(labels.BOOKING_PROBLEMS[refused.code], "error")
    else:
        flash(_("Your appointment is moved."), "success")
    return redirect(url_for("apply.overview", public_id=public_id))


@offers_bp.route("/<public_id>/closure-offer/choose", methods=["GET", "POST"])
@verified
def choose(public_id: str):
    """The free hours of the offer's window, by day; choosing one moves the appointment there."""
    application = owned(public_id)
    offer = closures.open_offer(application)
    if offer is None:
        flash(labels.BOOKING_PROBLEMS["no_offer"], "error")
        return redirect(url_for("apply.overview", public_id=public_id))
    form = ChooseSlotForm()
    if form.validate_on_submit():
        try:
            closures.choose(application, form.slot_id.data)
        except BookingRefused as refused:
            flash(labels.BOOKING_PROBLEMS[refused.code], "error")
            return redirect(url_for("closure_offers.choose", public_id=public_id))
        flash(_("Your appointment is moved."), "success")
        return redirect(url_for("apply.overview", public_id=public_id))
    zone = ZoneInfo(offer.office.timezone)
    days: dict = {}
    for view in closures.choices(application):
        days.setdefault(view.slot.starts_at.astimezone(zone).date(), []).append(view)
    return render_template(
        "closures/choose.html",
        application=application,
        offer=offer,
        days=days,
        form=EmptyForm(),
    ), (400 if form.errors else 200)
