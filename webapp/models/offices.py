"""Immigration offices, their closures, and the hourly slots with quota per lane."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class Office(db.Model):
    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint(
            "first_slot_hour >= 0 AND last_slot_hour <= 23 AND first_slot_hour <= last_slot_hour",
            name="slot_hours",
        ),
        CheckConstraint("regular_per_hour >= 0 AND express_per_hour >= 0", name="slot_capacity"),
        CheckConstraint("slot_window_days BETWEEN 1 AND 366", name="slot_window"),
        CheckConstraint("priority_per_hour >= 0", name="priority_capacity"),
        CheckConstraint("checkin_opens_minutes BETWEEN 0 AND 600", name="checkin_window"),
        CheckConstraint(
            "call_weight_priority >= 0 AND call_weight_express >= 0 AND call_weight_regular >= 0",
            name="call_weights",
        ),
        # Printing an e-passport takes a blank in the same transaction: never below zero.
        CheckConstraint("epassport_stock >= 0", name="epassport_stock"),
        CheckConstraint(
            "release_kind IN ('weekly', 'monthly') AND release_minute BETWEEN 0 AND 59",
            name="release_schedule",
        ),
    )

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
    # "weekly" as above, or "monthly": a month's slots open on the last working day of the month
    # before, at release_hour.release_minute local time (release_weekday is then unused).
    release_kind: Mapped[str] = mapped_column(String(8), default="weekly")
    release_minute: Mapped[int] = mapped_column(default=0)
    # Slots: one per lane for each hour from the first to the last (the hour a slot starts, local
    # time), with this many places, on every opening day of a rolling window starting today.
    first_slot_hour: Mapped[int] = mapped_column(default=8)
    last_slot_hour: Mapped[int] = mapped_column(default=14)
    regular_per_hour: Mapped[int] = mapped_column(default=0)
    express_per_hour: Mapped[int] = mapped_column(default=0)  # 0: no express service
    slot_window_days: Mapped[int] = mapped_column(default=60)
    # Priority walk-ins (60 and over, small children, pregnant, disability): places per hour, never
    # booked online; the day's quota is the sum over the day's hours.
    priority_per_hour: Mapped[int] = mapped_column(default=0)
    # Check-in opens this many minutes before the slot and stays open until the office closes.
    checkin_opens_minutes: Mapped[int] = mapped_column(default=60)
    # "Call next" takes lanes in this ratio, e.g. priority : express : regular = 1 : 1 : 2.
    call_weight_priority: Mapped[int] = mapped_column(default=1)
    call_weight_express: Mapped[int] = mapped_column(default=1)
    call_weight_regular: Mapped[int] = mapped_column(default=2)

    @property
    def slot_hours(self) -> range:
        return range(self.first_slot_hour, self.last_slot_hour + 1)

    @property
    def closes_at_hour(self) -> int:
        """The hour the office closes, local time: the end of its last slot."""
        return self.last_slot_hour + 1

    @property
    def call_weights(self) -> dict[str, int]:
        return {
            "priority": self.call_weight_priority,
            "express": self.call_weight_express,
            "regular": self.call_weight_regular,
        }

    @property
    def capacity_per_lane(self) -> dict[str, int]:
        """Places per hourly slot for each lane the office serves."""
        lanes = {
            "regular": self.regular_per_hour,
            "express": self.express_per_hour,
            "priority": self.priority_per_hour,
        }
        return {lane: places for lane, places in lanes.items() if places > 0}

    closures: Mapped[list["Closure"]] = relationship(back_populates="office")


class Closure(db.Model):
    """Hours an office does not serve: a whole day (from_hour and to_hour NULL) or the hours
    from from_hour to to_hour (local time, to_hour excluded), for a holiday of its own or a
    fault, a flood, .... Closures of one office never overlap (services.closures, under the
    office's row lock)."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint(
            "(from_hour IS NULL AND to_hour IS NULL) OR "
            "(from_hour >= 0 AND to_hour <= 24 AND from_hour < to_hour)",
            name="closure_hours",
        ),
        Index("ix_closures_office_day", "office_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(120))
    from_hour: Mapped[int | None]
    to_hour: Mapped[int | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=now)

    office: Mapped[Office] = relationship(back_populates="closures")

    @property
    def whole_day(self) -> bool:
        return self.from_hour is None

    def covers(self, local_day: date, hour: int) -> bool:
        """Whether the hourly slot starting at `hour` of `local_day` falls inside it."""
        if local_day != self.day:
            return False
        return self.whole_day or self.from_hour <= hour < self.to_hour

    def span(self) -> tuple[int, int]:
        """The hours it closes, [from, to), a whole day as (0, 24)."""
        return (0, 24) if self.whole_day else (self.from_hour, self.to_hour)


class ClosureOffer(db.Model):
    """The special reschedule offered to one application whose appointment a closure took: a
    place held for it (the offered hold) until expires_at, which it accepts, changes for another
    free slot of the window, or lets go. Its status is one of rules/holds.py OFFER_STATES; one
    per closure and application, so that closing again offers nothing twice."""

    __tablename__ = "closure_offers"
    __table_args__ = (UniqueConstraint("closure_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    closure_id: Mapped[int] = mapped_column(ForeignKey("closures.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    closed_hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"))
    offered_hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    closure: Mapped[Closure] = relationship()


class LeaveDay(db.Model):
    """A national day off the holidays package does not know (yet): a collective leave day
    (cuti bersama) decreed for a coming year, or a holiday added by amendment. Administrators
    add them; every office is closed on them."""

    __tablename__ = "leave_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Slot(db.Model):
    """One hour at one office for one lane, with how many people it can take."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("office_id", "starts_at", "lane"),
        Index("ix_slots_office_time", "office_id", "starts_at"),
        Index("ix_slots_starts_at", "starts_at"),  # every office's slots of a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lane: Mapped[str] = mapped_column(String(10))  # regular | express | priority (walk-in)
    capacity: Mapped[int]

    office: Mapped[Office] = relationship()
