"""Application factory."""

import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import config as settings
from webapp.extensions import compress, csrf, db, htmx, limiter, login_manager, mail, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "INSTANCE_PATH", os.path.join(ROOT, "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.from_mapping(settings.from_environment(instance_path))
    app.config.from_mapping(config or {})
    settings.apply_mode(app.config, instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    _trust_proxies(app)
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress is not news

    _init_extensions(app)
    _register_blueprints(app)

    from webapp import assets, i18n, security, sqlite
    from webapp.cli import register_commands
    from webapp.jobs import waiting_rooms

    sqlite.init_app(app)
    i18n.init_app(app)
    assets.init_app(app)
    security.init_app(app)
    register_commands(app)
    waiting_rooms.init_app(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Believe the forwarding headers of exactly TRUSTED_PROXY_HOPS proxies, and no one else's.

    With 0 (the default) X-Forwarded-* are ignored: the client address is the connection's.
    With n, the n-th address from the right of X-Forwarded-For is the client's, so whatever a
    client writes in front of what the proxies append is never believed. Host is left alone: the
    proxy passes it through.
    """
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0)


def _init_extensions(app: Flask) -> None:
    from webapp.services.accounts import load_session_user

    # Registered first, so that its hook runs last, on the response every other hook has shaped.
    _compress_responses(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"


def _compress_responses(app: Flask) -> None:
    """Brotli where the browser takes it (HTTPS), gzip otherwise, whatever serves the app.

    The same hook runs under `flask run` and gunicorn; a proxy in front may compress instead
    (see the README). Static files arrive here whole (webapp.assets), so they get a length.
    """
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    compress.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from webapp.views import (
        account,
        admin,
        admin_fees,
        admin_offices,
        admin_staff,
        apply,
        auth,
        booking,
        checkin,
        closures,
        collection,
        converters,
        desk,
        dev,
        display,
        errors,
        examination,
        figures,
        health,
        invitation,
        main,
        passports,
        payments,
        proof,
        pwa,
        receipts,
        screening,
        service,
        staff_auth,
        supervisor,
        waiting_room,
        waitlist,
    )

    converters.init_app(app)
    # The applicant's side, then the office's, then the supervisors' and administrators'.
    modules = [main, auth, account, apply, waiting_room, booking, waitlist, payments, proof]
    modules += [pwa, health]
    modules += [staff_auth, invitation, checkin, desk, display, service, examination, screening]
    modules += [receipts, passports, collection]
    modules += [supervisor, closures, figures, admin, admin_offices, admin_staff, admin_fees]
    if app.config["DEMO_MODE"]:
        modules.append(dev)  # the stand-ins' pages; in production they do not exist at all
    for module in modules:
        app.register_blueprint(module.bp)
    app.register_blueprint(closures.offers_bp)  # the applicant's side of a closure
    errors.init_app(app)
