"""Where the real services for the tests are, and what to do when one is missing.

In CI (CI=true) a missing PostgreSQL, Redis or Chromium fails the run; locally the tests that
need it are skipped with a one-line reason.

Every run has a PostgreSQL database and a Redis database of its own, so that two suites on one
machine never meet. DATABASE_URL names the server and the base of the database's name; the run
creates `<base>_<pid>_<random>` and drops it at the end. REDIS_URL names the server and the first
Redis database to try; the run claims the first free one from there (see RedisSpace). Object
storage is an S3-protocol server (moto's) the run starts on loopback, each test with a bucket of
its own.
"""

import contextlib
import functools
import itertools
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

import pytest
from werkzeug.serving import make_server

from tests import loopback

log = logging.getLogger(__name__)

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


# PostgreSQL ------------------------------------------------------------------------------------

# Made once per process: the server from DATABASE_URL, a database name this run alone uses.
_RUN_SUFFIX = f"{os.getpid()}_{secrets.token_hex(3)}"


def _base_postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return DEFAULT_POSTGRES


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def postgres_url() -> str:
    """This run's own database on the server DATABASE_URL names."""
    base = urlsplit(_base_postgres_url()).path.lstrip("/") or "mpaspor_test"
    return _with_database(_base_postgres_url(), f"{base[:40]}_{_RUN_SUFFIX}")


def postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(_libpq(url), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _libpq(url: str) -> str:
    return url.replace("+psycopg", "")


def _maintenance(url: str):
    """A connection to the server's `postgres` database, outside any transaction."""
    import psycopg

    return psycopg.connect(_libpq(_with_database(url, "postgres")), autocommit=True)


def create_database(url: str) -> None:
    from psycopg import sql

    with _maintenance(url) as connection:
        name = urlsplit(url).path.lstrip("/")
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    """Drop it even if a server or worker the tests started still holds a connection."""
    from psycopg import sql

    with _maintenance(url) as connection:
        name = urlsplit(url).path.lstrip("/")
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        connection.execute(statement.format(sql.Identifier(name)))


def postgres_server_reachable() -> bool:
    import psycopg

    try:
        with _maintenance(_base_postgres_url()):
            return True
    except psycopg.Error:
        return False


# Redis -----------------------------------------------------------------------------------------

# One Redis database per run rather than a key prefix: RQ keeps its worker, scheduler and job
# keys under fixed names (rq:workers, rq:job:<id>...) that no prefix reaches, so only a database
# of its own keeps one run's workers from taking another run's jobs, and lets a test empty it
# with FLUSHDB without touching anyone else.
LEASE_KEY = "mpaspor-tests:lease"  # whose the database is; expires unless renewed
MARK_KEY = "mpaspor-tests:used"  # left by the tests, so that a dead run's database is reused
LEASE_SECONDS = 60

# A database is free when nobody holds its lease and it is empty or only the tests used it; a
# database with other keys and no mark belongs to someone else and is never taken.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('DBSIZE') > 0 and redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('FLUSHDB')
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SET', KEYS[2], '1')
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('EXPIRE', KEYS[1], ARGV[2])
"""
# Empties the database but keeps the lease, in one step: no other run can see it free meanwhile.
_EMPTY = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('FLUSHDB')
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('SET', KEYS[2], '1')
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('FLUSHDB')
return 1
"""


class RedisSpace:
    """A Redis database this run holds: claimed atomically, renewed while the run lasts,
    emptied between tests and released at the end."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.token = f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(4)}"
        self.url: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _url(self, number: int) -> str:
        return urlunsplit(urlsplit(self.base_url)._replace(path=f"/{number}"))

    def _run(self, script: str, url: str | None = None):
        from redis import Redis

        with Redis.from_url(url or self.url, socket_connect_timeout=2) as client:
            return client.eval(script, 2, LEASE_KEY, MARK_KEY, self.token, LEASE_SECONDS)

    def claim(self) -> str | None:
        """The URL of the database claimed, or None when the server cannot be reached or
        every database is taken."""
        from redis.exceptions import RedisError

        try:
            first = int(urlsplit(self.base_url).path.lstrip("/") or 0)
            count = self._database_count()
            for number in [*range(first, count), *range(first)]:
                if self._run(_CLAIM, self._url(number)):
                    self.url = self._url(number)
                    break
        except RedisError:
            return None
        if self.url:
            self._renewer = threading.Thread(target=self._renew, name="redis-lease", daemon=True)
            self._renewer.start()
        return self.url

    def _database_count(self) -> int:
        from redis import Redis
        from redis.exceptions import ResponseError

        with Redis.from_url(self.base_url, socket_connect_timeout=2) as client:
            try:
                return int(client.config_get("databases").get("databases", 16))
            except ResponseError:  # CONFIG disabled, as on some hosted servers: the default
                return 16

    def _renew(self) -> None:
        from redis.exceptions import RedisError

        while not self._stop.wait(LEASE_SECONDS / 3):
            with contextlib.suppress(RedisError):
                if not self._run(_RENEW):
                    log.warning("lost the lease on %s", self.url)

    def empty(self) -> None:
        from redis.exceptions import RedisError

        if self.url:
            with contextlib.suppress(RedisError):
                self._run(_EMPTY)

    def release(self) -> None:
        from redis.exceptions import RedisError

        self._stop.set()
        if self._renewer:
            self._renewer.join()
        if self.url:
            with contextlib.suppress(RedisError):
                self._run(_RELEASE)


_redis_space: RedisSpace | None = None


def redis_space() -> RedisSpace:
    """This run's Redis database, claimed on first use."""
    global _redis_space
    if _redis_space is None:
        _redis_space = RedisSpace(os.environ.get("REDIS_URL") or DEFAULT_REDIS)
        _redis_space.claim()
    return _redis_space


def release_redis_space() -> None:
    if _redis_space is not None:
        _redis_space.release()


def configured_redis_url() -> str | None:
    """What the apps under test use: this run's database when REDIS_URL is set (None when it
    cannot be claimed: the apps then count and run jobs in-process), else None."""
    return redis_space().url if os.environ.get("REDIS_URL") else None


def empty_redis(url: str | None) -> None:
    """Empty this run's Redis database, and never anyone else's."""
    if _redis_space is not None and url and url == _redis_space.url:
        _redis_space.empty()


def redis_url() -> str:
    """This run's own Redis database, for the tests that need Redis whatever REDIS_URL says."""
    space = redis_space()
    if space.url:
        return space.url
    require(not redis_reachable(space.base_url), f"no free Redis database at {space.base_url}")
    return space.base_url  # unreachable: the caller's own check skips or fails the test


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
def serving(app, request_handler=None):
    """Serve a WSGI app on a free loopback port until the block ends; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=request_handler)
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


# Object storage --------------------------------------------------------------------------------

# moto accepts any credentials; these keep real ones (from the environment or ~/.aws) away from
# the test server.
S3_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
S3_TEST_REGION = "ap-southeast-3"


def start_s3_server(timeout: float = 30) -> tuple[str, Callable[[], None]]:
    """An S3-protocol server (moto's) in a process of its own on a free loopback port.

    Returns its endpoint URL and a function that stops it. Usable outside pytest (the benches).
    """
    port = loopback.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # a line per request
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    deadline = time.monotonic() + timeout
    while not _port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop()
            raise RuntimeError(f"the S3 test server did not start on port {port}")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", stop


def s3_test_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """A copy of an environment for a process that talks to the test server: its AWS settings
    replaced by the dummy credentials."""
    kept = {name: value for name, value in environment.items() if not name.startswith("AWS_")}
    return {
        **kept,
        **S3_TEST_CREDENTIALS,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@functools.cache
def s3_client(endpoint_url: str):
    """A plain boto3 client on the test server, to look into buckets as an operator would."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=S3_TEST_REGION,
        aws_access_key_id=S3_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


_buckets_made = itertools.count(1)


def bucket_name() -> str:
    """A bucket name no other run or test uses."""
    return f"mpaspor-{_RUN_SUFFIX.replace('_', '-')}-{next(_buckets_made)}"


def create_bucket(endpoint_url: str, name: str | None = None) -> str:
    """A new, empty bucket (of a name no other run or test uses by default); returns its name."""
    name = name or bucket_name()
    s3_client(endpoint_url).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": S3_TEST_REGION}
    )
    return name


def bucket_keys(endpoint_url: str, bucket: str) -> list[str]:
    """Every key in a bucket, sorted."""
    pages = s3_client(endpoint_url).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))
