"""Forms of the staff sign-in: the second factor's code, and the code that confirms enrolment."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.forms.base import REQUIRED, BaseForm, digits_field


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), Length(max=32, message=_l("The code is too long."))],
        description=_l(
            "The 6 digits your authenticator app shows for M-Paspor, or one of your recovery codes."
        ),
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "maxlength": 32},
    )


class EnrolmentForm(BaseForm):
    code = digits_field(
        _l("Code from the app"),
        6,
        _l("The code is 6 digits."),
        description=_l("The 6 digits the app shows for M-Paspor after you added it."),
        autocomplete="one-time-code",
    )
