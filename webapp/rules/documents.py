"""Documents required per case, as upload items in display order.

Each code is one upload item; the UI maps codes to labels (for example "civil_record" reads as
"birth certificate, marriage book, school diploma or baptism letter").
"""

from dataclasses import dataclass

from webapp.rules.fees import REPLACEMENT_REASONS

APPLICATION_TYPES = ("new", "replacement")
TRAVEL_PURPOSES = ("tourism", "umrah", "hajj", "work", "study", "medical", "family_visit", "other")
RELIGIOUS_PURPOSES = frozenset({"hajj", "umrah"})

DOCUMENT_CODES = (
    "ktp",
    "kk",
    "civil_record",
    "birth_certificate",
    "parents_ktp",
    "parents_marriage_book",
    "parents_passports",
    "parents_statement",
    "old_passport",
    "damaged_passport",
    "police_report",
    "force_majeure_letter",
    "naturalisation_decree",
    "name_change_decree",
    "kemenag_recommendation",
)
# Checked for legibility (resolution) because staff read numbers and faces off them.
IDENTITY_DOCUMENTS = frozenset(
    {"ktp", "parents_ktp", "old_passport", "damaged_passport", "parents_passports"}
)

# Keyed by replacement reason; None is a new passport.
_ADULT_DOCUMENTS: dict[str | None, tuple[str, ...]] = {
    None: ("ktp", "kk", "civil_record"),
    "expired": ("ktp", "old_passport"),
    "pages_full": ("ktp", "old_passport"),
    "data_changed": ("ktp", "old_passport"),
    "lost": ("ktp", "kk", "police_report"),
    "damaged": ("ktp", "kk", "damaged_passport"),
    # The kelurahan letter replaces the police report and exempts the fine.
    "force_majeure": ("ktp", "kk", "force_majeure_letter"),
}
# Parents apply for a child, so their documents stand in for the child's own KTP.
_CHILD_DOCUMENTS = (
    "parents_ktp",
    "kk",
    "birth_certificate",
    "parents_marriage_book",
    "parents_passports",
    "parents_statement",
)
_CHILD_REASON_DOCUMENT = {
    "expired": "old_passport",
    "pages_full": "old_passport",
    "data_changed": "old_passport",
    "lost": "police_report",
    "damaged": "damaged_passport",
    "force_majeure": "force_majeure_letter",
}


@dataclass(frozen=True)
class Case:
    application_type: str  # "new" | "replacement"
    replacement_reason: str | None  # one of REPLACEMENT_REASONS for a replacement, else None
    adult: bool
    purpose: str  # one of TRAVEL_PURPOSES
    name_changed: bool = False
    naturalised: bool = False

    def __post_init__(self) -> None:
        if self.application_type not in APPLICATION_TYPES:
            raise ValueError(f"unknown application type: {self.application_type!r}")
        if self.application_type == "new" and self.replacement_reason is not None:
            raise ValueError("a new passport has no replacement reason")
        if self.application_type == "replacement" and (
            self.replacement_reason not in REPLACEMENT_REASONS
        ):
            raise ValueError(f"unknown replacement reason: {self.replacement_reason!r}")
        if self.purpose not in TRAVEL_PURPOSES:
            raise ValueError(f"unknown travel purpose: {self.purpose!r}")


def _base_documents(case: Case) -> tuple[str, ...]:
    if case.adult:
        return _ADULT_DOCUMENTS[case.replacement_reason]
    if case.replacement_reason is None:
        return _CHILD_DOCUMENTS
    return (*_CHILD_DOCUMENTS, _CHILD_REASON_DOCUMENT[case.replacement_reason])


def required_documents(case: Case) -> tuple[str, ...]:
    """Upload items for a case, in display order and without duplicates."""
    codes = list(_base_documents(case))
    # Citizenship is proven once, on the first passport; later ones rest on the old passport.
    if case.naturalised and case.application_type == "new":
        codes.append("naturalisation_decree")
    # The name on the passport must follow a court decree, whatever the reason for applying.
    if case.name_changed:
        codes.append("name_change_decree")
    if case.purpose in RELIGIOUS_PURPOSES:
        codes.append("kemenag_recommendation")
    return tuple(codes)


def documents_to_bring(case: Case) -> tuple[str, ...]:
    """Originals to bring to the office.

    The counter compares every upload with its original, so this is the upload list; it is a
    function of its own so that the cover letter does not depend on how uploads are defined.
    """
    return required_documents(case)
