"""The counter's service page: the applicant's answers and uploads beside their originals, the
capture, the interview and the decision; the office's list of returned documents; the proof of
rejection printed at the counter."""

from collections.abc import Callable

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels, pdf
from webapp.forms.auth import EmptyForm
from webapp.forms.service import CaptureForm, IncompleteForm, InterviewForm, JudgeForm, RejectForm
from webapp.services import documents, examination, review, screening
from webapp.views.access import staff
from webapp.views.proof import safe_number

bp = Blueprint("service", __name__, url_prefix="/counter")


def _page(visit_id: int, status: int = 200, **forms):
    try:
        file = review.service_file(current_user, visit_id)
    except review.NotFound:
        abort(404)
    forms = {
        "judge_form": JudgeForm(formdata=None),
        "capture_form": CaptureForm(obj=file.review, formdata=None),
        "interview_form": InterviewForm(notes=file.review.interview_notes, formdata=None),
        "incomplete_form": IncompleteForm(formdata=None),
        "reject_form": RejectForm(formdata=None),
        **forms,
    }
    return render_template(
        "service/page.html",
        file=file,
        labels=labels,
        examination=examination.panel(file.application),
        screening=screening.panel(file.application),
        **forms,
    ), status


@bp.route("/service/<id:visit_id>")
@staff
def page(visit_id: int):
    return _page(visit_id)


@bp.route("/documents/<id:document_id>")
@staff
def document(document_id: int):
    """An upload shown inside the page, never offered as a download."""
    try:
        found = review.document_of_office(current_user, document_id)
        content = documents.load(found, "full")
    except (review.NotFound, KeyError):
        abort(404)
    response = make_response(content)
    response.headers["Content-Type"] = found.media_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _acted(visit_id: int, form, act: Callable, done: str, form_name: str):
    """Validate the form, act on the visit's application, tell what happened."""
    if not form.validate_on_submit():
        return _page(visit_id, 422, **{form_name: form})
    try:
        act(review.application_id_of(current_user, visit_id))
    except review.NotFound:
        abort(404)
    except review.ReviewRefused as refused:
        flash(str(labels.REVIEW_PROBLEMS.get(refused.code, refused.code)), "error")
    else:
        flash(done, "success")
    return redirect(url_for("service.page", visit_id=visit_id))


@bp.route("/service/<id:visit_id>/judge", methods=["POST"])
@staff
def judge(visit_id: int):
    form = JudgeForm()
    return _acted(
        visit_id,
        form,
        lambda app_id: review.judge(
            current_user, app_id, form.code.data, form.verdict.data == "matches", form.reason.data
        ),
        _("The comparison is recorded."),
        "judge_form",
    )


@bp.route("/service/<id:visit_id>/capture", methods=["POST"])
@staff
def capture(visit_id: int):
    form = CaptureForm()
    return _acted(
        visit_id,
        form,
        lambda app_id: review.record_capture(
            current_user, app_id, form.photo_ref.data, form.fingerprints_ref.data
        ),
        _("Photo and fingerprints are recorded."),
        "capture_form",
    )


@bp.route("/service/<id:visit_id>/interview", methods=["POST"])
@staff
def interview(visit_id: int):
    form = InterviewForm()
    return _acted(
        visit_id,
        form,
        lambda app_id: review.save_interview(current_user, app_id, form.notes.data),
        _("The interview notes are saved."),
        "interview_form",
    )


@bp.route("/service/<id:visit_id>/approve", methods=["POST"])
@staff
def approve(visit_id: int):
    return _acted(
        visit_id,
        EmptyForm(),
        lambda app_id: review.approve(current_user, app_id),
        _("The application is approved."),
        "approve_form",
    )


@bp.route("/service/<id:visit_id>/incomplete", methods=["POST"])
@staff
def incomplete(visit_id: int):
    form = IncompleteForm()
    return _acted(
        visit_id,
        form,
        lambda app_id: review.mark_incomplete(current_user, app_id, form.owed.data),
        _("The application is incomplete: the applicant has 7 days to supply the documents."),
        "incomplete_form",
    )


@bp.route("/service/<id:visit_id>/reject", methods=["POST"])
@staff
def reject(visit_id: int):
    form = RejectForm()
    return _acted(
        visit_id,
        form,
        lambda app_id: review.reject(current_user, app_id, form.reason.data, form.note.data),
        _("The application is rejected."),
        "reject_form",
    )


@bp.route("/service/<id:visit_id>/rejection.pdf")
@staff
def rejection(visit_id: int):
    try:
        file = review.service_file(current_user, visit_id)
    except review.NotFound:
        abort(404)
    try:
        document = review.rejection_pdf(file.application)
    except review.NotRejected:
        flash(_("This application was not rejected: it has no proof of rejection."), "error")
        return redirect(url_for("service.page", visit_id=visit_id))
    name = f"surat-penolakan-{safe_number(file.application)}.pdf"
    return pdf.inline_response(document, name)


@bp.route("/returned")
@staff
def returned():
    rows = review.returned_documents(current_user)
    return render_template("service/returned.html", rows=rows, form=EmptyForm(), labels=labels)


@bp.route("/returned/<id:application_id>/resume", methods=["POST"])
@staff
def resume(application_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        visit = review.resume(current_user, application_id)
    except review.NotFound:
        abort(404)
    except review.ReviewRefused as refused:
        flash(str(labels.REVIEW_PROBLEMS[refused.code]), "error")
        return redirect(url_for("service.returned"))
    return redirect(url_for("service.page", visit_id=visit.id))
