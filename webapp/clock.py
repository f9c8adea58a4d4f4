"""The one source of "now", so that rules about time can be tested with a controlled clock."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(UTC)


def today(zone: str = "Asia/Jakarta") -> date:
    """Today's date in a time zone; applicants' ages are reckoned in WIB unless an office says."""
    return now().astimezone(ZoneInfo(zone)).date()
