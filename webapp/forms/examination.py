"""Forms of the examination report (BAP) and the suspension for negligence, at the counter."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from webapp.forms.base import REQUIRED, BaseForm, at_most
from webapp.forms.fields import DatePartsField
from webapp.rules import examinations


class ReportForm(BaseForm):
    account = TextAreaField(
        _l("What happened"),
        validators=[DataRequired(REQUIRED), at_most(4000)],
        description=_l("As the applicant tells it: how the passport was lost or damaged."),
    )
    happened_on = DatePartsField(
        _l("When it happened"),
        validators=[DataRequired(REQUIRED)],
        description=_l("For example 17 8 2026."),
    )
    happened_where = StringField(
        _l("Where it happened"), validators=[DataRequired(REQUIRED), at_most(200)]
    )
    police_report_number = StringField(
        _l("Police report number"),
        validators=[at_most(60)],
        description=_l("Required for a lost passport."),
        render_kw={"autocomplete": "off"},
    )
    kelurahan_letter_number = StringField(
        _l("Kelurahan letter number"),
        validators=[at_most(60)],
        description=_l("Required for force majeure: the kelurahan's letter about the disaster."),
        render_kw={"autocomplete": "off"},
    )


class SuspensionForm(BaseForm):
    months = IntegerField(
        _l("Suspension in months"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(
                examinations.SUSPENSION_MIN_MONTHS,
                examinations.SUSPENSION_MAX_MONTHS,
                _l("A suspension lasts from 6 to 24 months."),
            ),
        ],
        render_kw={"inputmode": "numeric", "min": 6, "max": 24, "autocomplete": "off"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(REQUIRED), at_most(2000)],
        description=_l("The applicant sees this reason on their application."),
    )
