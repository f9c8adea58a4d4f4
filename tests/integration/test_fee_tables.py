"""The fee tables as data (/admin/fees): the two regulations the migration loads price exactly as
the code did, a new table takes effect on its first day and closes the open-ended one the day
before, an overlapping table is refused with the other table named, and every change is
recorded."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_office, make_user, submitted_application, unique_nik
from tests.staff import make_administrator, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Change, FeeTable
from webapp.services import applications, fee_tables

ADMIN = "admin@contoh.id"
NEW = "/admin/fees/new"


def day_fields(prefix: str, day: date | None) -> dict:
    if day is None:
        return {f"{prefix}-day": "", f"{prefix}-month": "", f"{prefix}-year": ""}
    return {
        f"{prefix}-day": str(day.day),
        f"{prefix}-month": str(day.month),
        f"{prefix}-year": str(day.year),
    }


def table_form(name: str, start: date, end: date | None = None, **amounts) -> dict:
    values = {
        "ordinary_5": "400000",
        "ordinary_10": "700000",
        "electronic_5": "700000",
        "electronic_10": "1000000",
        "express": "1000000",
        "fine_lost": "1000000",
        "fine_damaged": "500000",
        "fine_force_majeure": "0",
        "exempt_ordinary": "y",
        **amounts,
    }
    return {
        "name": name,
        **day_fields("valid_from", start),
        **day_fields("valid_until", end),
        **values,
    }


@pytest.fixture
def admin(app):
    with app.app_context():
        make_administrator(email=ADMIN, locale="en")
    return sign_in_staff(app, ADMIN)


def post(client, data: dict):
    from tests.html import csrf_token

    return client.post(NEW, data={"csrf_token": csrf_token(client.get(NEW)), **data})


@pytest.mark.parametrize(
    ("day", "regulation", "electronic_5", "ten_years"),
    [
        (date(2019, 5, 3), "PP 28/2019", 650_000, None),
        (date(2024, 12, 16), "PP 28/2019", 650_000, None),
        (date(2024, 12, 17), "PP 45/2024", 650_000, 950_000),
        (date(2026, 12, 1), "PP 45/2024", 650_000, 950_000),
    ],
)
def test_the_migrated_tables_are_the_regulations(app, day, regulation, electronic_5, ten_years):
    with app.app_context():
        table = fee_tables.in_force(day)
        assert table.regulation == regulation
        assert table.passport[("electronic", 5)] == electronic_5
        assert table.passport.get(("electronic", 10)) == ten_years
        assert (table.express_surcharge, table.fine_lost, table.fine_damaged) == (
            1_000_000,
            1_000_000,
            500_000,
        )
        with pytest.raises(LookupError):
            fee_tables.in_force(date(2019, 5, 2))


def test_the_page_marks_the_table_in_force_and_keeps_history(app, admin):
    page = admin.get("/admin/fees")
    assert page.status_code == 200
    assert "PP 45/2024" in page.text and "PP 28/2019" in page.text
    assert (
        page.text.index("PP 45/2024") < page.text.index("In force") < page.text.index("PP 28/2019")
    )
    assert "Rp950,000" in page.text and "not priced" in page.text


def test_a_new_table_takes_effect_on_its_first_day(app, admin, monkeypatch):
    start = fee_tables_today(app) + timedelta(days=30)
    answer = post(admin, table_form("PP 12/2027", start))
    assert answer.status_code == 302, answer.text
    listing = admin.get("/admin/fees")
    assert "PP 12/2027" in listing.text and "Upcoming" in listing.text
    with app.app_context():
        assert fee_tables.in_force(start - timedelta(days=1)).regulation == "PP 45/2024"
        assert fee_tables.in_force(start).regulation == "PP 12/2027"
        closed = db.session.scalar(select(FeeTable).filter_by(name="PP 45/2024"))
        assert closed.valid_until == start - timedelta(days=1)
        trail = db.session.scalars(select(Change).order_by(Change.id)).all()
        assert [(c.entity, c.action) for c in trail] == [
            ("fee_table", "closed"),
            ("fee_table", "created"),
        ]
        assert trail[0].before == {"valid_until": None}
        assert trail[0].after == {"valid_until": (start - timedelta(days=1)).isoformat()}
        assert trail[1].after["electronic_5"] == 700_000 and trail[1].actor_id is not None
        # An application quoted on that day pays the new table's fee.
        office = make_office()
        application = submitted_application(
            make_user(), office, nik=unique_nik(), passport_kind="electronic", validity_years=5
        )
        moment = datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=5)
        monkeypatch.setattr(clock, "now", lambda: moment)
        assert applications.quote(application).total == 700_000
        monkeypatch.setattr(clock, "now", lambda: moment - timedelta(days=1))
        assert applications.quote(application).total == 650_000


def test_an_overlapping_table_is_refused_with_the_other_named(app, admin):
    start = fee_tables_today(app) + timedelta(days=60)
    end = start + timedelta(days=99)
    assert post(admin, table_form("PP 1/2028", start, end)).status_code == 302
    refused = post(admin, table_form("PP 2/2028", end - timedelta(days=10)))
    assert refused.status_code == 422
    assert "These dates overlap PP 1/2028, in force from" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(FeeTable.id))) == 3
        assert db.session.scalar(select(func.count(Change.id))) == 2  # the first table's
    # Right after it, without end: fine.
    assert post(admin, table_form("PP 2/2028", end + timedelta(days=1))).status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_from": "past"}, "A new table starts on a day after today."),
        ({"express": "satu juta"}, "Enter a whole number"),
        ({"fine_lost": ""}, "This field is required."),
        ({"fine_damaged": "-5"}, "Enter an amount from 0 to 100000000 rupiah."),
        (
            {"ordinary_5": "", "ordinary_10": "", "electronic_5": "", "electronic_10": ""},
            "Give the fee of at least one passport.",
        ),
        ({"valid_until": "before"}, "The last day cannot be before the first."),
        ({"name": "PP 45/2024"}, "A table with this name exists already."),
    ],
)
def test_bad_tables_are_refused_and_nothing_is_kept(app, admin, change, message):
    start = fee_tables_today(app) + timedelta(days=10)
    data = table_form("PP 3/2027", start)
    if change.pop("valid_from", None):
        data |= day_fields("valid_from", fee_tables_today(app))
    if change.pop("valid_until", None):
        data |= day_fields("valid_until", start - timedelta(days=1))
    data |= change
    refused = post(admin, data)
    assert refused.status_code == 422
    assert message in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(FeeTable.id))) == 2
        assert db.session.scalar(select(FeeTable.valid_until).filter_by(name="PP 45/2024")) is None


def fee_tables_today(app) -> date:
    with app.app_context():
        return fee_tables.today()


@pytest.mark.parametrize("name", ["name", "valid_from-day", "valid_until-month", "express"])
def test_garbage_in_a_field_is_refused_never_a_500(app, admin, name):
    start = fee_tables_today(app) + timedelta(days=10)
    for value in ("", "-1", "1e3", "99999999999999999999", "\x00", "x" * 300, "31"):
        answer = post(admin, {**table_form("PP 4/2027", start), name: value})
        assert answer.status_code in (302, 422), (name, value)
        if answer.status_code == 302:  # a value that happens to be valid: stored whole
            with app.app_context():
                named = value if name == "name" else "PP 4/2027"
                table = db.session.scalar(select(FeeTable).filter_by(name=named))
                assert len(table.amounts) == 8
            return
        assert "error-summary" in answer.text, (name, value)
