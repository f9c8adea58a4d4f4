"""A stand-in for the travel-ban list (daftar pencegahan): a small Flask app of its own.

It speaks the protocol that travel_ban.HttpTravelBanClient speaks:

    POST /v1/travel-ban/check   Authorization: Bearer <key>
    {"nik": "16 digits"}

401 without the right key, 400 on a malformed request, otherwise 200 with {"listed": bool}.
Like the real list it never says why someone is on it.

Serve it on its own port (what `make travel-ban` runs):

    python -m webapp.integrations.travel_ban_standin --port 5002 [--delay 0.1] [--api-key KEY]
"""

import argparse
import hmac
import re
from collections.abc import Iterable

from flask import Flask, request

from webapp.integrations.registry_standin import (
    FAILING_NIK,
    SLOW_NIK,
    SLOW_SECONDS,
    keep_alive_server,
    pause,
)

STANDIN_API_KEY = "standin-travel-ban-key"

# Hendra Wijaya, a demo resident of the stand-in registry, is on the list.
DEMO_LISTED: tuple[str, ...] = ("3175020309820005",)

_NIK = re.compile(r"[0-9]{16}")


def create_standin(
    listed: Iterable[str] = DEMO_LISTED,
    api_key: str = STANDIN_API_KEY,
    delay_seconds: float = 0.0,
) -> Flask:
    """The stand-in list; the registry's drill NIKs are slow and failing here too."""
    app = Flask(__name__)
    on_the_list = frozenset(listed)
    expected_authorization = f"Bearer {api_key}".encode()

    @app.post("/v1/travel-ban/check")
    def check():
        payload = request.get_json(silent=True)
        nik = payload.get("nik") if isinstance(payload, dict) else None
        if not hmac.compare_digest(
            request.headers.get("Authorization", "").encode(), expected_authorization
        ):
            reply = {"error": "unauthorized"}, 401, {"WWW-Authenticate": "Bearer"}
        elif not (isinstance(nik, str) and _NIK.fullmatch(nik)):
            reply = {"error": "bad_request"}, 400
        elif nik == FAILING_NIK:
            reply = {"error": "internal"}, 500
        else:
            reply = {"listed": nik in on_the_list}, 200
        slow = nik == SLOW_NIK
        pause(delay_seconds + SLOW_SECONDS * slow, request.environ.get("werkzeug.socket"))
        return reply

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the stand-in travel-ban list.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--api-key", default=STANDIN_API_KEY)
    args = parser.parse_args(argv)
    app = create_standin(api_key=args.api_key, delay_seconds=args.delay)
    print(f"Serving on http://{args.host}:{args.port}", flush=True)
    keep_alive_server(app, args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
