"""Passport applications, their uploaded documents, and the audit trail of their statuses."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime
from webapp.rules.statuses import FINAL

MAX_ACTIVE_PER_ACCOUNT = 5
_FINAL_SQL = ", ".join(f"'{status}'" for status in sorted(FINAL))
_ACTIVE = text(f"status NOT IN ({_FINAL_SQL})")
_VISIT_DONE = text("entity = 'visit' AND to_status = 'done'")
_ACTIVE_VERIFIED = text(f"status NOT IN ({_FINAL_SQL}) AND nik_status = 'verified'")


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        # A verified NIK has at most one active application in the whole system. Unverified
        # drafts do not claim their NIK, so nobody can block a neighbour's by typing it; the
        # second to verify is refused here, by the database.
        Index(
            "uq_applications_verified_nik",
            "nik",
            unique=True,
            postgresql_where=_ACTIVE_VERIFIED,
            sqlite_where=_ACTIVE_VERIFIED,
        ),
        # Each active application takes one of the account's five places: the database refuses
        # a sixth however many requests arrive at once.
        Index(
            "uq_applications_active_place",
            "account_id",
            "place",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        CheckConstraint(f"place BETWEEN 1 AND {MAX_ACTIVE_PER_ACCOUNT}", name="place_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)  # what URLs show
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # given at submission
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    place: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Step "service": service and application type.
    for_self: Mapped[bool | None]
    service: Mapped[str | None] = mapped_column(String(10))  # regular | express
    application_type: Mapped[str | None] = mapped_column(String(12))  # new | replacement
    replacement_reason: Mapped[str | None] = mapped_column(String(16))
    # Step "passport": who applies and which passport.
    birth_date: Mapped[date | None] = mapped_column(Date)
    marital_status: Mapped[str | None] = mapped_column(String(10))
    passport_kind: Mapped[str | None] = mapped_column(String(12))  # ordinary | electronic
    validity_years: Mapped[int | None]
    # Step "personal": data as on the KTP.
    nik: Mapped[str | None] = mapped_column(String(16))
    full_name: Mapped[str | None] = mapped_column(String(120))
    birth_place: Mapped[str | None] = mapped_column(String(60))
    sex: Mapped[str | None] = mapped_column(String(1))  # M | F
    address: Mapped[str | None] = mapped_column(Text)
    occupation: Mapped[str | None] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(16))
    mother_name: Mapped[str | None] = mapped_column(String(120))
    father_name: Mapped[str | None] = mapped_column(String(120))
    mother_nik: Mapped[str | None] = mapped_column(String(16))
    father_nik: Mapped[str | None] = mapped_column(String(16))
    name_changed: Mapped[bool | None]
    naturalised: Mapped[bool | None]
    old_passport_number: Mapped[str | None] = mapped_column(String(12))
    old_passport_issue_date: Mapped[date | None] = mapped_column(Date)
    # Step "travel": the PERDIM questionnaire.
    travel_purpose: Mapped[str | None] = mapped_column(String(16))
    destination_country: Mapped[str | None] = mapped_column(String(60))
    address_abroad: Mapped[str | None] = mapped_column(Text)
    stay_length: Mapped[str | None] = mapped_column(String(16))
    emergency_name: Mapped[str | None] = mapped_column(String(120))
    emergency_phone: Mapped[str | None] = mapped_column(String(16))
    # Booking: the office chosen, and the one reschedule the rules allow.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refund_review: Mapped[bool] = mapped_column(default=False)
    # Step "review".
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Verification against the population registry, beside the status. The version counts the
    # changes of NIK, name or birth date, so that a late answer about older data is never applied.
    nik_status: Mapped[str | None] = mapped_column(String(12))  # pending|verified|mismatch|...
    nik_reason: Mapped[str | None] = mapped_column(String(60))
    nik_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nik_check_version: Mapped[int] = mapped_column(default=0)
    holds_valid_passport: Mapped[bool | None]

    # What was typed but not yet accepted, per field, so that nothing typed is ever lost.
    pending_inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    # One more with every saved step: an answer sent from an older copy of a step is merged
    # against the version it was based on instead of overwriting what was saved since.
    draft_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    documents: Mapped[list["Document"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Document.id"
    )


class Document(db.Model):
    """The current upload for one required item; a re-upload replaces it."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("application_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    code: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    pages: Mapped[int | None]
    check_status: Mapped[str] = mapped_column(String(16), default="pending")
    check_problem: Mapped[str | None] = mapped_column(String(32))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    application: Mapped[Application] = relationship(back_populates="documents")


class StepSubmission(db.Model):
    """A submission key applied once: a step or an upload sent again (a phone's outbox replaying
    after a lost answer) finds its key here and changes nothing. The unique key decides between
    two copies arriving at the same instant."""

    __tablename__ = "step_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    step: Mapped[str] = mapped_column(String(48))  # a step, or "document:<code>" for an upload
    # What was sent under the key: a page sent again from the browser's history with other
    # answers but its old key is a new submission, not a copy.
    fingerprint: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class AuditEntry(db.Model):
    """Append-only: who moved what from which status to which, when and why.

    Every entry belongs to an application's trail; `entity` says whether it was the application
    itself, one of its holds, bills or visits that changed, and `entity_id` which one.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        # The day's figures (services/reports.py): decisions and no-shows of a period, and the
        # end of each visit's service.
        Index("ix_audit_entries_status_at", "to_status", "at"),
        Index(
            "ix_audit_entries_visit_done",
            "entity_id",
            postgresql_where=_VISIT_DONE,
            sqlite_where=_VISIT_DONE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    entity: Mapped[str] = mapped_column(String(12), default="application")  # |hold|bill|visit
    entity_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counter_number: Mapped[int | None]  # the counter a member of staff acted from
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Notification(db.Model):
    """One row per event told to an applicant: the unique key makes a repeat impossible."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("application_id", "event", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    event: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
