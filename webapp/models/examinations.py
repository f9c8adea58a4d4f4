"""Examination reports (BAP) for lost and damaged passports, and suspensions for negligence."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class Examination(db.Model):
    """The BAP of one application, recorded by the officer at the counter; its fine's bill, when
    the fine is not zero."""

    __tablename__ = "examinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    incident: Mapped[str] = mapped_column(String(16))  # rules/examinations.py INCIDENTS
    account: Mapped[str] = mapped_column(Text)  # what happened, in the applicant's words
    happened_on: Mapped[date] = mapped_column(Date)
    happened_where: Mapped[str] = mapped_column(String(200))
    police_report_number: Mapped[str | None] = mapped_column(String(60))
    kelurahan_letter_number: Mapped[str | None] = mapped_column(String(60))
    fine: Mapped[int]  # Rp, from the fee rules on the day of the report
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Suspension(db.Model):
    """Issuance suspended for negligence, from the day it was recorded until ends_on."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    months: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)  # shown to the applicant
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
