"""Forms of the counter desk: opening a counter for some lanes, and acting on a called number."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import labels
from webapp.forms.base import REQUIRED, BaseForm
from webapp.models.types import MAX_ID

MAX_COUNTER = 99


class OpenCounterForm(BaseForm):
    counter_number = IntegerField(
        _l("Counter number"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(1, MAX_COUNTER, _l("Enter a counter number from 1 to 99.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "min": 1, "max": MAX_COUNTER},
    )
    lanes = SelectMultipleField(
        _l("Lanes this counter serves"),
        choices=labels.choices(labels.LANES),
        default=list(labels.LANES),  # most counters serve every lane; untick the others
        validators=[DataRequired(labels.CALLING_PROBLEMS["no_lanes"])],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class VisitForm(BaseForm):
    """A button about the number the counter shows: which visit it was shown for."""

    visit_id = HiddenField(validators=[DataRequired()])

    def visit(self) -> int | None:
        """The visit's id, or None for anything that cannot be one."""
        value = self.visit_id.data or ""
        return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None
