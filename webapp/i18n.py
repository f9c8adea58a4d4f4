"""Language choice and the way people read money, dates and times (DOMAIN.md)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request
from flask_babel import format_date, get_locale, get_translations
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


def request_translations():
    """Flask-Babel's translations of this request's language, kept while the language stays
    (a switch or a sign-in may change it): templates ask for them for every string they show,
    and finding them costs more than the lookup of a string."""
    locale = get_locale()
    kept = g.get("translations")
    if kept is None or kept[0] is not locale:
        kept = g.translations = (locale, get_translations())
    return kept[1]


def _install_template_gettext(app: Flask) -> None:
    """The `_()` of templates, as Flask-Babel installs it, on the kept translations."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    _install_template_gettext(app)
    app.jinja_env.filters.update(
        rupiah=rupiah,
        long_date=long_date,
        clock_time=clock_time,
        month_year=month_year,
        zone_abbreviation=zone_abbreviation,
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
