"""The base form: CSRF from Flask-WTF, and whitespace stripped from every text input."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError
from wtforms.validators import DataRequired, Length, Regexp

from webapp.rules.accounts import name_is_valid, normalise_name, normalise_phone, password_problem

# Control characters never belong in a form field (and PostgreSQL refuses NUL outright);
# line breaks and tabs stay, for addresses.
_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\r\t"} | {127: None}


def without_control_characters(value: str) -> str:
    return value.translate(_CONTROL)


REQUIRED = _l("This field is required.")


def at_most(length: int) -> Length:
    """A length limit that says so in the user's language (WTForms' own message is English)."""
    return Length(max=length, message=_l("Use at most %(max)d characters."))


def _strip(value):
    return without_control_characters(value).strip() if isinstance(value, str) else value


# What people put between groups of digits: spaces (also the no-break kinds phones paste),
# dashes of any length and dots, as in "5104 0751 1197 0004" or "0812-3456-7890".
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")


def without_separators(value):
    """The typed code with its grouping dropped, so that only what counts is validated."""
    return _SEPARATORS.sub("", value) if isinstance(value, str) else value


def room_for_separators(digits: int) -> int:
    """A maxlength that never cuts a code typed with a separator between every digit."""
    return 2 * digits


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
    """A code of exactly `digits` digits, with the phone's number pad; typed in groups or not.

    The browser's maxlength leaves room for separators (they are dropped before validation),
    and the server judges the digits alone, so a code typed "5104 0751 1197 0004" is never cut.
    """
    return StringField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Regexp(rf"^[0-9]{{{digits}}}\Z", message=message),
        ],
        filters=[without_separators],
        render_kw={
            "autocomplete": autocomplete,
            "inputmode": "numeric",
            "maxlength": room_for_separators(digits),
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
