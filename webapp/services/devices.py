"""The browser behind a sign-in: a long-lived random cookie, kept as its keyed hash per account,
so that administrators can see many accounts run from one device. It identifies a browser, not
a person, and decides nothing by itself."""

import hashlib
import hmac
import re
import secrets

from flask import after_this_request, current_app, request
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import AccountDevice, User

COOKIE = "device"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def _token() -> str:
    """This browser's device cookie, or a new one (set on the response) when it has none."""
    token = request.cookies.get(COOKIE, "")
    if TOKEN.fullmatch(token):
        return token
    token = secrets.token_urlsafe(16)

    @after_this_request
    def remember(response):
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_MAX_AGE,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response

    return token


def _hash(token: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def record_sign_in(user: User) -> None:
    """Note that `user` signed in from this browser: first and last seen."""
    device_hash, moment = _hash(_token()), clock.now()
    seen = db.session.execute(
        update(AccountDevice)
        .where(AccountDevice.account_id == user.id, AccountDevice.device_hash == device_hash)
        .values(last_seen=moment)
    )
    if seen.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(
                    AccountDevice(
                        account_id=user.id,
                        device_hash=device_hash,
                        first_seen=moment,
                        last_seen=moment,
                    )
                )
        except IntegrityError:
            pass  # the same browser signed in twice at once: one row is all it needs
    db.session.commit()
