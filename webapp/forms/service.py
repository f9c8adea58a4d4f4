"""Forms of the counter's service page: a document against its original, the capture, the
interview notes, and the decisions."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import labels
from webapp.forms.base import REQUIRED, BaseForm, at_most
from webapp.rules import decisions

VERDICTS = {"matches": _l("Original matches"), "mismatch": _l("Does not match")}


class JudgeForm(BaseForm):
    code = HiddenField(validators=[DataRequired()])
    verdict = RadioField(
        _l("Compared with the original"),
        choices=labels.choices(VERDICTS),
        validators=[InputRequired(REQUIRED)],
    )
    reason = StringField(_l("Why it does not match"), validators=[at_most(200)])

    def validate_reason(self, field) -> None:
        if self.verdict.data == "mismatch" and not field.data:
            raise ValidationError(_l("Say why the document does not match its original."))


class CaptureForm(BaseForm):
    photo_ref = StringField(
        _l("Photo: capture station reference"),
        validators=[InputRequired(REQUIRED), at_most(decisions.STATION_REF_MAX)],
        render_kw={"autocomplete": "off"},
    )
    fingerprints_ref = StringField(
        _l("Fingerprints: capture station reference"),
        validators=[InputRequired(REQUIRED), at_most(decisions.STATION_REF_MAX)],
        render_kw={"autocomplete": "off"},
    )


class InterviewForm(BaseForm):
    notes = TextAreaField(
        _l("Interview notes (staff only)"),
        validators=[at_most(decisions.INTERVIEW_MAX)],
    )


class IncompleteForm(BaseForm):
    owed = SelectMultipleField(
        _l("Documents the applicant must supply"),
        choices=labels.choices(labels.DOCUMENTS),
        validators=[DataRequired(labels.REVIEW_PROBLEMS["nothing_owed"])],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class RejectForm(BaseForm):
    reason = RadioField(
        _l("Reason for the rejection"),
        choices=labels.choices(
            {code: labels.REJECTION_REASONS[code] for code in decisions.REJECTION_REASONS}
        ),
        validators=[InputRequired(labels.REVIEW_PROBLEMS["no_reason"])],
    )
    note = TextAreaField(_l("Note"), validators=[at_most(decisions.NOTE_MAX)])
