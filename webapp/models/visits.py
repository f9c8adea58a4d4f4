"""The office's front of house: visits with their queue numbers, the numbering, and counters."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, PrimaryKeyConstraint, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime
from webapp.rules import visits

_OPEN = text("closed_at IS NULL")


class Visit(db.Model):
    """An application checked in at its office: its queue number and where it is in the line.

    An application checks in once (application_id is unique); the number is consecutive per
    office, day and lane and unique in the database, taken from QueueSequence.
    """

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("office_id", "day", "lane", "number", name="uq_visits_number"),
        Index("ix_visits_line", "office_id", "day", "lane", "status", "rank", "queued_at"),
        Index("ix_visits_day", "day", "office_id"),  # every office's visits of a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    day: Mapped[date] = mapped_column(Date)  # in the office's zone
    lane: Mapped[str] = mapped_column(String(10))  # rules/visits.py LANES
    number: Mapped[int]
    priority_group: Mapped[str | None] = mapped_column(String(16))  # rules/visits.py
    status: Mapped[str] = mapped_column(String(10), default=visits.WAITING)
    # The line's order: rank (on time, late or walk-in, sent back), then queued_at, then id.
    rank: Mapped[int] = mapped_column(default=visits.ON_TIME)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    checked_in_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The last call: to which counter, when, by whom, and how many calls (recalls included).
    counter_number: Mapped[int | None]
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    calls: Mapped[int] = mapped_column(default=0)
    sent_back: Mapped[bool] = mapped_column(default=False)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def ticket(self) -> str:
        return visits.ticket(self.lane, self.number)


class QueueSequence(db.Model):
    """The last queue number given per office, day and lane: taken by one atomic increment."""

    __tablename__ = "queue_sequences"
    __table_args__ = (PrimaryKeyConstraint("office_id", "day", "lane"),)

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    day: Mapped[date] = mapped_column(Date)
    lane: Mapped[str] = mapped_column(String(10))
    last_number: Mapped[int] = mapped_column(default=0)


class CounterSession(db.Model):
    """A staff member at a counter, serving some lanes, from opening until closing.

    One open session per counter of an office and per staff member, by partial unique indexes.
    """

    __tablename__ = "counter_sessions"
    __table_args__ = (
        Index(
            "uq_counter_sessions_open_counter",
            "office_id",
            "counter_number",
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        Index(
            "uq_counter_sessions_open_staff",
            "staff_id",
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    counter_number: Mapped[int]
    lanes: Mapped[str] = mapped_column(String(40))  # comma-separated, e.g. "priority,regular"
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def lane_list(self) -> tuple[str, ...]:
        return tuple(lane for lane in visits.LANES if lane in self.lanes.split(","))
