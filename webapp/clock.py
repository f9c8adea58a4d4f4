"""The one source of "now", so that rules about time can be tested with a controlled clock."""

from datetime import UTC, datetime


def now() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(UTC)
