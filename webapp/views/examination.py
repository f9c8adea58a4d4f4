"""The examination report (BAP) and the suspension for negligence, recorded at the counter: the
panel the service page includes, a page of its own showing it, and the two forms' posts."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.auth import EmptyForm
from webapp.forms.examination import ReportForm, SuspensionForm
from webapp.services import examination
from webapp.views.access import staff

bp = Blueprint("examination", __name__, url_prefix="/counter/examination")


def blank_forms() -> dict:
    # Prefixed: the service page holds other forms, and ids must stay unique.
    return {"report_form": ReportForm(prefix="bap"), "suspension_form": SuspensionForm(prefix="sp")}


@bp.app_context_processor
def _panel_forms() -> dict:
    """The panel's forms, made only when a template that includes the panel asks for them."""
    return {"examination_forms": blank_forms}


def _panel_of(application_id: int) -> examination.Panel | None:
    try:
        return examination.for_office(current_user, application_id)
    except examination.ApplicationNotFound:
        abort(404)


def _page(application_id: int, status: int = 200, **forms):
    panel = _panel_of(application_id)
    return render_template("examination/page.html", examination=panel, **forms), status


@bp.route("/<id:application_id>")
@staff
def page(application_id: int):
    return _page(application_id)


def _back(application_id: int):
    """To the counter's service page when it is there, else to this panel's own page."""
    panel = _panel_of(application_id)
    serving = panel.serving_visit_id if panel is not None else None
    if serving is not None and "service.page" in current_app.view_functions:
        return redirect(url_for("service.page", visit_id=serving))
    return redirect(url_for("examination.page", application_id=application_id))


def _recorded(application_id: int, record, said: str):
    try:
        record()
    except examination.ApplicationNotFound:
        abort(404)
    except examination.ExaminationRefused as refused:
        flash(str(labels.EXAMINATION_PROBLEMS[refused.code]), "error")
    else:
        flash(said, "success")
    return _back(application_id)


@bp.route("/<id:application_id>/report", methods=["POST"])
@staff
def record_report(application_id: int):
    form = ReportForm(prefix="bap")
    if not form.validate_on_submit():
        return _page(application_id, 422, report_form=form)
    report = examination.Report(
        account=form.account.data,
        happened_on=form.happened_on.data,
        happened_where=form.happened_where.data,
        police_report_number=form.police_report_number.data,
        kelurahan_letter_number=form.kelurahan_letter_number.data,
    )
    return _recorded(
        application_id,
        lambda: examination.record_report(current_user, application_id, report),
        _("The examination report is recorded."),
    )


@bp.route("/<id:application_id>/suspension", methods=["POST"])
@staff
def record_suspension(application_id: int):
    form = SuspensionForm(prefix="sp")
    if not form.validate_on_submit():
        return _page(application_id, 422, suspension_form=form)
    return _recorded(
        application_id,
        lambda: examination.record_suspension(
            current_user, application_id, form.months.data, form.reason.data
        ),
        _("The suspension is recorded."),
    )


@bp.route("/<id:application_id>/fine/reissue", methods=["POST"])
@staff
def reissue_fine(application_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _recorded(
        application_id,
        lambda: examination.reissue_fine(current_user, application_id),
        _("A new billing code for the fine is made and mailed to the applicant."),
    )
