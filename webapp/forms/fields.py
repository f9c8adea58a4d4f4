"""Fields of the forms beyond WTForms' own: a date typed as day, month and year (three small
number boxes work on every phone browser, where the native date picker is missing or awkward on
older Android), and radio buttons that cost less to render."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Field
from wtforms import RadioField as WTFormsRadioField
from wtforms.utils import unset_value
from wtforms.widgets import RadioInput
from wtforms.widgets.core import clean_key

PARTS = ("day", "month", "year")
PART_LABELS = {"day": _l("Day"), "month": _l("Month"), "year": _l("Year")}


class DatePartsWidget:
    def __call__(self, field, **kwargs):
        autocomplete = kwargs.pop("autocomplete_prefix", None)
        invalid = kwargs.pop("aria_invalid", False)
        described = kwargs.pop("aria_describedby", False)
        html = []
        for part in PARTS:
            attributes = {
                "id": f"{field.id}-{part}",
                "name": f"{field.name}-{part}",
                "type": "text",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "maxlength": 4 if part == "year" else 2,
                "value": field.raw.get(part, ""),
                "class": f"date-{part}",
            }
            if autocomplete:
                attributes["autocomplete"] = f"{autocomplete}-{part}"
            if invalid:
                attributes["aria-invalid"] = "true"
            if described:
                attributes["aria-describedby"] = described
            rendered = " ".join(f'{k}="{escape(v)}"' for k, v in attributes.items())
            html.append(
                f'<div class="date-part"><label for="{field.id}-{part}">'
                f"{escape(PART_LABELS[part])}</label><input {rendered}></div>"
            )
        return Markup(f'<div class="date-parts">{"".join(html)}</div>')


class DatePartsField(Field):
    """Data is a date, or None when left empty; a date that cannot exist is an error."""

    widget = DatePartsWidget()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.raw: dict[str, str] = {}

    @property
    def id_for_errors(self) -> str:
        return f"{self.id}-day"

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.object_data = None if data is unset_value else data
        self.data = self.object_data
        self.raw = _parts_of(self.data)
        if formdata is not None and any(f"{self.name}-{part}" in formdata for part in PARTS):
            self.raw = {part: (formdata.get(f"{self.name}-{part}") or "").strip() for part in PARTS}
            self.data = self._parse()

    def _parse(self) -> date | None:
        if not any(self.raw.values()):
            return None
        try:
            if not all(re.fullmatch(r"[0-9]{1,4}", self.raw[part]) for part in PARTS):
                raise ValueError
            day, month, year = (int(self.raw[part]) for part in PARTS)
            if year < 1000:
                raise ValueError
            return date(year, month, day)
        except ValueError:
            self.process_errors.append(
                _l("Enter a real date as day, month and year, for example 17 8 1990.")
            )
            return None

    def _value(self):
        return ""


def _parts_of(value) -> dict[str, str]:
    if isinstance(value, date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    return {}


def attributes(**kwargs) -> Markup:
    """The attributes wtforms.widgets.html_params writes, to the byte, without the Markup.format
    it calls for each one: most of the time a page spends on its radio buttons."""
    written = []
    for name, value in sorted(kwargs.items()):
        name = clean_key(name)
        if value is True:
            written.append(name)
        elif value is not False:
            written.append(f'{escape(name)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(written))


class QuickRadioInput(RadioInput):
    html_params = staticmethod(attributes)


class RadioField(WTFormsRadioField):
    """WTForms' radio buttons, each option's input written by `attributes`."""

    option_widget = QuickRadioInput()
