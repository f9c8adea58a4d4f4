"""Offices as national administrators keep them: created and edited with their place, zone and
e-passport blanks, each change on the trail (services/changes.py) with the values before and
after. The demo loader makes its offices through the same create (services/offices.py).

A new office has no quota (0 places per hour in every lane) and so no slots until its supervisor
sets them. Its time zone cannot change while it has slots to come: they are kept in UTC from
the zone's local hours, and would move.

Lock order (services/lifecycle.py): an edit locks the office's row alone before reading it, so
that a blank taken by a print meanwhile (issuance.mark_printed) is not overwritten unseen.
"""

import math
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import Change, Office, Slot, User
from webapp.rules import roles
from webapp.rules.geo import ZONE_NAMES
from webapp.services import changes, lifecycle

KINDS = ("kanim", "ulp", "mpp")
ZONES = tuple(ZONE_NAMES)  # Asia/Jakarta, Asia/Makassar, Asia/Jayapura
CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CODE_MAX = 40
# Indonesia from Sabang to Merauke and from Miangas to Rote, with a margin: a point outside is a
# typing slip (a sign dropped, latitude and longitude swapped).
LATITUDES = (-11.5, 6.5)
LONGITUDES = (94.5, 141.5)
STOCK_MAX = 1_000_000
LIST_LIMIT = 200
# What the administrator sets; the quota and schedule are the supervisor's (0 per hour at first).
FIELDS = (
    "kind",
    "code",
    "name",
    "address",
    "city",
    "province",
    "latitude",
    "longitude",
    "timezone",
    "issues_epassport",
    "epassport_stock",
)
TEXT_LIMITS = {"name": 120, "address": 240, "city": 60, "province": 60}
NO_QUOTA = {"regular_per_hour": 0, "express_per_hour": 0, "priority_per_hour": 0}


class OfficeRefused(Exception):
    """Nothing was saved; problems maps each field to a key of labels.OFFICE_PROBLEMS."""

    def __init__(self, problems: dict[str, str], stock: int | None = None):
        super().__init__(problems)
        self.problems = problems
        self.stock = stock  # the office's stock when refused, to show again


@dataclass(frozen=True)
class OfficeRow:
    office: Office
    staff: int  # open accounts of staff and supervisors


def problems_of(values: dict, office_id: int | None = None) -> dict[str, str]:
    """Every problem of the values for an office (a new one when office_id is None)."""
    problems = {}
    if values.get("kind") not in KINDS:
        problems["kind"] = "unknown_kind"
    code = values.get("code") or ""
    if not (len(code) <= CODE_MAX and CODE.fullmatch(code)):
        problems["code"] = "bad_code"
    else:
        taken = db.session.scalar(
            select(Office.id).where(Office.code == code, Office.id != (office_id or 0))
        )
        if taken is not None:
            problems["code"] = "code_taken"
    for name, limit in TEXT_LIMITS.items():
        text = values.get(name) or ""
        if not text.strip():
            problems[name] = "required"
        elif len(text) > limit:
            problems[name] = "too_long"
    for name, (low, high), widest in (
        ("latitude", LATITUDES, 90),
        ("longitude", LONGITUDES, 180),
    ):
        value = values.get(name)
        if not isinstance(value, int | float) or not math.isfinite(value):
            problems[name] = "required"
        elif not -widest <= value <= widest:
            problems[name] = f"{name}_range"
        elif not low <= value <= high:
            problems[name] = "outside_indonesia"
    if values.get("timezone") not in ZONES:
        problems["timezone"] = "unknown_zone"
    stock = values.get("epassport_stock")
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= STOCK_MAX:
        problems["epassport_stock"] = "bad_stock"
    if not isinstance(values.get("issues_epassport"), bool):
        problems["issues_epassport"] = "required"
    return problems


def _snapshot(office: Office) -> dict:
    return {name: getattr(office, name) for name in FIELDS}


def create(actor_id: int | None, values: dict, **settings) -> Office:
    """A new office with no quota, unless settings (the demo loader's) give its slot settings."""
    values = {name: values.get(name) for name in FIELDS}
    problems = problems_of(values)
    if problems:
        raise OfficeRefused(problems)
    office = Office(**values, **(NO_QUOTA | settings))
    db.session.add(office)
    try:
        db.session.flush()
    except IntegrityError:  # the same code saved meanwhile, from another tab
        db.session.rollback()
        raise OfficeRefused({"code": "code_taken"}) from None
    changes.record(
        actor_id,
        "office",
        office.id,
        "created",
        after=_snapshot(office) | {name: getattr(office, name) for name in NO_QUOTA},
        office_id=office.id,
    )
    db.session.commit()
    return office


def update(actor_id: int, office_id: int, values: dict) -> Office:
    """Change the office's own fields; LookupError when there is no such office. The stock is
    set only when the administrator changed it from the number shown (values["stock_shown"]),
    and refused ("stock_moved", OfficeRefused.stock the number now) when it moved since."""
    office = db.session.scalar(lifecycle.locking(select(Office).where(Office.id == office_id)))
    if office is None:
        db.session.rollback()
        raise LookupError(office_id)
    shown = values.get("stock_shown")
    values = {name: values.get(name) for name in FIELDS}
    problems = problems_of(values, office.id)
    if shown is None or values["epassport_stock"] == shown:
        # Left as the page showed it: prints, deliveries and write-offs since then stand.
        values["epassport_stock"] = office.epassport_stock
    elif office.epassport_stock != shown and "epassport_stock" not in problems:
        problems["epassport_stock"] = "stock_moved"  # decided under the office's row lock
    moved = values["timezone"] != office.timezone and "timezone" not in problems
    if moved and _has_slots_to_come(office):
        problems["timezone"] = "zone_with_slots"
    if problems:
        stock = office.epassport_stock
        db.session.rollback()
        raise OfficeRefused(problems, stock)
    before = _snapshot(office)
    for name, value in values.items():
        setattr(office, name, value)
    if before == values:
        db.session.rollback()
        return office
    changes.record(
        actor_id, "office", office.id, "changed", before=before, after=values, office_id=office.id
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise OfficeRefused({"code": "code_taken"}) from None
    return office


def _has_slots_to_come(office: Office) -> bool:
    return (
        db.session.scalar(
            select(Slot.id)
            .where(Slot.office_id == office.id, Slot.starts_at > clock.now())
            .limit(1)
        )
        is not None
    )


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def listing(query: str | None) -> list[OfficeRow]:
    """Offices whose name, city or code contains the query (every office without one), by name,
    with how many open staff accounts each has."""
    staff = (
        select(func.count(User.id))
        .where(
            User.office_id == Office.id,
            User.role.in_(roles.OFFICE_ROLES),
            User.closed_at.is_(None),
        )
        .scalar_subquery()
    )
    statement = select(Office, staff).order_by(Office.name, Office.code).limit(LIST_LIMIT)
    query = (query or "").strip().lower()[:120]
    if query:
        pattern = _contains(query)
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Office.name, Office.city, Office.code)
                )
            )
        )
    return [OfficeRow(office, count) for office, count in db.session.execute(statement)]


def get(office_id: int) -> Office | None:
    return db.session.get(Office, office_id)


def every_office() -> list[Office]:
    return list(db.session.scalars(select(Office).order_by(Office.name, Office.code)))


@dataclass(frozen=True)
class TrailRow:
    change: Change
    actor: str | None  # the name of who made it; None for a command (the demo loader)


def history(office_id: int, limit: int = 50) -> list[TrailRow]:
    """The office's latest changes, newest first, with who made each."""
    rows = changes.of_office(office_id, limit)
    actor_ids = {row.actor_id for row in rows if row.actor_id is not None}
    names = dict(
        db.session.execute(select(User.id, User.full_name).where(User.id.in_(actor_ids))).all()
    )
    return [TrailRow(row, names.get(row.actor_id)) for row in rows]
