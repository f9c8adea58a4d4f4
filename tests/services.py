"""Where the real services for the tests are, and what to do when one is missing.

In CI (CI=true) a missing PostgreSQL, Redis or Chromium fails the run; locally the tests that
need it are skipped with a one-line reason.
"""

import contextlib
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/mpaspor_test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def require(available: bool, reason: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return DEFAULT_POSTGRES


def postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS


def redis_reachable(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=2).ping())
    except RedisError:
        return False


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) and shutil.which(CHROMIUM) is not None


@contextlib.contextmanager
def serving(app):
    """Serve a WSGI app on a free loopback port until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # so that server_close() waits for the requests in flight
    # A short poll interval keeps shutdown() quick: the default costs half a second per server.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
