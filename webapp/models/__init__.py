"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from webapp.models.accounts import EmailCode, PasswordReset, User

__all__ = ["EmailCode", "PasswordReset", "User"]
