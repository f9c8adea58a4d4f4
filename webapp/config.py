"""Settings read from the environment, in one of two modes.

Demo mode (DEMO_MODE=1, what `make run` sets) needs nothing set up: SQLite in instance/, secrets
generated there, jobs in-process, mail written to files, and the stand-ins (payment page, population
registry, travel-ban list, /dev/mail, `flask seed-demo`). Outside demo mode there are no stand-ins
and no generated secrets: the application refuses to start until every production setting is
given.
"""

import os
from datetime import timedelta

from webapp.integrations.registry_standin import STANDIN_API_KEY
from webapp.integrations.travel_ban_standin import STANDIN_API_KEY as TRAVEL_BAN_STANDIN_KEY


class MissingSettings(RuntimeError):
    """Production settings are absent; the message names every one of them."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            "Refusing to start outside demo mode. Missing settings: "
            + ", ".join(missing)
            + ". Set them in the environment (README, 'Running in production'), "
            "or set DEMO_MODE=1 to run the demo with its stand-ins."
        )


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number, 0 or more (got {value!r})")
    return int(value)


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping; every secret and address comes from the environment.

    Absent secrets and addresses are None here: `apply_mode` fills them in demo mode and refuses
    to go on without them otherwise.
    """
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "DEMO_MODE": _flag("DEMO_MODE", False),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": _database_url(os.environ.get("DATABASE_URL")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # The address people reach the service at, for links in mail sent from jobs.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Reverse proxies in front of the application whose X-Forwarded-For/-Proto are believed.
        "TRUSTED_PROXY_HOPS": _count("TRUSTED_PROXY_HOPS", 0),
        # Population registry (Dukcapil); in demo mode, with no URL, the in-process stand-in.
        "REGISTRY_URL": os.environ.get("REGISTRY_URL") or None,
        "REGISTRY_API_KEY": os.environ.get("REGISTRY_API_KEY") or None,
        "REGISTRY_TIMEOUT": float(os.environ.get("REGISTRY_TIMEOUT", "5")),
        # The travel-ban list (daftar pencegahan); in demo mode, with no URL, the stand-in.
        "TRAVEL_BAN_URL": os.environ.get("TRAVEL_BAN_URL") or None,
        "TRAVEL_BAN_API_KEY": os.environ.get("TRAVEL_BAN_API_KEY") or None,
        "TRAVEL_BAN_TIMEOUT": float(os.environ.get("TRAVEL_BAN_TIMEOUT", "5")),
        # Ed25519 key (PKCS#8 PEM) signing the QR proofs; generated into instance/ in demo mode.
        "PROOF_SIGNING_KEY": os.environ.get("PROOF_SIGNING_KEY") or None,
        # Shared secret of the payment channels' notifications (HMAC-SHA256).
        "PAYMENT_WEBHOOK_SECRET": os.environ.get("PAYMENT_WEBHOOK_SECRET") or None,
        # Mail: in demo mode, with no MAIL_SERVER, messages are written as .eml files to MAIL_DIR.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "M-Paspor <no-reply@mpaspor.local>"
        ),
        "MAIL_DIR": os.path.join(instance_path, "mail"),
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would otherwise drop mail whenever TESTING
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ("id", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
        ),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Per client address, on anonymous endpoints only: carrier-grade NAT puts thousands of
        # phones behind one address. Everything else is limited per account and per NIK.
        "ADDRESS_RATE_LIMIT": os.environ.get("ADDRESS_RATE_LIMIT") or "300/minute;5000/hour",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # When Redis is down, count in memory rather than refuse or fail every request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # Days an ended application keeps its uploaded documents before the purge deletes them.
        "UPLOAD_RETENTION_DAYS": int(os.environ.get("UPLOAD_RETENTION_DAYS", "30")),
        # Uploads, thumbnails and receipt batches: in this S3 bucket when one is named (what
        # several servers share), else under instance/uploads (one server). Credentials come from
        # boto3's chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the instance's role.
        "STORAGE_S3_BUCKET": os.environ.get("STORAGE_S3_BUCKET") or None,
        "STORAGE_S3_ENDPOINT_URL": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,  # MinIO...
        "STORAGE_S3_REGION": os.environ.get("STORAGE_S3_REGION") or "ap-southeast-3",  # Jakarta
        "STORAGE_S3_PREFIX": os.environ.get("STORAGE_S3_PREFIX", ""),
    }


def apply_mode(config: dict, instance_path: str) -> None:
    """Demo mode: fill in the embedded defaults. Otherwise refuse missing settings, all at once."""
    if config.get("DEMO_MODE"):
        _fill_demo_defaults(config, instance_path)
        return
    missing = missing_production_settings(config)
    if missing:
        raise MissingSettings(missing)
    config["SESSION_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_SECURE"] = True


def missing_production_settings(config: dict) -> list[str]:
    """The environment names of the production settings that are absent, in the README's order."""
    database = config.get("SQLALCHEMY_DATABASE_URI") or ""
    present = {
        "SECRET_KEY": config.get("SECRET_KEY"),
        # SQLite is the demo's embedded database; production needs PostgreSQL.
        "DATABASE_URL (PostgreSQL)": database.startswith("postgresql"),
        "REDIS_URL": config.get("REDIS_URL"),
        "MAIL_SERVER": config.get("MAIL_SERVER"),
        "REGISTRY_URL": config.get("REGISTRY_URL"),
        "REGISTRY_API_KEY": config.get("REGISTRY_API_KEY"),
        "TRAVEL_BAN_URL": config.get("TRAVEL_BAN_URL"),
        "TRAVEL_BAN_API_KEY": config.get("TRAVEL_BAN_API_KEY"),
        "PAYMENT_WEBHOOK_SECRET": config.get("PAYMENT_WEBHOOK_SECRET"),
        "PROOF_SIGNING_KEY": config.get("PROOF_SIGNING_KEY"),
    }
    return [name for name, value in present.items() if not value]


def _fill_demo_defaults(config: dict, instance_path: str) -> None:
    defaults = {
        "SECRET_KEY": lambda: _instance_secret(instance_path, "secret_key"),
        "SQLALCHEMY_DATABASE_URI": lambda: _embedded_database(instance_path),
        "PAYMENT_WEBHOOK_SECRET": lambda: _instance_secret(instance_path, "payment_webhook_secret"),
        "REGISTRY_API_KEY": lambda: STANDIN_API_KEY,
        "TRAVEL_BAN_API_KEY": lambda: TRAVEL_BAN_STANDIN_KEY,
    }
    for name, default in defaults.items():
        if not config.get(name):
            config[name] = default()


def _database_url(url: str | None) -> str | None:
    if not url:
        return None
    # Accept the common postgres:// spellings and use the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _embedded_database(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "mpaspor.sqlite")


def _instance_secret(instance_path: str, name: str) -> str:
    """A random key generated once into instance/, so the demo needs no setup."""
    path = os.path.join(instance_path, name)
    os.makedirs(instance_path, exist_ok=True)
    try:
        # O_EXCL: when two processes start at once, the second reads the first one's key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(os.urandom(32).hex())
    with open(path) as handle:
        return handle.read().strip()
