"""The waiting-room screen of an office: public, with queue numbers, lanes and counters only.
The board refreshes itself every second with htmx, or every few seconds without JavaScript."""

from flask import Blueprint, abort, render_template

from webapp.services import display, offices
from webapp.views.access import public

bp = Blueprint("display", __name__, url_prefix="/display")
# Without JavaScript the whole page reloads this often: the screen stays within 2 s of the desk.
RELOAD_SECONDS = 2


def _office(office_code: str):
    office = offices.by_code(office_code)
    if office is None:
        abort(404)
    return office


@bp.route("/<office_code>")
@public
def screen(office_code: str):
    office = _office(office_code)
    return render_template(
        "display/screen.html",
        office=office,
        board=display.board(office),
        refresh_seconds=RELOAD_SECONDS,
    )


@bp.route("/<office_code>/board")
@public
def board(office_code: str):
    """The board alone, as the screen polls it."""
    office = _office(office_code)
    return render_template("display/_board.html", office=office, board=display.board(office))
