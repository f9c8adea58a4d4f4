"""The stand-in payment channel's form: a billing code, as typed at a bank."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from webapp.forms.auth import REQUIRED
from webapp.forms.base import BaseForm


class BillingCodeForm(BaseForm):
    billing_code = StringField(
        _l("Billing code"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[0-9]{15}\Z", message=_l("The billing code is 15 digits.")),
        ],
        render_kw={
            "autocomplete": "off",
            "inputmode": "numeric",
            "pattern": "[0-9]{15}",
            "maxlength": 15,
            "spellcheck": "false",
        },
        description=_l("The 15 digits from the billing email or the application page."),
    )
