"""Error pages in the user's language; a refused request never shows a stack trace.

Nothing here reads the request body: a request refused for its size (413) raises the same error
again as soon as its form is parsed. htmx requests get the message alone, which the page shows
beside what was tapped (static/js/refusals.js); every other request gets the whole page.
"""

from collections.abc import Callable

from flask import Flask, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp import labels
from webapp.extensions import db
from webapp.integrations.storage import StorageUnavailable
from webapp.views.limits import REFUSED_MESSAGE, refused_form

MESSAGES = {
    400: (_l("Something in the request was wrong"), _l("Go back, check the form and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("Check the address, or start again from the home page.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    410: (_l("No longer available"), _l("This link has expired or has already been used.")),
    413: (_l("File too large"), labels.UPLOAD_PROBLEMS["too_large"]),
    422: (
        _l("This could not be done"),
        _l("What was sent is not something this page accepts. Go back and choose again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("For your security we paused this for a while. Wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Try again soon."),
    ),
}


def answers_too_large(render: Callable[[], ResponseReturnValue | None]):
    """Mark a view that takes files: a request over the size limit is answered by render(),
    which shows the page again with the refusal (from the URL alone: the body is never read),
    or returns None for the plain error page."""

    def mark(view: Callable) -> Callable:
        view.too_large = render
        return view

    return mark


def _page(code: int, title=None, message=None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    template = "errors/error.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = "errors/_error.html"
    context = {"code": code, "title": title or default_title, "message": message or default_message}
    return render_template(template, **context), code


def _csrf_failed(error: CSRFError):
    title = _l("This form has expired")
    message = _l("For your security the page timed out. Go back, reload the page and try again.")
    return _page(400, title, message)


def _too_many_attempts(error: HTTPException):
    """A limited form comes back as it was typed, with the reason; other requests get the page."""
    render = refused_form(request.endpoint) if request.method == "POST" else None
    if render is None:
        return _page(429)
    response = make_response(render(str(REFUSED_MESSAGE)))
    if response.status_code == 200:
        response.status_code = 429  # the form is shown again, but nothing was done
    return response


def _page_again_too_large():
    """The view's own page with the refusal, when the view offers one (answers_too_large)."""
    view = current_app.view_functions.get(request.endpoint or "")
    render = getattr(view, "too_large", None)
    try:
        rendered = render() if render else None
    except HTTPException:  # not the owner's, or no longer open: the plain page says enough
        return None
    if rendered is None:
        return None
    response = make_response(rendered)
    response.status_code = 413
    return response


def _http_error(error: HTTPException):
    if error.code == 429:
        return _too_many_attempts(error)
    if error.code == 413 and (page := _page_again_too_large()) is not None:
        return page
    response = _page(error.code or 500)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
    return response


def _server_error(error: Exception):
    db.session.rollback()
    return _page(500)


def _storage_unavailable(error: StorageUnavailable):
    """Stored files out of reach: a 503 that says to try again, never a 500."""
    db.session.rollback()
    current_app.logger.warning("storage unavailable: %s", error)
    title = _l("Documents cannot be reached just now")
    message = _l("Nothing is lost. Try again in a few minutes.")
    body, code = _page(503, title, message)
    return body, code, {"Retry-After": "60"}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(StorageUnavailable, _storage_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
