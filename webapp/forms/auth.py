"""Forms for registration, activation, login and passwords."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo

from webapp.forms.base import (
    REQUIRED,
    BaseForm,
    IndonesianMobile,
    PersonName,
    StrongPassword,
    at_most,
    digits_field,
    without_separators,
)

EMAIL_LABEL = _l("Email address")


def _email_field(label=EMAIL_LABEL):
    return EmailField(
        label,
        validators=[
            DataRequired(REQUIRED),
            at_most(254),
            Email(message=_l("Enter an email address like nama@contoh.id.")),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"},
    )


def new_password_field(label, email_field=None):
    return PasswordField(
        label,
        validators=[DataRequired(REQUIRED), StrongPassword(email_field)],
        render_kw={"autocomplete": "new-password", "minlength": 8, "maxlength": 128},
    )


class RegisterForm(BaseForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(REQUIRED), PersonName()],
        render_kw={"autocomplete": "name", "maxlength": 120},
        description=_l("As written on your KTP."),
    )
    email = _email_field()
    phone = TelField(
        _l("Mobile number"),
        validators=[
            DataRequired(REQUIRED),
            at_most(20),
            IndonesianMobile(),
        ],
        filters=[without_separators],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
        description=_l("For example 081234567890."),
    )
    password = new_password_field(_l("Password"), email_field="email")
    accept_terms = BooleanField(
        _l("I accept the terms of service and the privacy notice."),
        validators=[DataRequired(_l("You must accept the terms to open an account."))],
    )


class CodeForm(BaseForm):
    code = digits_field(
        _l("Activation code"),
        6,
        _l("The code is 6 digits."),
        description=_l("Sent to your email address; valid for 15 minutes."),
        autocomplete="one-time-code",
    )


class EmptyForm(BaseForm):
    """A form with nothing but its CSRF token, for buttons that POST."""


class LoginForm(BaseForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(REQUIRED), at_most(128)],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(BaseForm):
    email = _email_field()


class ResetPasswordForm(BaseForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
