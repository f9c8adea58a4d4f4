"""Office jobs: keep every office's rolling window of slots filled. Safe to run twice or late."""

from webapp.services import offices

# Daily is enough: the window moves a day a day. Each run also fills any gap a missed one left.
EXTEND_SLOTS_INTERVAL_SECONDS = 24 * 60 * 60


def extend_slots() -> None:
    offices.extend_slots()
