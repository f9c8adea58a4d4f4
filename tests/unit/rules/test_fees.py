from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from itertools import pairwise

import pytest

from tests.fees import migrated_rule_tables
from webapp.rules import fees
from webapp.rules.fees import (
    EXEMPTIONS,
    REPLACEMENT_REASONS,
    FeeLine,
    Quote,
)

# The tables as the migration loads them (and every migrated database has them).
FEE_TABLES = migrated_rule_tables()


def table_on(day):
    return fees.table_on(FEE_TABLES, day)


def quote(*, on, **answers):
    return fees.quote(table_on(on), **answers)


PP_28_2019 = date(2024, 12, 16)  # last day of PP 28/2019
PP_45_2024 = date(2024, 12, 17)  # first day of PP 45/2024


@pytest.mark.parametrize(
    ("day", "regulation"),
    [
        (date(2019, 5, 3), "PP 28/2019"),
        (date(2022, 1, 1), "PP 28/2019"),
        (PP_28_2019, "PP 28/2019"),
        (PP_45_2024, "PP 45/2024"),
        (date(2026, 11, 24), "PP 45/2024"),
        (date(2100, 1, 1), "PP 45/2024"),
    ],
)
def test_table_on(day, regulation):
    assert table_on(day).regulation == regulation


def test_no_table_before_the_first():
    with pytest.raises(LookupError):
        table_on(date(2019, 5, 2))


def test_tables_follow_each_other_without_gaps():
    for earlier, later in pairwise(FEE_TABLES):
        assert earlier.valid_until + timedelta(days=1) == later.valid_from
    assert FEE_TABLES[-1].valid_until is None


def test_fee_tables_cannot_be_changed():
    with pytest.raises(TypeError):
        FEE_TABLES[0].passport[("ordinary", 10)] = 1  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        FEE_TABLES[0].express_surcharge = 0  # type: ignore[misc]


PASSPORT_FEES = [
    (PP_28_2019, "ordinary", 5, 350_000),
    (PP_28_2019, "electronic", 5, 650_000),
    (PP_45_2024, "ordinary", 5, 350_000),
    (PP_45_2024, "ordinary", 10, 650_000),
    (PP_45_2024, "electronic", 5, 650_000),
    (PP_45_2024, "electronic", 10, 950_000),
]


@pytest.mark.parametrize(("on", "kind", "validity_years", "fee"), PASSPORT_FEES)
def test_passport_fee_for_every_table_entry(on, kind, validity_years, fee):
    assert quote(
        kind=kind, validity_years=validity_years, express=False, replacement_reason=None, on=on
    ) == Quote(lines=(FeeLine("passport", fee),), total=fee, office_fine=0)


def test_every_table_entry_is_tested():
    entries = {(t.regulation, *key) for t in FEE_TABLES for key in t.passport}
    tested = {(table_on(on).regulation, kind, years) for on, kind, years, _ in PASSPORT_FEES}
    assert entries == tested


@pytest.mark.parametrize(
    ("kind", "validity_years", "on"),
    [
        ("ordinary", 10, PP_28_2019),  # ten-year passports did not exist yet
        ("electronic", 10, PP_28_2019),
        ("ordinary", 7, PP_45_2024),
        ("diplomatic", 5, PP_45_2024),
    ],
)
def test_unpriced_combinations_are_refused(kind, validity_years, on):
    with pytest.raises(ValueError):
        quote(
            kind=kind, validity_years=validity_years, express=False, replacement_reason=None, on=on
        )


@pytest.mark.parametrize("on", [PP_28_2019, PP_45_2024])
def test_express_adds_a_line_to_the_total(on):
    assert quote(
        kind="electronic", validity_years=5, express=True, replacement_reason=None, on=on
    ) == Quote(
        lines=(FeeLine("passport", 650_000), FeeLine("express", 1_000_000)),
        total=1_650_000,
        office_fine=0,
    )


@pytest.mark.parametrize(
    ("replacement_reason", "office_fine"),
    [
        (None, 0),
        ("expired", 0),
        ("pages_full", 0),
        ("data_changed", 0),
        ("lost", 1_000_000),
        ("damaged", 500_000),
        ("force_majeure", 0),
    ],
)
@pytest.mark.parametrize("on", [PP_28_2019, PP_45_2024])
def test_fine_is_billed_at_the_office_not_online(replacement_reason, office_fine, on):
    result = quote(
        kind="ordinary",
        validity_years=5,
        express=False,
        replacement_reason=replacement_reason,
        on=on,
    )
    assert (result.total, result.office_fine) == (350_000, office_fine)
    assert [line.code for line in result.lines] == ["passport"]


def test_replacement_reasons():
    assert REPLACEMENT_REASONS == (
        "expired",
        "pages_full",
        "data_changed",
        "lost",
        "damaged",
        "force_majeure",
    )


@pytest.mark.parametrize("exemption", EXEMPTIONS)
@pytest.mark.parametrize(
    ("kind", "validity_years", "express", "lines"),
    [
        ("ordinary", 5, False, (FeeLine("passport", 0),)),
        ("ordinary", 10, False, (FeeLine("passport", 0),)),
        ("ordinary", 5, True, (FeeLine("passport", 0), FeeLine("express", 1_000_000))),
        ("electronic", 5, False, (FeeLine("passport", 650_000),)),
        ("electronic", 10, False, (FeeLine("passport", 950_000),)),
        (
            "electronic",
            10,
            True,
            (FeeLine("passport", 950_000), FeeLine("express", 1_000_000)),
        ),
    ],
)
def test_exemptions_free_only_the_ordinary_passport(
    exemption, kind, validity_years, express, lines
):
    result = quote(
        kind=kind,
        validity_years=validity_years,
        express=express,
        replacement_reason=None,
        exemption=exemption,
        on=PP_45_2024,
    )
    assert result.lines == lines
    assert result.total == sum(line.amount for line in lines)


@pytest.mark.parametrize("exemption", EXEMPTIONS)
def test_exemptions_did_not_exist_under_pp_28_2019(exemption):
    result = quote(
        kind="ordinary",
        validity_years=5,
        express=False,
        replacement_reason=None,
        exemption=exemption,
        on=PP_28_2019,
    )
    assert result.total == 350_000


def test_exemption_does_not_waive_the_lost_fine():
    result = quote(
        kind="ordinary",
        validity_years=5,
        express=False,
        replacement_reason="lost",
        exemption="pmi_first_time",
        on=PP_45_2024,
    )
    assert (result.total, result.office_fine) == (0, 1_000_000)


@pytest.mark.parametrize(
    ("replacement_reason", "exemption"),
    [("stolen", None), ("", None), (None, "student"), (None, "")],
)
def test_unknown_codes_are_refused(replacement_reason, exemption):
    with pytest.raises(ValueError):
        quote(
            kind="ordinary",
            validity_years=5,
            express=False,
            replacement_reason=replacement_reason,
            exemption=exemption,
            on=PP_45_2024,
        )


def test_quote_before_the_first_table():
    with pytest.raises(LookupError):
        quote(
            kind="ordinary",
            validity_years=5,
            express=False,
            replacement_reason=None,
            on=date(2019, 1, 1),
        )
