"""The application wizard: one URL per step, a full page or just the wizard region for htmx."""

import json
import re
import secrets

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from webapp import clock, labels
from webapp.documents.upload_checks import MAX_BYTES, MEDIA_TYPES
from webapp.forms.apply import (
    ReviewForm,
    answers,
    birth_date_fix,
    limit_validities,
    posted_inputs,
    readable,
    saved_form,
    shown_inputs,
    step_form,
)
from webapp.forms.auth import EmptyForm
from webapp.forms.base import without_separators
from webapp.rules import journey, nik
from webapp.rules.statuses import DRAFT, INCOMPLETE, SCHEDULED, SUBMITTED
from webapp.services import applications, audit, booking, drafts, examination, lifecycle, receipts
from webapp.services import documents as document_service
from webapp.services import proof as proofs
from webapp.services import review as counter_review
from webapp.views import current
from webapp.views.access import verified
from webapp.views.confirmations import confirmation, elsewhere
from webapp.views.errors import answers_too_large

bp = Blueprint("apply", __name__, url_prefix="/applications")
bp.app_context_processor(lambda: {"labels": labels})

FORM_STEPS = "service,passport,personal,travel"


# What the page checks a file against before sending it: the limits the server applies.
UPLOAD_LIMITS = {"max_bytes": MAX_BYTES, "media_types": MEDIA_TYPES}
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


def owned(public_id: str, with_documents: bool = False):
    """The current account's application, or 404 whether it belongs to another or to nobody.
    `with_documents`: read with its documents, for the wizard's pages (its progress needs them)."""
    if not PUBLIC_ID.fullmatch(public_id):
        abort(404)
    application = current.application(public_id, with_documents)
    if application is None:
        abort(404)
    return application


@bp.app_template_global()
def step_url(application, step: str) -> str:
    if step in ("documents", "review"):
        return url_for(f"apply.{step}", public_id=application.public_id)
    return url_for("apply.step", public_id=application.public_id, step=step)


def go_to(application, step: str | None):
    """Send the browser to a step: htmx loads it into the wizard region, others redirect."""
    url = step_url(application, step or "review")
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#wizard"})
        return response
    return redirect(url)


def render_step(application, step: str, status: int = 200, **context):
    """The wizard region alone for htmx, else the whole page that includes it."""
    template = "apply/step.html"
    wizard_only = request.htmx.target == "wizard" or request.headers.get("X-Outbox") == "1"
    if wizard_only and not request.htmx.history_restore_request:
        template = "apply/_wizard.html"
    steps = [
        (s, labels.STEP_TITLES[s], applications.can_open(application, s)) for s in journey.STEPS
    ]
    if step in FORM_STEPS.split(","):
        context.setdefault("draft", draft_base(application, step))
    page = render_template(
        template,
        application=application,
        step=step,
        steps=steps,
        step_number=journey.STEPS.index(step) + 1,
        step_title=labels.STEP_TITLES[step],
        **context,
    )
    return page, status


def draft_base(application, step: str) -> dict:
    """What a step form carries so that a later post can be merged: the version and the saved
    inputs it was rendered from, and a fresh key to apply it once."""
    saved = shown_inputs(shaped_form(step, application, saved=True)).values()
    return {
        "base_version": application.draft_version,
        "base_values": json.dumps({k: v for inputs in saved for k, v in inputs.items()}),
        "submission_key": new_submission_key(),
    }


@bp.app_template_global()
def new_submission_key() -> str:
    """A fresh key for each rendered form, so that a post sent twice is applied once."""
    return secrets.token_urlsafe(16)


def flash_cleared(saved: applications.StepSaved) -> None:
    if saved.cleared or saved.removed_documents:
        flash(
            _(
                "Because of this change, some later answers no longer applied and were removed. "
                "Please check the next steps."
            ),
            "warning",
        )


def guard(application, step: str):
    """Where to send the applicant instead, when this step cannot be opened now."""
    if application.status not in (DRAFT, SUBMITTED):
        return redirect(url_for("apply.overview", public_id=application.public_id))
    if not applications.can_open(application, step):
        flash(_("Please complete this step first."), "warning")
        return go_to(application, applications.next_step(application))
    return None


@bp.route("", methods=["POST"])
@verified
def start():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        application = applications.start(current_user.id)
    except applications.TooManyApplications:
        flash(
            _("An account can have at most 5 active applications. Finish or cancel one first."),
            "error",
        )
        return redirect(url_for("main.index"))
    return redirect(url_for("apply.step", public_id=application.public_id, step="service"))


@bp.route("/<public_id>")
@verified
def overview(public_id: str):
    application = owned(public_id)
    if application.status == DRAFT:
        return go_to(application, applications.next_step(application))
    return render_template(
        "apply/overview.html",
        **booking_context(application),
        history=audit.for_owner(current_user.id, application.id),
        owed=counter_review.owed(application),
        rejection=counter_review.rejection_for_applicant(application),
        upload_form=EmptyForm(),
        examined=examination.for_applicant(application),
        receipt=receipts.receipt_for(application),
    )


def booking_context(application) -> dict:
    """What the overview and the payment fragment show of a booking, read here, not in them."""
    return {
        "application": application,
        "held": booking.live_hold(application),
        "movable": booking.can_move(application),
        "proof": proofs.proof_for(application) if application.status == SCHEDULED else None,
    }


@bp.route(f"/<public_id>/<any({FORM_STEPS}):step>", methods=["GET", "POST"])
@verified
def step(public_id: str, step: str):
    application = owned(public_id, with_documents=True)
    sent = drafts.submission_of(
        request.form.get("submission_key"), drafts.form_content(request.form)
    )
    if request.method == "POST" and (seen := drafts.already_applied(application, sent)):
        return submission(go_to_next(application, step), "duplicate")
    if request.method == "POST" and request.htmx and not editable(application):
        return closed()
    if (elsewhere := guard(application, step)) is not None:
        return elsewhere
    if request.method == "GET":
        return render_step(application, step, form=shaped_form(step, application))
    if seen is False:  # its key already saved other answers: these are new, keep them too
        sent = None
    for _attempt in range(3):  # another device's save in between: merge again with it
        try:
            return save_posted_step(application, step, sent)
        except applications.DraftMoved:
            if sent and drafts.already_applied(application, sent):  # by a copy of this post
                return submission(go_to_next(application, step), "duplicate")
        except applications.AlreadyApplied:
            return submission(go_to_next(application, step), "duplicate")
        except lifecycle.TransitionRefused:
            if request.htmx:
                return closed()
            flash(labels.STATUS_CHANGED, "error")
            return redirect(url_for("apply.overview", public_id=public_id))
    abort(409)


def save_posted_step(application, step: str, sent: drafts.Submission | None):
    """Merge the post with saves made since its base, then validate and save it once."""
    read_version = application.draft_version
    saved = shown_inputs(shaped_form(step, application, saved=True))
    typed = as_saved_where_same(step, application, saved)
    received = drafts.receive(application, request.form, saved, typed)
    form = shaped_form(step, application, received.formdata)
    if received.conflicts:
        response = make_response(
            *render_step(
                application,
                step,
                409,
                form=form,
                conflicts={
                    name: (readable(form, name, mine), readable(form, name, theirs), mine)
                    for name, (mine, theirs) in received.conflicts.items()
                },
            )
        )
        return submission(response, "conflict")
    if not form.validate():
        applications.keep_typed(application, step, received.formdata.to_dict())
        return render_step(application, step, 422, form=form)
    # Where to go next, read before the save: its commit expires the application.
    following = go_to_next(application, step)
    saved_step = applications.save_step(
        application,
        step,
        answers(form),
        submission=sent,
        read_version=read_version,
        # A step the phone kept while offline never withdraws a submission made meanwhile.
        reopen=request.headers.get("X-Outbox") != "1",
    )
    flash_cleared(saved_step)
    response = submission(following, "applied")
    if received.merged:
        response.headers["X-Draft-Merged"] = "1"
    return response


def as_saved_where_same(step: str, application, saved: dict) -> dict:
    """The posted inputs of each field, taken as the saved ones where they mean the same (a
    phone number written 0812... that is saved as +62812...): only what differs in meaning
    merges or conflicts."""
    form = shaped_form(step, application, request.form)
    typed = posted_inputs(form, request.form)
    form.validate()  # reads each answer as it would be saved (numbers normalised, dates parsed)
    meant = answers(form)
    return {
        name: saved[name]
        if not form[name].errors and meant.get(name) == getattr(application, name, None)
        else inputs
        for name, inputs in typed.items()
    }


def shaped_form(step: str, application, formdata=None, saved: bool = False):
    """The step's form with the validity options this applicant may choose."""
    form = saved_form(step, application) if saved else step_form(step, application, formdata)
    if step == "passport":
        limit_validities(form)
    return form


def editable(application) -> bool:
    return application.status in (DRAFT, SUBMITTED)


def go_to_next(application, step: str):
    return go_to(application, journey.STEPS[journey.STEPS.index(step) + 1])


def submission(response, outcome: str):
    """Tell a phone's outbox what became of the submission it sent."""
    response = make_response(response)
    response.headers["X-Submission"] = outcome
    return response


def closed():
    """A step or upload sent for an application no longer editable: told, nothing applied."""
    message = _(
        "This application was submitted or closed meanwhile, so the answers kept on the phone "
        "were not sent. Open the application to see it."
    )
    return submission(make_response(f"<p>{escape(message)}</p>", 410), "closed")


@bp.route(f"/<public_id>/<any({FORM_STEPS}):step>/autosave", methods=["POST"])
@verified
def autosave(public_id: str, step: str):
    application = owned(public_id)
    if application.status not in (DRAFT, SUBMITTED):
        abort(409)
    applications.keep_typed(application, step, request.form.to_dict())
    form = step_form(step, application, request.form)
    if step == "passport":
        limit_validities(form)
    return render_template("apply/_autosaved.html", step=step, form=form, saved_at=clock.now())


@bp.route("/<public_id>/nik-check", methods=["POST"])
@verified
def nik_check(public_id: str):
    """The NIK's structure, and its agreement with birth date and sex, as the field is left."""
    application = owned(public_id)
    field = request.form.get("field", "nik")
    value = without_separators((request.form.get(field) or "").strip())
    sex = {"nik": request.form.get("sex"), "mother_nik": "F", "father_nik": "M"}.get(field)
    problems = []
    if value:
        problems = nik.nik_problems(
            value,
            birth_date=application.birth_date if field == "nik" else None,
            sex=sex if sex in labels.SEXES else None,
            today=clock.today(),
        )
    return render_template(
        "apply/_nik_check.html",
        value=value,
        message=labels.NIK_PROBLEMS[problems[0]] if problems else None,
        fix=birth_date_fix(application) if problems[:1] == ["birth_date_mismatch"] else None,
    )


@bp.route("/<public_id>/review", methods=["GET", "POST"])
@verified
def review(public_id: str):
    application = owned(public_id, with_documents=True)
    if (elsewhere := guard(application, "review")) is not None:
        return elsewhere
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            applications.submit(application)
        except applications.NotComplete as missing:
            return go_to(application, missing.step)
        except applications.NotVerified:
            flash(_("The application can be submitted once the NIK is verified."), "error")
            return redirect(step_url(application, "review"))
        except applications.AlreadySubmitted:
            flash(labels.ALREADY_SUBMITTED, "success")
            return redirect(url_for("apply.overview", public_id=public_id))
        except lifecycle.TransitionRefused:
            flash(labels.STATUS_CHANGED, "error")
            return redirect(url_for("apply.overview", public_id=public_id))
        flash(_("Your application is submitted. Next: choose an office and a time."), "success")
        return redirect(url_for("apply.overview", public_id=application.public_id))
    status = 422 if request.method == "POST" else 200
    return render_step(
        application, "review", status, form=form, quote=applications.quote(application)
    )


@bp.route("/<public_id>/cancel", methods=["GET", "POST"])
@verified
def cancel(public_id: str):
    """What cancelling an unbooked application does, then, once confirmed, the cancel from the
    status the applicant saw."""
    application = owned(public_id)
    form = EmptyForm()
    if form.validate_on_submit() and (seen := request.form.get("seen")):
        if seen == application.status and seen in (DRAFT, SUBMITTED):
            try:
                applications.cancel(application, "cancelled by the applicant")
                flash(_("The application is cancelled."), "success")
                return redirect(url_for("main.index"))
            except lifecycle.TransitionRefused:
                pass  # moved meanwhile, as when the status seen is not the one now
        flash(labels.STATUS_CHANGED, "error")
        return redirect(url_for("apply.overview", public_id=public_id))
    if application.status not in (DRAFT, SUBMITTED):
        return elsewhere(url_for("apply.overview", public_id=public_id))
    return confirmation(
        "apply/_cancel_confirm.html",
        "cancel-confirmation",
        _("Cancel the application?"),
        application=application,
        form=form,
    )


@bp.route("/<public_id>/documents", methods=["GET", "POST"])
@verified
def documents(public_id: str):
    application = owned(public_id, with_documents=True)
    if (elsewhere := guard(application, "documents")) is not None:
        return elsewhere
    form = EmptyForm()
    if form.validate_on_submit():
        if applications.can_open(application, "review"):
            return go_to(application, "review")
        flash(_("Upload every document before you continue."), "error")
        return render_step(application, "documents", 422, **documents_context(application))
    return render_step(application, "documents", **documents_context(application))


def documents_context(application, errors: dict | None = None) -> dict:
    return {
        "items": document_service.required_items(application),
        "upload_errors": errors or {},
        "form": EmptyForm(formdata=None),  # renders tokens only; a refused body is never read
        "upload_limits": UPLOAD_LIMITS,
    }


def _too_large_upload():
    """A file over the request's size limit: the step again, the refusal beside its item."""
    application = owned(request.view_args["public_id"], with_documents=True)
    code = request.view_args["code"]
    if request.htmx or code not in labels.DOCUMENTS or guard(application, "documents"):
        return None  # htmx shows the plain refusal beside the form that sent it
    return refused_upload(application, code, labels.UPLOAD_PROBLEMS["too_large"])


def refused_upload(application, code: str, message: str, status: int = 422):
    if request.htmx:
        return document_item(application, code, error=message), status
    context = documents_context(application, {code: message})
    return render_step(application, "documents", status, **context)


def storage_down(application, code: str):
    """Nothing could be stored: a 503, which the offline outbox keeps and sends again."""
    message = labels.UPLOAD_PROBLEMS["storage_unavailable"]
    if request.htmx:  # not swapped in: static/js/refusals.js puts the notice before the form
        title = _("The file was not saved")
        return render_template("errors/_error.html", code=503, title=title, message=message), 503
    return refused_upload(application, code, message, 503)


@bp.route("/<public_id>/documents/<code>", methods=["POST"])
@verified
@answers_too_large(_too_large_upload)
def upload_document(public_id: str, code: str):
    application = owned(public_id, with_documents=True)
    if application.status == INCOMPLETE:
        return _upload_owed(application, code)
    if request.htmx and not editable(application):
        return closed()
    if (elsewhere := guard(application, "documents")) is not None:
        return elsewhere
    if not EmptyForm().validate_on_submit():
        abort(400)
    key = request.form.get("submission_key")
    upload = request.files.get("file")
    try:
        stored = drafts.upload_once(application, code, upload.read() if upload else b"", key)
    except LookupError:
        abort(404)
    except document_service.UploadRefused as refused:
        return refused_upload(application, code, labels.UPLOAD_PROBLEMS[refused.code])
    except document_service.StorageUnavailable:
        return storage_down(application, code)
    return submission(uploaded(application, code), "applied" if stored else "duplicate")


def uploaded(application, code: str):
    """The answer to a stored upload: its item for htmx, else the documents step."""
    if request.htmx:
        return document_item(application, code)
    flash(_("%(document)s is uploaded.", document=labels.DOCUMENTS[code]), "success")
    return redirect(url_for("apply.documents", public_id=application.public_id))


def _upload_owed(application, code: str):
    """A document the office asked for, uploaded through the same path before its deadline."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    try:
        counter_review.upload_owed(application, code, upload.read() if upload else b"")
    except counter_review.ReviewRefused as refused:
        flash(str(labels.REVIEW_PROBLEMS[refused.code]), "error")
    except document_service.UploadRefused as refused:
        flash(str(labels.UPLOAD_PROBLEMS[refused.code]), "error")
    except document_service.StorageUnavailable:
        flash(str(labels.UPLOAD_PROBLEMS["storage_unavailable"]), "error")
    else:
        flash(_("%(document)s is uploaded.", document=labels.DOCUMENTS[code]), "success")
    return redirect(url_for("apply.overview", public_id=application.public_id))


@bp.route("/<public_id>/documents/<code>/<any(file,thumbnail):variant>")
@verified
def document_file(public_id: str, code: str, variant: str):
    application = owned(public_id, with_documents=True)
    document = next((d for d in application.documents if d.code == code), None)
    if document is None:
        abort(404)
    try:
        content = document_service.load(document, variant)
    except KeyError:
        abort(404)
    response = make_response(content)
    response.mimetype = "image/jpeg" if variant == "thumbnail" else document.media_type
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/<public_id>/nik-status")
@verified
def nik_status(public_id: str):
    """The registry check as a fragment that polls itself while the answer is pending."""
    return render_template("apply/_nik_status.html", application=owned(public_id))


@bp.route("/<public_id>/nik-status", methods=["POST"])
@verified
def nik_check_again(public_id: str):
    application = owned(public_id)
    if EmptyForm().validate_on_submit():
        applications.check_nik_again(application)
    if request.htmx:
        return render_template("apply/_nik_status.html", application=application)
    return redirect(request.referrer or step_url(application, "review"))


@bp.route("/<public_id>/documents/<code>/status")
@verified
def document_status(public_id: str, code: str):
    """One document item, polling itself while its quality check is pending."""
    application = owned(public_id, with_documents=True)
    if not any(d.code == code for d in application.documents):
        abort(404)
    return document_item(application, code)


def document_item(application, code: str, error: str | None = None) -> str:
    """One required document with its current upload, check state and any refusal."""
    document = next((d for d in application.documents if d.code == code), None)
    return render_template(
        "apply/_document_item.html",
        application=application,
        code=code,
        document=document,
        error=error,
        form=EmptyForm(formdata=None),
        upload_limits=UPLOAD_LIMITS,
    )
