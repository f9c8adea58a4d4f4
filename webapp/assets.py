"""Content-hashed static URLs, so that assets can be cached for a year and still change."""

import hashlib
import os
from contextlib import closing
from functools import cache

from flask import Flask, Response, current_app, has_request_context, request, url_for
from flask.sessions import SecureCookieSessionInterface

HASHED = "public, max-age=31536000, immutable"
# Files named without a hash (icons, the manifest) are kept but asked about again each time.
UNHASHED = "no-cache"


@cache
def _digest(path: str, mtime: float) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """The file's URL with its content hash. Outside debug each is built once per application
    and script root: the files change only with a deployment, which starts new processes."""
    if current_app.debug or not has_request_context():
        return _hashed_url(filename)
    known = current_app.extensions.setdefault("asset_urls", {})
    key = (request.script_root, filename)
    if key not in known:
        known[key] = _hashed_url(filename)
    return known[key]


def _hashed_url(filename: str) -> str:
    path = os.path.join(current_app.static_folder, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"static asset missing: {filename}")
    return url_for("static", filename=filename, v=_digest(path, os.path.getmtime(path)))


def _static_headers(response: Response) -> Response:
    if request.endpoint != "static":
        return response
    # One header that says one thing: send_file's default no-cache would contradict immutable.
    hashed = request.args.get("v") and response.status_code == 200
    response.headers["Cache-Control"] = HASHED if hashed else UNHASHED
    if response.status_code == 200:
        # A streamed file would be compressed chunk by chunk and sent without a length; static
        # files are small, so read them whole and let compression send them with one.
        response.direct_passthrough = False
        with closing(response.response) as file:
            response.set_data(b"".join(file))
    return response


class _SessionsLeaveStaticFilesAlone(SecureCookieSessionInterface):
    """Static files are the same for everyone. A session cookie renewed on them, or the Vary:
    Cookie that comes with reading the session, would keep a browser from reusing its copy
    once the cookie changes, and the session cookie changes on every page."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint != "static":
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["asset"] = asset_url
    app.session_interface = _SessionsLeaveStaticFilesAlone()
    app.after_request(_static_headers)
