"""One form per step of the application; questions that do not apply are removed per case."""

import phonenumbers
from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField, TelField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp

from webapp import clock, labels
from webapp.forms.base import (
    REQUIRED,
    BaseForm,
    IndonesianMobile,
    PersonName,
    at_most,
    room_for_separators,
    without_separators,
)
from webapp.forms.fields import PARTS, DatePartsField, RadioField
from webapp.rules import eligibility, journey, nik

CHOOSE = _l("Choose one of the options.")
CHILD_FIVE_YEARS = _l("A child (under 17 and not married) can only get a 5-year passport.")


class LimitedRadioField(RadioField):
    """Radio buttons of which some may be shown but not chosen now (`disabled_values`).

    A disabled option is never shown ticked: the browser would not send it, and the applicant
    would be told to choose without seeing why.
    """

    disabled_values: frozenset[str] = frozenset()

    def __iter__(self):
        for option in super().__iter__():
            if option._value() in self.disabled_values:
                option.checked = False
            yield option


def _radio(label, mapping, field_class=RadioField, **kwargs):
    return field_class(
        label,
        choices=labels.choices(mapping),
        validators=[InputRequired(CHOOSE)],
        invalid_value_message=CHOOSE,
        invalid_choice_message=CHOOSE,
        **kwargs,
    )


def _name(label, autocomplete="off"):
    return StringField(
        label,
        validators=[DataRequired(REQUIRED), PersonName()],
        render_kw={"autocomplete": autocomplete, "maxlength": 120},
    )


def _nik(label, description=None):
    """Typed as on the KTP, in groups or not: validate_* judges the 16 digits alone."""
    return StringField(
        label,
        validators=[DataRequired(REQUIRED)],
        filters=[without_separators],
        description=description,
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": room_for_separators(16),
        },
    )


def _phone(label, validator, autocomplete):
    """A phone number as people write it ("0812-3456-7890"); the limit counts what remains."""
    return TelField(
        label,
        validators=[DataRequired(REQUIRED), at_most(20), validator],
        filters=[without_separators],
        render_kw={"autocomplete": autocomplete, "inputmode": "tel"},
    )


def birth_date_fix(application) -> tuple[str, str]:
    """Where the date of birth a NIK disagrees with is changed: its own step and box."""
    where = url_for(
        "apply.step", public_id=application.public_id, step="passport", _anchor="birth_date-day"
    )
    return where, _l(
        "Change the date of birth in step %(number)d", number=journey.STEPS.index("passport") + 1
    )


def _nik_error(code: str) -> ValidationError:
    return ValidationError(labels.NIK_PROBLEMS[code])


class ServiceForm(BaseForm):
    for_self = _radio(_l("Who is this application for?"), labels.FOR_SELF)
    service = _radio(_l("Service"), labels.SERVICES)
    application_type = _radio(_l("Application type"), labels.APPLICATION_TYPES)
    replacement_reason = RadioField(
        _l("Why do you need a replacement?"),
        choices=labels.choices(labels.REPLACEMENT_REASONS),
        validate_choice=False,
        description=_l(
            "A lost or damaged passport is examined at the office (BAP) first; its fine is billed "
            "there, not here. Force majeure is exempt with a letter from the kelurahan."
        ),
    )

    def validate_replacement_reason(self, field):
        if self.application_type.data != "replacement":
            return
        if field.data not in labels.REPLACEMENT_REASONS:
            raise ValidationError(_l("Choose why you need a replacement."))


class PassportForm(BaseForm):
    birth_date = DatePartsField(
        _l("Date of birth"),
        description=_l("As on the KTP or birth certificate, for example 17 8 1990."),
        render_kw={"autocomplete_prefix": "bday"},
    )
    marital_status = _radio(_l("Marital status"), labels.MARITAL_STATUSES)
    passport_kind = _radio(_l("Passport type"), labels.PASSPORT_KINDS)
    validity_years = _radio(
        _l("Validity"),
        labels.VALIDITIES,
        field_class=LimitedRadioField,
        coerce=int,
        description=_l("10 years is only for adults: 17 or older, or married."),
    )

    def validate_birth_date(self, field):
        if field.data is None:
            if not field.process_errors:
                raise ValidationError(REQUIRED)
            return
        problem = eligibility.birth_date_problem(field.data, clock.today())
        if problem == "future":
            raise ValidationError(_l("The date of birth cannot be in the future."))
        if problem == "too_old":
            raise ValidationError(_l("Check the year: that would make the applicant over 130."))

    def validate_validity_years(self, field):
        adult = adult_so_far(self)
        if adult is None:
            return
        if eligibility.validity_problem(field.data, adult) == "child_ten_years":
            raise ValidationError(CHILD_FIVE_YEARS)


class PersonalForm(BaseForm):
    nik = _nik(_l("NIK"), _l("The 16-digit number on the KTP or Kartu Keluarga."))
    full_name = _name(_l("Full name as on the KTP"), autocomplete="name")
    birth_place = StringField(
        _l("Place of birth"),
        validators=[DataRequired(REQUIRED), at_most(60)],
        render_kw={"maxlength": 60},
    )
    sex = _radio(_l("Sex"), labels.SEXES)
    address = TextAreaField(
        _l("Address as on the KTP"),
        validators=[DataRequired(REQUIRED), at_most(300)],
        render_kw={"autocomplete": "street-address", "maxlength": 300, "rows": 3},
    )
    occupation = StringField(
        _l("Occupation"),
        validators=[DataRequired(REQUIRED), at_most(60)],
        render_kw={"autocomplete": "organization-title", "maxlength": 60},
    )
    phone = _phone(_l("Mobile number"), IndonesianMobile(), "tel")
    mother_name = _name(_l("Mother's name"))
    father_name = _name(_l("Father's name"))
    mother_nik = _nik(_l("Mother's NIK"))
    father_nik = _nik(_l("Father's NIK"))
    name_changed = BooleanField(_l("The name has been changed by a court decree"))
    naturalised = BooleanField(_l("Indonesian citizenship was obtained by naturalisation"))
    old_passport_number = StringField(
        _l("Old passport number"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[A-Z]{1,2}[0-9]{6,7}$", message=_l("For example B1234567.")),
        ],
        filters=[lambda v: v.upper().replace(" ", "") if isinstance(v, str) else v],
        render_kw={"autocomplete": "off", "maxlength": 9, "autocapitalize": "characters"},
    )
    old_passport_issue_date = DatePartsField(_l("Issue date of the old passport"))

    def validate_nik(self, field):
        problems = nik.nik_problems(
            field.data,
            birth_date=self.meta.application.birth_date,
            sex=self.sex.data if self.sex.data in labels.SEXES else None,
            today=clock.today(),
        )
        if problems:
            if problems[0] == "birth_date_mismatch":
                field.fix_elsewhere = birth_date_fix(self.meta.application)
            raise _nik_error(problems[0])

    def validate_mother_nik(self, field):
        self._parent_nik(field, "F")

    def validate_father_nik(self, field):
        self._parent_nik(field, "M")

    def _parent_nik(self, field, sex):
        problems = nik.nik_problems(field.data, birth_date=None, sex=sex, today=clock.today())
        if problems:
            raise _nik_error(problems[0])

    def validate_old_passport_issue_date(self, field):
        if field.data is None:
            if not field.process_errors:
                raise ValidationError(REQUIRED)
            return
        if field.data > clock.today():
            raise ValidationError(_l("The issue date cannot be in the future."))


class AnyPhone:
    """A phone number in Indonesia or abroad (with its country code)."""

    def __call__(self, form, field):
        try:
            number = phonenumbers.parse(field.data or "", "ID")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(_l("Enter a phone number, for example 081234567890."))
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class TravelForm(BaseForm):
    travel_purpose = _radio(_l("Purpose of travel"), labels.TRAVEL_PURPOSES)
    destination_country = StringField(
        _l("Destination country"),
        validators=[DataRequired(REQUIRED), at_most(60)],
        render_kw={"autocomplete": "off", "maxlength": 60},
    )
    address_abroad = TextAreaField(
        _l("Address abroad (optional)"),
        validators=[Optional(), at_most(300)],
        render_kw={"maxlength": 300, "rows": 2},
    )
    stay_length = _radio(_l("Planned length of stay"), labels.STAY_LENGTHS)
    emergency_name = _name(_l("Name of a relative to contact in an emergency"))
    emergency_phone = _phone(_l("Relative's phone number"), AnyPhone(), "off")


class ReviewForm(BaseForm):
    declare_true = BooleanField(
        _l("I declare that the data and documents are true and my own."),
        validators=[DataRequired(_l("Confirm that the data are true."))],
    )
    accept_forfeit = BooleanField(
        _l(
            "I understand that fees are not returned on rejection, on not attending, on a wrong "
            "application type or on false statements."
        ),
        validators=[DataRequired(_l("Confirm that you understand the rules on fees."))],
    )


STEP_FORMS = {
    "service": ServiceForm,
    "passport": PassportForm,
    "personal": PersonalForm,
    "travel": TravelForm,
}


def step_form(step: str, application, formdata=None):
    """The form of a step for this application: stored answers, overlaid by what was typed.

    formdata is the posted form; without it, input kept from an unfinished visit is shown.
    """
    if formdata is None and application.pending_inputs:
        formdata = MultiDict(application.pending_inputs)
    return _form(step, application, formdata)


def saved_form(step: str, application):
    """The form of a step showing only its saved answers, nothing typed since."""
    return _form(step, application, None)


def _form(step: str, application, formdata):
    form = STEP_FORMS[step](
        formdata=formdata, data=_stored(step, application), meta={"application": application}
    )
    # The service step decides its own conditional question, so it always shows it.
    if step != "service":
        for name in journey.STEP_FIELDS[step]:
            if not journey.applies(name, application, clock.today()):
                delattr(form, name)
    return form


def shown_inputs(form) -> dict[str, dict[str, str]]:
    """Each field's inputs as the page shows them, {field: {input name: value}}, in the form a
    browser posts them back (an unticked box or unchosen option as "")."""
    shown = {}
    for name, f in form._fields.items():
        if name == "csrf_token":
            continue
        if isinstance(f, DatePartsField):
            shown[name] = {f"{name}-{part}": f.raw.get(part, "") for part in PARTS}
        elif isinstance(f, BooleanField):
            shown[name] = {name: "y" if f.data else ""}
        elif isinstance(f, RadioField):
            shown[name] = {name: "" if f.data in (None, "") else str(f.data)}
        else:
            shown[name] = {name: f._value()}
    return shown


def posted_inputs(form, formdata) -> dict[str, dict[str, str]]:
    """The same inputs as shown_inputs, as a post sent them."""
    return {
        name: {key: formdata.get(key, "") for key in keys}
        for name, keys in shown_inputs(form).items()
    }


def readable(form, name: str, inputs: dict[str, str]) -> str:
    """A field's inputs as words a person recognises: the chosen option's label, a date."""
    f = form[name]
    if isinstance(f, DatePartsField):
        text = "/".join(inputs.get(f"{name}-{part}", "") for part in PARTS).strip("/")
    elif isinstance(f, BooleanField):
        return _l("Yes") if inputs.get(name) else _l("No")
    elif isinstance(f, RadioField):
        shown = {str(value): label for value, label, *_ in f.iter_choices()}
        text = shown.get(inputs.get(name, ""))
    else:
        text = inputs.get(name, "")
    return text or _l("(empty)")


def answers(form) -> dict:
    """The form's values as the application stores them."""
    values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    values = {name: (None if value == "" else value) for name, value in values.items()}
    if "for_self" in values:
        values["for_self"] = values["for_self"] == "yes"
    if values.get("application_type") == "new":
        values["replacement_reason"] = None
    return values


def _stored(step: str, application) -> dict:
    data = {name: getattr(application, name) for name in journey.STEP_FIELDS[step]}
    if step == "service" and application.for_self is not None:
        data["for_self"] = "yes" if application.for_self else "no"
    return data


def adult_so_far(form) -> bool | None:
    """Adult or child by the birth date and marital status on this form; None while either is
    missing or the birth date is itself refused, so that its error is the only one."""
    return eligibility.adult_by_answers(
        form.birth_date.data, form.marital_status.data, clock.today()
    )


def limit_validities(form) -> None:
    """Offer 10 years only when the applicant is not known to be a child; for a child, asking
    to choose says why only 5 years is left."""
    if adult_so_far(form) is not False:
        return
    form.validity_years.disabled_values = frozenset({"10"})
    form.validity_years.validators = [InputRequired(CHILD_FIVE_YEARS)]
