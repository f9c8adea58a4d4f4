"""The waiting room as applicants and the public see it: the notice and join button on the
application's page, the waiting page with its self-refreshing status fragment, and the
published draw anyone can check.

The status fragment is what thousands poll at the release: it is served from the room's board
(services/room_board.py) and never touches the database, not even to load the account.
"""

import math
import re
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale

from webapp import clock, labels
from webapp.extensions import db, login_manager
from webapp.forms.auth import EmptyForm
from webapp.models.types import MAX_ID
from webapp.models.waiting_rooms import WaitingRoom
from webapp.rules.statuses import SUBMITTED
from webapp.rules.waiting import SOLD_OUT, poll_seconds, spread_of
from webapp.services import offices, room_board, waiting_room, waitlist
from webapp.services.verification import VERIFIED
from webapp.views.access import public, verified
from webapp.views.apply import owned

bp = Blueprint("waiting_room", __name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,24}")  # as the room's service makes them
# Without JavaScript the whole page reloads instead, costing the database: not more often.
REFRESH_FLOOR_SECONDS = 30


@bp.url_value_preprocessor
def _poll_as_anyone(endpoint: str | None, values: dict | None) -> None:
    """The status fragment is public and names its entry by the token alone: its request is
    anonymous, so that no hook (the staff session's, the language's) loads the account from the
    database. This runs before every before_request hook."""
    if endpoint == "waiting_room.status":
        g._login_user = login_manager.anonymous_user()


@bp.app_template_global()
def room_notice(application):
    """The open room of the application's office and its entry there, for the application's
    page (read here, in the view layer, not by the template itself); None when there is none."""
    joinable = application.status == SUBMITTED and application.nik_status == VERIFIED
    if not joinable or application.office_id is None:
        return None
    office = offices.by_id(application.office_id)
    room = waiting_room.open_room(office)
    if room is None:
        return None
    return {"room": room, "office": office, "entry": waiting_room.entry_of(application, room)}


@bp.route("/applications/<public_id>/waiting-room", methods=["POST"])
@verified
def join(public_id: str):
    application = owned(public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        waiting_room.join(application, _room_id(request.form.get("room")))
    except waiting_room.RoomRefused as refused:
        flash(labels.ROOM_PROBLEMS[refused.code], "error")
        if refused.code != "already_joined":
            return redirect(url_for("apply.overview", public_id=public_id))
    return redirect(url_for("waiting_room.waiting", public_id=public_id))


def _room_id(value: str | None) -> int | None:
    """The room the button was shown for; anything no id column holds names no room (None,
    and the office's open room is joined)."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


@bp.route("/applications/<public_id>/waiting-room")
@verified
def waiting(public_id: str):
    """The applicant's place in the room: position, admission, or the quota's end."""
    application = owned(public_id)
    notice = room_notice(application)
    if notice is None or notice["entry"] is None:
        return redirect(url_for("apply.overview", public_id=public_id))
    room, entry = notice["room"], notice["entry"]
    standing = waiting_room.standing(entry)
    to_draw = 0 if room.drawn_at else (room.release_at - clock.now()).total_seconds()
    poll = poll_seconds(standing.status, to_draw, standing.estimate_minutes, spread_of(entry.token))
    return render_template(
        "waiting_room/waiting.html",
        application=application,
        room=room,
        office=notice["office"],
        entry=entry,
        standing=standing,
        waitlisted=waitlist.entry_of(application) if standing.status == SOLD_OUT else None,
        form=EmptyForm(),
        line=_line(
            standing.position,
            standing.status,
            standing.admitted_through,
            standing.estimate_minutes,
            drawn=room.drawn_at is not None,
        ),
        poll_seconds=poll,
        refresh_seconds=poll and max(poll, REFRESH_FLOOR_SECONDS),
    )


def _line(position, status, admitted_through, estimate_minutes, *, drawn: bool) -> dict:
    """What the status fragment shows, from the database (the page) or the board (the poll)."""
    return {
        "position": position,
        "status": status,
        "admitted_through": admitted_through,
        "estimate_minutes": estimate_minutes,
        "drawn": drawn,
    }


@bp.route("/waiting-room/<id:room_id>/<token>/status")
@public
def status(room_id: int, token: str):
    """The entry's line from the board alone. Once its status differs from the one the page
    shows (`seen`), htmx reloads the page, which shows what the new status needs."""
    if not TOKEN.fullmatch(token):
        abort(404)
    summary, entry = room_board.read(room_id, token)
    if summary is None or entry is None:
        abort(404)
    if request.args.get("seen", entry["status"]) != entry["status"]:
        return "", 200, {"HX-Refresh": "true"}
    position, through = entry["position"], summary["admitted_through"]
    drawn = summary["state"] != "open"
    estimate = _estimate(position, through, summary["per_minute"])
    line = _line(position, entry["status"], through, estimate, drawn=drawn)
    release_at = datetime.fromisoformat(summary["release_at"])
    to_draw = 0 if drawn else (release_at - clock.now()).total_seconds()
    poll = poll_seconds(entry["status"], to_draw, estimate, spread_of(token))
    # In the language of the page that polls (the account's own would cost a query).
    languages = current_app.config["LANGUAGES"]
    language = request.args.get("lang")
    with force_locale(language if language in languages else languages[0]):
        return render_template(
            "waiting_room/_status.html",
            room_id=room_id,
            token=token,
            line=line,
            poll_seconds=poll,
        )


def _estimate(position: int | None, admitted_through: int, per_minute: float) -> int | None:
    """Minutes until this position's turn at the recent rate of admissions, as the service's
    standing reckons it: admission goes in order, so everyone between is still waiting."""
    if position is None or not per_minute:
        return None
    return math.ceil(max(0, position - admitted_through - 1) / per_minute)


@bp.route("/waiting-room/<id:room_id>/draw")
@public
def draw(room_id: int):
    """The draw as anyone may check it: commitment, seed once revealed, numbers, order."""
    room, published = _published(room_id)
    return render_template(
        "waiting_room/draw.html",
        room=room,
        office=offices.by_id(room.office_id),
        published=published,
    )


@bp.route("/waiting-room/<id:room_id>/draw.json")
@public
def draw_json(room_id: int):
    room, published = _published(room_id)
    return jsonify(
        room=room.id,
        office=offices.by_id(room.office_id).code,
        release_at=room.release_at.isoformat(),
        commitment=published.commitment,
        seed=published.seed,
        numbers=published.numbers,
        order=published.order,
    )


def _published(room_id: int):
    room = db.session.get(WaitingRoom, room_id)
    if room is None:
        abort(404)
    return room, waiting_room.published(room)
