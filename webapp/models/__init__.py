"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from webapp.models.accounts import EmailCode, PasswordReset, User
from webapp.models.applications import Application, AuditEntry, Document, Notification

__all__ = [
    "Application",
    "AuditEntry",
    "Document",
    "EmailCode",
    "Notification",
    "PasswordReset",
    "User",
]
