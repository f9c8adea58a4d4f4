"""The figures of days that are over, kept per office and day so that the national page of a
month reads a few thousand rows instead of aggregating a month of the trail (services/reports.py).
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class FigureDay(db.Model):
    """One office's figures of one day (office time), computed once the day can change no more."""

    __tablename__ = "figure_days"
    __table_args__ = (PrimaryKeyConstraint("day", "office_id"),)

    day: Mapped[date] = mapped_column(Date)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    released: Mapped[int]
    booked: Mapped[int]
    paid: Mapped[int]
    checked_in: Mapped[int]
    no_shows: Mapped[int]
    approved: Mapped[int]
    incomplete: Mapped[int]
    rejected_total: Mapped[int]
    rejected: Mapped[dict] = mapped_column(JSON)  # reason -> count
    waits: Mapped[int]
    wait_seconds: Mapped[float]
    served: Mapped[int]
    service_seconds: Mapped[float]


class FigureRollup(db.Model):
    """A day whose figures are kept for every office (FigureDay): written with them."""

    __tablename__ = "figure_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
