"""Check-in at the office's entrance (staff only): the scan field, its answer, the queue ticket."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from webapp import labels, pdf
from webapp.forms.checkin import ScanForm
from webapp.models.types import MAX_ID
from webapp.services import checkin
from webapp.views.access import staff

bp = Blueprint("checkin", __name__, url_prefix="/counter")
ANSWER = "scan-answer"  # the region htmx swaps with the answer


@bp.route("/check-in", methods=["GET", "POST"])
@staff
def scan():
    """POST a scan: a number is given (and shown by the GET it redirects to) or the refusal is
    shown in place; htmx gets the answer region alone, anyone else the whole page."""
    form, refusal, status = ScanForm(), None, 200
    if form.validate_on_submit():
        check = checkin.walk_in if form.walk_in.data else checkin.check_in
        try:
            visit = check(current_user, form.scanned.data, form.priority_group.data or None)
        except checkin.CheckInRefused as refused:
            refusal, status = refused, 422
        else:
            return redirect(url_for("checkin.scan", visit=visit.id))
    elif form.is_submitted():
        status = 422
    arrival = _shown_arrival(request.args.get("visit", type=int))
    template = "checkin/scan.html"
    if request.htmx.target == ANSWER and not request.htmx.history_restore_request:
        template = "checkin/_answer.html"
    context = {"form": form, "refusal": refusal, "arrival": arrival, "labels": labels}
    return render_template(template, **context), status


def _shown_arrival(visit_id: int | None):
    if visit_id is None or not 0 < visit_id <= MAX_ID or request.method == "POST":
        return None
    return checkin.arrival(current_user.office_id, visit_id)


@bp.route("/visits/<id:visit_id>/ticket.pdf")
@staff
def ticket(visit_id: int):
    body = checkin.ticket_pdf(current_user.office_id, visit_id, str(get_locale()))
    if body is None:
        abort(404)
    return pdf.inline_response(body, f"ticket-{visit_id}.pdf")
