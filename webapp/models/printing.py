"""Batches of receipts printed together: one PDF built by a job, with its progress."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class PrintBatch(db.Model):
    """Receipts of one office's applications on one paper (a4 | roll), rendered by a job that
    counts them as it goes; the finished PDF is kept in storage under storage_key."""

    __tablename__ = "print_batches"
    __table_args__ = (
        CheckConstraint("paper IN ('a4', 'roll')", name="batch_paper"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="batch_status"),
        CheckConstraint("rendered BETWEEN 0 AND total", name="batch_progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    paper: Mapped[str] = mapped_column(String(4))
    application_ids: Mapped[list] = mapped_column(JSON)
    total: Mapped[int]
    rendered: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(8), default="queued")
    storage_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the batch was last queued, started or advanced by its job: a batch queued or running
    # with no news for longer than its job may take has stalled (its worker died) and may be
    # retried (migration 0013_receipts).
    touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
