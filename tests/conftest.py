"""Fixtures: an application on a real, migrated database, its clients, and its mailbox.

DATABASE_URL chooses PostgreSQL (CI) or, when unset, a throw-away SQLite file. REDIS_URL, when
set, puts rate limits and jobs on Redis; mail jobs are then run by a real RQ worker in burst mode.
Either way the run has a database and a Redis database of its own (tests/services.py).
"""

import os
import re
import signal
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests import services
from tests.fees import load_migrated_fee_tables
from tests.html import CheckingClient
from webapp import create_app
from webapp.extensions import db, limiter


def _config(database_url: str, instance_path, **overrides) -> dict:
    redis_url = services.configured_redis_url()
    return {
        "TESTING": True,
        "DEMO_MODE": True,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": None,
        "MAIL_DIR": str(instance_path / "mail"),
        "REDIS_URL": redis_url,
        # The limiter counts in this run's Redis database too, whatever REDIS_URL a test gives
        # its app; left to config.py it would count in the one the environment names, shared.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_SECURE": False,
        "BASE_URL": "http://localhost",
        "STORAGE_S3_BUCKET": None,  # files under the test's instance/, unless a test names one
        **overrides,
    }


def pytest_runtest_setup(item) -> None:
    # A run stopped with SIGTERM (a CI timeout, `kill`) tears down as after Ctrl-C, so that its
    # database is dropped and its Redis database released. Set before every test: RQ workers run
    # in-process put in handlers of their own for both signals and leave them.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# A test needs what its fixtures need: one that uses one of these fixtures, directly or through
# another fixture, carries the marker of what it needs (so `-m "not browser"` selects truly).
MARKER_OF_FIXTURE = {"postgres": "postgres", "redis": "redis", "playwright_driver": "browser"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture
def postgres(database_url) -> str:
    """For tests that mean something only on PostgreSQL: skipped locally on SQLite, a failure
    in CI."""
    services.require(
        database_url.startswith("postgresql"),
        "runs when the suite runs on PostgreSQL (DATABASE_URL)",
    )
    return database_url


@pytest.fixture
def redis() -> str:
    """This run's own Redis database, for tests that need Redis whatever REDIS_URL says:
    skipped locally without it, a failure in CI."""
    url = services.redis_url()
    services.require(services.redis_reachable(url), f"Redis unreachable at {url}")
    return url


@pytest.fixture(scope="session", autouse=True)
def _redis_space():
    """Claimed on first use (tests/services.py); released, emptied, when the run ends."""
    yield
    services.release_redis_space()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own, migrated once with the project's own Alembic migrations."""
    if os.environ.get("DATABASE_URL"):
        url = services.postgres_url()
        services.require(services.postgres_server_reachable(), "PostgreSQL unreachable")
        services.create_database(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    try:
        app = create_app(_config(url, tmp_path_factory.mktemp("migrate")))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url
    finally:
        if url.startswith("postgresql"):
            services.drop_database(url)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database; extra settings override the defaults."""
    made = []

    def build(**overrides):
        app = create_app(_config(database_url, tmp_path / "instance", **overrides))
        app.test_client_class = CheckingClient
        made.append(app)
        with app.app_context():
            # Counters start from zero in every test, whichever storage keeps them.
            limiter.reset()
        services.empty_redis(app.config["REDIS_URL"])  # this run's own database, and only it
        return app

    yield build
    for app in made:
        with app.app_context():
            _empty_tables()
            db.engine.dispose()


def _empty_tables() -> None:
    """Empty every table, the append-only audit trail included: its triggers are set aside for
    this cleanup alone (disabled for the transaction on PostgreSQL, dropped and recreated on
    SQLite, which cannot disable them)."""
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(table.name for table in tables)
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        triggers = db.session.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _ in triggers:
            db.session.execute(sa.text(f'DROP TRIGGER "{name}"'))
        for table in reversed(tables):
            db.session.execute(table.delete())
        for _, sql in triggers:
            db.session.execute(sa.text(sql))
    # Data the migrations load, as every database has it: the fee tables in force.
    load_migrated_fee_tables()
    db.session.commit()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Mailbox:
    """The mail an app has sent, read back as a person's mail client would."""

    def __init__(self, app):
        self.app = app

    def run_jobs(self) -> None:
        if not self.app.config["REDIS_URL"]:
            return  # jobs already ran in-process
        from rq import SimpleWorker

        from webapp.jobs import QUEUES, redis_connection

        with self.app.app_context():
            SimpleWorker(list(QUEUES), connection=redis_connection()).work(burst=True)

    def messages(self, to: str | None = None) -> list:
        self.run_jobs()
        directory = self.app.config["MAIL_DIR"]
        names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
        parsed = []
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                parsed.append(BytesParser(policy=policy.default).parse(handle))
        return [m for m in parsed if to is None or to in m["To"]]

    def last(self, to: str):
        found = self.messages(to)
        assert found, f"no mail to {to}"
        return found[-1]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def code_for(self, to: str) -> str:
        return re.search(r"\b(\d{6})\b", self.text(self.last(to))).group(1)


@pytest.fixture
def mailbox(app):
    return Mailbox(app)


@pytest.fixture(scope="session")
def registry_url():
    """The stand-in population registry, served over real HTTP on loopback."""
    from webapp.integrations.registry_standin import create_standin

    with services.serving(create_standin()) as url:
        yield url


@pytest.fixture(scope="session")
def s3_server():
    """An S3-protocol server (moto's) on loopback for the run, with dummy credentials in the
    environment for the clients talking to it; yields its endpoint URL."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            patch.delenv(name)
        for name, value in services.s3_test_environment({}).items():
            patch.setenv(name, value)
        url, stop = services.start_s3_server()
        try:
            yield url
        finally:
            stop()


@pytest.fixture
def s3_bucket(s3_server) -> str:
    """A new, empty bucket on the run's S3 server."""
    return services.create_bucket(s3_server)
