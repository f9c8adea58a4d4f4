"""Settings read from the environment, with embedded defaults that run on a laptop."""

import os
from datetime import timedelta


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping; every secret and address comes from the environment."""
    debug = _flag("FLASK_DEBUG", False)
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # The address people reach the service at, for links in mail sent from jobs.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Population registry (Dukcapil): with no REGISTRY_URL, the stand-in answers in-process.
        "REGISTRY_URL": os.environ.get("REGISTRY_URL") or None,
        "REGISTRY_API_KEY": os.environ.get("REGISTRY_API_KEY", "standin-key"),
        "REGISTRY_TIMEOUT": float(os.environ.get("REGISTRY_TIMEOUT", "5")),
        # Ed25519 key (PKCS#8 PEM) signing the QR proofs; generated into instance/ when unset.
        "PROOF_SIGNING_KEY": os.environ.get("PROOF_SIGNING_KEY") or None,
        # Shared secret of the payment channels' notifications (HMAC-SHA256). The stand-in
        # channel at /pay exists only while no real secret is configured.
        "PAYMENT_WEBHOOK_SECRET": os.environ.get("PAYMENT_WEBHOOK_SECRET")
        or _instance_secret(instance_path, "payment_webhook_secret"),
        "PAYMENT_STANDIN": _flag("PAYMENT_STANDIN", not os.environ.get("PAYMENT_WEBHOOK_SECRET")),
        # Mail: with no MAIL_SERVER, messages are written as .eml files to instance/mail/.
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
        "SESSION_COOKIE_SECURE": _flag("COOKIE_SECURE", not debug),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
        ),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # When Redis is down, count in memory rather than refuse or fail every request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # Days an ended application keeps its uploaded documents before the purge deletes them.
        "UPLOAD_RETENTION_DAYS": int(os.environ.get("UPLOAD_RETENTION_DAYS", "30")),
    }


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "mpaspor.sqlite")
    # Accept the common postgres:// spellings and use the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path: str, name: str) -> str:
    """A random key generated once into instance/, so the embedded default needs no setup."""
    path = os.path.join(instance_path, name)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(os.urandom(32).hex())
    with open(path) as handle:
        return handle.read().strip()
