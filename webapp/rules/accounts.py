"""Rules for account data: passwords, Indonesian phone numbers and personal names."""

import gzip
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import phonenumbers

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
NAME_MAX_LENGTH = 120


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("webapp.rules").joinpath("data/common_passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


@dataclass(frozen=True)
class PasswordProblem:
    code: str  # "too_short" | "too_long" | "common" | "contains_email"


def password_problem(password: str, email: str = "") -> PasswordProblem | None:
    """Why a password is refused, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return PasswordProblem("too_short")
    if len(password) > PASSWORD_MAX_LENGTH:
        return PasswordProblem("too_long")
    lowered = password.lower()
    if lowered in _common_passwords():
        return PasswordProblem("common")
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return PasswordProblem("contains_email")
    return None


def normalise_phone(raw: str) -> str | None:
    """An Indonesian mobile number (08..., 628..., +628...) as E.164, or None when invalid."""
    cleaned = re.sub(r"[\s\-().]", "", raw or "")
    if not re.fullmatch(r"\+?\d{8,15}", cleaned):
        return None
    if cleaned.startswith("62"):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, "ID")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 62 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Letters of any script, combining marks, spaces and the punctuation real names use
# ("Ni Luh Putu Ayu", "Ma'ruf", "Śri Rahayu", "A. Rahman", "Siti Nur-Aini").
_NAME_PUNCTUATION = set(" '.,-’`")


def normalise_name(raw: str) -> str:
    """Collapse runs of spaces and apply Unicode NFC so that names compare as people read them."""
    return " ".join(unicodedata.normalize("NFC", raw or "").split())


def name_is_valid(name: str) -> bool:
    if not name or len(name) > NAME_MAX_LENGTH:
        return False
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        return False
    return all(unicodedata.category(ch)[0] in {"L", "M"} or ch in _NAME_PUNCTUATION for ch in name)
