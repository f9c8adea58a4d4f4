from dataclasses import dataclass
from datetime import date

import pytest

from webapp.rules.registry import compare, normalise_person_name


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Ni Luh Putu Ayu", "ni luh putu ayu"),
        ("NI LUH PUTU  AYU", "ni luh putu ayu"),
        ("Ni Luh Putu Ayu.", "ni luh putu ayu"),
        ("  ni\tluh putu\u00a0ayu \n", "ni luh putu ayu"),  # tab, no-break space, edges
        ("Ma'ruf", "maruf"),  # apostrophes join the word
        ("Ma’ruf", "maruf"),
        ("Ma`ruf", "maruf"),
        ("Maʼruf", "maruf"),  # U+02BC, a phone keyboard's apostrophe
        ("Siti Nur-Aini", "siti nur aini"),  # hyphens, full stops and commas separate words
        ("A.Rahman", "a rahman"),
        ("A. Rahman", "a rahman"),
        ("Rahayu, Siti", "rahayu siti"),
        ("ŚRI", "śri"),  # accents are kept
        ("S\u0301ri", "śri"),  # decomposed input comes out composed
        ("Straße", "strasse"),  # case folding, not just lower()
        ("", ""),
        (".-,'", ""),
    ],
)
def test_normalise_person_name(typed, normalised):
    assert normalise_person_name(typed) == normalised


@pytest.mark.parametrize(
    ("first", "second", "equal"),
    [
        ("NI LUH PUTU  AYU", "ni luh putu ayu", True),
        ("Ni Luh Putu Ayu.", "ni luh putu ayu", True),
        ("Ma'ruf", "Maruf", True),
        ("Ma'ruf", "Ma ruf", False),  # an apostrophe is not a space
        ("Nur-Aini", "Nur Aini", True),
        ("Nur-Aini", "Nuraini", False),  # a hyphen is
        ("Śri", "Sri", False),  # a different spelling is a different name
        ("Sri Rahayu", "Rahayu Sri", False),
    ],
)
def test_names_compare_as_people_read_them(first, second, equal):
    assert (normalise_person_name(first) == normalise_person_name(second)) is equal


@dataclass(frozen=True)
class Record:
    full_name: str
    birth_date: date


RECORD = Record("Siti Rahayu", date(1997, 11, 11))


@pytest.mark.parametrize(
    ("full_name", "birth_date", "mismatched"),
    [
        ("Siti Rahayu", date(1997, 11, 11), []),
        ("SITI  RAHAYU.", date(1997, 11, 11), []),
        ("Siti Rahayu", date(1997, 11, 13), ["birth_date"]),
        ("Siti Rahmawati", date(1997, 11, 11), ["full_name"]),
        ("Siti Rahmawati", date(1997, 11, 13), ["full_name", "birth_date"]),
    ],
)
def test_compare_names_the_fields_that_disagree(full_name, birth_date, mismatched):
    assert compare(RECORD, full_name=full_name, birth_date=birth_date) == mismatched
