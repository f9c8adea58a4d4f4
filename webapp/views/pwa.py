"""The installable shell: service worker at the site root, the offline page it serves, and the
account tag under which a phone keeps one account's drafts apart from another's."""

import hashlib
import hmac
import os

from flask import Blueprint, current_app, g, make_response, render_template, request, url_for
from flask_login import current_user

from webapp.assets import asset_url
from webapp.views.access import public

bp = Blueprint("pwa", __name__)

# Pages and assets the service worker keeps so that the shell opens without a connection.
SHELL_ASSETS = (
    "css/app.css",
    "js/htmx.min.js",
    "js/app.js",
    "js/vendor/idb-keyval.js",
    "js/drafts.js",
    "icons/icon-192.png",
)
# Browsers ask for /favicon.ico whatever a page links: a fixed URL, cached for a day, not a year.
FAVICON_MAX_AGE = 24 * 3600


@bp.app_template_global()
def account_tag() -> str:
    """The signed-in applicant's tag, or "": the same for one account, and without the app's
    secret nothing links it to the account id or to a tag of another site. The offline page
    carries none: the worker keeps one copy of it for whoever uses the phone next."""
    account = current_user._get_current_object()
    known = g.get("account_tag")
    if known is None or known[0] is not account:  # first asked, or signed in or out since
        known = g.account_tag = (account, _tag_of_this_request())
    return known[1]


def _tag_of_this_request() -> str:
    shell = request.endpoint == "pwa.offline"
    if shell or not current_user.is_authenticated or current_user.role != "applicant":
        return ""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"account-tag:{current_user.id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]


@bp.before_app_request
def _tag_before_any_commit():
    # Read while the account is fresh: once a view commits, reading it again costs a query.
    if request.endpoint != "static":
        account_tag()


@bp.after_app_request
def tag_pages(response):
    # The service worker files a page it keeps under this tag, and shows an account only its own.
    if response.mimetype == "text/html" and (tag := account_tag()):
        response.headers["X-Account-Tag"] = tag
    return response


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


@bp.route("/favicon.ico")
@public
def favicon():
    # Read whole (it is 2 KB), so that no open file outlives a client that never reads it.
    with open(os.path.join(current_app.static_folder, "icons", "favicon.ico"), "rb") as icon:
        response = make_response(icon.read())
    response.mimetype = "image/vnd.microsoft.icon"
    response.cache_control.public = True
    response.cache_control.max_age = FAVICON_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
