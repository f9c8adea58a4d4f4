"""Booking: choose an office, a day and an hourly slot; hold it with a bill; reschedule; cancel."""

import calendar
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from webapp import clock, labels
from webapp.forms.auth import EmptyForm
from webapp.models.types import MAX_ID
from webapp.rules import quota
from webapp.rules.statuses import AWAITING_PAYMENT, SCHEDULED, SUBMITTED
from webapp.services import applications, availability, booking, offices, waitlist
from webapp.views.access import verified
from webapp.views.apply import booking_context, owned
from webapp.views.confirmations import confirmation, elsewhere
from webapp.views.limits import back_with_refusal, keeps_form_when_refused, per_account, per_nik

bp = Blueprint("booking", __name__, url_prefix="/applications")


def _bookable(application) -> bool:
    return application.status in (SUBMITTED, SCHEDULED)


@bp.route("/<public_id>/office", methods=["GET", "POST"])
@verified
def office(public_id: str):
    application = owned(public_id)
    if not _bookable(application):
        return redirect(url_for("apply.overview", public_id=public_id))
    if request.method == "POST" and EmptyForm().validate_on_submit():
        chosen = offices.by_code(request.form.get("office") or "")
        if chosen is None or offices.unavailable_reason(chosen, application.passport_kind):
            abort(422)
        booking.choose_office(application, chosen)
        return redirect(url_for("booking.slots", public_id=public_id))
    near = _coordinates(request.args.get("lat"), request.args.get("lon"))
    query = (request.args.get("q") or "").strip()[:60]
    found = [
        (office, distance, offices.unavailable_reason(office, application.passport_kind))
        for office, distance in offices.search(query or None, near)
    ]
    return render_template(
        "booking/office.html",
        application=application,
        found=found,
        query=query,
        near=near,
        form=EmptyForm(),
    )


def _coordinates(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    try:
        latitude, longitude = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None


@bp.route("/<public_id>/slots")
@verified
def slots(public_id: str):
    """The month calendar and the chosen day's slots: the calendar region alone for htmx."""
    application = owned(public_id)
    if not _bookable(application) or application.office_id is None:
        return redirect(url_for("booking.office", public_id=public_id))
    office = offices.by_id(application.office_id)
    today = clock.now().astimezone(booking.zone_of(office)).date()
    month = _month(request.args.get("month"), today)
    lane = booking.lane_for(application)
    days = availability.month(office, lane, month.year, month.month)
    chosen_day = _day(request.args.get("day"))
    free_by_day = {d: sum(v.free for v in views if not v.problem) for d, views in days.items()}
    not_released = {
        d for d, views in days.items() if all(v.problem == "not_released" for v in views)
    }
    # Hours open for booking now and not one place free among them: the waitlist is offered (not
    # for a month that is over, closed or not released yet).
    bookable = [view for views in days.values() for view in views if not view.problem]
    full = bool(bookable) and not any(view.free for view in bookable)
    context = {
        "application": application,
        "office": office,
        "month": month,
        "weeks": calendar.Calendar().monthdatescalendar(month.year, month.month),
        "free_by_day": free_by_day,
        "not_released": not_released,
        "full": full,
        "waitlisted": waitlist.entry_of(application) if full else None,
        "form": EmptyForm() if full else None,
        "next_release": booking.next_release(office),
        "day": chosen_day,
        "day_slots": days.get(chosen_day, []) if chosen_day else [],
        "previous": _shift(month, -1),
        "following": _shift(month, 1),
    }
    template = "booking/slots.html"
    if request.htmx.target == "calendar" and not request.htmx.history_restore_request:
        template = "booking/_calendar.html"
    return render_template(template, **context)


def _month(value: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def _slots_page() -> str:
    """Where the hold form was: the day's slots the user was looking at."""
    return request.referrer or url_for("booking.slots", public_id=request.view_args["public_id"])


@bp.route("/<public_id>/hold", methods=["GET", "POST"])
@verified
@per_account("60 per hour")  # up to five people's applications, and retries at quota opening
@per_nik("20 per hour")  # one person, whichever account books for them
@keeps_form_when_refused(lambda message: back_with_refusal(_slots_page(), message))
def hold(public_id: str):
    """What holding a slot (or moving to it) does, then, once confirmed, the hold itself."""
    application = owned(public_id)
    if request.method == "GET":
        return _confirm_hold(application, _slot_id(request.args.get("slot")))
    if not EmptyForm().validate_on_submit():
        abort(400)
    slot_id = _slot_id(request.form.get("slot"))
    if slot_id is None:
        abort(422)
    seen = request.form.get("seen")
    if seen is None:  # not from the confirmation: say first what it does
        return redirect(url_for("booking.hold", public_id=public_id, slot=slot_id))
    if seen != application.status:
        flash(labels.STATUS_CHANGED, "error")
        return redirect(url_for("apply.overview", public_id=public_id))
    try:
        if seen == SCHEDULED:
            booking.reschedule(application, slot_id)
            flash(_("Your appointment is moved."), "success")
        else:
            booking.hold(application, slot_id)
    except booking.BookingRefused as refused:
        flash(labels.BOOKING_PROBLEMS[refused.code], "error")
        return redirect(_slots_page())
    return redirect(url_for("apply.overview", public_id=public_id))


def _confirm_hold(application, slot_id: int | None):
    overview = url_for("apply.overview", public_id=application.public_id)
    if not _bookable(application):
        return elsewhere(overview)
    offer = booking.offer(application, slot_id) if slot_id else None
    if offer is None:  # not an hour of this application's office
        slots = url_for("booking.slots", public_id=application.public_id)
        return elsewhere(slots, labels.BOOKING_PROBLEMS["not_bookable"])
    office = offices.by_id(application.office_id)
    day = offer.slot.starts_at.astimezone(booking.zone_of(office)).date()
    back = url_for(
        "booking.slots",
        public_id=application.public_id,
        month=f"{day:%Y-%m}",
        day=day.isoformat(),
        _anchor="day-slots",
    )
    moving = application.status == SCHEDULED
    problem = offer.problem or (None if offer.free else "full")
    if moving and not booking.can_move(application):
        problem = "no_reschedule"
    if problem:
        return elsewhere(
            overview if problem == "no_reschedule" else back, labels.BOOKING_PROBLEMS[problem]
        )
    return confirmation(
        "booking/_hold_confirm.html",
        "hold-confirmation",
        _("Move your appointment?") if moving else _("Hold this hour?"),
        application=application,
        office=office,
        offer=offer,
        back=back,
        held=booking.live_hold(application) if moving else None,
        fee=None if moving else applications.quote(application).total,
        pay_by=clock.now() + quota.HOLD_LIFETIME,
        form=EmptyForm(),
    )


def _slot_id(value: str | None) -> int | None:
    """The id as the slot page posts it. Signs, other digits than ASCII, and numbers no id column
    holds (the database would fail on them) are None."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


@bp.route("/<public_id>/payment-status")
@verified
def payment_status(public_id: str):
    """The bill's state as a fragment that polls itself until it is paid or expired."""
    application = owned(public_id)
    return render_template("booking/_payment.html", **booking_context(application))


@bp.route("/<public_id>/cancel-booking", methods=["GET", "POST"])
@verified
def cancel(public_id: str):
    """What cancelling a booking does (a paid fee is forfeited), then, once confirmed, the cancel
    from the status the applicant saw: a payment landed meanwhile is never forfeited unseen."""
    application = owned(public_id)
    form = EmptyForm()
    if form.validate_on_submit() and (seen := request.form.get("seen")):
        if booking.cancel(application, seen):
            flash(_("The application is cancelled. The fee is not returned."), "success")
            return redirect(url_for("main.index"))
        flash(labels.STATUS_CHANGED, "error")
        return redirect(url_for("apply.overview", public_id=public_id))
    if application.status not in (AWAITING_PAYMENT, SCHEDULED):
        return elsewhere(url_for("apply.overview", public_id=public_id))
    return confirmation(
        "booking/_cancel_confirm.html",
        "cancel-confirmation",
        _("Cancel the application?"),
        application=application,
        held=booking.live_hold(application),
        bill=booking.bill_for(application),
        form=form,
    )
