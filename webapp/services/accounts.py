"""Accounts: registration, email activation, login, password reset, password change, closure."""

import contextlib
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.clock import now
from webapp.extensions import db
from webapp.jobs import enqueue
from webapp.models import Application, EmailCode, PasswordReset, User
from webapp.rules.statuses import FINAL, SCHEDULED
from webapp.services import booking, documents

CODE_LIFETIME = timedelta(minutes=15)
CODE_MAX_FAILURES = 5
CODE_RESEND_INTERVAL = timedelta(minutes=1)
CODE_SENDS_PER_HOUR = 5
RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 5


class ResendRefused(Exception):
    """A code was asked for too soon or too often; wait_seconds says how long to wait."""

    def __init__(self, wait_seconds: int):
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


class CodeOutcome(enum.Enum):
    VERIFIED = "verified"
    ALREADY_VERIFIED = "already_verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CODE = "no_code"


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    attempts_left: int = 0


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# Registration -------------------------------------------------------------------------------


def register(*, full_name: str, email: str, phone: str, password: str, locale: str) -> None:
    """Open an account and mail its activation code.

    The answer is the same whether or not the email is taken, so that registration cannot be
    used to learn who has an account: the owner of a taken address is told by mail instead.
    An unverified account is taken over by whoever registers again, since nobody proved it.
    """
    email = normalise_email(email)
    user = find_by_email(email)
    if user is not None and (user.is_verified or user.closed_at is not None):
        enqueue("webapp.jobs.mail.send_account_email", user.id, "already_registered", queue="mail")
        return
    if user is None:
        user = User(email=email)
        db.session.add(user)
    user.full_name = full_name
    user.phone = phone
    user.password_hash = hash_password(password)
    user.locale = locale
    user.terms_accepted_at = now()
    try:
        db.session.commit()
    except IntegrityError:  # the same address registered at the same instant
        db.session.rollback()
        return
    with contextlib.suppress(ResendRefused):  # the code sent moments ago is still valid
        send_activation_code(user)


def send_activation_code(user: User) -> None:
    """Issue a fresh code (voiding earlier ones) and mail it; raises ResendRefused when too soon."""
    current = now()
    recent = db.session.scalars(
        select(EmailCode.created_at)
        .where(EmailCode.user_id == user.id, EmailCode.created_at > current - timedelta(hours=1))
        .order_by(EmailCode.created_at)
    ).all()
    if recent and current - recent[-1] < CODE_RESEND_INTERVAL:
        raise ResendRefused(_seconds_until(recent[-1] + CODE_RESEND_INTERVAL))
    if len(recent) >= CODE_SENDS_PER_HOUR:
        raise ResendRefused(_seconds_until(recent[0] + timedelta(hours=1)))
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        EmailCode(
            user_id=user.id,
            code_hash=code_hash(user.id, code),
            created_at=current,
            expires_at=current + CODE_LIFETIME,
        )
    )
    db.session.commit()
    enqueue(
        "webapp.jobs.mail.send_account_email", user.id, "activation_code", queue="mail", code=code
    )


def check_activation_code(email: str, code: str) -> CodeCheck:
    """Activate the account when the latest code matches; every wrong try counts, atomically."""
    user = find_by_email(email)
    if user is None:
        return CodeCheck(CodeOutcome.NO_CODE)
    if user.is_verified:
        return CodeCheck(CodeOutcome.ALREADY_VERIFIED)
    latest = db.session.scalar(
        select(EmailCode).where(EmailCode.user_id == user.id).order_by(EmailCode.id.desc())
    )
    if latest is None or latest.used_at is not None:
        return CodeCheck(CodeOutcome.NO_CODE)
    if latest.failed_attempts >= CODE_MAX_FAILURES:
        return CodeCheck(CodeOutcome.LOCKED)
    if latest.expires_at <= now():
        return CodeCheck(CodeOutcome.EXPIRED)
    if not hmac.compare_digest(latest.code_hash, code_hash(user.id, code)):
        return _count_failure(latest.id)
    claimed = db.session.execute(
        update(EmailCode)
        .where(
            EmailCode.id == latest.id,
            EmailCode.used_at.is_(None),
            EmailCode.failed_attempts < CODE_MAX_FAILURES,
        )
        .values(used_at=now())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return CodeCheck(CodeOutcome.LOCKED)
    user.verified_at = now()
    db.session.commit()
    return CodeCheck(CodeOutcome.VERIFIED)


def _count_failure(code_id: int) -> CodeCheck:
    db.session.execute(
        update(EmailCode)
        .where(EmailCode.id == code_id)
        .values(failed_attempts=EmailCode.failed_attempts + 1)
    )
    db.session.commit()
    failures = db.session.scalar(select(EmailCode.failed_attempts).where(EmailCode.id == code_id))
    if failures >= CODE_MAX_FAILURES:
        return CodeCheck(CodeOutcome.LOCKED)
    return CodeCheck(CodeOutcome.WRONG, attempts_left=CODE_MAX_FAILURES - failures)


# Login and passwords ------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The open account with this email and password, or None. Takes as long either way."""
    user = find_by_email(email)
    if user is None or user.closed_at is not None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Set a new password when the current one is right; every other session is signed out."""
    if not check_password_hash(user.password_hash, current_password):
        return False
    _set_password(user, new_password)
    db.session.commit()
    enqueue("webapp.jobs.mail.send_account_email", user.id, "password_changed", queue="mail")
    return True


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link to an open account; silent for unknown addresses."""
    user = find_by_email(email)
    if user is None or user.closed_at is not None:
        return
    current = now()
    sent_last_hour = db.session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id,
            PasswordReset.created_at > current - timedelta(hours=1),
        )
    )
    if sent_last_hour >= RESETS_PER_HOUR:
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=current,
            expires_at=current + RESET_LIFETIME,
        )
    )
    db.session.commit()
    enqueue(
        "webapp.jobs.mail.send_account_email", user.id, "password_reset", queue="mail", token=token
    )


def reset_link_is_valid(token: str) -> bool:
    return _usable_reset(token) is not None


def reset_password(token: str, new_password: str) -> bool:
    """Use a reset link once: the first valid use wins, replays and expired links fail."""
    reset = _usable_reset(token)
    if reset is None:
        return False
    current = now()
    # Claim every open link of the account at once: one use spends them all.
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == reset.user_id, PasswordReset.used_at.is_(None))
        .values(used_at=current)
    ).rowcount
    if claimed < 1:
        db.session.rollback()
        return False
    user = db.session.get(User, reset.user_id)
    _set_password(user, new_password)
    user.verified_at = user.verified_at or current  # the link proved the mailbox
    db.session.commit()
    enqueue("webapp.jobs.mail.send_account_email", user.id, "password_changed", queue="mail")
    return True


def _usable_reset(token: str) -> PasswordReset | None:
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token or ""))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= now():
        return None
    user = db.session.get(User, reset.user_id)
    return reset if user.closed_at is None else None


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1


# Preferences and closure --------------------------------------------------------------------


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


class ClosureOutcome(enum.Enum):
    CLOSED = "closed"
    WRONG_PASSWORD = "wrong_password"
    FORFEIT_CHANGED = "forfeit_changed"  # a payment landed since the page stated the fees


CLOSURE_REASON = "account closed by its owner"


def close_account(user: User, password: str, reason: str, *, forfeit_shown: int) -> ClosureOutcome:
    """Close the account when the password is right: login stops, records stay.

    In the same transaction every application that can still be cancelled is, through the same
    moves as a cancel by hand: drafts and submitted ones free their NIK and place at once, held
    places return to the quota and their bills become void, and scheduled appointments are
    cancelled with their fee forfeited. That fee must be the one the owner was shown
    (forfeit_shown); if a payment landed meanwhile, nothing is closed and the page says so again.
    The account row is claimed first (lifecycle's lock order), so a hold made at the same
    instant either comes before and is cancelled here, or comes after and is refused.
    """
    if not check_password_hash(user.password_hash, password):
        return ClosureOutcome.WRONG_PASSWORD
    user_id = user.id
    claimed = db.session.execute(
        update(User)
        .where(User.id == user_id, User.closed_at.is_(None))
        .values(closed_at=now(), closed_reason=reason, session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:  # closed meanwhile, from another device
        db.session.rollback()
        return ClosureOutcome.CLOSED
    cancellable = db.session.scalars(
        select(Application)
        .where(Application.account_id == user_id, Application.status.in_(booking.CANCELLABLE))
        .order_by(Application.id)
    ).all()
    forfeited = 0
    for application in cancellable:
        if booking.withdraw(application, actor_id=user_id, reason=CLOSURE_REASON) == SCHEDULED:
            forfeited += booking.bill_for(application).amount
    if forfeited != forfeit_shown:
        db.session.rollback()
        return ClosureOutcome.FORFEIT_CHANGED
    db.session.commit()
    for application_id in _ended_applications(user_id):
        documents.delete_uploads_of_ended(application_id)
    enqueue("webapp.jobs.mail.send_account_email", user_id, "account_closed", queue="mail")
    return ClosureOutcome.CLOSED


def _ended_applications(account_id: int) -> list[int]:
    return db.session.scalars(
        select(Application.id).where(
            Application.account_id == account_id, Application.status.in_(FINAL)
        )
    ).all()


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: "<id>.<session_version>", so older sessions stop matching."""
    user_id, _, version = (session_id or "").partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or user.closed_at is not None:
        return None
    return user


def code_hash(user_id: int, code: str) -> str:
    """A one-time code of an account (emailed, or a recovery code), keyed with SECRET_KEY: short
    codes hashed plainly would be found from a copy of the database by trying them all."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"code:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """What is kept of a single-use link's token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def _seconds_until(moment) -> int:
    return max(1, int((moment - now()).total_seconds()) + 1)
