"""Mail delivery: SMTP through Flask-Mail, or .eml files in instance/mail/ when no server is set."""

import os
import uuid

from flask import current_app
from flask_mail import Message

from webapp.clock import now
from webapp.extensions import mail


def deliver(message: Message) -> None:
    if current_app.config["MAIL_SERVER"]:
        mail.send(message)
    else:
        _write_eml(message)


def _write_eml(message: Message) -> None:
    directory = current_app.config["MAIL_DIR"]
    os.makedirs(directory, exist_ok=True)
    name = f"{now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    # Write then rename, so that a reader never sees half a message.
    temporary = os.path.join(directory, "." + name)
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(message.as_string())
    os.replace(temporary, os.path.join(directory, name))


def stored_messages() -> list[str]:
    """File names of the messages in instance/mail/, newest first (for /dev/mail)."""
    directory = current_app.config["MAIL_DIR"]
    if not os.path.isdir(directory):
        return []
    return sorted((f for f in os.listdir(directory) if f.endswith(".eml")), reverse=True)
