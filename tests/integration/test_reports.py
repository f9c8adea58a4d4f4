"""The day's figures (services/reports.py, /supervisor/figures, /admin/figures): each figure on a
small known data set made through the real services, per office and national, for a day, a week
and a month in each office's own time; the SVG charts and the CSV; who may see what."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.checkins import booked as booked_unpaid
from tests.checkins import open_all_day, paid, slot_at, zone_where
from tests.factories import jpeg_bytes, make_user
from tests.integration.test_wizard import signed_in
from tests.reviews import ready_to_approve
from tests.staff import make_administrator, make_staff, sign_in_staff
from tests.visits import checked_in
from webapp import clock
from webapp.extensions import db
from webapp.jobs.figures import roll_up_figures
from webapp.models import Application
from webapp.models.figures import FigureDay, FigureRollup
from webapp.rules import decisions, visits
from webapp.services import booking, calling, endings, reports, review
from webapp.services.documents import required_items, upload

ADMIN = "admin@contoh.id"
SUPERVISOR = "kepala@contoh.id"


def _at(monkeypatch, moment_of):
    """Run the services' clock at moment_of() (the audit trail keeps the real time)."""
    monkeypatch.setattr(clock, "now", moment_of)


def _served(office, staff, monkeypatch, *, waited: int, serving: int, **answers):
    """A visit checked in `waited` minutes before its call, called to the staff member's counter
    and in service since `serving` minutes ago (the clock moved back for the call and the start,
    so that the trail's real moment of its end comes `serving` minutes later)."""
    real = clock.now
    started = real() - timedelta(minutes=serving)
    visit = checked_in(office, by=staff, queued_at=started - timedelta(minutes=waited), **answers)
    application = db.session.get(Application, visit.application_id)
    for code, _document in required_items(application):
        upload(application, code, jpeg_bytes())
    _at(monkeypatch, lambda: started)
    calling.call_next(staff)
    calling.start_service(staff, visit.id)
    monkeypatch.setattr(clock, "now", real)
    from webapp.jobs.screening import check_travel_ban

    check_travel_ban(visit.application_id)
    return visit


# From 15.00 to 17.00 UTC it is between 22.00 and 01.59 in all three Indonesian zones; the figures
# are reckoned the same in any zone, so the scene then takes an office five hours ahead of UTC.
FAR_FROM_MIDNIGHT = ("Asia/Karachi",)


@pytest.fixture
def scene(app, monkeypatch):
    """Office A (zone where the hour is not near midnight) today: two slots of 10 places, two
    paid and one unpaid booking, a no-show yesterday; three visits served at counter 2 by one
    officer and decided (approved, incomplete, rejected for false data), a fourth called later
    to finish the third; office B with its own booking. Everything inside an app context."""
    zone = zone_where(lambda hour: 2 <= hour <= 21, also=FAR_FROM_MIDNIGHT)
    with app.app_context():
        office_a = open_all_day(zone, name="Kantor Imigrasi Alfa", code="kanim-alfa")
        office_b = open_all_day("Asia/Jayapura", name="Kantor Imigrasi Beta", code="kanim-beta")
        now = clock.now()
        this_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        for hour in (this_hour, this_hour + timedelta(hours=1)):
            slot_at(office_a, hour, capacity=10)
        paid(office_a, this_hour)
        paid(office_a, this_hour)
        booked_unpaid(office_a, this_hour + timedelta(hours=1))
        # Yesterday's appointment nobody came to: the sweep makes it a no-show.
        yesterday = this_hour - timedelta(days=1)
        slot_at(office_a, yesterday, capacity=4)
        paid(office_a, yesterday)
        assert endings.sweep_no_shows() == 1

        officer = make_staff(office_a, full_name="Budi Petugas")
        calling.open_counter(officer, 2, list(visits.LANES))
        first = _served(office_a, officer, monkeypatch, waited=10, serving=30)
        ready_to_approve(officer, first.application_id)
        review.approve(officer, first.application_id)
        second = _served(office_a, officer, monkeypatch, waited=20, serving=20)
        owed = [
            code for code, _ in required_items(db.session.get(Application, second.application_id))
        ]
        review.mark_incomplete(officer, second.application_id, owed[:1])
        third = _served(office_a, officer, monkeypatch, waited=30, serving=10)
        review.reject(officer, third.application_id, decisions.FALSE_DATA, "")
        # The fourth is called: the third's service ends now, 10 minutes after it started.
        checked_in(office_a, by=officer, queued_at=clock.now())
        calling.call_next(officer)

        slot_at(office_b, this_hour, capacity=6)
        paid(office_b, this_hour)
        make_staff(office_a, role="supervisor", email=SUPERVISOR)
        make_administrator(email=ADMIN, locale="en")
        return {"a": office_a.id, "b": office_b.id, "zone": zone, "today": clock.today(zone)}


def _day(scene, day=None):
    return reports.period("day", (day or scene["today"]).isoformat(), today=scene["today"])


def test_an_office_day_has_each_figure(app, scene):
    with app.app_context():
        report = reports.for_office(scene["a"], _day(scene))
        figures = report.total
        assert (figures.released, figures.booked, figures.paid) == (20, 3, 2)
        # Four checked in today; yesterday's no-show belongs to yesterday.
        assert (figures.checked_in, figures.no_shows) == (4, 0)
        assert (figures.approved, figures.incomplete) == (1, 1)
        assert figures.rejected == {decisions.FALSE_DATA: 1}
        # Waits of 10, 20, 30 minutes and 0 for the fourth: 15 on average.
        assert figures.waits == 4 and 14.9 < figures.average_wait_minutes < 15.2
        # Served to the end: the first two (ended by the next call) and the third.
        assert figures.served == 3
        assert 19.9 < figures.average_service_minutes < 20.5
        assert figures.stock == 300
        assert [(row.label, row.served) for row in report.counters] == [("2", 3)]
        assert [(row.label, row.served) for row in report.officers] == [("Budi Petugas", 3)]

        yesterday = reports.for_office(scene["a"], _day(scene, scene["today"] - timedelta(days=1)))
        assert (yesterday.total.released, yesterday.total.paid) == (4, 1)
        assert yesterday.total.no_shows == 1 and yesterday.total.checked_in == 0


def test_the_national_figures_sum_each_office_in_its_own_time(app, scene):
    with app.app_context():
        report = reports.national(
            reports.period("month", scene["today"].isoformat(), today=scene["today"])
        )
        per_office = {office.code: figures for office, figures in report.offices}
        assert per_office["kanim-beta"].paid == 1 and per_office["kanim-beta"].checked_in == 0
        assert per_office["kanim-alfa"].checked_in == 4
        assert report.total.checked_in == 4
        assert report.total.paid == per_office["kanim-alfa"].paid + 1
        assert report.total.stock == 600


def test_a_day_begins_at_each_offices_own_midnight(app):
    """16.00 UTC is 23.00 on one day in WIB and 01.00 on the next in WIT."""
    with app.app_context():
        west = open_all_day("Asia/Jakarta", code="kanim-barat", name="Kantor Barat")
        east = open_all_day("Asia/Jayapura", code="kanim-timur", name="Kantor Timur")
        moment = datetime.combine(clock.today() - timedelta(days=3), datetime.min.time(), UTC)
        moment += timedelta(hours=16)
        slot_at(west, moment, capacity=7)
        slot_at(east, moment, capacity=9)
        wib_day = moment.date()
        on = reports.period("day", wib_day.isoformat(), today=clock.today())
        after = reports.period(
            "day", (wib_day + timedelta(days=1)).isoformat(), today=clock.today()
        )
        assert reports.for_office(west.id, on).total.released == 7
        assert reports.for_office(east.id, on).total.released == 0
        assert reports.for_office(east.id, after).total.released == 9
        national = {o.code: f.released for o, f in reports.national(on).offices}
        assert national == {"kanim-barat": 7, "kanim-timur": 0}
        week = reports.period("week", wib_day.isoformat(), today=clock.today())
        monday = wib_day - timedelta(days=wib_day.weekday())
        assert (week.first, week.last) == (monday, monday + timedelta(days=6))


def test_slots_of_a_week_not_yet_released_are_not_quota_released(app):
    with app.app_context():
        office = open_all_day("Asia/Makassar", release_weekday=4, release_hour=9)
        today = clock.today("Asia/Makassar")
        far = datetime.combine(today + timedelta(days=40), datetime.min.time(), UTC)
        slot_at(office, far + timedelta(hours=2), capacity=5)
        chosen = reports.period("day", (today + timedelta(days=40)).isoformat(), today=today)
        assert reports.for_office(office.id, chosen).total.released == 0


def test_a_monthly_office_counts_as_released_only_the_month_its_last_release_opened(app):
    with app.app_context():
        office = open_all_day(
            "Asia/Makassar", release_kind="monthly", release_weekday=4, release_hour=9
        )
        today = clock.today("Asia/Makassar")
        first_unreleased = booking.first_unreleased_day(office)
        assert first_unreleased.day == 1  # a month opens at a time, not a week
        before = first_unreleased - timedelta(days=1)
        for day, places in ((before, 3), (first_unreleased, 5)):
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2)
            slot_at(office, at, capacity=places)
        for day, released in ((before, 3), (first_unreleased, 0)):
            chosen = reports.period("day", day.isoformat(), today=today)
            assert reports.for_office(office.id, chosen).total.released == released


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=fortnight", "Choose a day, a week or a month."),
        ("date=2026-02-30", "YYYY-MM-DD"),
        ("date=tomorrow", "YYYY-MM-DD"),
        ("period=year", "A year of figures is not offered at once"),
        ("format=xlsx", "format=csv"),
    ],
)
def test_a_bad_period_is_refused_plainly(app, scene, query, message):
    page = sign_in_staff(app, ADMIN).get(f"/admin/figures?{query}")
    assert page.status_code == 400
    assert message in page.text


def test_the_supervisor_sees_their_office_as_tables_charts_and_csv(app, scene):
    client = sign_in_staff(app, SUPERVISOR)
    page = client.get("/supervisor/figures")
    assert page.status_code == 200
    assert "Kantor Imigrasi Alfa" in page.text and "Kantor Imigrasi Beta" not in page.text
    # The charts are inline SVG, labelled, with a <title> per bar, and no style attribute.
    assert page.text.count("<svg") == 4
    assert '<title id="counts-title">' in page.text
    assert "style=" not in page.text.split("<main", 1)[1]
    assert "<title>Budi Petugas: " in page.text and "<title>Loket 2: " in page.text

    download = client.get("/supervisor/figures?format=csv&period=week")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:8] == [
        "office_code",
        "office_name",
        "timezone",
        "period",
        "first_day",
        "last_day",
        "released",
        "booked",
    ]
    assert len(rows) == 2 and rows[1][0] == "kanim-alfa" and rows[1][3] == "week"
    header = rows[0]
    assert rows[1][header.index("checked_in")] == "4"
    assert rows[1][header.index(f"rejected_{decisions.FALSE_DATA}")] == "1"


def test_the_administrator_sees_every_office_and_drills_down(app, scene):
    client = sign_in_staff(app, ADMIN)
    page = client.get("/admin/figures?period=month")
    assert page.status_code == 200
    assert "Kantor Imigrasi Alfa" in page.text and "Kantor Imigrasi Beta" in page.text
    assert 'href="/admin/figures?office=kanim-beta&amp;period=month' in page.text
    rows = list(csv.reader(io.StringIO(client.get("/admin/figures?format=csv").text)))
    assert [row[0] for row in rows[1:]] == ["kanim-alfa", "kanim-beta", "total"]
    one = client.get("/admin/figures?office=kanim-beta")
    assert one.status_code == 200 and "Kantor Imigrasi Beta" in one.text
    assert client.get("/admin/figures?office=kanim-tidak-ada").status_code == 404


def test_only_supervisors_and_administrators_see_figures(app, scene):
    with app.app_context():
        officer_email = "loket@contoh.id"
        make_staff(db.session.get(reports.Office, scene["a"]), email=officer_email)
        make_user(email="siti@contoh.id")
    officer = sign_in_staff(app, officer_email)
    assert officer.get("/supervisor/figures").status_code == 403
    assert officer.get("/admin/figures").status_code == 403
    applicant = signed_in(app)
    assert applicant.get("/supervisor/figures").status_code == 403
    supervisor = sign_in_staff(app, SUPERVISOR)
    assert supervisor.get("/admin/figures").status_code == 403
    assert sign_in_staff(app, ADMIN).get("/supervisor/figures").status_code == 403
    assert app.test_client().get("/supervisor/figures").status_code == 302


def test_a_supervisor_of_another_office_sees_only_theirs(app, scene):
    with app.app_context():
        make_staff(
            db.session.get(reports.Office, scene["b"]), role="supervisor", email="b@contoh.id"
        )
    page = sign_in_staff(app, "b@contoh.id").get("/supervisor/figures?format=csv&period=month")
    rows = list(csv.reader(io.StringIO(page.text)))
    assert [row[0] for row in rows[1:]] == ["kanim-beta"]
    header = rows[0]
    assert rows[1][header.index("checked_in")] == "0"
    assert rows[1][header.index("paid")] == "1"


def test_kept_days_give_the_same_national_figures_as_computing_them(app):
    with app.app_context():
        office = open_all_day("Asia/Jayapura", code="kanim-lama")
        day = clock.today("Asia/Jakarta") - timedelta(days=6)
        moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2)
        slot_at(office, moment, capacity=8)
        paid(office, moment)
        paid(office, moment)
        assert endings.sweep_no_shows() == 2
        chosen = reports.period("week", day.isoformat(), today=day)
        computed = reports.national(chosen).total
        week = [chosen.first + timedelta(days=n) for n in range(7)]
        for each in week:
            if each <= reports.last_day_to_keep():
                reports.roll_up(each)
        kept = reports.national(chosen).total
        assert (kept.released, kept.paid, kept.no_shows) == (8, 2, 2)
        assert kept == computed
        with pytest.raises(ValueError):
            reports.roll_up(clock.today("Asia/Jakarta"))


def test_the_daily_job_keeps_the_last_week_of_days_over(app):
    with app.app_context():
        open_all_day("Asia/Makassar")
        roll_up_figures()
        roll_up_figures()  # twice: the same days, kept once each
        last = reports.last_day_to_keep()
        kept = db.session.scalars(db.select(FigureRollup.day).order_by(FigureRollup.day)).all()
        assert kept == [last - timedelta(days=back) for back in range(6, -1, -1)]
        assert db.session.scalar(db.select(db.func.count()).select_from(FigureDay)) == 7
