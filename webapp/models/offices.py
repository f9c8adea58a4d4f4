"""Immigration offices, their closures, and the hourly slots with quota per lane."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime


class Office(db.Model):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # what URLs show
    kind: Mapped[str] = mapped_column(String(8))  # kanim | ulp | mpp
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(240))
    city: Mapped[str] = mapped_column(String(60))
    province: Mapped[str] = mapped_column(String(60))
    latitude: Mapped[float]
    longitude: Mapped[float]
    timezone: Mapped[str] = mapped_column(String(32))  # Asia/Jakarta | Asia/Makassar | ...
    issues_epassport: Mapped[bool] = mapped_column(default=False)
    epassport_stock: Mapped[int] = mapped_column(default=0)
    opening_days: Mapped[str] = mapped_column(String(7), default="01234")  # Monday is 0
    # Quota release: slots of the next week open on this weekday at this hour, local time.
    release_weekday: Mapped[int] = mapped_column(default=4)
    release_hour: Mapped[int] = mapped_column(default=9)

    closures: Mapped[list["Closure"]] = relationship(back_populates="office")


class Closure(db.Model):
    """A day an office does not serve: a holiday or its own closure."""

    __tablename__ = "closures"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(120))

    office: Mapped[Office] = relationship(back_populates="closures")


class Slot(db.Model):
    """One hour at one office for one lane, with how many people it can take."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("office_id", "starts_at", "lane"),
        Index("ix_slots_office_time", "office_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lane: Mapped[str] = mapped_column(String(10))  # regular | express
    capacity: Mapped[int]

    office: Mapped[Office] = relationship()
