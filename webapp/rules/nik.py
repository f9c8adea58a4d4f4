"""Indonesian NIK (Nomor Induk Kependudukan): structure, parsing and agreement with form data.

Layout: PP RR DD (province, regency, district) + DDMMYY birth date (40 added to the day for
women) + a 4-digit serial starting at 0001. The most common Dukcapil mismatch is a birth date
that disagrees with digits 7-12, so the form checks that before calling the registry.
"""

import re
from dataclasses import dataclass
from datetime import date

PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

WOMAN_DAY_OFFSET = 40

# [0-9] rather than \d: \d also accepts Arabic-Indic and other scripts' digits.
_NIK_PATTERN = re.compile(r"[0-9]{16}")


class NikError(ValueError):
    """A NIK that cannot be parsed; `code` says which part is wrong."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "format" | "province" | "regency" | "birth_date" | "serial"


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str
    province: str
    regency_code: str  # 4 digits: province + regency
    district_code: str  # 6 digits: province + regency + district
    birth_date: date
    sex: str  # "M" | "F"
    serial: str


def _birth_date(day: int, month: int, two_digit_year: int, today: date) -> date:
    """The latest real date with these digits that is not after today."""
    century = today.year - today.year % 100
    for year in (century + two_digit_year, century - 100 + two_digit_year):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise NikError("birth_date")


def parse_nik(nik: str, today: date) -> NikInfo:
    """Split a NIK into its parts, raising NikError on the first part that is wrong."""
    nik = nik.strip()
    if not _NIK_PATTERN.fullmatch(nik):
        raise NikError("format")
    province_code = nik[:2]
    if province_code not in PROVINCES:
        raise NikError("province")
    if nik[2:4] == "00" or nik[4:6] == "00":
        raise NikError("regency")
    day = int(nik[6:8])
    sex = "F" if day > WOMAN_DAY_OFFSET else "M"
    if sex == "F":
        day -= WOMAN_DAY_OFFSET
    birth_date = _birth_date(day, int(nik[8:10]), int(nik[10:12]), today)
    serial = nik[12:]
    if serial == "0000":
        raise NikError("serial")
    return NikInfo(
        nik=nik,
        province_code=province_code,
        province=PROVINCES[province_code],
        regency_code=nik[:4],
        district_code=nik[:6],
        birth_date=birth_date,
        sex=sex,
        serial=serial,
    )


def nik_problems(nik: str, *, birth_date: date | None, sex: str | None, today: date) -> list[str]:
    """Problem codes for a NIK as entered on a form, checked against the birth date and sex."""
    try:
        info = parse_nik(nik, today)
    except NikError as error:
        return [error.code]
    problems = []
    if birth_date is not None and birth_date != info.birth_date:
        problems.append("birth_date_mismatch")
    if sex is not None and sex != info.sex:
        problems.append("sex_mismatch")
    return problems
