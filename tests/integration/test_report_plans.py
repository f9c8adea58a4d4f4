"""The figures' queries stay on their indexes (PostgreSQL, generated data): EXPLAIN of every
statement the office-day and national-month figures run finds no sequential scan of the big
tables (applications, audit_entries, visits, holds, slots)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from bench.report_data import generate
from webapp import clock
from webapp.extensions import db
from webapp.models import Office
from webapp.services import reports

BIG = ("applications", "audit_entries", "visits", "holds", "slots")
SEQUENTIAL = re.compile(r"Seq Scan on (\w+)")


@pytest.fixture
def history(app, postgres):
    """A year of 25 offices with 12 applications a working day each (about 78,000)."""
    with app.app_context():
        with db.engine.connect() as connection:
            first = clock.today() - timedelta(days=365)
            made = generate(connection, offices=25, first=first, days=365, per_day=12)
        assert made > 70_000
        yield app


def _statements(run) -> list[tuple[str, dict]]:
    """The SQL statements (with their parameters) that run() executes."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _plans(statements) -> list[str]:
    plans = []
    with db.engine.connect() as connection:
        cursor = connection.connection.cursor()
        for statement, parameters in statements:
            cursor.execute("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def _sequential_scans(plans: list[str]) -> list[str]:
    return [
        f"{table} in:\n{plan}"
        for plan in plans
        for table in SEQUENTIAL.findall(plan)
        if table in BIG
    ]


def test_an_office_day_reads_its_rows_by_index(history):
    with history.app_context():
        office = db.session.scalar(db.select(Office).where(Office.code == "bench-007"))
        day = clock.today(office.timezone) - timedelta(days=30)
        while day.weekday() > 4:
            day -= timedelta(days=1)
        chosen = reports.period("day", day.isoformat(), today=day)
        report = None

        def run():
            nonlocal report
            report = reports.for_office(office.id, chosen)

        statements = _statements(run)
        assert report.total.checked_in == 10  # 12 booked, one expired, one no-show
        assert len(statements) >= 6
        assert _sequential_scans(_plans(statements)) == []


def test_the_national_month_reads_its_rows_by_index(history):
    with history.app_context():
        day = clock.today() - timedelta(days=60)
        chosen = reports.period("month", day.isoformat(), today=day)
        report = None

        def run():
            nonlocal report
            report = reports.national(chosen)

        statements = _statements(run)
        assert len(report.offices) == 25 and report.total.approved > 0
        assert _sequential_scans(_plans(statements)) == []
        # The plans name the indexes made for these queries.
        plans = "\n".join(_plans(statements))
        assert "ix_audit_entries_status_at" in plans
        assert "ix_visits_day" in plans or "ix_visits_line" in plans
