"""Receipts at the counter (staff only): the day's approved applications, one receipt on A4 or
on the 80 mm roll, and the day's batch printed as one PDF by a job whose progress the page shows.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp import labels, pdf
from webapp.forms.auth import EmptyForm
from webapp.forms.receipts import BatchForm
from webapp.jobs import enqueue_in_background
from webapp.services import receipts
from webapp.views.access import staff
from webapp.views.proof import safe_number

bp = Blueprint("receipts", __name__, url_prefix="/counter/receipts")
JOB = "webapp.jobs.receipts.render_batch"
PROGRESS = "batch-progress"  # the region that polls itself while the batch renders
NO_RECEIPT = _l(
    "This application has no receipt: it is not approved, or its passport was already collected."
)
UNREADABLE = _l("The selection could not be read. Tick the receipts and choose the paper again.")


def _enqueue(batch_id: int) -> None:
    enqueue_in_background(JOB, batch_id, timeout=receipts.BATCH_JOB_TIMEOUT)


@bp.route("")
@staff
def day():
    rows = receipts.approved_on(current_user.office_id)
    return render_template("receipts/day.html", rows=rows, form=BatchForm(), labels=labels)


@bp.route("/<id:application_id>.pdf")
@staff
def one(application_id: int):
    paper = request.args.get("paper", "a4")
    found = receipts.of_office(current_user.office_id, application_id)
    if found is None:
        abort(404)
    if paper not in receipts.PAPERS:
        flash(labels.RECEIPT_PROBLEMS["paper"], "error")
        return redirect(url_for("receipts.day"))
    try:
        document = receipts.receipt_pdf(found, paper)
    except receipts.NoReceipt:
        flash(NO_RECEIPT, "error")
        return redirect(url_for("receipts.day"))
    return pdf.inline_response(document, f"tanda-terima-{safe_number(found)}-{paper}.pdf")


@bp.route("/batches", methods=["POST"])
@staff
def start_batch():
    form = BatchForm()
    if not form.validate_on_submit():
        flash(UNREADABLE, "error")
        return redirect(url_for("receipts.day"))
    chosen = None if form.scope.data == "all" else form.application_id.data
    try:
        batch = receipts.start_batch(current_user, chosen, form.paper.data)
    except receipts.BatchRefused as refused:
        flash(labels.RECEIPT_PROBLEMS[refused.problem] % refused.context, "error")
        return redirect(url_for("receipts.day"))
    _enqueue(batch.id)
    return redirect(url_for("receipts.batch", batch_id=batch.id))


def _batch_of_office(batch_id: int):
    """The office's batch; another office's answers 404, as one that does not exist."""
    found = receipts.batch_of(current_user.office_id, batch_id)
    if found is None:
        abort(404)
    return found


@bp.route("/batches/<id:batch_id>")
@staff
def batch(batch_id: int):
    found = _batch_of_office(batch_id)
    template = "receipts/batch.html"
    if request.htmx.target == PROGRESS and not request.htmx.history_restore_request:
        template = "receipts/_progress.html"
    return render_template(
        template,
        batch=found,
        stalled=receipts.stalled(found),
        retry_form=EmptyForm(),
        labels=labels,
    )


@bp.route("/batches/<id:batch_id>.pdf")
@staff
def batch_pdf(batch_id: int):
    _batch_of_office(batch_id)
    document = receipts.batch_pdf(current_user.office_id, batch_id)
    if document is None:
        return redirect(url_for("receipts.batch", batch_id=batch_id))
    return pdf.inline_response(document, f"tanda-terima-{batch_id}.pdf")


@bp.route("/batches/<id:batch_id>/retry", methods=["POST"])
@staff
def retry(batch_id: int):
    _batch_of_office(batch_id)
    if EmptyForm().validate_on_submit() and receipts.retry(current_user.office_id, batch_id):
        _enqueue(batch_id)
    return redirect(url_for("receipts.batch", batch_id=batch_id))
