"""Invitations of office staff and supervisors by an administrator: a single-use link mailed to
the invitee, who sets their password there and so makes their account."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class Invitation(db.Model):
    """Only the token's hash is kept. An invitation ends once: used (the account made, user_id
    set) or replaced by a newer one for the same address (a re-sent mail)."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('staff', 'supervisor')", name="invitation_role"),
        Index("ix_invitations_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    full_name: Mapped[str] = mapped_column(String(120))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # staff | supervisor
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the account it made
