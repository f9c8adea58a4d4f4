"""Rate-limit keys: per client address and per account (the email being tried)."""

from flask import request, session
from flask_login import current_user

from webapp.extensions import limiter
from webapp.services.accounts import normalise_email


def _email_key() -> str:
    return "email:" + normalise_email(request.form.get("email", ""))


def _pending_account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return "pending:" + session.get("pending_email", "")


def per_ip(limits: str):
    return limiter.limit(limits, methods=["POST"])


def per_email(limits: str):
    """Counts POSTs per email typed in the form, whichever address they come from."""
    return limiter.limit(limits, key_func=_email_key, methods=["POST"])


def per_pending_account(limits: str):
    """Counts POSTs per account awaiting activation in this session."""
    return limiter.limit(limits, key_func=_pending_account_key, methods=["POST"])


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else "anonymous"


def per_account(limits: str):
    """Counts POSTs per signed-in account, whichever address they come from."""
    return limiter.limit(limits, key_func=_account_key, methods=["POST"])
