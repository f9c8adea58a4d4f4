"""The administrators' and supervisors' trail: every change to an office, its quota, a closure,
a fee table, an account, with who made it and the values before and after."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.clock import now
from webapp.extensions import db
from webapp.models.types import UTCDateTime


class Change(db.Model):
    """Append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a command
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    entity: Mapped[str] = mapped_column(String(24))  # office | quota | closure | fee_table | ...
    entity_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(24))  # created | changed | removed | ...
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)
