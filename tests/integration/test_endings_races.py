"""Sweeps run at the same instant (two cron hosts, a replayed job): each application ends once,
with one audit row and one mail. On an SQLite file of its own and on the run's PostgreSQL, as the
races of tests/integration/test_races.py run."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.checkins import open_all_day, paid
from tests.integration.test_endings import at, ready
from tests.integration.test_races import database_url, together  # noqa: F401 (the fixture)
from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEntry, Notification
from webapp.rules import statuses
from webapp.rules.collection import COLLECTION_PERIOD, REMINDER_AFTER
from webapp.services import endings

SWEEPERS = 4


@pytest.fixture
def sweep_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


def _ends_and_mails(application_ids, status: str, event: str) -> tuple[int, int]:
    moves = db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.application_id.in_(application_ids),
            AuditEntry.entity == "application",
            AuditEntry.to_status == status,
        )
    )
    mails = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.application_id.in_(application_ids), Notification.event == event
        )
    )
    return moves, mails


def test_concurrent_no_show_sweeps_end_each_booking_once(sweep_app, monkeypatch):
    with sweep_app.app_context():
        day = clock.today("Asia/Jakarta") - timedelta(days=5)
        office = open_all_day("Asia/Jakarta")
        ids = [paid(office, at(day, hour, "Asia/Jakarta")).id for hour in (9, 10, 11)]
    later = at(day + timedelta(days=1), 2, "Asia/Jakarta")
    monkeypatch.setattr(clock, "now", lambda: later)
    counts = together(sweep_app, [endings.sweep_no_shows] * SWEEPERS)
    assert sum(counts) == len(ids)
    with sweep_app.app_context():
        assert _ends_and_mails(ids, statuses.NO_SHOW, "no_show") == (len(ids), len(ids))


def test_concurrent_collection_sweeps_end_each_passport_once(sweep_app, monkeypatch):
    with sweep_app.app_context():
        since = at(clock.today("Asia/Jayapura") - timedelta(days=40), 10, "Asia/Jayapura")
        office = open_all_day("Asia/Jayapura")
        ids = [ready(office, since).id for _ in range(3)]
    later = since + COLLECTION_PERIOD
    monkeypatch.setattr(clock, "now", lambda: later)
    swept = together(sweep_app, [endings.sweep_uncollected] * SWEEPERS)
    assert sum(outcome.uncollected for outcome in swept) == len(ids)
    with sweep_app.app_context():
        assert _ends_and_mails(ids, statuses.UNCOLLECTED, "uncollected") == (len(ids), len(ids))


def test_concurrent_sweeps_on_day_23_remind_once(sweep_app, monkeypatch):
    with sweep_app.app_context():
        since = at(clock.today("Asia/Jakarta") - timedelta(days=30), 10, "Asia/Jakarta")
        ids = [ready(open_all_day("Asia/Jakarta"), since).id for _ in range(2)]
    later = since + REMINDER_AFTER
    monkeypatch.setattr(clock, "now", lambda: later)
    swept = together(sweep_app, [endings.sweep_uncollected] * SWEEPERS)
    assert sum(outcome.reminded for outcome in swept) == len(ids)
    with sweep_app.app_context():
        reminders = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.application_id.in_(ids),
                Notification.event == "collection_reminder",
            )
        )
        assert reminders == len(ids)
