"""Fee tables (PNBP): each regulation's amounts with the days it is in force, kept as history."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class FeeTable(db.Model):
    """One regulation's fees, in force from valid_from to valid_until (inclusive; None while it
    has no end). Tables never overlap: services/fee_tables.py refuses one that would."""

    __tablename__ = "fee_tables"
    __table_args__ = (
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="fee_table_validity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # its legal basis: "PP 45/2024"
    valid_from: Mapped[date] = mapped_column(Date, unique=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # Exemption codes (rules/fees.py EXEMPTIONS) this regulation recognises and the passport
    # kinds they make free, comma-separated ("" for none).
    exemptions: Mapped[str] = mapped_column(String(120), default="")
    exempt_kinds: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a migration
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    amounts: Mapped[list["FeeAmount"]] = relationship(
        back_populates="table", order_by="FeeAmount.item", cascade="all, delete-orphan"
    )


class FeeAmount(db.Model):
    """One priced item of a table (rules/fees.py ITEMS); an item a table lacks is not priced."""

    __tablename__ = "fee_amounts"
    __table_args__ = (
        UniqueConstraint("table_id", "item"),
        CheckConstraint("amount >= 0", name="fee_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("fee_tables.id"))
    item: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int]

    table: Mapped[FeeTable] = relationship(back_populates="amounts")
