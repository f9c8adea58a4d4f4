"""Waiting rooms that open each quota release fairly, their entries, and the waitlist of
applicants to be offered places freed afterwards. States are those of rules/waiting.py."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime
from webapp.rules import waiting


def _states(states: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{state}'" for state in states))


class WaitingRoom(db.Model):
    """One office's room for one release: its seed is made before it opens and never changes;
    only its commitment is shown until drawn_at, when the seed is revealed with the order."""

    __tablename__ = "waiting_rooms"
    __table_args__ = (UniqueConstraint("office_id", "release_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seed: Mapped[str] = mapped_column(String(64))  # hex of 32 random bytes; secret until drawn
    commitment: Mapped[str] = mapped_column(String(64))  # SHA-256 of the seed, public
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sold_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # freed places: waitlist


class RoomEntry(db.Model):
    """One verified NIK in one room. `token` names the entry in its own URLs and on the board
    (never its id); `position` is fixed by the draw, or on arrival for a late joiner."""

    __tablename__ = "room_entries"
    __table_args__ = (
        UniqueConstraint("room_id", "nik", name="uq_room_entries_nik"),
        UniqueConstraint("room_id", "application_id", name="uq_room_entries_application"),
        UniqueConstraint("room_id", "position", name="uq_room_entries_position"),
        CheckConstraint(_states(waiting.ENTRY_STATES), name="entry_status"),
        Index("ix_room_entries_room_status", "room_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("waiting_rooms.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    nik: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(20))  # the application number the draw sorts
    token: Mapped[str] = mapped_column(String(24), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    position: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default=waiting.WAITING)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admission_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WaitlistEntry(db.Model):
    """An applicant who asked to be told of a freed place at an office, in the order they asked;
    an offer holds a place for them (a hold in state "offered") until offer_expires_at."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint(_states(waiting.WAITLIST_STATES), name="waitlist_status"),
        # One place on the list per application while it waits or is offered a place.
        Index(
            "uq_waitlist_entries_active",
            "application_id",
            unique=True,
            postgresql_where=text("status IN ('listed', 'offered')"),
            sqlite_where=text("status IN ('listed', 'offered')"),
        ),
        Index("ix_waitlist_entries_office_status", "office_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lane: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=waiting.LISTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    offered_hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
