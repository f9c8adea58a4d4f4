"""The day's receipts printed together: which applications, on which paper."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from webapp import labels
from webapp.forms.base import BaseForm


class BatchForm(BaseForm):
    paper = RadioField(
        _l("Paper"),
        choices=labels.choices(labels.PAPERS),
        default="a4",
        validators=[InputRequired(_l("Choose the paper: A4 or the 80 mm roll."))],
    )
    # The ticked rows' ids. The choices are the office's day, checked by the service, which also
    # refuses another office's application; here only "whole numbers" is checked.
    application_id = SelectMultipleField(
        _l("Receipts"), coerce=int, validate_choice=False, choices=[]
    )
    # Which button: "all" prints the day's receipts whatever is ticked, "selected" the ticked ones.
    scope = RadioField(
        choices=[SelectChoice("all", "all"), SelectChoice("selected", "selected")],
        default="selected",
    )
