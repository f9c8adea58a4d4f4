"""Printing the passports (staff only): the office's approved applications to print, with its
e-passport stock, and the printed ones to mark ready for pickup."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from webapp import labels
from webapp.forms.auth import EmptyForm
from webapp.forms.collection import SelectedForm
from webapp.services import issuance
from webapp.views.access import staff

bp = Blueprint("passports", __name__, url_prefix="/counter")


def refusal_text(refused: issuance.IssuanceRefused) -> str:
    """A refusal as the officer reads it, with the status or office it names."""
    context = refused.context
    status = context.get("status")
    return str(labels.ISSUANCE_PROBLEMS[refused.code]) % {
        "status": labels.STATUSES.get(status, status or ""),
        "office": context.get("office_name", ""),
    }


@bp.route("/passports")
@staff
def queue():
    return render_template(
        "passports/queue.html",
        queue=issuance.queue(current_user),
        form=SelectedForm(formdata=None),
        labels=labels,
    )


def _acted(application_id: int, act, done: str):
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired. Please submit it again."), "error")
        return redirect(url_for("passports.queue"))
    try:
        number = act(current_user, application_id)
    except issuance.NotFound:
        abort(404)
    except issuance.IssuanceRefused as refused:
        flash(refusal_text(refused), "error")
    else:
        flash(done(number), "success")
    return redirect(url_for("passports.queue"))


@bp.route("/passports/<id:application_id>/printed", methods=["POST"])
@staff
def printed(application_id: int):
    return _acted(
        application_id,
        issuance.mark_printed,
        lambda number: _("The passport of application %(number)s is printed.", number=number),
    )


@bp.route("/passports/<id:application_id>/ready", methods=["POST"])
@staff
def ready(application_id: int):
    return _acted(
        application_id,
        issuance.mark_ready,
        lambda number: _(
            "The passport of application %(number)s is ready for pickup; the applicant is mailed.",
            number=number,
        ),
    )


SHOWN_NUMBERS = 10  # numbers a message names, of those refused for one reason


def _selected(act, done):
    """Mark every ticked passport, then tell how many were marked and why any were not."""
    form = SelectedForm()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            expired = name == "csrf_token"
            flash(_("The form expired. Please submit it again.") if expired else errors[0], "error")
        return redirect(url_for("passports.queue"))
    outcomes = issuance.mark_selected(current_user, form.application_id.data, act)
    marked = [o.number for o in outcomes if o.number and o.refused is None]
    if marked:
        flash(done(len(marked)), "success")
    refused: dict[str, list] = {}
    for outcome in outcomes:
        if outcome.refused is not None:
            refused.setdefault(refusal_text(outcome.refused), []).append(outcome.number)
    for text, numbers in refused.items():
        named = ", ".join(numbers[:SHOWN_NUMBERS]) + (" …" if len(numbers) > SHOWN_NUMBERS else "")
        flash(f"{text} ({named})", "error")
    return redirect(url_for("passports.queue"))


@bp.route("/passports/printed", methods=["POST"])
@staff
def printed_selected():
    return _selected(
        issuance.mark_printed,
        lambda count: ngettext(
            "%(num)d passport is marked printed.", "%(num)d passports are marked printed.", count
        ),
    )


@bp.route("/passports/ready", methods=["POST"])
@staff
def ready_selected():
    return _selected(
        issuance.mark_ready,
        lambda count: ngettext(
            "%(num)d passport is marked ready for pickup; its applicant is mailed.",
            "%(num)d passports are marked ready for pickup; their applicants are mailed.",
            count,
        ),
    )
