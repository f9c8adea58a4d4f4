"""After approval: the passport's collection date and readiness, and who collected it."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime
from webapp.rules.collection import ATTORNEY, COLLECTORS, FAMILY

_COLLECTORS_SQL = ", ".join(f"'{kind}'" for kind in COLLECTORS)


class Issuance(db.Model):
    """One per approved application, written with the approval: the day the passport may be
    collected (rules/working_days.py, fixed when the receipt is given), and since when it is
    ready, which starts the 30 days it waits."""

    __tablename__ = "issuances"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    collect_from: Mapped[date] = mapped_column(Date)
    ready_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class Handover(db.Model):
    """The passport handed over at the collection desk: to whom, checked how, by whom. One per
    application, so the database refuses a second collection."""

    __tablename__ = "handovers"
    __table_args__ = (
        CheckConstraint(f"collector IN ({_COLLECTORS_SQL})", name="collector_kind"),
        # A family member is named with their NIK and relationship; an attorney with their NIK
        # and the letter of attorney.
        CheckConstraint(
            f"collector <> '{FAMILY}' OR (collector_nik IS NOT NULL AND relationship IS NOT NULL)",
            name="family_collector",
        ),
        CheckConstraint(
            f"collector <> '{ATTORNEY}' OR (collector_nik IS NOT NULL AND letter_note IS NOT NULL)",
            name="attorney_collector",
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    collector: Mapped[str] = mapped_column(String(10))  # rules/collection.py COLLECTORS
    collector_name: Mapped[str] = mapped_column(String(120))
    collector_nik: Mapped[str | None] = mapped_column(String(16))
    relationship: Mapped[str | None] = mapped_column(String(16))  # rules/collection.py
    identity_document: Mapped[str] = mapped_column(String(60))  # the ID shown, e.g. "KTP ..."
    letter_note: Mapped[str | None] = mapped_column(String(200))  # the power of attorney
    handed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
