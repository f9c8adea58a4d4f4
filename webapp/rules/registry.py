"""How a population-registry record is compared with what an applicant typed.

Names are compared as a clerk would read them: case, spacing and punctuation do not count, so
"NI LUH PUTU  AYU" and "Ni Luh Putu Ayu." agree. Letters, accents included, do count: "Śri" and
"Sri" are different spellings, and the fix is at Dukcapil, not in the comparison.
"""

import unicodedata
from datetime import date
from typing import Protocol

COMPARED_FIELDS = ("full_name", "birth_date")

# Apostrophes join the parts of one word ("Ma'ruf" is "Maruf"), so they go without a trace; the
# modifier letter U+02BC and the left quote are what phone keyboards put in their place.
_APOSTROPHES = "'‘’`ʼ"
# These separate words ("A.Rahman", "Nur-Aini", "Rahayu,Siti"), so they become spaces.
_SEPARATORS = ".,-"
_TRANSLATION = str.maketrans({**dict.fromkeys(_APOSTROPHES, ""), **dict.fromkeys(_SEPARATORS, " ")})


class RegistryRecord(Protocol):
    full_name: str
    birth_date: date


def normalise_person_name(name: str) -> str:
    """A name folded for comparison: no case, no punctuation, single spaces, NFC."""
    # Case folding is only exact on decomposed text (Unicode's canonical caseless match), and the
    # result is composed again so that "é" typed either way compares equal.
    folded = unicodedata.normalize("NFD", name).casefold()
    return " ".join(unicodedata.normalize("NFC", folded).translate(_TRANSLATION).split())


def compare(record: RegistryRecord, *, full_name: str, birth_date: date) -> list[str]:
    """The fields, in COMPARED_FIELDS order, where the applicant disagrees with the record."""
    mismatched = []
    if normalise_person_name(record.full_name) != normalise_person_name(full_name):
        mismatched.append("full_name")
    if record.birth_date != birth_date:
        mismatched.append("birth_date")
    return mismatched
