"""Three-way merge of a step's answers sent from an older copy of the draft.

Values are per field of a step, each as the form shows it (a date is its three boxes). The
base is what the sender's page showed when it was rendered, mine what it sends, theirs what is
saved now. A field changed on one side only takes that side; a field changed on both sides to
different values is a conflict, never settled silently.
"""

import json
import re

# What a phone may use as a submission key: long enough not to collide, short enough to store.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")


def merge(base: dict, mine: dict, theirs: dict) -> tuple[dict, list[str]]:
    """The merged values and the fields changed on both sides (mine kept for those, to show).

    A field the base does not know counts as unchanged on the other side.
    """
    merged, conflicts = {}, []
    for name in mine.keys() | theirs.keys():
        now, sent = theirs.get(name), mine.get(name)
        was = base.get(name, now)
        if sent == was:
            merged[name] = now
        elif now in (was, sent):
            merged[name] = sent
        else:
            merged[name] = sent
            conflicts.append(name)
    return merged, sorted(conflicts)


def read_base(version: str | None, values: str | None) -> tuple[int, dict] | None:
    """The version and values a post was based on, or None when either is missing or
    unreadable (the post then counts as based on the current version)."""
    try:
        number = int(version or "")
        shown = json.loads(values or "")
    except ValueError:
        return None
    if number < 0 or not isinstance(shown, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in shown.items()):
        return None
    return number, shown


def valid_key(key: str | None) -> str | None:
    return key if key and SUBMISSION_KEY.fullmatch(key) else None
