"""Administration: the health of the background job queues, holds per account, audit trails."""

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError

from webapp.forms.auth import EmptyForm
from webapp.services import audit, booking, job_queues
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


@bp.route("/holds")
@administrator
def holds():
    """Accounts ranked by expired and cancelled holds, for review against scalping."""
    return render_template("admin/holds.html", accounts=booking.busiest_accounts())


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
