"""Developer pages: the mail written to instance/mail/. Registered only in demo mode, and answered
only when debug is on too (as `make run` has it)."""

import os
from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, current_app, render_template

from webapp.integrations.mail import stored_messages
from webapp.views.access import debug_only

bp = Blueprint("dev", __name__, url_prefix="/dev")


def _summary(name: str) -> dict:
    with open(os.path.join(current_app.config["MAIL_DIR"], name), "rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    body = message.get_body(preferencelist=("plain",))
    return {
        "name": name,
        "to": message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "text": body.get_content() if body else "",
    }


@bp.route("/mail")
@debug_only
def mail_list():
    return render_template("dev/mail.html", messages=[_summary(n) for n in stored_messages()[:50]])


@bp.route("/mail/<name>")
@debug_only
def mail_message(name: str):
    if name not in stored_messages():
        abort(404)
    return render_template("dev/mail.html", messages=[_summary(name)])
