"""Who needs an examination report (BAP), what it must state, its fine, and when a suspension
for negligence ends."""

from datetime import date

import pytest

from tests.fees import migrated_rule_tables
from webapp.rules import examinations, fees


@pytest.mark.parametrize(
    ("application_type", "reason", "incident"),
    [
        ("replacement", "lost", "lost"),
        ("replacement", "damaged", "damaged"),
        ("replacement", "force_majeure", "force_majeure"),
        ("replacement", "expired", None),
        ("replacement", "pages_full", None),
        ("replacement", "data_changed", None),
        ("new", None, None),
        ("new", "lost", None),  # a stale answer of a new application needs no BAP
    ],
)
def test_only_lost_and_damaged_replacements_need_a_report(application_type, reason, incident):
    assert examinations.incident_of(application_type, reason) == incident


@pytest.mark.parametrize(
    ("incident", "police", "kelurahan", "missing"),
    [
        ("lost", "", "", "police_report_number"),
        ("lost", "LP/1", "", None),
        ("damaged", "", "", None),
        ("force_majeure", "", "", "kelurahan_letter_number"),
        ("force_majeure", "", "470/1", None),
    ],
)
def test_each_incident_states_its_document(incident, police, kelurahan, missing):
    assert examinations.missing_statement(incident, police, kelurahan) == missing


@pytest.mark.parametrize(
    ("incident", "fine"), [("lost", 1_000_000), ("damaged", 500_000), ("force_majeure", 0)]
)
@pytest.mark.parametrize("on", [date(2024, 1, 1), date(2026, 12, 1)])
def test_the_fine_per_book_from_the_table_in_force(incident, fine, on):
    table = fees.table_on(migrated_rule_tables(), on)
    assert fees.fine(table, incident) == fine
    assert fees.fine(table, incident, books=2) == 2 * fine


@pytest.mark.parametrize(
    ("start", "months", "ends"),
    [
        (date(2026, 12, 1), 6, date(2027, 6, 1)),
        (date(2026, 12, 1), 24, date(2028, 12, 1)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
    ],
)
def test_a_suspension_ends_its_months_later(start, months, ends):
    assert examinations.suspension_ends(start, months) == ends


@pytest.mark.parametrize("months", [0, 5, 25])
def test_a_suspension_lasts_six_months_to_two_years(months):
    with pytest.raises(ValueError):
        examinations.suspension_ends(date(2026, 12, 1), months)
