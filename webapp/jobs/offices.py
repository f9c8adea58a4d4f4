"""Office jobs: keep every office's rolling window of slots filled. Safe to run twice or late."""

from webapp.services import offices


def extend_slots() -> None:
    # Daily is enough: the window moves a day a day, and each run fills any gap a missed one left.
    offices.extend_slots()
