from itertools import product

import pytest

from webapp.rules.documents import (
    DOCUMENT_CODES,
    IDENTITY_DOCUMENTS,
    TRAVEL_PURPOSES,
    Case,
    documents_to_bring,
    required_documents,
)
from webapp.rules.fees import REPLACEMENT_REASONS

CHILD = (
    "parents_ktp",
    "kk",
    "birth_certificate",
    "parents_marriage_book",
    "parents_passports",
    "parents_statement",
)


@pytest.mark.parametrize(
    ("case", "documents"),
    [
        # Adults
        (Case("new", None, True, "tourism"), ("ktp", "kk", "civil_record")),
        (
            Case("new", None, True, "work", naturalised=True),
            ("ktp", "kk", "civil_record", "naturalisation_decree"),
        ),
        (
            Case("new", None, True, "study", name_changed=True),
            ("ktp", "kk", "civil_record", "name_change_decree"),
        ),
        (
            Case("new", None, True, "other", name_changed=True, naturalised=True),
            ("ktp", "kk", "civil_record", "naturalisation_decree", "name_change_decree"),
        ),
        (Case("replacement", "expired", True, "tourism"), ("ktp", "old_passport")),
        (Case("replacement", "pages_full", True, "work"), ("ktp", "old_passport")),
        (Case("replacement", "data_changed", True, "medical"), ("ktp", "old_passport")),
        (
            Case("replacement", "data_changed", True, "tourism", name_changed=True),
            ("ktp", "old_passport", "name_change_decree"),
        ),
        (
            Case("replacement", "expired", True, "tourism", naturalised=True),
            ("ktp", "old_passport"),  # citizenship was proven on the first passport
        ),
        (Case("replacement", "lost", True, "family_visit"), ("ktp", "kk", "police_report")),
        (Case("replacement", "damaged", True, "tourism"), ("ktp", "kk", "damaged_passport")),
        (
            Case("replacement", "force_majeure", True, "tourism"),
            ("ktp", "kk", "force_majeure_letter"),
        ),
        # Children
        (Case("new", None, False, "tourism"), CHILD),
        (Case("replacement", "expired", False, "tourism"), (*CHILD, "old_passport")),
        (Case("replacement", "pages_full", False, "study"), (*CHILD, "old_passport")),
        (Case("replacement", "data_changed", False, "tourism"), (*CHILD, "old_passport")),
        (Case("replacement", "lost", False, "tourism"), (*CHILD, "police_report")),
        (Case("replacement", "damaged", False, "tourism"), (*CHILD, "damaged_passport")),
        (
            Case("replacement", "force_majeure", False, "tourism"),
            (*CHILD, "force_majeure_letter"),
        ),
        (Case("new", None, False, "other", naturalised=True), (*CHILD, "naturalisation_decree")),
        # Hajj and umrah
        (Case("new", None, True, "hajj"), ("ktp", "kk", "civil_record", "kemenag_recommendation")),
        (
            Case("replacement", "expired", True, "umrah"),
            ("ktp", "old_passport", "kemenag_recommendation"),
        ),
        (Case("new", None, False, "umrah"), (*CHILD, "kemenag_recommendation")),
        (
            Case("replacement", "lost", True, "hajj", name_changed=True),
            ("ktp", "kk", "police_report", "name_change_decree", "kemenag_recommendation"),
        ),
    ],
)
def test_required_documents(case, documents):
    assert required_documents(case) == documents
    assert documents_to_bring(case) == documents


def _every_case():
    types = [("new", None)] + [("replacement", reason) for reason in REPLACEMENT_REASONS]
    for (kind, reason), adult, purpose, name_changed, naturalised in product(
        types, (True, False), TRAVEL_PURPOSES, (True, False), (True, False)
    ):
        yield Case(kind, reason, adult, purpose, name_changed, naturalised)


EVERY_CASE = list(_every_case())


def test_every_case_is_enumerated():
    assert len(EVERY_CASE) == 7 * 2 * 8 * 2 * 2


@pytest.mark.parametrize("case", EVERY_CASE)
def test_every_case_has_known_codes_without_duplicates(case):
    documents = required_documents(case)
    assert len(documents) == len(set(documents))
    assert set(documents) <= set(DOCUMENT_CODES)
    assert ("kemenag_recommendation" in documents) is (case.purpose in {"hajj", "umrah"})
    assert ("name_change_decree" in documents) is case.name_changed
    old_passport_proves_identity = case.adult and case.replacement_reason in {
        "expired",
        "pages_full",
        "data_changed",
    }
    assert ("kk" in documents) is not old_passport_proves_identity
    assert ("ktp" in documents) is case.adult
    assert ("parents_statement" in documents) is not case.adult
    assert documents_to_bring(case) == documents


def test_every_code_is_used_and_identity_documents_are_codes():
    used = {code for case in EVERY_CASE for code in required_documents(case)}
    assert used == set(DOCUMENT_CODES)
    assert len(DOCUMENT_CODES) == len(set(DOCUMENT_CODES))
    assert {
        "ktp",
        "parents_ktp",
        "old_passport",
        "damaged_passport",
        "parents_passports",
    } == IDENTITY_DOCUMENTS
    assert set(DOCUMENT_CODES) >= IDENTITY_DOCUMENTS


def test_travel_purposes():
    assert TRAVEL_PURPOSES == (
        "tourism",
        "umrah",
        "hajj",
        "work",
        "study",
        "medical",
        "family_visit",
        "other",
    )


@pytest.mark.parametrize(
    ("application_type", "replacement_reason", "purpose"),
    [
        ("renewal", None, "tourism"),
        ("new", "lost", "tourism"),
        ("replacement", None, "tourism"),
        ("replacement", "stolen", "tourism"),
        ("new", None, "business"),
    ],
)
def test_inconsistent_cases_are_refused(application_type, replacement_reason, purpose):
    with pytest.raises(ValueError):
        Case(application_type, replacement_reason, True, purpose)
