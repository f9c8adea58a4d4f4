"""The supervisor's pages of their own office: its settings (days, hours, places per lane, the
quota release, the call ratio) and its e-passport blank stock, with the history of changes."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.supervisor import OfficeSettingsForm, StockForm
from webapp.i18n import clock_time, long_date
from webapp.services import office_settings
from webapp.views.access import supervisor

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


def moment_text(value: datetime, zone: str) -> str:
    """Monday 7 December 2026 09.00 WITA, in the office's zone."""
    weekday = labels.WEEKDAYS[value.astimezone(ZoneInfo(zone)).weekday()]
    return f"{weekday} {long_date(value, zone)} {clock_time(value, zone)}"


def _form_of(office) -> OfficeSettingsForm:
    settings = office_settings.current(office)
    return OfficeSettingsForm(
        obj=settings,
        opening_days=list(settings.opening_days),
        release_time=f"{settings.release_hour:02d}.{settings.release_minute:02d}",
    )


def _settings_of(form: OfficeSettingsForm) -> office_settings.Settings:
    hour, minute = form.release_hour_minute()
    return office_settings.Settings(
        opening_days="".join(sorted(form.opening_days.data)),
        first_slot_hour=form.first_slot_hour.data,
        last_slot_hour=form.last_slot_hour.data,
        regular_per_hour=form.regular_per_hour.data,
        express_per_hour=form.express_per_hour.data,
        priority_per_hour=form.priority_per_hour.data,
        release_kind=form.release_kind.data,
        release_weekday=form.release_weekday.data,
        release_hour=hour,
        release_minute=minute,
        call_weight_priority=form.call_weight_priority.data,
        call_weight_express=form.call_weight_express.data,
        call_weight_regular=form.call_weight_regular.data,
    )


def _page(office, form, stock_form, overbooked=(), status=200):
    return render_template(
        "supervisor/office.html",
        office=office,
        form=form,
        stock_form=stock_form,
        overbooked=[
            labels.OVERBOOKED_SLOT
            % {
                "slot": moment_text(item.starts_at, office.timezone),
                "lane": labels.LANES[item.lane],
                "held": item.held,
                "quota": item.new_quota,
            }
            for item in overbooked
        ],
        history=office_settings.history(office),
        moment_text=moment_text,
    ), status


@bp.route("/office", methods=["GET", "POST"])
@supervisor
def office():
    found = office_settings.own_office(current_user)
    if found is None:
        abort(404)
    form = OfficeSettingsForm() if OfficeSettingsForm().is_submitted() else _form_of(found)
    if not form.validate_on_submit():
        return _page(found, form, StockForm(formdata=None), status=422 if form.errors else 200)
    try:
        outcome = office_settings.change(current_user, _settings_of(form))
    except office_settings.SettingsRefused as refused:
        problem = labels.OFFICE_SETTINGS_PROBLEMS[refused.code]
        if refused.release_at is not None:
            problem = problem % {"moment": moment_text(refused.release_at, found.timezone)}
        form.form_errors.append(problem)
        return _page(found, form, StockForm(formdata=None), refused.overbooked, status=422)
    if not outcome.changed:
        flash(_("Nothing was changed."), "info")
    else:
        flash(
            _(
                "The settings are saved: %(updated)d future slots changed, %(removed)d removed, "
                "%(made)d made; %(kept)d released slots with bookings keep their places.",
                updated=outcome.slots_updated,
                removed=outcome.slots_removed,
                made=outcome.slots_made,
                kept=outcome.slots_kept,
            ),
            "success",
        )
    return redirect(url_for("supervisor.office"))


@bp.route("/office/stock", methods=["POST"])
@supervisor
def stock():
    found = office_settings.own_office(current_user)
    if found is None:
        abort(404)
    form = StockForm()
    if not form.validate_on_submit():
        return _page(found, _form_of(found), form, status=422)
    move = (
        office_settings.deliver if form.movement.data == "delivered" else office_settings.write_off
    )
    try:
        left = move(current_user, form.count.data)
    except office_settings.SettingsRefused as refused:
        problem = labels.OFFICE_SETTINGS_PROBLEMS[refused.code] % {
            "stock": found.epassport_stock,
            "count": form.count.data,
        }
        form.count.errors.append(problem)
        return _page(found, _form_of(found), form, status=422)
    flash(_("The e-passport stock is now %(stock)d blanks.", stock=left), "success")
    return redirect(url_for("supervisor.office"))
