"""What the counter records while serving an application: each document compared with its
original, the capture and the interview, and the decision with its reason."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class Review(db.Model):
    """One per application reviewed at the counter."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    # Photo and fingerprints are taken by the capture station; only its references are kept.
    photo_ref: Mapped[str | None] = mapped_column(String(40))
    fingerprints_ref: Mapped[str | None] = mapped_column(String(40))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    captured_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Staff-only text: never shown to the applicant, never rendered as HTML.
    interview_notes: Mapped[str | None] = mapped_column(Text)
    # Documents owed after an "incomplete" decision, and until when.
    owed_documents: Mapped[list] = mapped_column(JSON, default=list)
    owed_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last decision: who, at which counter, when, and for a rejection why.
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counter_number: Mapped[int | None]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(32))
    rejection_note: Mapped[str | None] = mapped_column(Text)


class DocumentReview(db.Model):
    """An upload compared with its original. It holds for the file judged (storage_key): a new
    upload of the same item needs a new judgement."""

    __tablename__ = "document_reviews"
    __table_args__ = (UniqueConstraint("application_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    code: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(200))
    matches: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(200))
    judged_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
