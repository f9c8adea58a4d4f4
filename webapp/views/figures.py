"""The day's figures: the supervisor's office, and every office for administrators, as tables,
server-drawn charts and a CSV download of the same figures."""

import csv
import io

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from webapp import charts, clock, labels
from webapp.i18n import long_date
from webapp.services import offices, reports
from webapp.views.access import administrator, supervisor

bp = Blueprint("figures", __name__)
NATIONAL_ZONE = "Asia/Jakarta"  # "today" on the national page, when no date is given


@bp.route("/supervisor/figures")
@supervisor
def office():
    own = offices.by_id(current_user.office_id)
    chosen = _period(clock.today(own.timezone))
    if not isinstance(chosen, reports.Period):
        return chosen
    report = reports.for_office(current_user.office_id, chosen)
    return _answer(report, "figures.office", {}, single=True)


@bp.route("/admin/figures")
@administrator
def national():
    """Every office; with ?office=<code>, that office alone (its counters and officers)."""
    code = request.args.get("office")
    if code:
        return _office_of(code)
    chosen = _period(clock.today(NATIONAL_ZONE))
    if not isinstance(chosen, reports.Period):
        return chosen
    return _answer(reports.national(chosen), "figures.national", {}, single=False)


def _office_of(code: str):
    office = offices.by_code(code)
    if office is None:
        abort(404)
    chosen = _period(clock.today(office.timezone))
    if not isinstance(chosen, reports.Period):
        return chosen
    report = reports.for_office(office.id, chosen)
    return _answer(report, "figures.national", {"office": office.code}, single=True)


def _period(today):
    """The period of the query string, or the page saying plainly what was wrong (400)."""
    try:
        return reports.period(request.args.get("period"), request.args.get("date"), today=today)
    except reports.BadPeriod as bad:
        message = labels.FIGURES_PERIOD_PROBLEMS[bad.problem]
        context = {"code": 400, "title": _("These figures cannot be shown"), "message": message}
        return render_template("errors/error.html", **context), 400


def _answer(report: reports.Report, endpoint: str, values: dict, *, single: bool):
    shown = request.args.get("format")
    if shown == "csv":
        return _csv(report)
    if shown not in (None, "", "html"):
        context = {
            "code": 400,
            "title": _("These figures cannot be shown"),
            "message": labels.FIGURES_PERIOD_PROBLEMS["format"],
        }
        return render_template("errors/error.html", **context), 400
    page = _page(report, endpoint, values, single=single)
    return render_template("figures/page.html", page=page, report=report, single=single)


def _csv(report: reports.Report) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in _csv_rows(report):
        writer.writerow(row)
    name = f"figures-{report.period.kind}-{report.period.first.isoformat()}.csv"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# What the page and the CSV show, from one list of figures ---------------------------------------

COUNTS = ("released", "booked", "paid", "checked_in", "no_shows", "approved", "incomplete")
CSV_HEADER = (
    ["office_code", "office_name", "timezone", "period", "first_day", "last_day"]
    + list(COUNTS)
    + ["rejected"]
    + [f"rejected_{reason}" for reason in labels.REJECTION_REASONS]
    + ["average_wait_minutes", "average_service_minutes", "epassport_stock"]
)


def _csv_rows(report: reports.Report):
    period = report.period
    rows = [
        (office.code, office.name, office.timezone, figures) for office, figures in report.offices
    ]
    if len(report.offices) > 1:
        rows.append(("total", "", "", report.total))
    for code, name, zone, figures in rows:
        yield (
            [code, name, zone, period.kind, period.first.isoformat(), period.last.isoformat()]
            + [getattr(figures, count) for count in COUNTS]
            + [figures.rejected_total]
            + [figures.rejected.get(reason, 0) for reason in labels.REJECTION_REASONS]
            + [
                _plain(figures.average_wait_minutes),
                _plain(figures.average_service_minutes),
                "" if figures.stock is None else figures.stock,
            ]
        )


def _plain(minutes: float | None) -> str:
    return "" if minutes is None else f"{minutes:.1f}"


def _minutes(minutes: float | None) -> str:
    if minutes is None:
        return "-"
    return _("%(minutes)s min", minutes=format_decimal(round(minutes, 1), format="#,##0.0"))


def _reason(reason: str) -> str:
    return str(labels.REJECTION_REASONS.get(reason, reason))


def _page(report: reports.Report, endpoint: str, values: dict, *, single: bool) -> dict:
    """Everything the template shows: the period's navigation, the figures as rows and as charts."""
    period, total = report.period, report.total
    rows = [(str(labels.FIGURES[count]), getattr(total, count)) for count in COUNTS]
    rows.append((str(labels.FIGURES["rejected"]), total.rejected_total))
    bars = [charts.Bar(label, value, format_decimal(value)) for label, value in rows]
    reasons = [
        charts.Bar(_reason(reason), count, format_decimal(count))
        for reason, count in sorted(total.rejected.items())
    ]
    page = {
        "period": period,
        "title": _title(period),
        "rows": rows,
        "wait": _minutes(total.average_wait_minutes),
        "service": _minutes(total.average_service_minutes),
        "stock": "-" if total.stock is None else format_decimal(total.stock),
        "reasons": [(_reason(reason), count) for reason, count in sorted(total.rejected.items())],
        "chart": charts.bar_chart(str(labels.FIGURES["chart_counts"]), bars, chart_id="counts"),
        "reasons_chart": charts.bar_chart(
            str(labels.FIGURES["chart_reasons"]), reasons, chart_id="reasons"
        ),
        "csv": url_for(
            endpoint, **values, period=period.kind, date=period.first.isoformat(), format="csv"
        ),
        "earlier": url_for(
            endpoint, **values, period=period.kind, date=_shift(period, -1).isoformat()
        ),
        "later": url_for(
            endpoint, **values, period=period.kind, date=_shift(period, 1).isoformat()
        ),
        "action": url_for(endpoint),
        "office_code": values.get("office"),
        "national": url_for("figures.national", period=period.kind, date=period.first.isoformat())
        if values.get("office")
        else None,
        "minutes": _minutes,
    }
    if single:
        counters = [
            reports.ServiceRow(
                _("Counter %(number)s", number=row.label), row.served, row.average_minutes
            )
            for row in report.counters
        ]
        page["counters_chart"] = _service_chart("chart_counters", counters, "counters")
        page["officers_chart"] = _service_chart("chart_officers", report.officers, "officers")
    else:
        offices = [(office, figures) for office, figures in report.offices]
        page["checked_in_title"] = labels.FIGURES["chart_checked_in"]
        page["wait_title"] = labels.FIGURES["chart_wait"]
        page["checked_in_chart"] = charts.bar_chart(
            str(labels.FIGURES["chart_checked_in"]),
            [charts.Bar(o.name, f.checked_in, format_decimal(f.checked_in)) for o, f in offices],
            chart_id="checked-in",
        )
        page["wait_chart"] = charts.bar_chart(
            str(labels.FIGURES["chart_wait"]),
            [
                charts.Bar(o.name, f.average_wait_minutes or 0, _minutes(f.average_wait_minutes))
                for o, f in offices
            ],
            chart_id="wait",
        )
    return page


def _service_chart(title: str, rows: list[reports.ServiceRow], chart_id: str):
    bars = [
        charts.Bar(row.label, row.average_minutes or 0, _minutes(row.average_minutes))
        for row in rows
    ]
    return charts.bar_chart(str(labels.FIGURES[title]), bars, chart_id=chart_id)


def _shift(period: reports.Period, step: int):
    """A day of the period before (step -1) or after (step 1)."""
    from datetime import timedelta

    return period.first - timedelta(days=1) if step < 0 else period.last + timedelta(days=1)


def _title(period: reports.Period) -> str:
    if period.kind == reports.DAY:
        return long_date(period.first)
    heading = labels.FIGURES_TITLES[period.kind]
    return str(heading).format(first=long_date(period.first), last=long_date(period.last))
