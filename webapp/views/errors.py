"""Error pages in the user's language; a refused request never shows a stack trace."""

from flask import Flask, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.extensions import db
from webapp.views.limits import REFUSED_MESSAGE, refused_form

MESSAGES = {
    400: (_l("Something in the request was wrong"), _l("Go back, check the form and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("Check the address, or start again from the home page.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    410: (_l("No longer available"), _l("This link has expired or has already been used.")),
    413: (_l("File too large"), _l("Files may be at most 10 MB. Choose a smaller file.")),
    429: (
        _l("Too many attempts"),
        _l("For your security we paused this for a while. Wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Try again soon."),
    ),
}


def _page(code: int):
    title, message = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _csrf_failed(error: CSRFError):
    title = _l("This form has expired")
    message = _l("For your security the page timed out. Go back, reload the page and try again.")
    return render_template("errors/error.html", code=400, title=title, message=message), 400


def _too_many_attempts(error: HTTPException):
    """A limited form comes back as it was typed, with the reason; other requests get the page."""
    render = refused_form(request.endpoint) if request.method == "POST" else None
    if render is None:
        return _page(429)
    response = make_response(render(str(REFUSED_MESSAGE)))
    if response.status_code == 200:
        response.status_code = 429  # the form is shown again, but nothing was done
    return response


def _http_error(error: HTTPException):
    if error.code == 429:
        return _too_many_attempts(error)
    response = _page(error.code or 500)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
    return response


def _server_error(error: Exception):
    db.session.rollback()
    return _page(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
