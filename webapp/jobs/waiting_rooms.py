"""The waiting rooms' clock: services.waiting_room.tick every second, in its own loop.

With Redis it runs as `flask waiting-rooms`, one process beside the workers (more are safe: each
room moves under its row lock). In the embedded default (no REDIS_URL) a daemon thread of the
serving process runs it, started by the first request, so that `flask run` alone draws and
admits on time.
"""

import logging
import threading
import time

from flask import Flask

from webapp.extensions import db
from webapp.services import waiting_room

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 1.0
EMBEDDED = "waiting_room_clock"  # app.extensions: the embedded thread and its stop, once started


def tick_once(app: Flask) -> None:
    """One tick in a fresh application context; a failure is logged and the next tick retries."""
    with app.app_context():
        try:
            waiting_room.tick()
        except Exception:
            log.exception("waiting rooms: tick failed")
            db.session.rollback()
        finally:
            db.session.remove()


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    """Tick on each second until `stop` is set (never, for the command)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        tick_once(app)
        stop.wait(max(0.0, INTERVAL_SECONDS - (time.monotonic() - started)))


def init_app(app: Flask) -> None:
    """In the embedded default, start the clock's thread with the first request served (not in
    tests, which tick by hand, nor in CLI commands, which serve none)."""
    if app.config["REDIS_URL"] or app.config.get("TESTING"):
        return
    lock = threading.Lock()

    def start_clock() -> None:
        if EMBEDDED in app.extensions:
            return
        with lock:
            if EMBEDDED not in app.extensions:
                stop = threading.Event()
                thread = threading.Thread(
                    target=run_forever, args=(app, stop), name="waiting rooms", daemon=True
                )
                app.extensions[EMBEDDED] = (thread, stop)
                thread.start()

    app.before_request(start_clock)
