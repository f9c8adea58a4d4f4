"""Applications that end by the clock, with a controlled clock: a booked applicant who never came
becomes a no-show once the appointment day has ended in the office's own zone, and a passport
ready for 30 days becomes uncollected, reminded once on day 23; each move audited with its
reason, mailed once, and a second sweep changes nothing."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.checkins import open_all_day, paid, submitted
from tests.staff import make_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Issuance, Notification, User
from webapp.rules import statuses
from webapp.rules.collection import COLLECTION_PERIOD, REMINDER_AFTER
from webapp.services import booking, checkin, endings, lifecycle

WIB, WIT = "Asia/Jakarta", "Asia/Jayapura"


@pytest.fixture
def set_clock(monkeypatch):
    """Set the product's clock (webapp.clock.now) to a moment of the test's choosing."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_to


def at(day, hour: int, zone: str, minute: int = 0) -> datetime:
    """A local moment of an office, as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def appointment_day():
    return clock.today(WIB) - timedelta(days=10)


def fresh(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


def moves_to(application_id: int, status: str) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).filter_by(
            application_id=application_id, entity="application", to_status=status
        )
    ).all()


def told(application_id: int, event: str) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).filter_by(application_id=application_id, event=event)
    )


def email_of(application: Application) -> str:
    return db.session.get(User, application.account_id).email


def booked_at(zone: str, day, hour: int = 10) -> Application:
    """A paid, scheduled booking at an office of `zone`, at hour on day, local time."""
    return paid(open_all_day(zone), at(day, hour, zone))


def test_the_day_ends_at_midnight_in_each_offices_own_zone(app, set_clock, mailbox):
    with app.app_context():
        day = appointment_day()
        east, west = booked_at(WIT, day), booked_at(WIB, day)
        set_clock(at(day + timedelta(days=1), 0, WIT) - timedelta(minutes=1))
        assert endings.sweep_no_shows() == 0  # 23.59 WIT: the day is not over in Jayapura
        # Midnight in Jayapura is 22.00 in Jakarta: the WIT booking ends, the WIB one waits.
        set_clock(at(day + timedelta(days=1), 0, WIT))
        assert endings.sweep_no_shows() == 1
        assert fresh(east.id).status == statuses.NO_SHOW
        assert fresh(west.id).status == statuses.SCHEDULED
        set_clock(at(day + timedelta(days=1), 0, WIB))
        assert endings.sweep_no_shows() == 1
        assert fresh(west.id).status == statuses.NO_SHOW
        for application in (east, west):
            [move] = moves_to(application.id, statuses.NO_SHOW)
            assert move.from_status == statuses.SCHEDULED
            assert move.actor_id is None  # the system
            assert move.reason == (
                f"not checked in on the appointment day {day.isoformat()} (office time): "
                "fee forfeited"
            )
        east_mail = mailbox.last(email_of(east))
    text = mailbox.text(east_mail)
    assert east_mail["Subject"] == "Anda melewatkan jadwal kedatangan paspor Anda"
    assert "10.00 WIT" in text
    assert "tidak dikembalikan" in text and "permohonan baru" in text


def test_a_second_and_a_late_sweep_change_nothing_and_mail_once(app, set_clock, mailbox):
    with app.app_context():
        day = appointment_day()
        application = booked_at(WIT, day)
        email = email_of(application)
        set_clock(at(day + timedelta(days=3), 9, WIT))  # three days late
        assert endings.sweep_no_shows() == 1
        assert endings.sweep_no_shows() == 0
        assert len(moves_to(application.id, statuses.NO_SHOW)) == 1
        assert told(application.id, "no_show") == 1
    subjects = [message["Subject"] for message in mailbox.messages(email)]
    assert subjects.count("Anda melewatkan jadwal kedatangan paspor Anda") == 1


def test_checked_in_cancelled_and_unpaid_applications_are_not_no_shows(app, set_clock):
    with app.app_context():
        office = open_all_day(WIB)
        came = paid(office)  # this hour, today
        checkin.check_in(make_staff(office), came.number)
        day = appointment_day()
        withdrawn = paid(office, at(day, 10, WIB))
        assert booking.cancel(fresh(withdrawn.id), statuses.SCHEDULED)
        never_booked = submitted(office)
        set_clock(clock.now() + timedelta(days=2))
        assert endings.sweep_no_shows() == 0
        assert fresh(came.id).status == statuses.CHECKED_IN
        assert fresh(withdrawn.id).status == statuses.CANCELLED
        assert fresh(never_booked.id).status == statuses.SUBMITTED


def test_after_a_reschedule_the_new_appointment_decides(app, set_clock):
    with app.app_context():
        day = appointment_day()
        office = open_all_day(WIB)
        application = paid(office, at(day, 10, WIB))
        later = paid(office, at(day + timedelta(days=3), 10, WIB))  # makes the later slot
        new_slot = booking.live_hold(later).slot_id
        set_clock(at(day - timedelta(days=2), 12, WIB))  # H-2: a reschedule is allowed
        booking.reschedule(fresh(application.id), new_slot)
        set_clock(at(day + timedelta(days=1), 6, WIB))  # the first day is over
        assert endings.sweep_no_shows() == 0  # both are booked three days on now
        assert fresh(application.id).status == statuses.SCHEDULED
        set_clock(at(day + timedelta(days=4), 0, WIB))
        assert endings.sweep_no_shows() == 2
        assert fresh(application.id).status == statuses.NO_SHOW


# Uncollected passports --------------------------------------------------------------------------


def ready(office, ready_since: datetime) -> Application:
    """A printed passport made ready at ready_since (the desk's move, driven here directly)."""
    application = submitted(office)
    application.status = statuses.PRINTED  # approved and printed, as the office makes it
    db.session.add(Issuance(application_id=application.id, collect_from=ready_since.date()))
    db.session.commit()
    lifecycle.transition(application, statuses.READY_FOR_PICKUP, actor_id=None)
    db.session.get(Issuance, application.id).ready_since = ready_since
    db.session.commit()
    return application


def test_a_reminder_on_day_23_once_then_uncollected_after_30_days(app, set_clock, mailbox):
    with app.app_context():
        since = at(appointment_day(), 11, WIT)
        application = ready(open_all_day(WIT), since)
        email = email_of(application)
        set_clock(since + REMINDER_AFTER - timedelta(minutes=1))
        assert endings.sweep_uncollected() == endings.CollectionSweep(0, 0)  # day 22: nothing
        assert told(application.id, "collection_reminder") == 0
        set_clock(since + REMINDER_AFTER)
        assert endings.sweep_uncollected() == endings.CollectionSweep(0, 1)
        set_clock(since + REMINDER_AFTER + timedelta(hours=5))
        assert endings.sweep_uncollected() == endings.CollectionSweep(0, 0)  # once
        assert told(application.id, "collection_reminder") == 1
        assert fresh(application.id).status == statuses.READY_FOR_PICKUP
        reminder = mailbox.last(email)
        set_clock(since + COLLECTION_PERIOD - timedelta(minutes=1))
        assert endings.sweep_uncollected() == endings.CollectionSweep(0, 0)
        set_clock(since + COLLECTION_PERIOD)
        assert endings.sweep_uncollected() == endings.CollectionSweep(1, 0)
        assert endings.sweep_uncollected() == endings.CollectionSweep(0, 0)
        assert fresh(application.id).status == statuses.UNCOLLECTED
        [move] = moves_to(application.id, statuses.UNCOLLECTED)
        assert (move.from_status, move.actor_id) == (statuses.READY_FOR_PICKUP, None)
        assert move.reason == endings.UNCOLLECTED_REASON
        assert told(application.id, "uncollected") == 1
        messages = mailbox.messages(email)
    assert [m["Subject"] for m in messages] == [
        "Ambil paspor Anda dalam 7 hari",
        "Paspor Anda tidak diambil dan dibatalkan",
    ]
    deadline = (since + COLLECTION_PERIOD).astimezone(ZoneInfo(WIT))
    assert f"{deadline.day} " in mailbox.text(reminder) and "11.00 WIT" in mailbox.text(reminder)
    assert "dibatalkan" in mailbox.text(messages[-1])


def test_a_sweep_that_first_runs_after_30_days_cancels_without_a_late_reminder(app, set_clock):
    with app.app_context():
        since = at(appointment_day(), 11, WIB)
        application = ready(open_all_day(WIB), since)
        set_clock(since + COLLECTION_PERIOD + timedelta(days=2))
        assert endings.sweep_uncollected() == endings.CollectionSweep(1, 0)
        assert told(application.id, "collection_reminder") == 0
        assert told(application.id, "uncollected") == 1


def test_a_collected_passport_is_left_alone(app, set_clock):
    with app.app_context():
        since = at(appointment_day(), 11, WIB)
        application = ready(open_all_day(WIB), since)
        lifecycle.transition(application, statuses.COLLECTED, actor_id=None)
        db.session.commit()
        set_clock(since + COLLECTION_PERIOD + timedelta(days=1))
        assert endings.sweep_uncollected() == endings.CollectionSweep(0, 0)
        assert fresh(application.id).status == statuses.COLLECTED
        assert told(application.id, "collection_reminder") == 0


def test_the_commands_sweep_and_say_how_many(app, runner, set_clock):
    with app.app_context():
        day = appointment_day()
        booked_at(WIB, day)
        ready(open_all_day(WIB), at(day, 11, WIB) - COLLECTION_PERIOD)
        set_clock(at(day + timedelta(days=1), 1, WIB))
    result = runner.invoke(args=["sweep-no-shows"])
    assert (result.exit_code, result.output) == (0, "no-shows: 1\n")
    assert runner.invoke(args=["sweep-no-shows"]).output == "no-shows: 0\n"
    result = runner.invoke(args=["sweep-uncollected"])
    assert (result.exit_code, result.output) == (0, "uncollected: 1\nreminded: 0\n")


def test_cron_schedules_both_sweeps_hourly():
    from webapp.cli import HOURLY, periodic_jobs
    from webapp.jobs.endings import sweep_no_shows, sweep_uncollected

    intervals = {job["func"]: job["interval"] for job in periodic_jobs()}
    assert intervals[sweep_no_shows] == HOURLY
    assert intervals[sweep_uncollected] == HOURLY
