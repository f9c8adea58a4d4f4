"""The second factor of staff, supervisors and administrators (rules/roles.py): TOTP enrolment
with a QR code, codes accepted once only, single-use recovery codes, the lock after wrong codes,
and the account's append-only security events.

Every check locks the account row first (services/lifecycle.py's lock order starts there), so
that two requests with the same code, or wrong codes sent at once, are judged one after the other:
a code is accepted once, and every wrong one counts.
"""

import base64
import enum
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
import segno
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import func, select, update

from webapp import clock
from webapp.extensions import db
from webapp.models import AccountEvent, RecoveryCode, User
from webapp.services import lifecycle, offices
from webapp.services.accounts import code_hash

ISSUER = "M-Paspor"
# A recovery code is longer, so what is typed tells which one it is.
_TOTP_CODE = re.compile(r"[0-9]{6}")
VALID_WINDOW = 1  # the step before and after the current one: phone clocks drift
FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=30)
RECOVERY_CODE_COUNT = 10
# Recovery codes are read off paper: no 0/o, 1/l/i to confuse.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-]+")
_ZONE_WITHOUT_OFFICE = "Asia/Jakarta"  # administrators are national: WIB

# What account_events records.
CREATED = "created"  # a staff account, by `flask create-staff` or the demo data
ENROLLED = "enrolled"
RECOVERY_CODES_MADE = "recovery_codes_made"
RECOVERY_CODE_USED = "recovery_code_used"
LOCKED = "locked"
EVENTS = (CREATED, ENROLLED, RECOVERY_CODES_MADE, RECOVERY_CODE_USED, LOCKED)


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    RECOVERY_USED = "recovery_used"  # accepted, with one of the recovery codes
    WRONG = "wrong"
    REPLAYED = "replayed"  # the code of a time step already used: refused, and counted
    LOCKED = "locked"
    NOT_ENROLLING = "not_enrolling"  # enrolment confirmed already (another tab, say)


@dataclass(frozen=True)
class CodeCheck:
    outcome: Outcome
    attempts_left: int = 0
    locked_until: datetime | None = None
    recovery_codes: tuple[str, ...] = ()  # shown once, when an enrolment is confirmed
    recovery_codes_left: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome in (Outcome.ACCEPTED, Outcome.RECOVERY_USED)


@dataclass(frozen=True)
class Enrolment:
    key: str  # the secret in groups of four, for typing into the app
    qr_svg: str  # inline SVG, no size and no style: sized by the page's CSS


# The secret -----------------------------------------------------------------------------------


@cache
def _fernet(secret_key: str) -> Fernet:
    # The TOTP secret must be read back to check a code, so it cannot be hashed like a password;
    # encrypted, a copy of the database alone makes no codes. The key comes from SECRET_KEY, not
    # from one more setting to keep, through HKDF with a purpose of its own, so that it is never
    # the key that signs sessions. Changing SECRET_KEY therefore means enrolling again.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"mpaspor totp secret"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(secret: str) -> str:
    return _fernet(current_app.config["SECRET_KEY"]).encrypt(secret.encode()).decode()


def _secret_of(user: User) -> str:
    return _fernet(current_app.config["SECRET_KEY"]).decrypt(user.totp_secret.encode()).decode()


def enrolled(user: User, secret: str) -> None:
    """Give an account a second factor already confirmed (the demo staff's published one)."""
    user.totp_secret = encrypt_secret(secret)
    user.totp_enrolled_at = clock.now()


def enrolment(user: User) -> Enrolment:
    """The secret being enrolled, as a QR code and as text: made on the first visit and kept until
    it is confirmed, so that a reload shows the QR code the phone may have scanned already."""
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.totp_secret.is_(None))
        .values(totp_secret=encrypt_secret(pyotp.random_base32()))
    )
    db.session.commit()
    db.session.refresh(user)
    secret = _secret_of(user)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m", micro=False)
    return Enrolment(
        key=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr_svg=qr.svg_inline(
            border=4, light="#fff", omitsize=True, svgclass="qr-code", lineclass=None
        ),
    )


# Checking codes --------------------------------------------------------------------------------


def confirm_enrolment(user_id: int, typed: str) -> CodeCheck:
    """Confirm the secret being enrolled with a current code; then make the recovery codes."""
    user = _locked(user_id)
    if user.totp_enrolled_at is not None or user.totp_secret is None:
        db.session.rollback()
        return CodeCheck(Outcome.NOT_ENROLLING)
    if _is_locked(user):
        return _refuse_while_locked(user)
    step = _matching_step(_secret_of(user), typed)
    if step is None:
        return _count_failure(user, Outcome.WRONG)
    _accept(user, step)
    user.totp_enrolled_at = clock.now()
    record(user.id, ENROLLED)
    codes = _new_recovery_codes(user)
    db.session.commit()
    return CodeCheck(Outcome.ACCEPTED, recovery_codes=codes)


def check_code(user_id: int, typed: str) -> CodeCheck:
    """Judge a code from the app, or a recovery code, typed after the password."""
    user = _locked(user_id)
    if _is_locked(user):
        return _refuse_while_locked(user)
    typed = _SEPARATORS.sub("", typed or "").lower()
    if _TOTP_CODE.fullmatch(typed):
        step = _matching_step(_secret_of(user), typed)
        if step is None:
            return _count_failure(user, Outcome.WRONG)
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return _count_failure(user, Outcome.REPLAYED)
        _accept(user, step)
        db.session.commit()
        return CodeCheck(Outcome.ACCEPTED)
    if not _use_recovery_code(user, typed):
        return _count_failure(user, Outcome.WRONG)
    _accept(user, user.totp_last_step)
    left = _recovery_codes_left(user.id)
    record(user.id, RECOVERY_CODE_USED, detail=f"{left} left")
    db.session.commit()
    return CodeCheck(Outcome.RECOVERY_USED, recovery_codes_left=left)


def current_lock(user: User) -> datetime | None:
    """Until when the account is locked, if it is now."""
    return user.locked_until if _is_locked(user) else None


def zone_of(user: User) -> str:
    """The time zone the account's times are told in: its office's, else WIB."""
    office = offices.by_id(user.office_id) if user.office_id else None
    return office.timezone if office else _ZONE_WITHOUT_OFFICE


def _locked(user_id: int) -> User:
    return db.session.scalar(lifecycle.locking(select(User).where(User.id == user_id)))


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


def _refuse_while_locked(user: User) -> CodeCheck:
    db.session.rollback()
    return CodeCheck(Outcome.LOCKED, locked_until=user.locked_until)


def _matching_step(secret: str, typed: str) -> int | None:
    """The time step whose code was typed, within the window around now."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(clock.now())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), typed.encode()):
            return step
    return None


def _accept(user: User, step: int | None) -> None:
    user.totp_last_step = step
    user.failed_codes = 0
    user.locked_until = None


def _count_failure(user: User, outcome: Outcome) -> CodeCheck:
    user.failed_codes += 1
    if user.failed_codes < FAILURES_BEFORE_LOCK:
        left = FAILURES_BEFORE_LOCK - user.failed_codes
        db.session.commit()
        return CodeCheck(outcome, attempts_left=left)
    # The lock gives the next five tries after it, not one.
    user.failed_codes = 0
    user.locked_until = until = clock.now() + LOCK_DURATION
    record(user.id, LOCKED, detail=f"{FAILURES_BEFORE_LOCK} wrong codes in a row")
    db.session.commit()
    return CodeCheck(Outcome.LOCKED, locked_until=until)


# Recovery codes and events ----------------------------------------------------------------------


def _recovery_hash(user_id: int, code: str) -> str:
    return code_hash(user_id, f"recovery:{code}")


def _new_recovery_codes(user: User) -> tuple[str, ...]:
    codes = tuple(
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    )
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, code)) for code in codes
    )
    record(user.id, RECOVERY_CODES_MADE, detail=f"{RECOVERY_CODE_COUNT} codes")
    half = _RECOVERY_LENGTH // 2
    return tuple(f"{code[:half]}-{code[half:]}" for code in codes)


def _use_recovery_code(user: User, typed: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(user.id, typed),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
    ).rowcount
    return used == 1


def _recovery_codes_left(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    )


def record(user_id: int, event: str, *, detail: str | None = None) -> None:
    """Add a security event to the account's record, in the caller's transaction."""
    db.session.add(AccountEvent(user_id=user_id, event=event, detail=detail, at=clock.now()))


def events_of(user_id: int) -> list[tuple[str, str | None]]:
    """The account's security events, oldest first: (event, detail)."""
    rows = db.session.execute(
        select(AccountEvent.event, AccountEvent.detail)
        .where(AccountEvent.user_id == user_id)
        .order_by(AccountEvent.id)
    )
    return [tuple(row) for row in rows]
