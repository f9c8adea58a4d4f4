"""The collection desk (staff only): the receipt's QR code (or the number) scanned, and the
passport handed over to the applicant, a family member or an attorney."""

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
from flask_login import current_user

from webapp import labels
from webapp.forms.collection import CollectionScanForm, HandoverForm
from webapp.services import issuance
from webapp.views.access import staff
from webapp.views.confirmations import elsewhere
from webapp.views.passports import refusal_text

bp = Blueprint("collection", __name__, url_prefix="/counter")
ANSWER = "scan-answer"  # the region htmx swaps with the answer
# Refusals of a handover that one field of the form answers, shown beside it.
FIELD_OF = {
    "unknown_collector": "collector",
    "identity_missing": "identity_document",
    "name_missing": "full_name",
    "bad_nik": "nik",
    "relationship_missing": "relationship",
    "letter_missing": "letter_note",
}


def _scan_page(form, refusal=None, status=200):
    template = "collection/scan.html"
    if request.htmx.target == ANSWER and not request.htmx.history_restore_request:
        template = "collection/_answer.html"
    text = refusal_text(refusal) if refusal else None
    return render_template(template, form=form, refusal=refusal, refusal_text=text), status


@bp.route("/collection")
@staff
def scan():
    return _scan_page(CollectionScanForm(formdata=None))


@bp.route("/collection", methods=["POST"])
@staff
def find():
    """The application scanned, on its handover page; or the refusal beside the field."""
    form = CollectionScanForm()
    if not form.validate_on_submit():
        return _scan_page(form, status=422)
    try:
        application = issuance.find_for_collection(current_user, form.scanned.data)
    except issuance.IssuanceRefused as refused:
        return _scan_page(form, refused, 422)
    # htmx loads the whole handover page, not into the answer region.
    return elsewhere(url_for("collection.handover", application_id=application.id))


def _file(application_id: int):
    try:
        return issuance.handover_file(current_user, application_id)
    except issuance.NotFound:
        abort(404)


def _handover_page(file, form, status=200):
    return render_template("collection/handover.html", file=file, form=form, labels=labels), status


@bp.route("/collection/<id:application_id>")
@staff
def handover(application_id: int):
    return _handover_page(_file(application_id), HandoverForm(formdata=None))


@bp.route("/collection/<id:application_id>", methods=["POST"])
@staff
def collect(application_id: int):
    file = _file(application_id)
    form = HandoverForm()
    if not form.validate_on_submit():
        return _handover_page(file, form, 422)
    try:
        done = issuance.collect(
            current_user,
            application_id,
            form.collector.data,
            form.full_name.data,
            form.nik.data,
            form.relationship.data,
            form.identity_document.data,
            form.letter_note.data,
        )
    except issuance.NotFound:
        abort(404)
    except issuance.IssuanceRefused as refused:
        if refused.code in FIELD_OF:
            form[FIELD_OF[refused.code]].errors = [refusal_text(refused)]
            return _handover_page(file, form, 422)
        flash(refusal_text(refused), "error")
        return redirect(url_for("collection.handover", application_id=application_id))
    flash(
        _(
            "The passport of application %(number)s is handed over to %(name)s.",
            number=file.application.number,
            name=done.collector_name,
        ),
        "success",
    )
    return redirect(url_for("collection.scan"))
