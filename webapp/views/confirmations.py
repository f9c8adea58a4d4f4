"""Steps that cost something or cannot be undone say what they do before their final button: on
a page of their own without JavaScript, and in place with it (htmx swaps in the same panel).

Each final form carries the status the applicant saw (`seen`); the view acts only from that
status, so a confirmation left open while the application changed is refused, never applied
to something the applicant did not see.
"""

from flask import render_template, request


def confirmation(panel: str, target: str, title: str, **context) -> str:
    """The panel alone for an htmx request aimed at `target`, else the page around it."""
    in_place = request.htmx.target == target and not request.htmx.history_restore_request
    template = panel if in_place else "confirmations/page.html"
    return render_template(template, panel=panel, title=title, in_place=in_place, **context)
