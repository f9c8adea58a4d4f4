"""Passport fees (PNBP) per regulation, with validity periods so that history is kept.

A new regulation is a new FeeTable appended to FEE_TABLES; older tables stay so that old
applications can still be explained and quotes for any day are reproducible.
"""

from collections.abc import Mapping
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


FEE_TABLES: tuple[FeeTable, ...] = (
    FeeTable(
        regulation="PP 28/2019",
        valid_from=date(2019, 5, 3),
        valid_until=date(2024, 12, 16),
        # No ten-year passport existed under this regulation.
        passport=MappingProxyType({("ordinary", 5): 350_000, ("electronic", 5): 650_000}),
        express_surcharge=1_000_000,
        fine_lost=1_000_000,
        fine_damaged=500_000,
        fine_force_majeure=0,
    ),
    FeeTable(
        regulation="PP 45/2024",
        valid_from=date(2024, 12, 17),
        valid_until=None,
        passport=MappingProxyType(
            {
                ("ordinary", 5): 350_000,
                ("ordinary", 10): 650_000,
                ("electronic", 5): 650_000,
                ("electronic", 10): 950_000,
            }
        ),
        express_surcharge=1_000_000,
        fine_lost=1_000_000,
        fine_damaged=500_000,
        fine_force_majeure=0,
        exemptions=frozenset(EXEMPTIONS),
        exempt_kinds=frozenset({"ordinary"}),
    ),
)


@dataclass(frozen=True)
class FeeLine:
    code: str  # "passport" | "express"
    amount: int


@dataclass(frozen=True)
class Quote:
    lines: tuple[FeeLine, ...]
    total: int  # billed online when the application is submitted
    office_fine: int  # lost/damaged fine, billed at the office after the BAP; not in `total`


def table_on(day: date) -> FeeTable:
    for table in FEE_TABLES:
        if table.in_force_on(day):
            return table
    raise LookupError(f"no fee table in force on {day.isoformat()}")


def _office_fine(table: FeeTable, replacement_reason: str | None) -> int:
    """Only negligent loss or damage is fined; force majeure (with a kelurahan letter) is not."""
    fines = {
        "lost": table.fine_lost,
        "damaged": table.fine_damaged,
        "force_majeure": table.fine_force_majeure,
    }
    return fines.get(replacement_reason, 0)


def fine(replacement_reason: str, *, books: int = 1, on: date) -> int:
    """The fine for a lost or damaged passport, per book, as the table in force on `on` says."""
    return _office_fine(table_on(on), replacement_reason) * books


def quote(
    *,
    kind: str,
    validity_years: int,
    express: bool,
    replacement_reason: str | None,
    exemption: str | None = None,
    on: date,
) -> Quote:
    """What an application costs on `on`; ValueError for anything the table does not price."""
    if replacement_reason is not None and replacement_reason not in REPLACEMENT_REASONS:
        raise ValueError(f"unknown replacement reason: {replacement_reason!r}")
    if exemption is not None and exemption not in EXEMPTIONS:
        raise ValueError(f"unknown exemption: {exemption!r}")
    table = table_on(on)
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
