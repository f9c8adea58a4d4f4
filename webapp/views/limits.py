"""Rate limits that hold behind carrier-grade NAT, and refused forms that keep what was typed.

Indonesian mobile carriers put thousands of phones behind one public address, so a limit per
address refuses real people. Limits are keyed by what an abuser goes after: the account (the email
typed, or the account signed in or awaiting activation) and the NIK. A limit per address remains
only on the anonymous endpoints, sized for a crowd behind one address (ADDRESS_RATE_LIMIT).

A refused request is answered with its own form again, as typed (passwords aside), with a message
in the user's language: the view says how to re-show it with `keeps_form_when_refused`.
"""

import hashlib
from collections.abc import Callable

from flask import Response, current_app, flash, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.extensions import limiter
from webapp.services.accounts import normalise_email
from webapp.views import current

REFUSED_MESSAGE = _l(
    "Too many attempts. For your security we paused this for a while: wait a few minutes and "
    "send it again. What you typed is kept, except passwords."
)


def _digest(value: str) -> str:
    # Keys live in Redis: keep NIKs, emails and reset tokens out of it.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _address_limit() -> str:
    return current_app.config["ADDRESS_RATE_LIMIT"]


def per_address(limits: str | None = None):
    """Counts POSTs per client address: only for anonymous endpoints, sized for a crowd behind
    one address (ADDRESS_RATE_LIMIT unless `limits` is given)."""
    return limiter.limit(limits or _address_limit, methods=["POST"])


def _email_key() -> str:
    return "email:" + _digest(normalise_email(request.form.get("email", "")))


def per_email(limits: str):
    """Counts POSTs per email typed in the form (the account tried), whatever the address."""
    return limiter.limit(limits, key_func=_email_key, methods=["POST"])


def _pending_account_key() -> str:
    email = current_user.email if current_user.is_authenticated else session.get("pending_email")
    return "email:" + _digest(normalise_email(email or ""))


def per_pending_account(limits: str):
    """Counts POSTs per account awaiting activation, signed in or named in this session."""
    return limiter.limit(limits, key_func=_pending_account_key, methods=["POST"])


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else "anonymous"


def per_account(limits: str):
    """Counts POSTs per signed-in account, whichever address they come from."""
    return limiter.limit(limits, key_func=_account_key, methods=["POST"])


def _nik_key() -> str:
    """The NIK of the signed-in account's application in the URL; the account's when it has none."""
    public_id = (request.view_args or {}).get("public_id", "")
    application = None
    if current_user.is_authenticated:
        application = current.application(public_id)
    if application is None or not application.nik:
        return _account_key()
    return "nik:" + _digest(application.nik)


def per_nik(limits: str):
    """Counts POSTs per NIK of the application being acted on, whichever account it is in."""
    return limiter.limit(limits, key_func=_nik_key, methods=["POST"])


def _reset_link_key() -> str:
    return "reset:" + _digest((request.view_args or {}).get("token", ""))


def per_reset_link(limits: str):
    """Counts POSTs per password reset link, that is per account."""
    return limiter.limit(limits, key_func=_reset_link_key, methods=["POST"])


def keeps_form_when_refused(render: Callable[[str], ResponseReturnValue]):
    """Mark a limited view: when a limit refuses it, render(message) answers, not an error page.

    render re-shows the posted form (Flask-WTF fills it from the request) with the message, or
    sends the user back where the form was; a page it renders is given status 429.
    """

    def mark(view: Callable) -> Callable:
        view.refused_form = render
        return view

    return mark


def with_refusal(form, message: str):
    """The posted form, unvalidated, with the refusal in its error summary."""
    form.form_errors.append(message)
    return form


def form_again(template: str, form_class, **context) -> Callable[[str], str]:
    """For keeps_form_when_refused: the page with its form as posted, and the refusal."""
    return lambda message: render_template(
        template, form=with_refusal(form_class(), message), **context
    )


def back_with_refusal(url: str, message: str) -> Response:
    """For a form with nothing typed in it (a button): back where it was, with the message."""
    flash(message, "error")
    return redirect(url)


def refused_form(endpoint: str | None) -> Callable[[str], ResponseReturnValue] | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "refused_form", None)
