"""Who may use a view. Every route declares it; a test fails on any route that does not."""

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.rules import roles

# Set in the session, to the account's session id, once its second factor has been given.
SECOND_FACTOR = "second_factor"


def _mark(view: Callable, who: str) -> Callable:
    view.access = who
    return view


def public(view: Callable) -> Callable:
    """Anyone, signed in or not."""
    return _mark(view, "public")


def signed_in(view: Callable) -> Callable:
    """Any open account, verified or not."""
    return _mark(login_required(view), "signed_in")


def verified(view: Callable) -> Callable:
    """An applicant whose email address has been confirmed: the applicant's own pages. Staff and
    administrators have none: their accounts are not applicants' (403)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.role != roles.APPLICANT:
            abort(403)
        if not current_user.is_verified:
            flash(_("Confirm your email address first."), "error")
            return redirect(url_for("auth.verify"))
        return view(*args, **kwargs)

    return _mark(login_required(wrapper), "verified")


def debug_only(view: Callable) -> Callable:
    """Developer pages that exist only when debug is on."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_app.debug:
            abort(404)
        return view(*args, **kwargs)

    return _mark(wrapper, "debug")


def second_factor_given() -> bool:
    return session.get(SECOND_FACTOR) == current_user.get_id()


def _with_second_factor(view: Callable, allowed: frozenset[str], who: str) -> Callable:
    """Accounts of the allowed roles once they gave their second factor; until then they are sent
    to give it, and every other account is refused."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.role not in allowed:
            abort(403)
        if not second_factor_given():
            return redirect(url_for("staff_auth.code"))
        return view(*args, **kwargs)

    return _mark(login_required(wrapper), who)


def administrator(view: Callable) -> Callable:
    """System administrators only, signed in with their second factor."""
    return _with_second_factor(view, frozenset({roles.ADMINISTRATOR}), "admin")


def signing_in(view: Callable) -> Callable:
    """The steps between the password and the second factor, for the accounts that have one."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not roles.needs_second_factor(current_user.role):
            abort(403)
        return view(*args, **kwargs)

    return _mark(login_required(wrapper), "signing_in")


def staff(view: Callable) -> Callable:
    """Counter officers and supervisors of an office, signed in with their second factor. The
    services they call are given the office and find nothing of any other."""
    return _with_second_factor(view, roles.OFFICE_ROLES, "staff")


def supervisor(view: Callable) -> Callable:
    """Supervisors of an office, signed in with their second factor."""
    return _with_second_factor(view, frozenset({roles.SUPERVISOR}), "supervisor")
