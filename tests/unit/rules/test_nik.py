from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.rules.nik import PROVINCES, NikError, NikInfo, nik_problems, parse_nik

TODAY = date(2025, 6, 1)


def test_example_man_from_the_domain_notes():
    assert parse_nik("5104071111970004", TODAY) == NikInfo(
        nik="5104071111970004",
        province_code="51",
        province="Bali",
        regency_code="5104",
        district_code="510407",
        birth_date=date(1997, 11, 11),
        sex="M",
        serial="0004",
    )


def test_example_woman_has_forty_added_to_the_day():
    info = parse_nik("5104075111970004", TODAY)
    assert (info.birth_date, info.sex) == (date(1997, 11, 11), "F")


def test_surrounding_whitespace_is_ignored():
    assert parse_nik(" 5104071111970004\n", TODAY).nik == "5104071111970004"


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("", "format"),
        ("510407111197000", "format"),  # 15 digits
        ("51040711119700041", "format"),  # 17 digits
        ("5104 0711 1197 0004", "format"),
        ("51040711119700O4", "format"),  # letter O
        ("٥١٠٤٠٧١١١١٩٧٠٠٠٤", "format"),  # Arabic-Indic digits
        ("５１０４０７１１１１９７０００４", "format"),  # full-width digits
        ("2004071111970004", "province"),  # 20 is not a province
        ("0004071111970004", "province"),
        ("9704071111970004", "province"),
        ("5100071111970004", "regency"),
        ("5104001111970004", "regency"),
        ("5104070011970004", "birth_date"),  # day 00
        ("5104073211970004", "birth_date"),  # day 32
        ("5104074011970004", "birth_date"),  # day 40: neither a man's nor a woman's day
        ("5104077211970004", "birth_date"),  # day 72: woman's day 32
        ("5104077111970004", "birth_date"),  # day 71 in November: 31 November
        ("5104071100970004", "birth_date"),  # month 00
        ("5104071113970004", "birth_date"),  # month 13
        ("5104072902970004", "birth_date"),  # 29 February 1997 (and 2097 is in the future)
        ("5104071111970000", "serial"),
        ("2004071111970000", "province"),  # the first wrong part is reported
    ],
)
def test_parse_errors(nik, code):
    with pytest.raises(NikError) as raised:
        parse_nik(nik, TODAY)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("digits", "birth_date", "sex"),
    [
        ("010197", date(1997, 1, 1), "M"),
        ("410197", date(1997, 1, 1), "F"),  # woman's first day of the month
        ("710197", date(1997, 1, 31), "F"),  # day 71 is valid in a 31-day month
        ("310197", date(1997, 1, 31), "M"),
        ("290200", date(2000, 2, 29), "M"),  # 2000 is a leap year
        ("690204", date(2004, 2, 29), "F"),
        ("010625", date(2025, 6, 1), "M"),  # born today: this century
        ("020625", date(1925, 6, 2), "M"),  # tomorrow in 2025, so 1925
        ("311225", date(1925, 12, 31), "M"),
        ("010100", date(2000, 1, 1), "M"),
        ("311299", date(1999, 12, 31), "M"),
        ("150524", date(2024, 5, 15), "M"),
    ],
)
def test_birth_date_sex_and_century(digits, birth_date, sex):
    info = parse_nik(f"317101{digits}0001", TODAY)
    assert (info.birth_date, info.sex) == (birth_date, sex)


def test_century_follows_today():
    assert parse_nik("3171010101300001", date(2029, 12, 31)).birth_date == date(1930, 1, 1)
    assert parse_nik("3171010101300001", date(2030, 1, 1)).birth_date == date(2030, 1, 1)


def test_province_list_is_the_current_one():
    assert len(PROVINCES) == 38
    assert min(PROVINCES) == "11"
    assert max(PROVINCES) == "96"
    assert "20" not in PROVINCES


@pytest.mark.parametrize(("code", "name"), sorted(PROVINCES.items()))
def test_every_province_parses(code, name):
    info = parse_nik(f"{code}01011111970004", TODAY)
    assert (info.province_code, info.province) == (code, name)
    assert (info.regency_code, info.district_code) == (f"{code}01", f"{code}0101")


@settings(database=None, deadline=None)
@given(
    province=st.sampled_from(sorted(PROVINCES)),
    regency=st.integers(1, 99),
    district=st.integers(1, 99),
    birth_date=st.dates(min_value=date(1926, 6, 2), max_value=TODAY),
    sex=st.sampled_from("MF"),
    serial=st.integers(1, 9999),
)
def test_round_trip(province, regency, district, birth_date, sex, serial):
    day = birth_date.day + (40 if sex == "F" else 0)
    nik = f"{province}{regency:02}{district:02}{day:02}{birth_date:%m%y}{serial:04}"
    info = parse_nik(nik, TODAY)
    assert (info.birth_date, info.sex, info.serial) == (birth_date, sex, f"{serial:04}")
    assert nik_problems(nik, birth_date=birth_date, sex=sex, today=TODAY) == []


@pytest.mark.parametrize(
    ("nik", "birth_date", "sex", "problems"),
    [
        ("5104071111970004", date(1997, 11, 11), "M", []),
        ("5104071111970004", None, None, []),
        ("5104075111970004", date(1997, 11, 11), "F", []),
        ("5104071111970004", date(1997, 11, 12), "M", ["birth_date_mismatch"]),
        ("5104071111970004", date(1997, 11, 11), "F", ["sex_mismatch"]),
        ("5104075111970004", date(1997, 11, 11), "M", ["sex_mismatch"]),
        (
            "5104071111970004",
            date(1979, 11, 11),
            "F",
            ["birth_date_mismatch", "sex_mismatch"],
        ),
        ("5104071111970000", date(1997, 11, 11), "M", ["serial"]),
        ("abc", date(1997, 11, 11), "M", ["format"]),
        ("2004071111970004", None, None, ["province"]),
    ],
)
def test_nik_problems(nik, birth_date, sex, problems):
    assert nik_problems(nik, birth_date=birth_date, sex=sex, today=TODAY) == problems


def test_nik_error_is_a_value_error_with_its_code():
    error = NikError("serial")
    assert isinstance(error, ValueError)
    assert (error.code, str(error)) == ("serial", "serial")
