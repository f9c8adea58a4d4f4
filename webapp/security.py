"""Response headers every page carries, and sessions that end after inactivity."""

from collections.abc import Mapping

from flask import Flask, Response, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=()",
}

# Outside demo mode the service is only reached over HTTPS: browsers are told never to try HTTP.
HSTS = "max-age=31536000; includeSubDomains"


def _add_headers(response: Response, headers: Mapping[str, str]) -> Response:
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        # Pages differ for htmx requests (fragment) and ordinary ones (full page).
        response.vary.add("HX-Request")
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _idle_session() -> None:
    # A permanent session is re-issued on every request, so PERMANENT_SESSION_LIFETIME is
    # measured from the last request: the session ends after that much inactivity.
    session.permanent = True


def init_app(app: Flask) -> None:
    app.before_request(_idle_session)
    headers = dict(HEADERS)
    if not app.config["DEMO_MODE"]:
        headers["Strict-Transport-Security"] = HSTS
    app.after_request(lambda response: _add_headers(response, headers))
