"""Content-hashed static URLs, so that assets can be cached for a year and still change."""

import hashlib
import os
from functools import cache

from flask import Flask, Response, request, url_for


@cache
def _digest(path: str, mtime: float) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    from flask import current_app

    path = os.path.join(current_app.static_folder, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"static asset missing: {filename}")
    return url_for("static", filename=filename, v=_digest(path, os.path.getmtime(path)))


def _cache_hashed_assets(response: Response) -> Response:
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        response.cache_control.public = True
        response.cache_control.max_age = 31536000
        response.cache_control.immutable = True
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["asset"] = asset_url
    app.after_request(_cache_hashed_assets)
