"""Accounts that are never registered on the site, made from the command line: system
administrators (the first one cannot be made anywhere else), and office staff (staff_accounts)."""

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from webapp.clock import now
from webapp.extensions import db
from webapp.models import User
from webapp.rules.accounts import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    name_is_valid,
    normalise_name,
    password_problem,
)
from webapp.rules.roles import ADMINISTRATOR, STAFF, SUPERVISOR
from webapp.services.accounts import hash_password, normalise_email

PASSWORD_PROBLEMS = {
    "too_short": f"The password is too short: use at least {PASSWORD_MIN_LENGTH} characters.",
    "too_long": f"The password is too long: use at most {PASSWORD_MAX_LENGTH} characters.",
    "common": "The password is one of the most common ones: choose another.",
    "contains_email": "The password contains the email address: choose another.",
}
ROLE_NAMES = {ADMINISTRATOR: "administrator", STAFF: "staff", SUPERVISOR: "supervisor"}


class AccountRefused(Exception):
    """Nothing was changed; the message says why."""


def _valid_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountRefused(f"The email address is not valid: {error}") from error


def _valid_name(full_name: str) -> str:
    full_name = normalise_name(full_name)
    if not name_is_valid(full_name):
        raise AccountRefused("The full name is not valid: use letters, as on the KTP.")
    return full_name


def existing_account(email: str, full_name: str, role: str, office_id: int | None = None) -> bool:
    """Check the email and name. True when the address already belongs to an open account of this
    role (and office), so there is nothing to do; False when it is free; AccountRefused when
    it is invalid or belongs to an account of any other kind."""
    email, _ = _valid_email(email), _valid_name(full_name)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        return False
    if (user.role, user.office_id) == (role, office_id) and user.closed_at is None:
        return True
    raise AccountRefused(
        f"{user.email} belongs to an account that is not an open {ROLE_NAMES[role]} account"
        + (" of this office" if office_id else "")
        + "; nothing changed. Use another email address."
    )


def create_account(
    email: str, full_name: str, password: str, role: str, office_id: int | None = None
) -> User | None:
    """Add a verified account of a role that is never registered on the site (its transaction is
    the caller's to commit); None when it already exists (nothing changed)."""
    if existing_account(email, full_name, role, office_id):
        return None
    email, full_name = _valid_email(email), _valid_name(full_name)
    problem = password_problem(password, email)
    if problem is not None:
        raise AccountRefused(PASSWORD_PROBLEMS[problem.code])
    user = User(
        full_name=full_name,
        email=email,
        phone="",  # staff accounts are reached by email
        password_hash=hash_password(password),
        role=role,
        office_id=office_id,
        terms_accepted_at=now(),
        verified_at=now(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def administrator_exists(email: str, full_name: str) -> bool:
    """True when the address is already an open administrator's (see existing_account)."""
    return existing_account(email, full_name, ADMINISTRATOR)


def create_administrator(email: str, full_name: str, password: str) -> bool:
    """Make a verified administrator account; False when it already exists (nothing changed)."""
    created = create_account(email, full_name, password, ADMINISTRATOR) is not None
    db.session.commit()
    return created
