"""The fair opening of a quota release: the waiting room's timings and states, and its draw.

The draw is public and checkable: before the room opens its seed is fixed and only the seed's
SHA-256 (the commitment) is shown; at the release the seed is revealed and the order of the
entries is the sort of HMAC-SHA256(seed, application number), which anyone can recompute.
"""

import hashlib
import hmac
import math
from datetime import timedelta

ROOM_LEAD = timedelta(minutes=15)  # the room opens this long before the release
ADMISSION_LIFETIME = timedelta(minutes=10)  # an admitted applicant's time to choose a slot
ADMISSION_MARGIN = 0.1  # admitted beyond the free places, for those who let theirs lapse
WAITLIST_OFFER_LIFETIME = timedelta(minutes=30)
# How often the waiting page asks for its line: as soon as the turn may have come, but never
# sooner than the floor nor later than the ceiling, so that the many far back, or waiting for
# the draw, do not ask every few seconds what cannot have changed. The spread keeps a room's
# pages from all asking in the same second after the draw.
POLL_FLOOR_SECONDS = 5
POLL_CEILING_SECONDS = 60  # well inside an admission's ten minutes
POLL_SPREAD_SECONDS = 10
RELEASE_WINDOW = timedelta(hours=1)  # a release's room lasts this long after it at most
ROOM_MAKING_LEAD = ROOM_LEAD + timedelta(hours=1)  # a room and its seed: an hour before it opens

# An entry of a waiting room.
WAITING = "waiting"  # in the room, not yet admitted
ADMITTED = "admitted"  # may hold a slot until admission_expires_at
USED = "used"  # held a slot with its admission
LAPSED = "lapsed"  # admitted, let the admission expire: it passed to the next entry
SOLD_OUT = "sold_out"  # the quota went before its turn: told, and offered the waitlist
ENTRY_STATES = (WAITING, ADMITTED, USED, LAPSED, SOLD_OUT)

# An entry of an office's waitlist for freed places.
LISTED = "listed"  # waiting to be offered a freed place
OFFERED = "offered"  # a freed place is held for it until offer_expires_at
TAKEN = "taken"  # booked the offered place
PASSED = "passed"  # let the offer lapse, or left the list
WAITLIST_STATES = (LISTED, OFFERED, TAKEN, PASSED)


def commitment(seed_hex: str) -> str:
    """The SHA-256 of the seed's bytes, in hex: published before the seed is."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def draw_key(seed_hex: str, number: str) -> str:
    """An entry's place in the draw: HMAC-SHA256 keyed by the seed over its application number."""
    return hmac.new(bytes.fromhex(seed_hex), number.encode("ascii"), hashlib.sha256).hexdigest()


def drawn_order(seed_hex: str, numbers: list[str]) -> list[str]:
    """The application numbers in the order the draw gives them: by their draw key, ascending."""
    return sorted(numbers, key=lambda number: draw_key(seed_hex, number))


def admissions_wanted(free_places: int, outstanding: int) -> int:
    """How many more entries to admit: the free places and a margin for those who will let
    their admission lapse, less the admissions still outstanding."""
    margin = math.ceil(round(free_places * ADMISSION_MARGIN, 6))
    return free_places + margin - outstanding


def poll_seconds(
    status: str, seconds_to_draw: float, minutes_to_turn: int | None, spread: float
) -> int | None:
    """Seconds until the waiting page asks again, or None when waiting can change nothing (the
    turn was used or lapsed, or the quota is gone). `minutes_to_turn` is the estimate at the
    recent rate of admissions (None when unknown); `spread` is the entry's own share of
    POLL_SPREAD_SECONDS, from 0 to 1 (spread_of)."""
    if status not in (WAITING, ADMITTED):
        return None
    if status == ADMITTED:
        # Only a lapse or a booking made elsewhere can change the page; its time left is shown.
        return POLL_CEILING_SECONDS
    if seconds_to_draw > 0:
        wanted = seconds_to_draw
    elif minutes_to_turn is None:
        wanted = 3 * POLL_FLOOR_SECONDS  # placed at the next tick, or no admissions lately
    else:
        wanted = minutes_to_turn * 60 / 4  # asks four times before the turn is expected
    wanted += spread * POLL_SPREAD_SECONDS
    return round(min(POLL_CEILING_SECONDS, max(POLL_FLOOR_SECONDS, wanted)))


def spread_of(token: str) -> float:
    """An entry's fixed place, from 0 to 1, in the spread of polls: from its token's hash."""
    return int(hashlib.sha256(token.encode("ascii")).hexdigest()[:8], 16) / 0xFFFFFFFF
