"""The outside world behind small interfaces, each with a real and a local implementation."""

import http.client
import os
import threading
from urllib.parse import urlsplit


def configured_client(config, setting: str, *, in_process, http, default_timeout: float):
    """The client of an outside service named by its settings' prefix (REGISTRY, TRAVEL_BAN):
    HTTP to <prefix>_URL with <prefix>_API_KEY and <prefix>_TIMEOUT when the URL is set; without
    it, the in-process stand-in, in demo mode only: real people are never checked against
    made-up records."""
    url = config.get(f"{setting}_URL")
    if not url:
        if not config.get("DEMO_MODE"):
            raise ValueError(f"{setting}_URL is required outside demo mode")
        return in_process()
    api_key = config.get(f"{setting}_API_KEY")
    if not api_key:
        raise ValueError(f"{setting}_API_KEY is required when {setting}_URL is set")
    return http(url, api_key, float(config.get(f"{setting}_TIMEOUT") or default_timeout))


class _KeptConnections(threading.local):
    """Each thread's open connections, by (scheme, host, port, timeout)."""

    def __init__(self):
        self.by_address: dict[tuple, http.client.HTTPConnection] = {}


_kept = _KeptConnections()


def _forget_inherited_connections() -> None:
    """In the child of a fork (an RQ work horse, a pool's worker), only the forking thread lives
    on: it drops the connections it inherited, so that two processes never write to one socket
    and mix their requests. Dropping them closes only the child's copies of the sockets."""
    _kept.by_address.clear()


os.register_at_fork(after_in_child=_forget_inherited_connections)


class KeptAliveEndpoint:
    """One URL of an outside service, POSTed to over an HTTP(S) connection kept open between
    calls, one per thread and process, with the standard library only.

    A new connection per check would cost a TCP (and TLS) handshake every time. The timeout bounds
    the connection and each read; a proxy set in the environment is not used.
    """

    def __init__(self, base_url: str, path: str, timeout: float):
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._address = parts.scheme, parts.hostname, parts.port, timeout  # .port: ValueError
        self._path = parts.path.rstrip("/") + path

    def post(self, body: bytes, headers: dict) -> tuple[int, bytes]:
        """The status and body of the reply; OSError or http.client.HTTPException without one.

        A kept connection the service has closed meanwhile (its idle timeout) fails at once; the
        request is then sent again, once, on a new connection. Only for lookups, which asking
        twice cannot change.
        """
        connection = self._connection()
        reused = connection.sock is not None
        try:
            return self._exchange(connection, body, headers)
        except ConnectionError:
            if not reused:
                raise
        return self._exchange(connection, body, headers)  # reconnects: its socket is closed

    def _connection(self) -> http.client.HTTPConnection:
        connection = _kept.by_address.get(self._address)
        if connection is None:
            scheme, host, port, timeout = self._address
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            connection = _kept.by_address[self._address] = kind(host, port, timeout=timeout)
        return connection

    def _exchange(self, connection, body: bytes, headers: dict) -> tuple[int, bytes]:
        try:
            connection.request("POST", self._path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()  # read in full: the connection is free again
        except BaseException:
            connection.close()  # half an exchange leaves it unusable; the next call reconnects
            raise
