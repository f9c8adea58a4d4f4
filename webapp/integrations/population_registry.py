"""The population registry (Dukcapil) NIK check: an interface, an HTTP client and an in-process one.

Both clients send the same request and read the answer with the same function, parse_answer, so
the embedded default exercises the very code that talks to the real registry. An answer says only
which fields disagree, never what the registry holds: its values are personal data we have no
business storing.
"""

import http.client
import json
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from flask import Flask

from webapp.integrations import KeptAliveEndpoint, configured_client
from webapp.integrations.registry_standin import STANDIN_API_KEY, create_standin
from webapp.rules.registry import COMPARED_FIELDS

VERIFY_PATH = "/v1/nik/verify"
OUTCOMES = ("verified", "mismatch", "not_found", "duplicate")
DEFAULT_TIMEOUT_SECONDS = 5.0

# Client errors that mean "not now" rather than "never": worth retrying like a 5xx.
_RETRYABLE_CLIENT_ERRORS = {408, 425, 429}


@dataclass(frozen=True)
class RegistryAnswer:
    outcome: str  # one of OUTCOMES; "duplicate" is as definite as the others
    mismatched: tuple[str, ...]  # from COMPARED_FIELDS; not empty exactly for "mismatch"
    holds_valid_passport: bool


class RegistryUnavailable(Exception):
    """No usable answer (timeout, connection error, 5xx, malformed reply): try again later."""


class RegistryRejected(Exception):
    """The registry refused the request itself (bad request, wrong API key): retrying won't help."""


class RegistryClient(Protocol):
    def check(self, nik: str, full_name: str, birth_date: date) -> RegistryAnswer:
        """The registry's answer; RegistryUnavailable or RegistryRejected when there is none."""


def parse_answer(status: int, body: bytes) -> RegistryAnswer:
    """Read a registry reply. The one parser for both clients.

    Error messages leave the body out: it may echo personal data into logs and job records.
    """
    if 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS:
        raise RegistryRejected(f"registry refused the request: HTTP {status}")
    if status != 200:
        raise RegistryUnavailable(f"registry answered HTTP {status}")
    try:
        data = json.loads(body)
        outcome, mismatched, holds = (
            data["outcome"],
            data["mismatched"],
            data["holds_valid_passport"],
        )
    except (ValueError, TypeError, KeyError) as error:
        raise RegistryUnavailable("malformed registry answer") from error
    if not _well_formed(outcome, mismatched, holds):
        raise RegistryUnavailable("malformed registry answer")
    # Only these three values cross over; anything else the registry sends is dropped here.
    ordered = tuple(field for field in COMPARED_FIELDS if field in mismatched)
    return RegistryAnswer(outcome, ordered, holds)


def _well_formed(outcome: object, mismatched: object, holds: object) -> bool:
    if outcome not in OUTCOMES or not isinstance(holds, bool) or not isinstance(mismatched, list):
        return False
    if not all(isinstance(field, str) and field in COMPARED_FIELDS for field in mismatched):
        return False
    return bool(mismatched) == (outcome == "mismatch")


def _request(nik: str, full_name: str, birth_date: date, api_key: str) -> tuple[bytes, dict]:
    """The body and headers of a check, the same for both clients."""
    body = {"nik": nik, "full_name": full_name, "birth_date": birth_date.isoformat()}
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    return json.dumps(body).encode(), headers


class HttpRegistryClient:
    """The real registry over HTTP(S), on a kept-alive connection (KeptAliveEndpoint).

    It makes one attempt and never retries: retries belong to the RQ job (Retry with back-off),
    so that waiting for the registry to recover does not hold a worker.
    """

    def __init__(self, base_url: str, api_key: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self._endpoint = KeptAliveEndpoint(base_url, VERIFY_PATH, timeout)
        self._api_key = api_key

    def check(self, nik: str, full_name: str, birth_date: date) -> RegistryAnswer:
        body, headers = _request(nik, full_name, birth_date, self._api_key)
        try:
            status, reply = self._endpoint.post(body, headers)
        except (OSError, http.client.HTTPException) as error:
            raise RegistryUnavailable(f"registry unreachable: {type(error).__name__}") from error
        return parse_answer(status, reply)


class InProcessRegistryClient:
    """The stand-in registry called in-process through its test client: no server, no socket.

    This is the embedded default. It sends the same JSON and reads the reply with parse_answer,
    like the HTTP client; it has no timeout, so timeout drills need the stand-in served on a port.
    """

    def __init__(self, standin: Flask | None = None, api_key: str = STANDIN_API_KEY):
        self._standin = standin or create_standin(api_key=api_key)
        self._api_key = api_key

    def check(self, nik: str, full_name: str, birth_date: date) -> RegistryAnswer:
        body, headers = _request(nik, full_name, birth_date, self._api_key)
        response = self._standin.test_client().post(VERIFY_PATH, data=body, headers=headers)
        return parse_answer(response.status_code, response.get_data())


def client_from_config(config: dict) -> RegistryClient:
    """HTTP to REGISTRY_URL when it is set; in demo mode without it, the in-process stand-in."""
    return configured_client(
        config,
        "REGISTRY",
        in_process=InProcessRegistryClient,
        http=HttpRegistryClient,
        default_timeout=DEFAULT_TIMEOUT_SECONDS,
    )
