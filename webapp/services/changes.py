"""Recording the changes administrators and supervisors make, in the caller's transaction, and
reading them back."""

from datetime import date, datetime

from sqlalchemy import select

from webapp.extensions import db
from webapp.models.changes import Change


def _plain(values: dict | None) -> dict | None:
    """JSON-ready values: dates and datetimes as ISO text, the rest as they are."""
    if values is None:
        return None
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in values.items()
    }


def record(
    actor_id: int | None,
    entity: str,
    entity_id: int | None,
    action: str,
    *,
    before: dict | None = None,
    after: dict | None = None,
    office_id: int | None = None,
) -> Change:
    """Add a change to the session; the caller commits it with the change itself. Only the
    fields that differ are kept, for a change of an existing row."""
    before, after = _plain(before), _plain(after)
    if before is not None and after is not None:
        differing = {
            key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
        }
        before = {key: before.get(key) for key in sorted(differing)}
        after = {key: after.get(key) for key in sorted(differing)}
    change = Change(
        actor_id=actor_id,
        office_id=office_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
    )
    db.session.add(change)
    return change


def of_office(office_id: int, limit: int = 100) -> list[Change]:
    """The latest changes of one office, newest first."""
    return list(
        db.session.scalars(
            select(Change)
            .where(Change.office_id == office_id)
            .order_by(Change.at.desc(), Change.id.desc())
            .limit(limit)
        )
    )
