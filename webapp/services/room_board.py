"""The waiting rooms' notice board: what each room and entry shows, kept where the waiting page
reads it without touching the database — Redis when REDIS_URL is set, else this process (the
embedded default serves from one process).

The room's service writes it after every change (join, draw, admission); the page only reads.
"""

import json
import threading

from flask import current_app
from redis.exceptions import RedisError

from webapp.jobs import redis_connection

KEEP_SECONDS = 24 * 3600  # a board outlives its room's release window, then goes


def _room_key(room_id: int) -> str:
    return f"room-board:{room_id}"


def _entries_key(room_id: int) -> str:
    return f"room-board:{room_id}:entries"


def _local() -> dict:
    """The embedded board: {key: {field: json}}, one per application object."""
    return current_app.extensions.setdefault("room_board", {"lock": threading.Lock(), "data": {}})


def _write(key: str, fields: dict[str, str]) -> None:
    if current_app.config["REDIS_URL"]:
        try:
            pipe = redis_connection().pipeline()
            pipe.hset(key, mapping=fields)
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()
            return
        except RedisError:
            current_app.logger.warning("room board: Redis unreachable, kept in this process")
    board = _local()
    with board["lock"]:
        board["data"].setdefault(key, {}).update(fields)


def publish_room(room_id: int, summary: dict) -> None:
    """The room as everybody in it sees it: state, release_at, admitted_through, entries,
    per_minute, commitment (plain JSON values)."""
    _write(_room_key(room_id), {"summary": json.dumps(summary, separators=(",", ":"))})


def publish_entries(room_id: int, entries: dict[str, dict]) -> None:
    """Each entry's own line, by its token: {"position": int | None, "status": str}."""
    if entries:
        fields = {token: json.dumps(line, separators=(",", ":")) for token, line in entries.items()}
        _write(_entries_key(room_id), fields)


def read(room_id: int, token: str) -> tuple[dict | None, dict | None]:
    """The room's summary and one entry's line, in one round trip; None for what is unknown."""
    summary = entry = None
    if current_app.config["REDIS_URL"]:
        try:
            pipe = redis_connection().pipeline()
            pipe.hget(_room_key(room_id), "summary")
            pipe.hget(_entries_key(room_id), token)
            summary, entry = pipe.execute()
        except RedisError:
            current_app.logger.warning("room board: Redis unreachable, reading this process")
            summary, entry = _read_local(room_id, token)
    else:
        summary, entry = _read_local(room_id, token)
    return (json.loads(summary) if summary else None), (json.loads(entry) if entry else None)


def _read_local(room_id: int, token: str) -> tuple[str | None, str | None]:
    board = _local()
    with board["lock"]:
        return (
            board["data"].get(_room_key(room_id), {}).get("summary"),
            board["data"].get(_entries_key(room_id), {}).get(token),
        )
