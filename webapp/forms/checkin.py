"""The check-in form at the office's entrance: one scan field, as a keyboard-wedge scanner types."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp import labels
from webapp.forms.base import BaseForm
from webapp.signing import MAX_TOKEN_LENGTH


def scan_field(label, missing) -> StringField:
    """The one field a keyboard-wedge scanner types a QR code into (then Enter); `missing` says
    what to scan or type when it is sent empty."""
    return StringField(
        label,
        validators=[
            DataRequired(missing),
            Length(max=MAX_TOKEN_LENGTH, message=_l("This is not an M-Paspor QR code.")),
        ],
        render_kw={
            "autofocus": True,
            "autocomplete": "off",
            "autocapitalize": "off",
            "spellcheck": "false",
            "enterkeyhint": "go",
        },
    )


class ScanForm(BaseForm):
    scanned = scan_field(
        _l("QR code, application number or NIK"),
        _l("Scan the QR code, or type the application number or the NIK."),
    )
    priority_group = SelectField(
        _l("Priority group"),
        choices=[SelectChoice("", _l("None")), *labels.choices(labels.PRIORITY_GROUPS)],
        default="",
    )
    walk_in = BooleanField(_l("Priority walk-in without a booking (billed here)"))
