"""The travel-ban check of an application: one row per application, its result beside the status.

Only "hit" or "clear" is ever stored from the list: the reason a person is on it is never fetched.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime
from webapp.rules import screening


class ScreeningCheck(db.Model):
    __tablename__ = "screening_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=screening.PENDING)  # rules/screening
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
