"""The administrators' form for a new fee table: its name, validity and every amount."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, ValidationError
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from webapp.forms.base import REQUIRED, BaseForm, at_most
from webapp.forms.fields import DatePartsField
from webapp.forms.supervisor import WholeNumber
from webapp.rules import fees

MAX_AMOUNT = 100_000_000
_RANGE = NumberRange(0, MAX_AMOUNT, message=_l("Enter an amount from 0 to 100000000 rupiah."))
_AMOUNT = {"inputmode": "numeric", "autocomplete": "off", "class": "narrow"}


def _amount(label, required: bool, description=None):
    first = InputRequired(REQUIRED) if required else Optional()
    return WholeNumber(
        label, validators=[first, _RANGE], description=description, render_kw=_AMOUNT
    )


NOT_PRICED = _l("Leave empty if this regulation does not price it.")


class FeeTableForm(BaseForm):
    name = StringField(
        _l("Legal basis"),
        validators=[DataRequired(REQUIRED), at_most(80)],
        description=_l("The regulation that sets the fees, for example PP 45/2024."),
        render_kw={"autocomplete": "off"},
    )
    valid_from = DatePartsField(_l("In force from"), description=_l("For example 1 1 2027."))
    valid_until = DatePartsField(
        _l("In force until (optional)"),
        description=_l("The last day it applies. Leave empty while no end is decreed."),
    )
    ordinary_5 = _amount(_l("Ordinary passport, 5 years (Rp)"), False, NOT_PRICED)
    ordinary_10 = _amount(_l("Ordinary passport, 10 years (Rp)"), False, NOT_PRICED)
    electronic_5 = _amount(_l("E-passport, 5 years (Rp)"), False, NOT_PRICED)
    electronic_10 = _amount(_l("E-passport, 10 years (Rp)"), False, NOT_PRICED)
    express = _amount(_l("Express service, on top of the passport fee (Rp)"), True)
    fine_lost = _amount(_l("Fine, lost passport, per book (Rp)"), True)
    fine_damaged = _amount(_l("Fine, damaged passport, per book (Rp)"), True)
    fine_force_majeure = _amount(_l("Lost or damaged by force majeure (Rp)"), True)
    exempt_ordinary = BooleanField(
        _l(
            "The ordinary passport is free for first-time migrant workers, poor citizens "
            "abroad and government scholarship holders"
        )
    )

    def validate_valid_from(self, field):
        if field.data is None and not field.errors:
            raise ValidationError(REQUIRED)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        unpriced = all(self[item].data is None for item in fees.PASSPORT_ITEMS)
        if unpriced and not any(self[item].errors for item in fees.PASSPORT_ITEMS):
            self.ordinary_5.errors = [_l("Give the fee of at least one passport.")]
            return False
        return valid

    def amounts(self) -> dict[str, int | None]:
        return {item: self[item].data for item in fees.ITEMS}
