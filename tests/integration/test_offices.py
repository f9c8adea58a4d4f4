"""Demo offices, their hourly slots in local time, office search and e-passport availability."""

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from webapp.extensions import db
from webapp.models import Closure, Office, Slot
from webapp.rules.working_days import national_holidays
from webapp.services.offices import (
    DEMO_OFFICES,
    SLOT_HOURS,
    by_code,
    ensure_slots,
    extend_slots,
    load_demo_offices,
    search,
    unavailable_reason,
)

TODAY = date(2026, 5, 4)  # a Monday; Ascension (14-15 May) and Idul Adha (27-28 May) follow
NEAR_MAKASSAR_OFFICE = (-5.1100, 119.5000)


@pytest.fixture
def loaded(app):
    with app.app_context():
        report = load_demo_offices(TODAY)
        yield report


def office(code: str) -> Office:
    return db.session.scalar(select(Office).where(Office.code == code))


def slots_on(office_: Office, day: date) -> list[Slot]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=12)
    rows = db.session.scalars(
        select(Slot)
        .where(Slot.office_id == office_.id, Slot.starts_at.between(start, start + timedelta(2)))
        .order_by(Slot.starts_at, Slot.lane)
    )
    zone = ZoneInfo(office_.timezone)
    return [s for s in rows if s.starts_at.astimezone(zone).date() == day]


def slot_count(office_: Office | None = None) -> int:
    statement = select(func.count(Slot.id))
    if office_ is not None:
        statement = statement.where(Slot.office_id == office_.id)
    return db.session.scalar(statement)


def test_demo_offices_cover_the_three_zones(loaded):
    all_offices = db.session.scalars(select(Office)).all()
    assert len(all_offices) == len(DEMO_OFFICES) >= 6
    assert {o.timezone for o in all_offices} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    assert {o.kind for o in all_offices} == {"kanim", "ulp", "mpp"}
    assert len(loaded) == len(DEMO_OFFICES)
    assert any(line.startswith("office: kanim-makassar (WITA), ") for line in loaded)
    assert "office: kanim-jayapura (WIT), " in "\n".join(loaded)


def test_loading_twice_creates_nothing(loaded):
    slots, closures = slot_count(), db.session.scalar(select(func.count(Closure.id)))
    assert slots > 0 and closures == 2
    again = load_demo_offices(TODAY)
    assert all(line.endswith(", 0 slots") for line in again)
    assert db.session.scalar(select(func.count(Office.id))) == len(DEMO_OFFICES)
    assert db.session.scalar(select(func.count(Closure.id))) == closures
    assert slot_count() == slots


def test_loading_the_next_day_adds_the_new_last_day_only(loaded):
    slots = slot_count()
    report = load_demo_offices(TODAY + timedelta(days=1))
    assert "office: kanim-makassar (WITA), 21 slots" in report  # Friday 3 July 2026
    assert "office: ulp-gowa (WITA), 14 slots" in report
    assert db.session.scalar(select(func.count(Closure.id))) == 2  # no second demo closure
    lanes = sum(
        1 + (o["express_per_hour"] > 0) + (o["priority_per_hour"] > 0) for o in DEMO_OFFICES
    )
    assert slot_count() == slots + 7 * lanes


def test_reload_keeps_the_office_stock(loaded):
    office("kanim-makassar").epassport_stock = 12
    db.session.commit()
    load_demo_offices(TODAY)
    assert office("kanim-makassar").epassport_stock == 12


def test_slot_at_eight_wita_is_midnight_utc(loaded):
    makassar = office("kanim-makassar")
    first = slots_on(makassar, TODAY)
    assert first[0].starts_at == datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    assert first[-1].starts_at == datetime(2026, 5, 4, 6, 0, tzinfo=UTC)  # 14.00 WITA


def test_slot_at_eight_wit_and_wib(loaded):
    jayapura = slots_on(office("kanim-jayapura"), TODAY)
    assert jayapura[0].starts_at == datetime(2026, 5, 3, 23, 0, tzinfo=UTC)
    jakarta = slots_on(office("kanim-jakarta-selatan"), TODAY)
    assert jakarta[0].starts_at == datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


def test_seven_hourly_slots_per_lane_on_an_opening_day(loaded):
    makassar = slots_on(office("kanim-makassar"), TODAY)
    assert len(makassar) == len(SLOT_HOURS) * 3 == 21
    assert {(s.lane, s.capacity) for s in makassar} == {
        ("regular", 25),
        ("express", 5),
        ("priority", 5),  # walk-ins of the priority groups
    }
    gowa = slots_on(office("ulp-gowa"), TODAY)
    assert (
        sorted((s.lane, s.capacity) for s in gowa) == [("priority", 5)] * 7 + [("regular", 10)] * 7
    )


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 5, 9),  # Saturday
        date(2026, 5, 10),  # Sunday
        date(2026, 5, 14),  # Ascension of Jesus
        date(2026, 6, 1),  # Pancasila Day, a Monday
    ],
)
def test_no_slots_on_weekends_and_national_holidays(loaded, day):
    for code in ("kanim-makassar", "kanim-jayapura", "kanim-jakarta-selatan"):
        assert slots_on(office(code), day) == []


def test_no_slots_on_an_office_closure(loaded):
    makassar = office("kanim-makassar")
    closure = db.session.scalar(select(Closure).where(Closure.office_id == makassar.id))
    assert closure.day == date(2026, 5, 18)
    assert slots_on(makassar, closure.day) == []
    assert len(slots_on(office("kanim-denpasar"), closure.day)) == 21  # only that office closed
    assert len(slots_on(makassar, closure.day + timedelta(days=1))) == 21


def test_slot_total_over_the_window(loaded):
    opening = [
        d
        for d in (TODAY + timedelta(days=n) for n in range(60))
        if d.weekday() < 5 and d not in national_holidays([d.year]) and d != date(2026, 5, 18)
    ]
    assert slot_count(office("kanim-makassar")) == len(opening) * 21
    assert "office: kanim-makassar (WITA), " + str(len(opening) * 21) + " slots" in loaded


def test_ensure_slots_fills_only_the_gaps(loaded):
    makassar = office("kanim-makassar")
    before = slot_count(makassar)
    assert ensure_slots(makassar, TODAY, 60) == 0
    # New settings keep the slots already made...
    makassar.regular_per_hour, makassar.express_per_hour = 99, 3
    assert ensure_slots(makassar, TODAY, 60) == 0
    # ...and a missing one is made with the office's current places.
    express_today = [s.id for s in slots_on(makassar, TODAY) if s.lane == "express"]
    db.session.execute(delete(Slot).where(Slot.id.in_(express_today)))
    assert ensure_slots(makassar, TODAY, 60) == 7
    db.session.commit()
    assert slot_count(makassar) == before
    capacities = {(s.lane, s.capacity) for s in slots_on(makassar, TODAY)}
    assert capacities == {("regular", 25), ("express", 3), ("priority", 5)}


def names(results) -> list[str]:
    return [o.code for o, _ in results]


def test_search_by_city_name_and_province(loaded):
    assert names(search("makassar")) == ["kanim-makassar"]
    assert names(search("  SURABAYA ")) == ["kanim-surabaya"]  # the office is in Sidoarjo
    assert names(search("sidoarjo")) == ["kanim-surabaya"]
    assert set(names(search("sulawesi selatan"))) == {"kanim-makassar", "ulp-gowa"}
    assert names(search("Jakarta Selatan")) == ["kanim-jakarta-selatan", "mpp-jakarta"]
    assert search("Pontianak") == []


def test_search_without_query_lists_every_office_by_name(loaded):
    for query in (None, "", "   "):
        results = search(query)
        assert len(results) == len(DEMO_OFFICES)
        assert [o.name for o, _ in results] == sorted(o.name for o, _ in results)
        assert all(distance is None for _, distance in results)


@pytest.mark.parametrize("query", ["%", "_", "kelas%khusus", "tpi_", "\\"])
def test_search_wildcards_are_literal(loaded, query):
    assert search(query) == []


def test_search_nearest_first(loaded):
    results = search(None, near=NEAR_MAKASSAR_OFFICE)
    assert names(results)[:2] == ["kanim-makassar", "ulp-gowa"]
    distances = [d for _, d in results]
    assert distances == sorted(distances)
    assert distances[0] < 2
    assert names(results)[-1] == "kanim-jayapura"
    assert names(search("kantor", near=NEAR_MAKASSAR_OFFICE))[0] == "kanim-makassar"


def test_unavailable_reason(loaded):
    assert unavailable_reason(office("kanim-balikpapan"), "electronic") == "no_epassport"
    assert unavailable_reason(office("kanim-jayapura"), "electronic") == "no_stock"
    assert unavailable_reason(office("kanim-makassar"), "electronic") is None
    for code in ("kanim-balikpapan", "kanim-jayapura", "kanim-makassar"):
        assert unavailable_reason(office(code), "ordinary") is None


# Slots from each office's own settings -----------------------------------------------------------


@pytest.fixture
def settled(app):
    """One office with settings of its own: 09.00-11.00, 4 regular places, no express, 10 days."""
    from tests.factories import make_office

    with app.app_context():
        made = make_office(
            first_slot_hour=9, last_slot_hour=11, regular_per_hour=4, slot_window_days=10
        )
        yield made


def test_slots_follow_the_office_settings(settled):
    assert extend_slots(TODAY) == [f"office: {settled.code} (WITA), 24 slots"]  # 8 days x 3
    day = slots_on(settled, TODAY)
    assert [s.starts_at.astimezone(ZoneInfo("Asia/Makassar")).hour for s in day] == [9, 10, 11]
    assert {(s.lane, s.capacity) for s in day} == {("regular", 4)}
    assert slots_on(settled, TODAY + timedelta(days=9)) != []  # Wednesday 13 May, in the window
    assert slots_on(settled, TODAY + timedelta(days=10)) == []  # the window ends


def test_extending_twice_creates_nothing_and_the_window_rolls(settled):
    extend_slots(TODAY)
    before = slot_count(settled)
    assert extend_slots(TODAY) == [f"office: {settled.code} (WITA), 0 slots"]
    assert slot_count(settled) == before
    # The window rolls: each day adds only the opening days that came into it.
    extend_slots(TODAY + timedelta(days=3))  # Thursday 7 May: to 16 May, 14-15 May holidays
    assert slot_count(settled) == before
    assert extend_slots(TODAY + timedelta(days=7)) == [  # Monday 11 May: up to Wednesday 20
        f"office: {settled.code} (WITA), 9 slots"
    ]


def test_extending_skips_closures(settled):
    closed = TODAY + timedelta(days=2)
    db.session.add(Closure(office_id=settled.id, day=closed, reason="Rapat kerja kantor"))
    db.session.commit()
    extend_slots(TODAY)
    assert slots_on(settled, closed) == []
    assert len(slots_on(settled, closed + timedelta(days=1))) == 3


def test_an_office_without_places_gets_no_slots(app):
    from tests.factories import make_office

    with app.app_context():
        empty = make_office()  # the defaults: no places until the office sets them
        assert extend_slots(TODAY) == [f"office: {empty.code} (WITA), 0 slots"]


def test_extend_slots_starts_at_each_office_s_local_today(settled):
    from webapp import clock

    extend_slots()
    local_today = clock.today("Asia/Makassar")
    made = db.session.scalars(select(Slot.starts_at).where(Slot.office_id == settled.id)).all()
    first_day = min(made).astimezone(ZoneInfo("Asia/Makassar")).date()
    assert local_today <= first_day < local_today + timedelta(days=10)
    assert max(made).astimezone(ZoneInfo("Asia/Makassar")).date() < local_today + timedelta(10)


def test_the_extend_slots_command(app, settled):
    result = app.test_cli_runner().invoke(args=["extend-slots"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"office: {settled.code} (WITA), ")
    again = app.test_cli_runner().invoke(args=["extend-slots"])
    assert again.output.strip() == f"office: {settled.code} (WITA), 0 slots"


def test_cron_runs_the_slot_job_daily():
    from webapp.cli import periodic_jobs
    from webapp.jobs.offices import extend_slots as extend_job

    [job] = [job for job in periodic_jobs() if job["func"] is extend_job]
    assert job["interval"] == 24 * 60 * 60


@pytest.mark.redis
def test_the_slot_job_runs_on_a_worker(make_app):
    from rq import Queue, SimpleWorker

    from tests import services
    from tests.factories import make_office
    from webapp.jobs import redis_connection
    from webapp.jobs.offices import extend_slots as extend_job

    url = os.environ.get("REDIS_URL", "")
    services.require(
        bool(url) and services.redis_reachable(url), "REDIS_URL is not set or not reachable"
    )
    app = make_app(REDIS_URL=url)
    with app.app_context():
        settled = make_office(regular_per_hour=4, slot_window_days=10)
        queue = Queue("default", connection=redis_connection())
        for _ in range(2):  # safe to run twice
            queue.enqueue(extend_job)
            SimpleWorker([queue], connection=redis_connection()).work(burst=True)
        assert slot_count(settled) > 0
        assert extend_slots() == [f"office: {settled.code} (WITA), 0 slots"]


@pytest.mark.parametrize("code", ["kanim-makassar\x00", "KANIM-MAKASSAR", "x" * 41, ""])
def test_an_office_code_that_names_no_office_finds_none(loaded, code):
    # A NUL byte once reached PostgreSQL from the office form and failed the request.
    assert by_code(code) is None
    assert by_code("kanim-makassar").city == "Makassar"
