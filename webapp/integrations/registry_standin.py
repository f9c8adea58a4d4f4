"""A stand-in for the population registry (Dukcapil): a small Flask app of its own.

It speaks the protocol that population_registry.HttpRegistryClient speaks:

    POST /v1/nik/verify   Authorization: Bearer <key>
    {"nik": "16 digits", "full_name": "...", "birth_date": "YYYY-MM-DD"}

401 without the right key, 400 on a malformed request, otherwise 200 with
{"outcome": "verified" | "mismatch" | "not_found" | "duplicate", "mismatched": [...],
"holds_valid_passport": bool}. Like the real registry it never sends its own values back, only
the names of the fields that disagree, and it says whether someone holds a passport only once
they are verified.

Serve it on its own port (what `make registry` runs):

    python -m webapp.integrations.registry_standin --port 5001 [--delay 0.1] [--api-key KEY]
"""

import argparse
import hmac
import io
import re
import selectors
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import Flask, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import LimitedStream, get_content_length

from webapp.rules.registry import compare

STANDIN_API_KEY = "standin-key"
IDLE_SECONDS = 5.0  # how long a kept-alive connection may wait for its next request

# Fault drills. Both NIKs are structurally valid, so they pass the form and reach the registry.
SLOW_NIK = "3171010101010001"  # answers after SLOW_SECONDS more than the delay: a timeout drill
FAILING_NIK = "3171010202020002"  # answers 500: the registry is down
SLOW_SECONDS = 30.0
# Structurally valid (a woman born 15-05-2000 in Surabaya) but nobody in the registry has it.
UNKNOWN_NIK = "3578015505000003"


@dataclass(frozen=True)
class Resident:
    nik: str
    full_name: str
    birth_place: str
    birth_date: date
    sex: str  # "M" | "F", as in webapp.rules.nik
    mother_name: str
    holds_valid_passport: bool = False
    duplicate: bool = False  # flagged by Dukcapil: one person recorded under several NIKs


DEMO_RESIDENTS: tuple[Resident, ...] = (
    # A woman: 40 is added to the day of birth in her NIK (51 = 11 + 40).
    Resident(
        "5104075111970004", "Siti Rahayu", "Denpasar", date(1997, 11, 11), "F", "Ni Made Sari"
    ),
    # A man, registered in South Jakarta (31.74).
    Resident("3174011708900012", "Budi Santoso", "Jakarta", date(1990, 8, 17), "M", "Sri Wahyuni"),
    # The common real-world mismatch: the NIK says 12-03-1985, the registry says 14-03-1985. An
    # applicant who types the NIK's date is told the birth date disagrees.
    Resident(
        "3273011203850007", "Agus Setiawan", "Bandung", date(1985, 3, 14), "M", "Euis Kurniasih"
    ),
    # Flagged as a duplicate: the registry gives a definite answer but will not verify it.
    Resident(
        "3201014302880002",
        "Rina Marlina",
        "Bogor",
        date(1988, 2, 3),
        "F",
        "Nining Suryani",
        duplicate=True,
    ),
    # Already holds a valid passport; the apostrophe in the name may be typed or left out.
    Resident(
        "1275012506790003",
        "Ahmad Ma'ruf",
        "Medan",
        date(1979, 6, 25),
        "M",
        "Siti Aminah",
        holds_valid_passport=True,
    ),
    # A family from Yogyakarta: father, mother and their daughter born in 2016.
    Resident("3471010904840001", "Joko Prasetyo", "Yogyakarta", date(1984, 4, 9), "M", "Sumarni"),
    Resident("3471016112870002", "Ratna Sari Dewi", "Sleman", date(1987, 12, 21), "F", "Wartini"),
    Resident(
        "3471014507160003",
        "Aisyah Putri Prasetyo",
        "Yogyakarta",
        date(2016, 7, 5),
        "F",
        "Ratna Sari Dewi",
    ),
    # On the stand-in travel-ban list (travel_ban_standin.DEMO_LISTED): verified here, refused
    # at the counter.
    Resident("3175020309820005", "Hendra Wijaya", "Jakarta", date(1982, 9, 3), "M", "Sulastri"),
)

_NIK = re.compile(r"[0-9]{16}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def create_standin(
    residents: Iterable[Resident] = DEMO_RESIDENTS,
    api_key: str = STANDIN_API_KEY,
    delay_seconds: float = 0.0,
) -> Flask:
    """The stand-in registry; delay_seconds is added to every answer (benchmarks use 0.1)."""
    app = Flask(__name__)
    by_nik = {resident.nik: resident for resident in residents}
    expected_authorization = f"Bearer {api_key}".encode()

    @app.post("/v1/nik/verify")
    def verify():
        # Read first: once the body is in, _pause takes a readable socket for a hang-up.
        payload = request.get_json(silent=True)
        if not hmac.compare_digest(
            request.headers.get("Authorization", "").encode(), expected_authorization
        ):
            reply = {"error": "unauthorized"}, 401, {"WWW-Authenticate": "Bearer"}
        else:
            reply = _reply(payload, by_nik)
        slow = isinstance(payload, dict) and payload.get("nik") == SLOW_NIK
        pause(delay_seconds + SLOW_SECONDS * slow, request.environ.get("werkzeug.socket"))
        return reply

    return app


def _reply(payload: object, by_nik: dict[str, Resident]) -> tuple[dict, int]:
    query = _query(payload)
    if query is None:
        return {"error": "bad_request"}, 400
    nik, full_name, birth_date = query
    if nik == FAILING_NIK:
        return {"error": "internal"}, 500
    return _answer(by_nik.get(nik), full_name, birth_date), 200


def _query(payload: object) -> tuple[str, str, date] | None:
    """(nik, full_name, birth_date) from a well-formed request body, else None."""
    if not isinstance(payload, dict):
        return None
    nik, full_name, birth_date = (payload.get(k) for k in ("nik", "full_name", "birth_date"))
    if not (isinstance(nik, str) and _NIK.fullmatch(nik)):
        return None
    if not (isinstance(full_name, str) and full_name.strip()):
        return None
    if not (isinstance(birth_date, str) and _ISO_DATE.fullmatch(birth_date)):
        return None
    try:
        return nik, full_name, date.fromisoformat(birth_date)
    except ValueError:  # 2025-02-30 and the like
        return None


def _answer(resident: Resident | None, full_name: str, birth_date: date) -> dict:
    if resident is None:
        return _outcome("not_found")
    if resident.duplicate:
        return _outcome("duplicate")
    mismatched = compare(resident, full_name=full_name, birth_date=birth_date)
    if mismatched:
        return _outcome("mismatch", mismatched)
    return _outcome("verified", holds_valid_passport=resident.holds_valid_passport)


def _outcome(
    outcome: str, mismatched: list[str] | None = None, holds_valid_passport: bool = False
) -> dict:
    return {
        "outcome": outcome,
        "mismatched": mismatched or [],
        "holds_valid_passport": holds_valid_passport,
    }


def pause(seconds: float, connection: socket.socket | None) -> None:
    """Sleep, but stop as soon as the client hangs up: nobody is waiting for the answer then.

    Without this a timeout drill would keep a server thread asleep long after the client left.
    Served in-process (test client) there is no socket, and the pause is a plain sleep.
    """
    if seconds <= 0:
        return
    deadline = time.monotonic() + seconds
    if connection is not None:
        with selectors.DefaultSelector() as selector:
            selector.register(connection, selectors.EVENT_READ)
            if selector.select(seconds) and _hung_up(connection):
                return
    time.sleep(max(0.0, deadline - time.monotonic()))


def _hung_up(connection: socket.socket) -> bool:
    # The request has been read, so a readable socket with nothing in it is the client's FIN.
    try:
        return not connection.recv(1, socket.MSG_PEEK)
    except OSError:
        return True


class KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's request handler, keeping connections open between requests as an HTTP/1.1
    server does, and closing one idle for `idle_seconds`.

    Werkzeug closes every connection: after each answer it reads and discards whatever the
    socket holds (a body the app left unread), which on a kept connection would be the next
    request. Here the app reads the body through a stream of its exact length, the rest of which
    is skipped after the answer, and werkzeug's discarding reads an empty file instead. A chunked
    request body, which that cannot measure, closes the connection. Clients send their next
    request only after the answer (none pipelines), so a connection with nothing to read is idle.
    """

    protocol_version = "HTTP/1.1"
    idle_seconds = IDLE_SECONDS

    def handle_one_request(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            if not selector.select(self.idle_seconds):
                self.close_connection = True
                return
        super().handle_one_request()

    def make_environ(self) -> dict:
        environ = super().make_environ()
        self._socket_file = self.rfile
        if environ.get("wsgi.input_terminated"):
            self.close_connection = True
        else:
            environ["wsgi.input"] = LimitedStream(self.rfile, get_content_length(environ) or 0)
            self.rfile = io.BytesIO()  # what werkzeug's discarding reads after the answer
        return environ

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            self.rfile = self._socket_file
        if not self.close_connection:
            self.environ["wsgi.input"].exhaust()  # the next request starts after this body

    def send_header(self, keyword: str, value: str) -> None:
        answering = self.rfile is not getattr(self, "_socket_file", self.rfile)  # swapped above
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if answering and closing and not self.close_connection:
            return  # werkzeug's, on every answer; the client's own "close" (or HTTP/1.0) counts
        super().send_header(keyword, value)


def keep_alive_handler(idle_seconds: float = IDLE_SECONDS) -> type[KeepAliveHandler]:
    return type("KeepAliveHandler", (KeepAliveHandler,), {"idle_seconds": idle_seconds})


def keep_alive_server(
    app: Flask, host: str = "127.0.0.1", port: int = 0, idle_seconds: float = IDLE_SECONDS
) -> BaseWSGIServer:
    """A threaded server of `app` that keeps connections alive (serve_forever() runs it), as a
    real registry does: a client that reuses its connection is measured as it will run."""
    handler = keep_alive_handler(idle_seconds)
    return make_server(host, port, app, threaded=True, request_handler=handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the stand-in population registry.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--api-key", default=STANDIN_API_KEY)
    args = parser.parse_args(argv)
    app = create_standin(api_key=args.api_key, delay_seconds=args.delay)
    print(f"Serving on http://{args.host}:{args.port}", flush=True)
    keep_alive_server(app, args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
