"""The administrators' fee tables: every table with the one in force marked, and a new one."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.admin_fees import FeeTableForm
from webapp.i18n import long_date
from webapp.services import fee_tables
from webapp.views.access import administrator

bp = Blueprint("admin_fees", __name__, url_prefix="/admin/fees")


@bp.route("")
@administrator
def index():
    today = fee_tables.today()
    return render_template(
        "admin/fees/index.html", tables=fee_tables.history(), today=today, items=labels.FEE_ITEMS
    )


@bp.route("/new", methods=["GET", "POST"])
@administrator
def new():
    form = FeeTableForm()
    if form.validate_on_submit():
        table = fee_tables.NewTable(
            name=form.name.data,
            valid_from=form.valid_from.data,
            valid_until=form.valid_until.data,
            amounts=form.amounts(),
            exempt_ordinary=form.exempt_ordinary.data,
        )
        try:
            added = fee_tables.create(current_user, table)
        except fee_tables.FeeTableRefused as refused:
            _refusal(form, refused)
        else:
            flash(
                _(
                    "%(name)s is added, in force from %(day)s.",
                    name=added.name,
                    day=long_date(added.valid_from),
                ),
                "success",
            )
            return redirect(url_for("admin_fees.index"))
    status = 422 if form.errors else 200
    return render_template("admin/fees/new.html", form=form), status


def _refusal(form: FeeTableForm, refused: fee_tables.FeeTableRefused) -> None:
    message = labels.FEE_TABLE_PROBLEMS[refused.code]
    if refused.other is not None:
        other = refused.other
        message = message % {
            "name": other.name,
            "start": long_date(other.valid_from),
            "end": long_date(other.valid_until) if other.valid_until else _("no end"),
        }
    target = {"name_taken": form.name, "ends_before_start": form.valid_until}.get(
        refused.code, form.valid_from
    )
    target.errors = [*target.errors, message]
