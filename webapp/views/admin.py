"""Administration: the health of the background job queues, signs of scalping, audit trails,
and the leave days that extend the national calendar."""

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError

from webapp import clock, labels
from webapp.forms.admin import LeaveDayForm
from webapp.forms.auth import EmptyForm
from webapp.i18n import long_date
from webapp.services import audit, job_queues, scalper_signals
from webapp.services import leave_days as leave_days_service
from webapp.views.access import administrator

bp = Blueprint("admin", __name__, url_prefix="/admin")

APPLICATION_NUMBER = re.compile(r"\d{1,20}")


@bp.route("/jobs")
@administrator
def jobs():
    queues, unreachable = [], False
    if current_app.config["REDIS_URL"]:
        try:
            queues = job_queues.health()
        except RedisError:
            unreachable = True
    return render_template(
        "admin/jobs.html", queues=queues, unreachable=unreachable, form=EmptyForm()
    )


@bp.route("/signals")
@administrator
def signals():
    """Accounts that look run by one hand, for review against scalping: nothing is banned."""
    return render_template(
        "admin/signals.html",
        phones=scalper_signals.shared_phones(),
        devices=scalper_signals.shared_devices(),
        niks=scalper_signals.abandoned_niks(),
        let_go=scalper_signals.holds_let_go(),
    )


@bp.route("/jobs/<queue>/retry", methods=["POST"])
@administrator
def retry(queue: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not current_app.config["REDIS_URL"]:
        return redirect(url_for("admin.jobs"))  # which says that jobs run in-process
    try:
        count = job_queues.retry_failed(queue)
    except LookupError:
        abort(404)
    except RedisError:
        return redirect(url_for("admin.jobs"))  # which says that Redis cannot be reached
    flash(_("%(count)d failed jobs were queued again.", count=count), "success")
    return redirect(url_for("admin.jobs"))


@bp.route("/history")
@administrator
def history():
    """Any application's audit trail, looked up by its application number."""
    number = "".join((request.args.get("number") or "").split())[:40]
    trail = audit.for_number(number) if APPLICATION_NUMBER.fullmatch(number) else None
    status = 404 if number and trail is None else 200
    return render_template("admin/history.html", number=number, trail=trail), status


# Leave days: the national days off an administrator extends (services/leave_days.py) -----------


@bp.route("/leave-days", methods=["GET", "POST"])
@administrator
def leave_days():
    """This year's and next year's days off, and the form to add a leave day."""
    form = LeaveDayForm()
    if form.validate_on_submit():
        try:
            added = leave_days_service.add(current_user, form.day.data, form.name.data)
        except leave_days_service.LeaveDayRefused as refused:
            form.day.errors.append(labels.LEAVE_DAY_PROBLEMS[refused.code])
        else:
            flash(_("%(day)s is added as a day off.", day=long_date(added.day)), "success")
            return redirect(url_for("admin.leave_days"))
    status = 422 if form.errors else 200
    return render_template(
        "admin/leave_days.html",
        form=form,
        days=leave_days_service.calendar(str(get_locale())),
        today=clock.today(leave_days_service.ZONE),
        remove_form=EmptyForm(),
    ), status


@bp.route("/leave-days/<id:leave_day_id>/delete", methods=["POST"])
@administrator
def delete_leave_day(leave_day_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        removed = leave_days_service.remove(current_user, leave_day_id)
    except LookupError:  # removed meanwhile, perhaps by a second click
        flash(labels.LEAVE_DAY_PROBLEMS["not_found"], "error")
    except leave_days_service.LeaveDayRefused as refused:
        flash(labels.LEAVE_DAY_PROBLEMS[refused.code], "error")
    else:
        flash(_("%(day)s is no longer a day off.", day=long_date(removed.day)), "success")
    return redirect(url_for("admin.leave_days"))
