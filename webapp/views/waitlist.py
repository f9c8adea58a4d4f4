"""The waitlist for freed places: join it from a full calendar or the waiting room's sold-out
notice, leave it, and accept the place it offers."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _

from webapp import labels
from webapp.forms.auth import EmptyForm
from webapp.services import booking, waitlist
from webapp.views.access import verified
from webapp.views.apply import owned
from webapp.views.confirmations import confirmation, elsewhere

bp = Blueprint("waitlist", __name__, url_prefix="/applications")


def _calendar(public_id: str):
    return redirect(url_for("booking.slots", public_id=public_id))


@bp.route("/<public_id>/waitlist", methods=["POST"])
@verified
def join(public_id: str):
    application = owned(public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        waitlist.join(application)
    except waitlist.WaitlistRefused as refused:
        flash(labels.WAITLIST_PROBLEMS[refused.code], "error")
        return _calendar(public_id)
    flash(_("You are on the waitlist. When a place comes free we mail you."), "success")
    return _calendar(public_id)


@bp.route("/<public_id>/waitlist/leave", methods=["POST"])
@verified
def leave(public_id: str):
    application = owned(public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if waitlist.leave(application):
        flash(_("You left the waitlist."), "success")
    return _calendar(public_id)


@bp.route("/<public_id>/waitlist/offer", methods=["GET", "POST"])
@verified
def offer(public_id: str):
    """The offered place and what accepting it does, then, once confirmed, the booking."""
    application = owned(public_id)
    overview = url_for("apply.overview", public_id=public_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            waitlist.accept(application)
        except booking.BookingRefused as refused:
            flash(labels.BOOKING_PROBLEMS[refused.code], "error")
        return redirect(overview)
    found = waitlist.open_offer(application)
    if found is None:
        return elsewhere(overview, labels.BOOKING_PROBLEMS["offer_gone"])
    entry, slot = found
    return confirmation(
        "booking/_waitlist_offer.html",
        "waitlist-offer",
        _("Take the place that came free?"),
        application=application,
        entry=entry,
        slot=slot,
        office=slot.office,
        form=form,
    )
