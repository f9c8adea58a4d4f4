"""Holds on slots and the bills that pay for them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import now
from webapp.extensions import db
from webapp.models.offices import Slot
from webapp.models.types import UTCDateTime
from webapp.rules import bills, holds

_LIVE = text("status IN ({})".format(", ".join(f"'{state}'" for state in holds.LIVE)))


class Hold(db.Model):
    """A place in a slot for one application: held for two hours, kept once paid.

    A held place counts against the quota only until expires_at, whatever has been written
    since: an expiry job that runs late never lets a slot be oversold or kept from others.
    """

    __tablename__ = "holds"
    __table_args__ = (
        # An application has at most one live hold.
        Index(
            "uq_holds_live_application",
            "application_id",
            unique=True,
            postgresql_where=_LIVE,
            sqlite_where=_LIVE,
        ),
        Index("ix_holds_slot_status", "slot_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=holds.HELD)  # rules/holds.py
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    slot: Mapped[Slot] = relationship()
    bill: Mapped["Bill"] = relationship(back_populates="hold", uselist=False)


class Bill(db.Model):
    """A 15-digit billing code, payable until it expires: for the fee of one hold, or for a fine
    billed at the office after the examination report (no hold).

    A fee's bill stays with the hold it was made for: after a reschedule the application's paid
    hold is a new one, and the bill is found by its application.
    """

    __tablename__ = "bills"

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), unique=True)
    purpose: Mapped[str] = mapped_column(
        String(4), default=bills.FEE, server_default=bills.FEE
    )  # rules/bills.py PURPOSES
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    amount: Mapped[int]
    status: Mapped[str] = mapped_column(String(14), default=bills.OPEN)  # rules/bills.py
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    hold: Mapped[Hold | None] = relationship(back_populates="bill")


class PaymentNotice(db.Model):
    """Every payment notification received, applied or not: the transaction id makes a replay
    find its first copy instead of paying twice."""

    __tablename__ = "payment_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    billing_code: Mapped[str] = mapped_column(String(15), index=True)
    amount: Mapped[int]
    paid_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime()
    )  # the bank's, when it had a zone
    outcome: Mapped[str] = mapped_column(String(16))  # applied | refund_review | rejected
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
