"""The travel-ban check at the counter: its panel (self-refreshing while the list is asked), the
officer's "check again", and the supervisor's list of hits with their confirmation."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.auth import EmptyForm
from webapp.forms.screening import ConfirmHitForm
from webapp.services import screening
from webapp.views.access import staff, supervisor

bp = Blueprint("screening", __name__, url_prefix="/counter/screening")
PANEL = "screening-panel"


@bp.route("/<id:visit_id>")
@staff
def panel(visit_id: int):
    try:
        shown = screening.panel_for_visit(current_user, visit_id)
    except screening.ScreeningNotFound:
        abort(404)
    template = "screening/page.html"
    if request.htmx.target == PANEL and not request.htmx.history_restore_request:
        template = "screening/_panel.html"
    return render_template(template, screening=shown)


@bp.route("/<id:visit_id>/check-again", methods=["POST"])
@staff
def check_again(visit_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        screening.check_again(current_user, visit_id)
    except screening.ScreeningNotFound:
        abort(404)
    except screening.ScreeningRefused as refused:
        flash(str(labels.SCREENING_PROBLEMS[refused.code]), "error")
    return redirect(url_for("screening.panel", visit_id=visit_id))


@bp.route("/hits")
@supervisor
def hits():
    return render_template("screening/hits.html", hits=screening.hits_awaiting(current_user))


@bp.route("/hits/<id:visit_id>")
@supervisor
def hit(visit_id: int):
    return _hit_page(visit_id, ConfirmHitForm())


def _hit_page(visit_id: int, form: ConfirmHitForm, status: int = 200):
    try:
        found = screening.hit_awaiting(current_user, visit_id)
    except screening.ScreeningNotFound:
        abort(404)
    return render_template("screening/hit.html", hit=found, form=form), status


@bp.route("/hits/<id:visit_id>/confirm", methods=["POST"])
@supervisor
def confirm(visit_id: int):
    form = ConfirmHitForm()
    if not form.validate_on_submit():
        return _hit_page(visit_id, form, 422)
    try:
        screening.confirm_hit(current_user, visit_id, form.note.data)
    except screening.ScreeningNotFound:
        abort(404)
    except screening.ScreeningRefused as refused:
        flash(str(labels.SCREENING_PROBLEMS[refused.code]), "error")
    else:
        flash(_("The rejection is confirmed."), "success")
    return redirect(url_for("screening.hits"))
