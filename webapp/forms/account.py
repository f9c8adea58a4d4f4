"""Forms for the signed-in account: password change, closure, language."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Optional

from webapp.forms.auth import new_password_field
from webapp.forms.base import REQUIRED, BaseForm, at_most

CLOSURE_REASONS = [
    SelectChoice("no_longer_needed", _l("I no longer need the service")),
    SelectChoice("duplicate", _l("I have another account")),
    SelectChoice("privacy", _l("Privacy concerns")),
    SelectChoice("other", _l("Another reason")),
]


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(REQUIRED), at_most(128)],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class CloseAccountForm(BaseForm):
    reason = RadioField(
        _l("Why are you closing your account?"),
        choices=CLOSURE_REASONS,
        validators=[DataRequired(_l("Choose a reason."))],
    )
    details = TextAreaField(
        _l("Anything else you want to tell us (optional)"),
        validators=[Optional(), at_most(500)],
    )
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[DataRequired(REQUIRED), at_most(128)],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(BaseForm):
    lang = HiddenField(validators=[AnyOf(["id", "en"])])
    next = HiddenField()
