"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from webapp.models.accounts import EmailCode, PasswordReset, User
from webapp.models.applications import Application, AuditEntry, Document

__all__ = ["Application", "AuditEntry", "Document", "EmailCode", "PasswordReset", "User"]
