"""Forms of the travel-ban check: the supervisor's confirmation of a hit's rejection."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from webapp.forms.base import REQUIRED, BaseForm, at_most

MAX_NOTE = 500


class ConfirmHitForm(BaseForm):
    note = TextAreaField(
        _l("Note for the rejection"),
        validators=[
            DataRequired(REQUIRED),
            at_most(MAX_NOTE),
        ],
        render_kw={"autocomplete": "off", "rows": 3},
    )
