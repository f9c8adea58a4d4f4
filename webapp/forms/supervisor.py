"""Forms of the supervisor's office settings: days, hours, places, release, call ratio, stock."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import labels
from webapp.forms.base import REQUIRED, BaseForm
from webapp.rules import quota

WHOLE_NUMBER = _l("Enter a whole number, for example 12.")
_TIME = re.compile(r"([01]?\d|2[0-3])[.:]([0-5]\d)")


class WholeNumber(IntegerField):
    """An IntegerField whose refusal of "12a" is in the user's language."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] == "":
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(WHOLE_NUMBER) from None


def _number(label, low, high, description=None):
    return WholeNumber(
        label,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(low, high, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
        description=description,
        render_kw={"inputmode": "numeric", "autocomplete": "off", "class": "narrow"},
    )


def _hours():
    return [SelectChoice(hour, f"{hour:02d}.00") for hour in range(24)]


class OfficeSettingsForm(BaseForm):
    opening_days = SelectMultipleField(
        _l("Opening days"),
        choices=[SelectChoice(str(day), name) for day, name in enumerate(labels.WEEKDAYS)],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    first_slot_hour = SelectField(
        _l("First slot starts at"), choices=_hours(), coerce=int, validate_choice=False
    )
    last_slot_hour = SelectField(
        _l("Last slot starts at"),
        choices=_hours(),
        coerce=int,
        validate_choice=False,
        description=_l("Each slot lasts an hour: a last slot at 14.00 ends at 15.00."),
    )
    regular_per_hour = _number(_l("Regular places per hourly slot"), 0, 500)
    express_per_hour = _number(
        _l("Express places per hourly slot"), 0, 500, _l("0: the office offers no express service.")
    )
    priority_per_hour = _number(
        _l("Priority walk-in places per hour"),
        0,
        500,
        _l(
            "For people aged 60 or older, small children, pregnant women and people with a "
            "disability; taken at the office, never online."
        ),
    )
    release_kind = RadioField(
        _l("Quota release"),
        choices=[
            SelectChoice(quota.WEEKLY, _l("Every week, on a weekday: it opens the following week")),
            SelectChoice(
                quota.MONTHLY,
                _l("Every month, on its last working day: it opens the following month"),
            ),
        ],
        validators=[InputRequired(REQUIRED)],
    )
    release_weekday = SelectField(
        _l("Weekday of the weekly release"),
        choices=[SelectChoice(day, name) for day, name in enumerate(labels.WEEKDAYS)],
        coerce=int,
        validate_choice=False,
    )
    release_time = StringField(
        _l("Release time, office time"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Hours and minutes, for example 09.00."),
        render_kw={
            "inputmode": "decimal",
            "autocomplete": "off",
            "class": "narrow",
            "maxlength": 5,
        },
    )
    call_weight_priority = _number(_l("Priority"), 0, 9)
    call_weight_express = _number(_l("Express"), 0, 9)
    call_weight_regular = _number(_l("Regular"), 0, 9)

    def validate_opening_days(self, field):
        if not field.data or set(field.data) - {str(day) for day in range(7)}:
            raise ValidationError(_l("Choose at least one opening day."))

    def validate_release_time(self, field):
        if not _TIME.fullmatch(field.data or ""):
            raise ValidationError(_l("Enter a time such as 09.00."))

    def validate_last_slot_hour(self, field):
        first, last = self.first_slot_hour.data, field.data
        if not (isinstance(first, int) and isinstance(last, int)) or not 0 <= first <= last <= 23:
            raise ValidationError(_l("The last slot cannot start before the first."))

    def release_hour_minute(self) -> tuple[int, int]:
        hour, minute = _TIME.fullmatch(self.release_time.data).groups()
        return int(hour), int(minute)


class StockForm(BaseForm):
    movement = RadioField(
        _l("What happened"),
        choices=[
            SelectChoice("delivered", _l("A delivery of blanks arrived")),
            SelectChoice("written_off", _l("Blanks were spoiled or are missing")),
        ],
        default="delivered",
        validators=[InputRequired(REQUIRED)],
    )
    count = _number(_l("Number of blanks"), 1, 100_000)
