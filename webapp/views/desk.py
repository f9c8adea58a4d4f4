"""The counter desk: open a counter for some lanes, call the next number, recall it, mark it not
present, start the service, close the counter. Plain POST and redirect; keys for each button
(static/js/desk.js)."""

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.auth import EmptyForm
from webapp.forms.desk import OpenCounterForm, VisitForm
from webapp.rules import visits
from webapp.services import calling
from webapp.views.access import staff

bp = Blueprint("desk", __name__, url_prefix="/counter")


def _refusal(refused: calling.CallingRefused) -> str:
    return str(labels.CALLING_PROBLEMS[refused.code]) % refused.values


@bp.route("/desk")
@staff
def desk():
    at_desk = calling.desk(current_user)
    open_form = OpenCounterForm() if at_desk is None else None
    return render_template("desk/desk.html", desk=at_desk, open_form=open_form)


@bp.route("/open", methods=["POST"])
@staff
def open_counter():
    form = OpenCounterForm()
    if not form.validate_on_submit():
        return render_template("desk/desk.html", desk=None, open_form=form), 422
    try:
        calling.open_counter(current_user, form.counter_number.data, form.lanes.data)
    except calling.CallingRefused as refused:
        flash(_refusal(refused), "error")
    return redirect(url_for("desk.desk"))


@bp.route("/close", methods=["POST"])
@staff
def close_counter():
    if not EmptyForm().validate_on_submit():
        abort(400)
    calling.close_counter(current_user)
    flash(_("The counter is closed."), "success")
    return redirect(url_for("desk.desk"))


@bp.route("/call-next", methods=["POST"])
@staff
def call_next():
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _acted(
        lambda: calling.call_next(current_user),
        lambda visit: _("Number %(ticket)s is called.", ticket=visit.ticket),
    )


def _on_visit(action: Callable, done: str):
    form = VisitForm()
    visit_id = form.visit() if form.validate_on_submit() else None
    if visit_id is None:
        abort(400)
    try:
        return _acted(lambda: action(current_user, visit_id), done)
    except calling.VisitNotFound:
        abort(404)


def _acted(act: Callable, done: str):
    try:
        visit = act()
    except calling.CallingRefused as refused:
        flash(_refusal(refused), "error")
    else:
        flash(done(visit), "success")
    return redirect(url_for("desk.desk"))


@bp.route("/recall", methods=["POST"])
@staff
def recall():
    return _on_visit(
        calling.recall, lambda visit: _("Number %(ticket)s is called again.", ticket=visit.ticket)
    )


@bp.route("/not-present", methods=["POST"])
@staff
def not_present():
    return _on_visit(calling.not_present, _not_present_said)


def _not_present_said(visit) -> str:
    if visit.status == visits.ABSENT:
        return _("Number %(ticket)s was not present again: it has lapsed.", ticket=visit.ticket)
    return _(
        "Number %(ticket)s was not present: it goes to the back of the line.", ticket=visit.ticket
    )


@bp.route("/start-service", methods=["POST"])
@staff
def start_service():
    return _on_visit(
        calling.start_service,
        lambda visit: _("Service started for number %(ticket)s.", ticket=visit.ticket),
    )
