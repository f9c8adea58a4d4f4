"""Forms of the collection desk: the scan field, and who the passport is handed to."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from webapp import clock, labels
from webapp.forms.base import (
    REQUIRED,
    BaseForm,
    PersonName,
    at_most,
    room_for_separators,
    without_separators,
)
from webapp.forms.checkin import scan_field
from webapp.rules import collection, nik

NIK_DIGITS = 16
CHOOSE_COLLECTOR = _l("Choose who collects the passport.")
CHOOSE_RELATIONSHIP = _l("Choose how the family member is related to the applicant.")


class CollectionScanForm(BaseForm):
    scanned = scan_field(
        _l("Receipt QR code or application number"),
        _l("Scan the QR code of the receipt, or type the application number."),
    )


class HandoverForm(BaseForm):
    """Who collects: the applicant (an ID shown), a family member on the same KK (name, NIK,
    relationship, an ID shown) or an attorney (name, NIK, the letter, an ID shown)."""

    collector = RadioField(
        _l("Who collects the passport?"),
        choices=labels.choices(labels.COLLECTORS),
        validators=[InputRequired(CHOOSE_COLLECTOR)],
        invalid_choice_message=CHOOSE_COLLECTOR,
        invalid_value_message=CHOOSE_COLLECTOR,
        default=collection.APPLICANT,
        # The first thing asked after a scan: arrow keys choose, Tab goes on to the ID.
        render_kw={"autofocus": True},
    )
    identity_document = StringField(
        _l("ID shown by the collector"),
        description=_l("Everyone: the kind and number of the ID, e.g. KTP 3171…"),
        validators=[InputRequired(REQUIRED), at_most(60)],
        render_kw={"autocomplete": "off", "maxlength": 60},
    )
    full_name = StringField(
        _l("Collector's full name"),
        description=_l("As on their KTP. Left empty for the applicant."),
        render_kw={"autocomplete": "off", "maxlength": 120},
    )
    nik = StringField(
        _l("Collector's NIK"),
        description=_l("The 16 digits on their KTP."),
        filters=[without_separators],
        render_kw={
            "autocomplete": "off",
            "inputmode": "numeric",
            "maxlength": room_for_separators(NIK_DIGITS),
            "spellcheck": "false",
        },
    )
    relationship = SelectField(
        _l("Relationship to the applicant"),
        description=_l("A family member only."),
        choices=[SelectChoice("", _l("Choose")), *labels.choices(labels.RELATIONSHIPS)],
        invalid_choice_message=CHOOSE_RELATIONSHIP,
        invalid_value_message=CHOOSE_RELATIONSHIP,
        default="",
    )
    letter_note = StringField(
        _l("Letter of attorney"),
        description=_l("An attorney only: the letter's date and who signed it."),
        validators=[at_most(200)],
        render_kw={"autocomplete": "off", "maxlength": 200},
    )

    def _someone_else(self) -> bool:
        return self.collector.data in (collection.FAMILY, collection.ATTORNEY)

    def validate_full_name(self, field) -> None:
        if not field.data:
            if self._someone_else():
                raise ValidationError(REQUIRED)
            return
        PersonName()(self, field)

    def validate_nik(self, field) -> None:
        if not self._someone_else():
            field.data = ""
            return
        if not field.data:
            raise ValidationError(REQUIRED)
        try:
            nik.parse_nik(field.data, clock.today())
        except nik.NikError as error:
            raise ValidationError(labels.NIK_PROBLEMS[error.code]) from None

    def validate_relationship(self, field) -> None:
        if self.collector.data == collection.FAMILY and not field.data:
            raise ValidationError(CHOOSE_RELATIONSHIP)

    def validate_letter_note(self, field) -> None:
        if self.collector.data == collection.ATTORNEY and not field.data:
            raise ValidationError(_l("Note the letter of attorney."))


class SelectedForm(BaseForm):
    """The passports ticked on the printing page, to mark all at once."""

    application_id = SelectMultipleField(
        _l("Select"),
        coerce=int,
        validate_choice=False,  # any id: the service finds only the office's own
        invalid_value_message=_l("Select the passports from the list."),
        validators=[DataRequired(_l("Select at least one passport first."))],
    )
