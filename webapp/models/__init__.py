"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from webapp.models.accounts import EmailCode, PasswordReset, User
from webapp.models.applications import Application, AuditEntry, Document, Notification
from webapp.models.bookings import Bill, Hold, PaymentNotice
from webapp.models.offices import Closure, Office, Slot

__all__ = [
    "Application",
    "Bill",
    "Closure",
    "Hold",
    "Office",
    "PaymentNotice",
    "Slot",
    "AuditEntry",
    "Document",
    "EmailCode",
    "Notification",
    "PasswordReset",
    "User",
]
