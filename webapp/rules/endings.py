"""When an application ends by the clock (pure): the appointment day over without a check-in,
and the passport left uncollected (DOMAIN.md)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from webapp.rules.collection import COLLECTION_PERIOD, REMINDER_AFTER


def appointment_day_ends(starts_at: datetime, zone: str) -> datetime:
    """The office's local midnight after the day of an appointment starting at starts_at, as
    aware UTC: until then the applicant may still check in."""
    local_day = starts_at.astimezone(ZoneInfo(zone)).date()
    midnight = datetime.combine(local_day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone))
    return midnight.astimezone(UTC)


def collection_ends(ready_since: datetime) -> datetime:
    """The moment a passport ready since ready_since is cancelled if still not collected."""
    return ready_since + COLLECTION_PERIOD


def reminder_due(ready_since: datetime) -> datetime:
    """The moment the reminder to collect is mailed: day 23 of the 30."""
    return ready_since + REMINDER_AFTER
