"""Forms of the administrators' pages."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError
from wtforms.validators import DataRequired

from webapp.forms.base import REQUIRED, BaseForm, at_most
from webapp.forms.fields import DatePartsField


class LeaveDayForm(BaseForm):
    # Required by validate_day: DataRequired would replace "enter a real date" with "required".
    day = DatePartsField(_l("Date"), description=_l("For example 2 1 2027."))
    name = StringField(
        _l("Name of the day off"),
        validators=[
            DataRequired(REQUIRED),
            at_most(120),
        ],
        description=_l("As the decree names it, for example Cuti Bersama Tahun Baru."),
        render_kw={"autocomplete": "off"},
    )

    def validate_day(self, field):
        if field.data is None and not field.errors:
            raise ValidationError(REQUIRED)
