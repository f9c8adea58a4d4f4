"""Forms of the closures page and of the special reschedule a closure offers."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from webapp.forms.base import REQUIRED, BaseForm, at_most
from webapp.forms.fields import DatePartsField

WHOLE_DAY = ""
HOURS = [SelectChoice(str(hour), f"{hour:02d}.00") for hour in range(25)]


def _hour(value):
    return None if value in (None, WHOLE_DAY) else int(value)


class ClosureForm(BaseForm):
    # Required by validate_day: DataRequired would replace "enter a real date" with "required".
    day = DatePartsField(_l("Date"), description=_l("For example 2 1 2027."))
    from_hour = SelectField(
        _l("From"),
        description=_l("Office time. Leave both hours empty to close the whole day."),
        choices=[SelectChoice(WHOLE_DAY, _l("Whole day")), *HOURS[:24]],
        coerce=_hour,
        default=WHOLE_DAY,
    )
    to_hour = SelectField(
        _l("Until"),
        choices=[SelectChoice(WHOLE_DAY, _l("Whole day")), *HOURS[1:]],
        coerce=_hour,
        default=WHOLE_DAY,
    )
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(REQUIRED), at_most(120)],
        description=_l("For example: system fault, flood, power cut."),
        render_kw={"autocomplete": "off"},
    )

    def validate_day(self, field):
        if field.data is None and not field.errors:
            raise ValidationError(REQUIRED)

    def validate_to_hour(self, field):
        start, end = self.from_hour.data, field.data
        if (start is None) != (end is None):
            raise ValidationError(_l("Choose both hours, or neither for the whole day."))
        if start is not None and end <= start:
            raise ValidationError(_l("The closure must end after it starts."))


class ChooseSlotForm(BaseForm):
    slot_id = IntegerField(
        _l("Hour"), validators=[InputRequired(_l("Choose an hour."))], render_kw={"hidden": True}
    )
