"""The administrators' forms for staff accounts, and the invitee's password form."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo

from webapp.forms.base import PASSWORD_MESSAGES, REQUIRED, BaseForm, PersonName, at_most
from webapp.rules.accounts import password_problem


class InvitationForm(BaseForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(REQUIRED), PersonName()],
        render_kw={"autocomplete": "off", "maxlength": 120},
    )
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(REQUIRED), at_most(254)],
        description=_l("The invitation is mailed here; it becomes the sign-in address."),
        render_kw={"autocomplete": "off", "maxlength": 254, "spellcheck": "false"},
    )
    office_id = SelectField(_l("Office"), validate_choice=False)  # judged by the service
    role = RadioField(
        _l("Role"),
        choices=[
            SelectChoice("staff", _l("Counter officer: check-in, counter, printing, collection")),
            SelectChoice(
                "supervisor", _l("Supervisor: as a counter officer, and the office's settings")
            ),
        ],
        default="staff",
        validate_choice=False,
    )

    def with_offices(self, offices):
        self.office_id.choices = [SelectChoice("", _l("Choose the office"))] + [
            (str(office.id), f"{office.name} ({office.code})") for office in offices
        ]
        return self

    def office(self) -> int | None:
        value = self.office_id.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


class StaffFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET filter

    office = SelectField(_l("Office"), validate_choice=False)

    def with_offices(self, offices):
        self.office.choices = [SelectChoice("", _l("Every office"))] + [
            SelectChoice(office.code, office.name) for office in offices
        ]
        return self


class AcceptInvitationForm(BaseForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(REQUIRED)],
        description=_l("At least 8 characters; not a common password, nor your email address."),
        render_kw={"autocomplete": "new-password", "minlength": 8, "maxlength": 128},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.invitee_email = email

    def validate_password(self, field):
        problem = password_problem(field.data or "", self.invitee_email)
        if problem:
            raise ValidationError(PASSWORD_MESSAGES[problem.code])
