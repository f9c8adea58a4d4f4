"""The installable shell: service worker at the site root, and the offline page it serves."""

import hashlib

from flask import Blueprint, make_response, render_template, url_for

from webapp.assets import asset_url
from webapp.views.access import public

bp = Blueprint("pwa", __name__)

# Pages and assets the service worker keeps so that the shell opens without a connection.
SHELL_ASSETS = ("css/app.css", "js/htmx.min.js", "js/app.js", "icons/icon-192.png")


@bp.route("/sw.js")
@public
def service_worker():
    precache = [url_for("pwa.offline"), *(asset_url(name) for name in SHELL_ASSETS)]
    version = hashlib.sha256("|".join(precache).encode()).hexdigest()[:12]
    response = make_response(render_template("pwa/sw.js", precache=precache, version=version))
    response.mimetype = "text/javascript"
    # Browsers must always ask for a fresh worker; its own content names the asset versions.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
@public
def offline():
    response = make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response
