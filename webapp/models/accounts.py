"""Accounts (applicants, office staff, administrators), their one-time email codes, password-reset
links, the second factor of staff (a TOTP secret and single-use recovery codes), and the
append-only record of their security events."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime
from webapp.rules import roles

_OFFICE_ROLES_SQL = ", ".join(f"'{role}'" for role in sorted(roles.OFFICE_ROLES))


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Staff and supervisors belong to exactly one office; nobody else belongs to any.
        CheckConstraint(
            f"(role IN ({_OFFICE_ROLES_SQL})) = (office_id IS NOT NULL)", name="office_of_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    phone: Mapped[str] = mapped_column(String(16))  # E.164, e.g. +6281234567890
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    role: Mapped[str] = mapped_column(String(16), default=roles.APPLICANT)  # rules/roles.py
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    # Bumped on password change and closure so that every older session stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    terms_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    # The second factor of staff (rules/roles.py): the TOTP secret, encrypted; the last time step
    # accepted, so that a code is never accepted twice; wrong codes in a row, and the lock.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None]
    failed_codes: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_staff(self) -> bool:
        """A member of an office: a counter officer or a supervisor."""
        return roles.belongs_to_an_office(self.role)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.closed_at is None

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


class EmailCode(db.Model):
    """A 6-digit activation code; only its hash is kept."""

    __tablename__ = "email_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(db.Model):
    """A single-use reset link; only the token's hash is kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountDevice(db.Model):
    """A browser an account signed in from, known by the hash of a long-lived random cookie: for
    administrators to see accounts that share one device (a scalper's many accounts)."""

    __tablename__ = "account_devices"
    __table_args__ = (UniqueConstraint("account_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_hash: Mapped[str] = mapped_column(String(64), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class RecoveryCode(db.Model):
    """One of a staff member's ten single-use codes for signing in without the phone; hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountEvent(db.Model):
    """Append-only (database triggers refuse UPDATE and DELETE): a security event of an account,
    such as its creation as staff, its second factor enrolled, a recovery code used, a lock."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    event: Mapped[str] = mapped_column(String(24))  # services/staff_auth.py EVENTS
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
