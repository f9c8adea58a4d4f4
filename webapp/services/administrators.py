"""System administrators, made from the command line: the first one cannot be made anywhere else."""

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
from webapp.services.accounts import hash_password, normalise_email

PASSWORD_PROBLEMS = {
    "too_short": f"The password is too short: use at least {PASSWORD_MIN_LENGTH} characters.",
    "too_long": f"The password is too long: use at most {PASSWORD_MAX_LENGTH} characters.",
    "common": "The password is one of the most common ones: choose another.",
    "contains_email": "The password contains the email address: choose another.",
}


class AdministratorRefused(Exception):
    """Nothing was changed; the message says why."""


def _valid_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AdministratorRefused(f"The email address is not valid: {error}") from error


def _valid_name(full_name: str) -> str:
    full_name = normalise_name(full_name)
    if not name_is_valid(full_name):
        raise AdministratorRefused("The full name is not valid: use letters, as on the KTP.")
    return full_name


def administrator_exists(email: str, full_name: str) -> bool:
    """Check the email and name. True when the address already belongs to an open administrator
    account (nothing to do), False when it is free; AdministratorRefused when it is invalid or
    belongs to any other account."""
    email, _ = _valid_email(email), _valid_name(full_name)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        return False
    if user.role == "admin" and user.closed_at is None:
        return True
    raise AdministratorRefused(
        f"{user.email} belongs to an account that is not an open administrator account; "
        "nothing changed. Use another email address."
    )


def create_administrator(email: str, full_name: str, password: str) -> bool:
    """Make a verified administrator account; False when it already exists (nothing changed)."""
    if administrator_exists(email, full_name):
        return False
    email, full_name = _valid_email(email), _valid_name(full_name)
    problem = password_problem(password, email)
    if problem is not None:
        raise AdministratorRefused(PASSWORD_PROBLEMS[problem.code])
    db.session.add(
        User(
            full_name=full_name,
            email=email,
            phone="",  # staff accounts are reached by email
            password_hash=hash_password(password),
            role="admin",
            terms_accepted_at=now(),
            verified_at=now(),
        )
    )
    db.session.commit()
    return True
