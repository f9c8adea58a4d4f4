"""The stand-in payment channel's form: a billing code, as typed at a bank."""

from flask_babel import lazy_gettext as _l

from webapp.forms.base import BaseForm, digits_field


class BillingCodeForm(BaseForm):
    billing_code = digits_field(
        _l("Billing code"),
        15,
        _l("The billing code is 15 digits."),
        description=_l("The 15 digits from the billing email or the application page."),
    )
