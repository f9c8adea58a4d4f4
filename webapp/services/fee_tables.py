"""The fee tables administrators keep: the one in force on a day, handed to the pure rules
(rules/fees.py), the history, and a new table with its validity.

Tables never overlap. A new table that starts while the current one has no end closes it the day
before it starts; one that would overlap any other table is refused with that table named.
Creating a table locks every table row first (PostgreSQL; SQLite's write lock does the same), so
two administrators adding tables at once are checked one after the other. Every creation and
closing is recorded in the changes trail.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.extensions import db
from webapp.models import FeeAmount, FeeTable, User
from webapp.rules import fees
from webapp.services import changes
from webapp.services.lifecycle import locking

# Fees are national: "today" is WIB's, where the regulations are published.
ZONE = "Asia/Jakarta"


class FeeTableRefused(Exception):
    """Why a table was not added; code is a key of labels.FEE_TABLE_PROBLEMS, other is the
    table it collides with, if any."""

    def __init__(self, code: str, other: FeeTable | None = None):
        super().__init__(code)
        self.code = code
        self.other = other


@dataclass(frozen=True)
class NewTable:
    name: str
    valid_from: date
    valid_until: date | None
    amounts: dict[str, int]  # every item of fees.OTHER_ITEMS, passport items that are priced
    exempt_ordinary: bool  # the exemptions (fees.EXEMPTIONS) make the ordinary passport free


def _as_rule(row: FeeTable) -> fees.FeeTable:
    return fees.from_amounts(
        row.name,
        row.valid_from,
        row.valid_until,
        {amount.item: amount.amount for amount in row.amounts},
        exemptions=frozenset(filter(None, row.exemptions.split(","))),
        exempt_kinds=frozenset(filter(None, row.exempt_kinds.split(","))),
    )


def in_force(day: date) -> fees.FeeTable:
    """The table in force on `day`, for the rules; LookupError when none is."""
    row = db.session.scalar(
        select(FeeTable)
        .options(selectinload(FeeTable.amounts))
        .where(
            FeeTable.valid_from <= day,
            (FeeTable.valid_until.is_(None)) | (FeeTable.valid_until >= day),
        )
    )
    if row is None:
        raise LookupError(f"no fee table in force on {day.isoformat()}")
    return _as_rule(row)


def history() -> list[FeeTable]:
    """Every table, the newest first, with its amounts."""
    return list(
        db.session.scalars(
            select(FeeTable)
            .options(selectinload(FeeTable.amounts))
            .order_by(FeeTable.valid_from.desc())
        )
    )


def today() -> date:
    return clock.today(ZONE)


def _values(row: FeeTable) -> dict:
    return {
        "name": row.name,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "exemptions": row.exemptions,
        "exempt_kinds": row.exempt_kinds,
        **{amount.item: amount.amount for amount in row.amounts},
    }


def create(administrator: User, new: NewTable) -> FeeTable:
    """Add a table from a day after today. The open-ended table it starts within ends the day
    before; any other overlap is refused, naming the other table. Nothing is kept on refusal."""
    if new.valid_from <= today():
        raise FeeTableRefused("not_future")
    if new.valid_until is not None and new.valid_until < new.valid_from:
        raise FeeTableRefused("ends_before_start")
    missing = [item for item in fees.OTHER_ITEMS if new.amounts.get(item) is None]
    priced = [item for item in fees.PASSPORT_ITEMS if new.amounts.get(item) is not None]
    if missing or not priced:
        raise FeeTableRefused("amount_missing")
    tables = list(db.session.scalars(locking(select(FeeTable).order_by(FeeTable.id))))
    if any(table.name.casefold() == new.name.casefold() for table in tables):
        db.session.rollback()
        raise FeeTableRefused("name_taken")
    closing = None
    for table in sorted(tables, key=lambda t: t.valid_from):
        open_ended_before = table.valid_until is None and table.valid_from < new.valid_from
        if open_ended_before:
            closing = table
        elif fees.overlaps(new.valid_from, new.valid_until, table.valid_from, table.valid_until):
            db.session.rollback()
            raise FeeTableRefused("overlap", table)
    if closing is not None:
        before = _values(closing)
        closing.valid_until = new.valid_from - timedelta(days=1)
        changes.record(
            administrator.id,
            "fee_table",
            closing.id,
            "closed",
            before=before,
            after=_values(closing),
        )
    row = FeeTable(
        name=new.name,
        valid_from=new.valid_from,
        valid_until=new.valid_until,
        exemptions=",".join(sorted(fees.EXEMPTIONS)) if new.exempt_ordinary else "",
        exempt_kinds="ordinary" if new.exempt_ordinary else "",
        created_by=administrator.id,
        created_at=clock.now(),
        amounts=[
            FeeAmount(item=item, amount=amount)
            for item, amount in new.amounts.items()
            if amount is not None
        ],
    )
    db.session.add(row)
    db.session.flush()
    changes.record(administrator.id, "fee_table", row.id, "created", after=_values(row))
    db.session.commit()
    return row
