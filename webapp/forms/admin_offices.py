"""The administrators' form of an office. Kind and time zone are offered as lists, but what is
posted is judged by the service (services/office_admin.py), which says plainly what it refuses."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from webapp.forms.base import REQUIRED, BaseForm, at_most
from webapp.rules.geo import ZONE_NAMES

_NUMBER = re.compile(r"[-+]?[0-9]{1,3}([.,][0-9]{1,8})?")
_WHOLE = re.compile(r"[0-9]{1,7}")


def _number(field) -> float:
    text = (field.raw_data or [""])[0].strip()
    if not _NUMBER.fullmatch(text):
        raise ValidationError(_l("Enter a number in degrees, for example -5.1077."))
    return float(text.replace(",", "."))


class OfficeForm(BaseForm):
    kind = SelectField(
        _l("Kind of office"),
        choices=[
            SelectChoice("kanim", _l("Kanim: immigration office")),
            SelectChoice("ulp", _l("ULP: passport service unit")),
            SelectChoice("mpp", _l("MPP: public service mall")),
        ],
        validate_choice=False,  # the service refuses an unknown kind in the user's language
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), at_most(40)],
        description=_l("Shown in links: lowercase letters, digits and dashes, e.g. kanim-bogor."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 40},
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(REQUIRED), at_most(120)],
        description=_l("As the office is named, e.g. Kantor Imigrasi Kelas I TPI Bogor."),
        render_kw={"autocomplete": "off", "maxlength": 120},
    )
    address = TextAreaField(
        _l("Address"),
        validators=[DataRequired(REQUIRED), at_most(240)],
        render_kw={"autocomplete": "off", "maxlength": 240, "rows": 2},
    )
    city = StringField(
        _l("City or regency"),
        validators=[DataRequired(REQUIRED), at_most(60)],
        render_kw={"autocomplete": "off", "maxlength": 60},
    )
    province = StringField(
        _l("Province"),
        validators=[DataRequired(REQUIRED), at_most(60)],
        render_kw={"autocomplete": "off", "maxlength": 60},
    )
    latitude = StringField(
        _l("Latitude"),
        validators=[DataRequired(REQUIRED)],
        description=_l("In degrees, south negative, e.g. -6.5950."),
        render_kw={"autocomplete": "off", "inputmode": "decimal", "maxlength": 14},
    )
    longitude = StringField(
        _l("Longitude"),
        validators=[DataRequired(REQUIRED)],
        description=_l("In degrees east, e.g. 106.7970."),
        render_kw={"autocomplete": "off", "inputmode": "decimal", "maxlength": 14},
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=[SelectChoice(zone, f"{zone} ({name})") for zone, name in ZONE_NAMES.items()],
        validate_choice=False,  # judged by the service, as kind
        description=_l("Slots, quota release and the office's today follow it."),
    )
    issues_epassport = BooleanField(_l("Issues electronic passports"))
    epassport_stock = StringField(
        _l("Electronic passport blanks in stock"),
        validators=[DataRequired(REQUIRED)],
        default="0",
        render_kw={"autocomplete": "off", "inputmode": "numeric", "maxlength": 7},
    )

    # The stock as the page showed it: a changed number is saved only if no print, delivery or
    # write-off moved the stock since (services/office_admin.update).
    stock_shown = HiddenField()

    def validate_latitude(self, field):
        self.latitude_value = _number(field)

    def validate_longitude(self, field):
        self.longitude_value = _number(field)

    def validate_epassport_stock(self, field):
        if not _WHOLE.fullmatch(field.data or ""):
            raise ValidationError(_l("Enter a whole number of blanks, 0 or more."))

    def values(self) -> dict:
        """What the service is given, once the form is valid."""
        return {
            "kind": self.kind.data,
            "code": self.code.data,
            "name": self.name.data,
            "address": self.address.data,
            "city": self.city.data,
            "province": self.province.data,
            "latitude": self.latitude_value,
            "longitude": self.longitude_value,
            "timezone": self.timezone.data,
            "issues_epassport": bool(self.issues_epassport.data),
            "epassport_stock": int(self.epassport_stock.data),
            "stock_shown": int(self.stock_shown.data)
            if _WHOLE.fullmatch(self.stock_shown.data or "")
            else None,
        }

    @classmethod
    def of(cls, office, submitted: bool):
        """The form as posted, or filled in with the office as it is (a GET): a field left out
        of a post is missing, never taken from the office."""
        if submitted:
            return cls()
        form = cls(formdata=None, obj=office)
        form.latitude.data = f"{office.latitude:.6f}".rstrip("0").rstrip(".")
        form.longitude.data = f"{office.longitude:.6f}".rstrip("0").rstrip(".")
        form.epassport_stock.data = form.stock_shown.data = str(office.epassport_stock)
        return form


class OfficeSearchForm(BaseForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(
        _l("Name, city or code"),
        validators=[at_most(120)],
        render_kw={"autocomplete": "off", "maxlength": 120},
    )
