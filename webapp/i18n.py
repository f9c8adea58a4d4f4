"""Language choice and the way people read money, dates and times (DOMAIN.md)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import format_date, get_locale
from flask_login import current_user

from webapp.extensions import babel

LANGUAGE_COOKIE = "lang"
ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def select_locale() -> str:
    """The account's language, else the cookie's, else Indonesian."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def rupiah(amount: int, locale: str | None = None) -> str:
    """Rp650.000 in Indonesian, Rp650,000 in English: whole rupiah, no decimals."""
    locale = locale or str(get_locale())
    grouped = f"{int(amount):,}"
    return "Rp" + (grouped.replace(",", ".") if locale == "id" else grouped)


def long_date(value: date | datetime, zone: str | None = None) -> str:
    """24 November 2026 (the month's name in the current language); a moment is dated in
    `zone`, the office's, when given, else in WIB."""
    if isinstance(value, datetime) and zone:
        value = value.astimezone(ZoneInfo(zone)).date()
    return format_date(value, "d MMMM y")


def month_year(value: date) -> str:
    """Desember 2026."""
    return format_date(value, "LLLL y")


def zone_abbreviation(zone: str) -> str:
    return ZONE_ABBREVIATIONS.get(zone, zone)


def clock_time(value: datetime, zone: str, locale: str | None = None) -> str:
    """09.00 WIB: the time in the office's zone, with its Indonesian abbreviation."""
    locale = locale or str(get_locale())
    local = value.astimezone(ZoneInfo(zone))
    separator = "." if locale == "id" else ":"
    return f"{local:%H}{separator}{local:%M} {zone_abbreviation(zone)}"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        rupiah=rupiah,
        long_date=long_date,
        clock_time=clock_time,
        month_year=month_year,
        zone_abbreviation=zone_abbreviation,
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
