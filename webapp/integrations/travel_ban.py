"""The travel-ban list (daftar pencegahan): an interface, an HTTP client and an in-process one.

Both clients send the same request and read the answer with the same function, parse_answer, so
the embedded default exercises the very code that talks to the real list. The answer is only
"hit" or "clear": why someone is on the list is never asked for, and nothing else the list sends
is kept.
"""

import http.client
import json
from typing import Protocol

from flask import Flask

from webapp.integrations import KeptAliveEndpoint, configured_client
from webapp.integrations.travel_ban_standin import STANDIN_API_KEY, create_standin

CHECK_PATH = "/v1/travel-ban/check"
HIT, CLEAR = "hit", "clear"
DEFAULT_TIMEOUT_SECONDS = 5.0


class TravelBanUnavailable(Exception):
    """No usable answer (timeout, connection error, refusal, 5xx, malformed reply)."""


class TravelBanClient(Protocol):
    def check(self, nik: str) -> str:
        """HIT or CLEAR; TravelBanUnavailable when the list gave no usable answer."""


def parse_answer(status: int, body: bytes) -> str:
    """Read a reply of the list: the one parser for both clients. Error messages leave the body
    out, as it may carry personal data into logs and job records."""
    if status != 200:
        raise TravelBanUnavailable(f"travel-ban list answered HTTP {status}")
    try:
        listed = json.loads(body)["listed"]
    except (ValueError, TypeError, KeyError) as error:
        raise TravelBanUnavailable("malformed travel-ban answer") from error
    if not isinstance(listed, bool):
        raise TravelBanUnavailable("malformed travel-ban answer")
    return HIT if listed else CLEAR


def _request(nik: str, api_key: str) -> tuple[bytes, dict]:
    """The body and headers of a check, the same for both clients."""
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    return json.dumps({"nik": nik}).encode(), headers


class HttpTravelBanClient:
    """The real list over HTTP(S), on a kept-alive connection (KeptAliveEndpoint): one attempt,
    bounded by the timeout on the connection and on each read. Retries belong to the job."""

    def __init__(self, base_url: str, api_key: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self._endpoint = KeptAliveEndpoint(base_url, CHECK_PATH, timeout)
        self._api_key = api_key

    def check(self, nik: str) -> str:
        body, headers = _request(nik, self._api_key)
        try:
            status, reply = self._endpoint.post(body, headers)
        except (OSError, http.client.HTTPException) as error:
            raise TravelBanUnavailable(
                f"travel-ban list unreachable: {type(error).__name__}"
            ) from error
        return parse_answer(status, reply)


class InProcessTravelBanClient:
    """The stand-in list called in-process through its test client: the embedded default."""

    def __init__(self, standin: Flask | None = None, api_key: str = STANDIN_API_KEY):
        self._standin = standin or create_standin(api_key=api_key)
        self._api_key = api_key

    def check(self, nik: str) -> str:
        body, headers = _request(nik, self._api_key)
        response = self._standin.test_client().post(CHECK_PATH, data=body, headers=headers)
        return parse_answer(response.status_code, response.get_data())


def client_from_config(config: dict) -> TravelBanClient:
    """HTTP to TRAVEL_BAN_URL when it is set; in demo mode without it, the in-process stand-in."""
    return configured_client(
        config,
        "TRAVEL_BAN",
        in_process=InProcessTravelBanClient,
        http=HttpTravelBanClient,
        default_timeout=DEFAULT_TIMEOUT_SECONDS,
    )
