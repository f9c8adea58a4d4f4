"""Steps that cost something or cannot be undone say what they do before their final button: on
a page of their own without JavaScript, and in place with it (htmx swaps in the same panel).

Each final form carries the status the applicant saw (`seen`); the view acts only from that
status, so a confirmation left open while the application changed is refused, never applied
to something the applicant did not see.
"""

from flask import flash, make_response, redirect, render_template, request


def confirmation(panel: str, target: str, title: str, **context) -> str:
    """The panel alone for an htmx request aimed at `target`, else the page around it."""
    in_place = request.htmx.target == target and not request.htmx.history_restore_request
    template = panel if in_place else "confirmations/page.html"
    return render_template(template, panel=panel, title=title, in_place=in_place, **context)


def elsewhere(url: str, message: str | None = None):
    """Send the applicant to `url` (with `message` flashed) when there is nothing to confirm:
    htmx, asked for a panel, loads the whole page instead of nesting it in the panel's place."""
    if message:
        flash(message, "error")
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)
