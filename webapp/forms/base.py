"""The base form: CSRF from Flask-WTF, and whitespace stripped from every text input."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError
from wtforms.validators import DataRequired, Regexp

from webapp.rules.accounts import name_is_valid, normalise_name, normalise_phone, password_problem

# Control characters never belong in a form field (and PostgreSQL refuses NUL outright);
# line breaks and tabs stay, for addresses.
_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\r\t"} | {127: None}


def without_control_characters(value: str) -> str:
    return value.translate(_CONTROL)


REQUIRED = _l("This field is required.")


def _strip(value):
    return without_control_characters(value).strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = (_strip, *unbound_field.kwargs.get("filters", ()))
            return unbound_field.bind(form=form, **options)


class PersonName:
    """A person's name as people write it; whitespace collapsed, markup refused."""

    def __call__(self, form, field):
        field.data = normalise_name(field.data)
        if not name_is_valid(field.data):
            raise ValidationError(
                _l("Use letters, spaces and the marks . , ' - only (at most 120 characters).")
            )


class IndonesianMobile:
    """08..., 628... or +628...; the field's data becomes E.164."""

    def __call__(self, form, field):
        e164 = normalise_phone(field.data)
        if e164 is None:
            raise ValidationError(
                _l("Enter an Indonesian mobile number, for example 081234567890.")
            )
        field.data = e164


def digits_field(label, digits: int, message, description=None, autocomplete="off"):
    """A code of exactly `digits` digits, with the phone's number pad."""
    return StringField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Regexp(rf"^[0-9]{{{digits}}}\Z", message=message),
        ],
        render_kw={
            "autocomplete": autocomplete,
            "inputmode": "numeric",
            "pattern": f"[0-9]{{{digits}}}",
            "maxlength": digits,
            "spellcheck": "false",
        },
        description=description,
    )


PASSWORD_MESSAGES = {
    "too_short": _l("Use at least 8 characters."),
    "too_long": _l("Use at most 128 characters."),
    "common": _l("This password is too common and easy to guess. Choose another."),
    "contains_email": _l("Do not use your email address in your password."),
}


class StrongPassword:
    """Refuses short, over-long and common passwords; email_field names the form's email."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        email = form[self.email_field].data or "" if self.email_field else ""
        problem = password_problem(field.data or "", email)
        if problem:
            raise ValidationError(PASSWORD_MESSAGES[problem.code])
