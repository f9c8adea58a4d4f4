"""Forms of the travel-ban check: the supervisor's confirmation of a hit's rejection."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms.base import REQUIRED, BaseForm

MAX_NOTE = 500


class ConfirmHitForm(BaseForm):
    note = TextAreaField(
        _l("Note for the rejection"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=MAX_NOTE, message=_l("Use at most 500 characters.")),
        ],
        render_kw={"autocomplete": "off", "rows": 3},
    )
