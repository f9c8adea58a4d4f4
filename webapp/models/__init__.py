"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from webapp.models.accounts import (
    AccountDevice,
    AccountEvent,
    EmailCode,
    PasswordReset,
    RecoveryCode,
    User,
)
from webapp.models.applications import Application, AuditEntry, Document, Notification
from webapp.models.bookings import Bill, Hold, PaymentNotice
from webapp.models.changes import Change
from webapp.models.examinations import Examination, Suspension
from webapp.models.fees import FeeAmount, FeeTable
from webapp.models.figures import FigureDay, FigureRollup
from webapp.models.invitations import Invitation
from webapp.models.issuance import Handover, Issuance
from webapp.models.offices import Closure, LeaveDay, Office, Slot
from webapp.models.printing import PrintBatch
from webapp.models.reviews import DocumentReview, Review
from webapp.models.screening import ScreeningCheck
from webapp.models.visits import CounterSession, QueueSequence, Visit
from webapp.models.waiting_rooms import RoomEntry, WaitingRoom, WaitlistEntry

__all__ = [
    "AccountDevice",
    "AccountEvent",
    "Application",
    "Bill",
    "Change",
    "Closure",
    "CounterSession",
    "Handover",
    "Hold",
    "Issuance",
    "LeaveDay",
    "Office",
    "PaymentNotice",
    "PrintBatch",
    "Slot",
    "Suspension",
    "AuditEntry",
    "Document",
    "DocumentReview",
    "EmailCode",
    "Examination",
    "FeeAmount",
    "FeeTable",
    "FigureDay",
    "FigureRollup",
    "Notification",
    "PasswordReset",
    "QueueSequence",
    "RecoveryCode",
    "Review",
    "RoomEntry",
    "ScreeningCheck",
    "User",
    "Visit",
    "WaitingRoom",
    "WaitlistEntry",
    "Invitation",
]
