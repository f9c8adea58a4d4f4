"""The three-way merge of a step sent from an older copy, and how a post's base is read."""

import json

import pytest

from webapp.rules.drafts import merge, read_base, valid_key

BASE = {"name": "Siti", "city": "Denpasar", "phone": "0812"}


def test_a_field_changed_here_only_takes_this_side():
    merged, conflicts = merge(BASE, {**BASE, "city": "Kuta"}, BASE)
    assert merged == {**BASE, "city": "Kuta"}
    assert conflicts == []


def test_a_field_changed_elsewhere_only_takes_the_saved_value():
    merged, conflicts = merge(BASE, BASE, {**BASE, "phone": "0813"})
    assert merged == {**BASE, "phone": "0813"}
    assert conflicts == []


def test_different_fields_changed_on_each_side_both_arrive():
    merged, conflicts = merge(BASE, {**BASE, "city": "Kuta"}, {**BASE, "phone": "0813"})
    assert merged == {"name": "Siti", "city": "Kuta", "phone": "0813"}
    assert conflicts == []


def test_the_same_change_on_both_sides_is_no_conflict():
    merged, conflicts = merge(BASE, {**BASE, "city": "Kuta"}, {**BASE, "city": "Kuta"})
    assert merged["city"] == "Kuta"
    assert conflicts == []


def test_a_field_changed_differently_on_both_sides_is_a_conflict_keeping_this_side_to_show():
    merged, conflicts = merge(
        BASE, {**BASE, "city": "Kuta", "name": "Sita"}, {**BASE, "city": "Ubud", "name": "Sitt"}
    )
    assert conflicts == ["city", "name"]
    assert merged["city"] == "Kuta"


def test_a_field_the_base_does_not_know_takes_this_side():
    merged, conflicts = merge({}, {"city": "Kuta"}, {"city": "Ubud"})
    assert (merged, conflicts) == ({"city": "Kuta"}, [])


def test_values_may_be_groups_of_inputs_such_as_a_date():
    date = {"d-day": "1", "d-month": "2", "d-year": "1990"}
    merged, conflicts = merge({"d": date}, {"d": {**date, "d-day": "3"}}, {"d": date})
    assert merged == {"d": {**date, "d-day": "3"}}
    assert conflicts == []


def test_a_readable_base_is_its_version_and_values():
    assert read_base("3", json.dumps({"city": "Kuta"})) == (3, {"city": "Kuta"})


@pytest.mark.parametrize(
    "version, values",
    [
        (None, "{}"),
        ("", "{}"),
        ("three", "{}"),
        ("-1", "{}"),
        ("2", None),
        ("2", "not json"),
        ("2", "[1, 2]"),
        ("2", '{"city": 5}'),
    ],
)
def test_a_missing_or_unreadable_base_counts_as_none(version, values):
    assert read_base(version, values) is None


@pytest.mark.parametrize(
    "key, valid",
    [
        ("a" * 22, True),
        ("Ab-_" * 16, True),
        ("a" * 21, False),
        ("a" * 65, False),
        ("a" * 21 + "!", False),
        ("", False),
        (None, False),
    ],
)
def test_a_submission_key_is_22_to_64_url_safe_characters(key, valid):
    assert valid_key(key) == (key if valid else None)
