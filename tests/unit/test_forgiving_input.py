"""Codes and numbers as people type them: the grouping goes, what counts stays."""

import pytest

from webapp.forms.base import room_for_separators, without_separators


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("5104 0751 1197 0004", "5104075111970004"),
        ("5104-0751-1197-0004", "5104075111970004"),
        ("51.04.07.511197.0004", "5104075111970004"),
        ("5104\u00a00751\u202f1197\t0004", "5104075111970004"),  # no-break spaces, pasted
        ("5104 \u2013 0751 \u2014 1197", "510407511197"),  # dashes a phone keyboard makes
        ("0812-3456-7890", "081234567890"),
        ("0812.3456.7890", "081234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("123 4567 8901 2345", "123456789012345"),
        ("5104075111970004", "5104075111970004"),
        ("51O4 0751", "51O40751"),  # a letter O stays, for the validator to refuse
        ("", ""),
        (None, None),
    ],
)
def test_separators_are_dropped_and_nothing_else(typed, kept):
    assert without_separators(typed) == kept


@pytest.mark.parametrize("digits", [6, 15, 16])
def test_the_box_holds_a_code_with_a_separator_between_every_digit(digits):
    assert room_for_separators(digits) >= len(" ".join("9" * digits))
