"""Demo mode and production: refusal to start without the production settings, no stand-ins
outside demo mode, secure cookies and HSTS, the first administrator, and proxies."""

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import request
from sqlalchemy import func, select

from tests import services
from tests.html import submit
from webapp import create_app
from webapp.config import MissingSettings, from_environment
from webapp.extensions import db
from webapp.models import User

ENVIRONMENT_NAMES = (
    "DEMO_MODE",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "MAIL_SERVER",
    "REGISTRY_URL",
    "REGISTRY_API_KEY",
    "TRAVEL_BAN_URL",
    "TRAVEL_BAN_API_KEY",
    "PAYMENT_WEBHOOK_SECRET",
    "PROOF_SIGNING_KEY",
)
EVERY_PRODUCTION_SETTING = [
    "SECRET_KEY",
    "DATABASE_URL (PostgreSQL)",
    "REDIS_URL",
    "MAIL_SERVER",
    "REGISTRY_URL",
    "REGISTRY_API_KEY",
    "TRAVEL_BAN_URL",
    "TRAVEL_BAN_API_KEY",
    "PAYMENT_WEBHOOK_SECRET",
    "PROOF_SIGNING_KEY",
]
STRONG_PASSWORD = "Gunung-Rinjani-3726"


def _signing_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def bare_environment(monkeypatch):
    """No production setting in the environment, whatever the test run itself was given."""
    for name in ENVIRONMENT_NAMES:
        monkeypatch.delenv(name, raising=False)


def production_config(tmp_path, **overrides) -> dict:
    """Every production setting, pointing nowhere: enough to start without connecting."""
    return {
        "TESTING": True,
        "DEMO_MODE": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "a-production-secret-key",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://mpaspor@db.invalid/mpaspor",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": "smtp.invalid",
        "REGISTRY_URL": "https://registry.invalid",
        "REGISTRY_API_KEY": "registry-key",
        "TRAVEL_BAN_URL": "https://pencegahan.invalid",
        "TRAVEL_BAN_API_KEY": "travel-ban-key",
        "PAYMENT_WEBHOOK_SECRET": "a-real-shared-secret",
        "PROOF_SIGNING_KEY": _signing_key_pem(),
        **overrides,
    }


@pytest.fixture
def production_app(tmp_path, bare_environment):
    return create_app(production_config(tmp_path))


# Refusing to start -----------------------------------------------------------------------------


def test_production_refuses_to_start_naming_every_missing_setting(tmp_path, bare_environment):
    instance = tmp_path / "instance"
    with pytest.raises(MissingSettings) as refused:
        create_app({"INSTANCE_PATH": str(instance)})
    assert refused.value.missing == EVERY_PRODUCTION_SETTING
    message = str(refused.value)
    for name in EVERY_PRODUCTION_SETTING:
        assert name in message
    assert "DEMO_MODE=1" in message
    # Nothing was generated in its place.
    assert not (instance / "secret_key").exists()
    assert not (instance / "payment_webhook_secret").exists()


def test_sqlite_counts_as_missing_in_production(tmp_path, bare_environment):
    sqlite = "sqlite:///" + str(tmp_path / "mpaspor.sqlite")
    config = production_config(tmp_path, SQLALCHEMY_DATABASE_URI=sqlite)
    with pytest.raises(MissingSettings) as refused:
        create_app(config)
    assert refused.value.missing == ["DATABASE_URL (PostgreSQL)"]


def test_settings_come_from_the_environment(tmp_path, bare_environment, monkeypatch):
    settings = {
        "SECRET_KEY": "s",
        "DATABASE_URL": "postgres://mpaspor@db.invalid/mpaspor",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "MAIL_SERVER": "smtp.invalid",
        "REGISTRY_URL": "https://registry.invalid",
        "REGISTRY_API_KEY": "k",
        "TRAVEL_BAN_URL": "https://pencegahan.invalid",
        "TRAVEL_BAN_API_KEY": "t",
        "PAYMENT_WEBHOOK_SECRET": "w",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MissingSettings) as refused:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert refused.value.missing == ["PROOF_SIGNING_KEY"]
    monkeypatch.setenv("PROOF_SIGNING_KEY", _signing_key_pem())
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["DEMO_MODE"] is False


def test_demo_mode_generates_its_secrets_once_into_the_instance(tmp_path, bare_environment):
    config = {"DEMO_MODE": True, "INSTANCE_PATH": str(tmp_path)}
    first, second = create_app(dict(config)), create_app(dict(config))
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["PAYMENT_WEBHOOK_SECRET"] == second.config["PAYMENT_WEBHOOK_SECRET"]
    for name in ("secret_key", "payment_webhook_secret"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    assert first.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_a_bad_proxy_hop_count_is_named(bare_environment, monkeypatch, tmp_path):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "one")
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS must be a whole number"):
        from_environment(str(tmp_path))


# No stand-ins outside demo mode ----------------------------------------------------------------


def test_stand_in_routes_do_not_exist_outside_demo_mode(production_app):
    rules = {rule.rule for rule in production_app.url_map.iter_rules()}
    assert "/pay" not in rules
    assert not any(rule.startswith("/dev") for rule in rules)
    client = production_app.test_client()
    for path in ("/pay", "/dev/mail"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404


def test_stand_in_routes_exist_in_demo_mode(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/pay", "/dev/mail"} <= rules
    assert app.test_client().get("/pay").status_code == 200


def test_cookies_are_secure_and_hsts_is_sent_outside_demo_mode(production_app):
    response = production_app.test_client().get("/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True


def test_demo_mode_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_seed_demo_refuses_outside_demo_mode(production_app):
    result = production_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "only in demo mode" in result.output
    assert "flask create-admin" in result.output


def test_seed_demo_makes_the_demo_administrator_in_demo_mode(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.mpaspor.id"))
        assert admin.role == "admin"


# The first administrator -----------------------------------------------------------------------


def create_admin(runner, *options, input=None):
    return runner.invoke(
        args=["create-admin", "--email", "Ratna@Imigrasi.go.id", "--full-name", "Ratna Sari"]
        + list(options),
        input=input,
    )


def admins(app) -> list[User]:
    with app.app_context():
        return db.session.scalars(select(User).where(User.role == "admin")).all()


def test_create_admin_asks_the_password_twice_and_the_admin_can_log_in(app, runner):
    result = create_admin(runner, input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created: administrator Ratna@Imigrasi.go.id" in result.output
    assert STRONG_PASSWORD not in result.output  # hidden input is not echoed
    [admin] = admins(app)
    assert (admin.email, admin.full_name, admin.is_verified) == (
        "ratna@imigrasi.go.id",
        "Ratna Sari",
        True,
    )
    login = submit(
        app.test_client(),
        "/login",
        {"email": "ratna@imigrasi.go.id", "password": STRONG_PASSWORD},
    )
    assert login.status_code == 302


def test_create_admin_twice_changes_nothing_and_says_so(app, runner):
    assert create_admin(runner, "--password-stdin", input=STRONG_PASSWORD + "\n").exit_code == 0
    again = create_admin(runner)  # no password asked: there is nothing to do
    assert again.exit_code == 0
    assert "exists: Ratna@Imigrasi.go.id is already an administrator" in again.output
    assert len(admins(app)) == 1


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Rinjani", "too short"),
        ("password123", "most common"),
        ("ratna-12345", "contains the email address"),
    ],
)
def test_create_admin_refuses_weak_passwords(app, runner, password, reason):
    result = create_admin(runner, "--password-stdin", input=password + "\n")
    assert result.exit_code != 0
    assert reason in result.output
    assert admins(app) == []


def test_create_admin_refuses_two_different_passwords(app, runner):
    result = create_admin(runner, input=f"{STRONG_PASSWORD}\nsomething-else-9\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert admins(app) == []


def test_create_admin_never_promotes_an_existing_account(app, runner):
    from tests.factories import make_user

    with app.app_context():
        make_user(email="ratna@imigrasi.go.id")
    result = create_admin(runner, "--password-stdin", input=STRONG_PASSWORD + "\n")
    assert result.exit_code != 0
    assert "nothing changed" in result.output
    assert admins(app) == []


def test_create_admin_refuses_a_bad_email_address(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "ratna@", "--full-name", "Ratna", "--password-stdin"],
        input=STRONG_PASSWORD + "\n",
    )
    assert result.exit_code != 0 and "not valid" in result.output
    assert admins(app) == []


@pytest.mark.postgres
def test_create_admin_works_in_production(database_url, tmp_path, bare_environment):
    services.require(database_url.startswith("postgresql"), "production needs PostgreSQL")
    app = create_app(production_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url))
    try:
        result = create_admin(
            app.test_cli_runner(), "--password-stdin", input=STRONG_PASSWORD + "\n"
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).where(User.role == "admin")) == 1
    finally:
        with app.app_context():
            db.session.execute(db.delete(User))
            db.session.commit()
            db.engine.dispose()


# Behind a proxy --------------------------------------------------------------------------------


def seen_by(app):
    """A client of `app` with a page that shows what the application takes the client to be."""
    app.add_url_rule(
        "/_seen", "seen", lambda: {"address": request.remote_addr, "scheme": request.scheme}
    )
    return app.test_client()


FORGED = {"X-Forwarded-For": "198.51.100.66", "X-Forwarded-Proto": "https"}


def test_without_trusted_proxies_forwarding_headers_are_ignored(make_app):
    client = seen_by(make_app())
    seen = client.get("/_seen", headers=FORGED, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert seen.json == {"address": "203.0.113.7", "scheme": "http"}


def test_one_trusted_proxy_gives_the_right_most_forwarded_address(make_app):
    client = seen_by(make_app(TRUSTED_PROXY_HOPS=1))
    # The client wrote 198.51.100.66 itself; the proxy (10.0.0.2) appended the real 203.0.113.7.
    headers = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7", "X-Forwarded-Proto": "https"}
    seen = client.get("/_seen", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen.json == {"address": "203.0.113.7", "scheme": "https"}


def test_per_address_limits_count_the_real_client_behind_the_proxy(make_app):
    app = make_app(TRUSTED_PROXY_HOPS=1, ADDRESS_RATE_LIMIT="3 per hour")

    def attempt(forwarded_for: str) -> int:
        client = app.test_client()
        response = submit(
            client,
            "/login",
            {"email": f"x{os.urandom(4).hex()}@contoh.id", "password": "salah-salah"},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        return response.status_code

    # A forged address in front of the real one does not make a new client.
    statuses = [attempt(f"198.51.100.{n}, 203.0.113.7") for n in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert attempt("203.0.113.8") == 422  # someone else behind the same proxy
