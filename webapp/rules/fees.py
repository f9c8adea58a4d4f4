"""Passport fees (PNBP) per regulation, with validity periods so that history is kept.

The tables are data (models/fees.py, kept by administrators at /admin/fees): a new regulation is
a new table with its validity, and older tables stay so that old applications can still be
explained and quotes for any day are reproducible. These rules are pure: they are handed the
table in force (services/fee_tables.py finds it for a day).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

# "expired" also covers a passport with less than 6 months left.
REPLACEMENT_REASONS = ("expired", "pages_full", "data_changed", "lost", "damaged", "force_majeure")
EXEMPTIONS = ("pmi_first_time", "poor_abroad", "government_scholarship")


@dataclass(frozen=True)
class FeeTable:
    regulation: str
    valid_from: date
    valid_until: date | None  # inclusive; None while in force
    passport: Mapping[tuple[str, int], int] = field(hash=False)  # (kind, years) -> Rp
    express_surcharge: int
    fine_lost: int  # per book, billed at the office after the examination report (BAP)
    fine_damaged: int
    fine_force_majeure: int  # lost or damaged in a disaster, with the kelurahan's letter
    exemptions: frozenset[str] = frozenset()  # exemption codes this regulation recognises
    exempt_kinds: frozenset[str] = frozenset()  # passport kinds those exemptions make free

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


# A table's priced items as stored (models/fees.py FeeAmount.item): a passport of a kind and
# validity, the express surcharge, and the fines billed at the office after the BAP.
PASSPORT_ITEMS: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "ordinary_5": ("ordinary", 5),
        "ordinary_10": ("ordinary", 10),
        "electronic_5": ("electronic", 5),
        "electronic_10": ("electronic", 10),
    }
)
OTHER_ITEMS = ("express", "fine_lost", "fine_damaged", "fine_force_majeure")
ITEMS = (*PASSPORT_ITEMS, *OTHER_ITEMS)


def from_amounts(
    regulation: str,
    valid_from: date,
    valid_until: date | None,
    amounts: Mapping[str, int],
    *,
    exemptions: frozenset[str] = frozenset(),
    exempt_kinds: frozenset[str] = frozenset(),
) -> FeeTable:
    """A table from its stored items: passport items it lacks are not priced; the express
    surcharge and the fines are required."""
    return FeeTable(
        regulation=regulation,
        valid_from=valid_from,
        valid_until=valid_until,
        passport=MappingProxyType(
            {key: amounts[item] for item, key in PASSPORT_ITEMS.items() if item in amounts}
        ),
        express_surcharge=amounts["express"],
        fine_lost=amounts["fine_lost"],
        fine_damaged=amounts["fine_damaged"],
        fine_force_majeure=amounts["fine_force_majeure"],
        exemptions=frozenset(exemptions),
        exempt_kinds=frozenset(exempt_kinds),
    )


def table_on(tables: Iterable[FeeTable], day: date) -> FeeTable:
    """The one of `tables` in force on `day`; LookupError when none is."""
    for table in tables:
        if table.in_force_on(day):
            return table
    raise LookupError(f"no fee table in force on {day.isoformat()}")


def overlaps(
    valid_from: date, valid_until: date | None, other_from: date, other_until: date | None
) -> bool:
    """Whether two validity periods (inclusive, None without end) share a day."""
    starts_before_other_ends = other_until is None or valid_from <= other_until
    other_starts_before_end = valid_until is None or other_from <= valid_until
    return starts_before_other_ends and other_starts_before_end


@dataclass(frozen=True)
class FeeLine:
    code: str  # "passport" | "express"
    amount: int


@dataclass(frozen=True)
class Quote:
    lines: tuple[FeeLine, ...]
    total: int  # billed online when the application is submitted
    office_fine: int  # lost/damaged fine, billed at the office after the BAP; not in `total`


def _office_fine(table: FeeTable, replacement_reason: str | None) -> int:
    """Only negligent loss or damage is fined; force majeure (with a kelurahan letter) is not."""
    fines = {
        "lost": table.fine_lost,
        "damaged": table.fine_damaged,
        "force_majeure": table.fine_force_majeure,
    }
    return fines.get(replacement_reason, 0)


def fine(table: FeeTable, replacement_reason: str, *, books: int = 1) -> int:
    """The fine for a lost or damaged passport, per book, as `table` (the one in force) says."""
    return _office_fine(table, replacement_reason) * books


def quote(
    table: FeeTable,
    *,
    kind: str,
    validity_years: int,
    express: bool,
    replacement_reason: str | None,
    exemption: str | None = None,
) -> Quote:
    """What an application costs under `table` (the one in force on the day of the quote, as
    services/fee_tables.py finds it); ValueError for anything the table does not price."""
    if replacement_reason is not None and replacement_reason not in REPLACEMENT_REASONS:
        raise ValueError(f"unknown replacement reason: {replacement_reason!r}")
    if exemption is not None and exemption not in EXEMPTIONS:
        raise ValueError(f"unknown exemption: {exemption!r}")
    try:
        passport_fee = table.passport[(kind, validity_years)]
    except KeyError:
        raise ValueError(
            f"{table.regulation} has no fee for a {validity_years}-year {kind} passport"
        ) from None
    if exemption in table.exemptions and kind in table.exempt_kinds:
        passport_fee = 0
    lines = (FeeLine("passport", passport_fee),)
    if express:
        lines += (FeeLine("express", table.express_surcharge),)
    return Quote(
        lines=lines,
        total=sum(line.amount for line in lines),
        office_fine=_office_fine(table, replacement_reason),
    )
