"""Offices as administrators keep them (GET/POST /admin/offices...): found by name or city,
created with no quota, edited, each change on the trail with its values before and after; bad
input refused plainly with nothing saved; nobody but administrators reaches the pages."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from tests.factories import make_office, make_user
from tests.html import csrf_token
from tests.integration.test_fuzz_forms import fuzz, garbage
from tests.integration.test_wizard import signed_in
from tests.staff import make_administrator, make_staff, sign_in_staff
from webapp.extensions import db
from webapp.models import Change, Office, User
from webapp.services import offices

ADMIN = "admin@contoh.id"
BOGOR = {
    "kind": "kanim",
    "code": "kanim-bogor",
    "name": "Kantor Imigrasi Kelas I Non TPI Bogor",
    "address": "Jl. Jend. A. Yani No. 65, Tanah Sareal",
    "city": "Bogor",
    "province": "Jawa Barat",
    "latitude": "-6.5740",
    "longitude": "106.7980",
    "timezone": "Asia/Jakarta",
    "issues_epassport": "y",
    "epassport_stock": "250",
}


@pytest.fixture
def admin(app):
    with app.app_context():
        make_administrator(email=ADMIN, locale="en")
    return sign_in_staff(app, ADMIN)


def post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client.get(path)), **data})


def admin_id() -> int:
    return db.session.scalar(select(User.id).where(User.email == ADMIN))


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Office.id))),
        db.session.scalar(select(func.count(Change.id))),
    )


def test_an_office_is_created_without_quota_and_its_creation_is_on_the_trail(app, admin):
    created = post(admin, "/admin/offices/new", BOGOR)
    assert created.status_code == 302
    with app.app_context():
        office = offices.by_code("kanim-bogor")
        assert (office.latitude, office.longitude, office.timezone) == (
            -6.574,
            106.798,
            "Asia/Jakarta",
        )
        assert office.issues_epassport and office.epassport_stock == 250
        # No quota until its supervisor sets it: no lane, so no slots are made.
        assert office.capacity_per_lane == {}
        assert offices.ensure_slots(office, offices.clock.today(office.timezone), 30) == 0
        [change] = db.session.scalars(select(Change).filter_by(office_id=office.id)).all()
        assert change.actor_id == admin_id()
        assert (change.entity, change.action, change.entity_id) == ("office", "created", office.id)
        assert change.after["code"] == "kanim-bogor" and change.after["regular_per_hour"] == 0
        assert change.before is None
        office_id = office.id
    assert created.location == f"/admin/offices/{office_id}"
    page = admin.get(created.location)
    assert "Kantor Imigrasi Kelas I Non TPI Bogor is added" in page.text


def test_an_edit_is_saved_with_only_what_changed_before_and_after(app, admin):
    with app.app_context():
        office_id = make_office(code="kanim-gowa-lama", epassport_stock=10).id
    page = admin.get(f"/admin/offices/{office_id}")
    assert page.status_code == 200 and 'value="kanim-gowa-lama"' in page.text
    edited = post(
        admin,
        f"/admin/offices/{office_id}",
        {
            **BOGOR,
            "code": "kanim-gowa-lama",
            "timezone": "Asia/Makassar",
            "epassport_stock": "90",
            "stock_shown": "10",
        },
    )
    assert edited.status_code == 302
    with app.app_context():
        office = db.session.get(Office, office_id)
        assert office.epassport_stock == 90 and office.city == "Bogor"
        [change] = db.session.scalars(select(Change).filter_by(office_id=office_id)).all()
        assert change.action == "changed"
        assert change.actor_id == admin_id()
        assert change.before["epassport_stock"] == 10 and change.after["epassport_stock"] == 90
        assert "code" not in change.after  # unchanged, so not repeated
    trail = admin.get(f"/admin/offices/{office_id}").text
    assert "The office is saved." in trail and "epassport_stock" in trail


def test_an_edit_never_undoes_stock_moved_since_the_page_was_read(app, admin):
    with app.app_context():
        office_id = make_office(code="kanim-gowa-lama", epassport_stock=10).id
    path = f"/admin/offices/{office_id}"
    page = admin.get(path)
    assert 'name="stock_shown" type="hidden" value="10"' in page.text
    fields = {**BOGOR, "code": "kanim-gowa-lama", "timezone": "Asia/Makassar"}
    with app.app_context():  # two blanks printed while the page is open
        db.session.execute(update(Office).where(Office.id == office_id).values(epassport_stock=8))
        db.session.commit()
    token = csrf_token(page)
    kept = admin.post(
        path, data={"csrf_token": token, **fields, "epassport_stock": "10", "stock_shown": "10"}
    )
    assert kept.status_code == 302  # the address changed, the stock was not touched
    with app.app_context():
        office = db.session.get(Office, office_id)
        assert (office.city, office.epassport_stock) == ("Bogor", 8)
    refused = admin.post(
        path, data={"csrf_token": token, **fields, "epassport_stock": "50", "stock_shown": "10"}
    )
    assert (
        refused.status_code == 422 and "The stock changed while this page was open" in refused.text
    )
    assert 'name="stock_shown" type="hidden" value="8"' in refused.text  # the number now
    with app.app_context():
        assert db.session.get(Office, office_id).epassport_stock == 8


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"timezone": "Asia/Singapore"}, "timezone", "Unknown time zone"),
        ({"timezone": "Europe/Amsterdam"}, "timezone", "Unknown time zone"),
        ({"code": "kanim-dipakai"}, "code", "Another office already has this code"),
        ({"code": "Kanim Bogor"}, "code", "lowercase letters, digits and single dashes"),
        ({"latitude": "-95"}, "latitude", "between -90 and 90"),
        ({"longitude": "190"}, "longitude", "between -180 and 180"),
        ({"latitude": "6.5740"}, "latitude", "outside Indonesia"),  # the sign dropped
        ({"latitude": "106.798", "longitude": "-6.574"}, "latitude", "between -90 and 90"),
        ({"latitude": "lima"}, "latitude", "Enter a number in degrees"),
        ({"epassport_stock": "-3"}, "epassport_stock", "whole number of blanks"),
        ({"kind": "kedutaan"}, "kind", "Choose the kind of office"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
    app, admin, changes, field, message
):
    with app.app_context():
        make_office(code="kanim-dipakai")
        before = counts()
    refused = post(admin, "/admin/offices/new", {**BOGOR, **changes})
    assert refused.status_code == 422
    assert f'id="{field}-error"' in refused.text and message in refused.text
    assert "There is a problem" in refused.text
    with app.app_context():
        assert counts() == before


def test_a_bad_edit_leaves_the_office_as_it_was(app, admin):
    with app.app_context():
        office_id = make_office(code="kanim-tetap").id
        make_office(code="kanim-lain")
        before = counts()
    refused = post(
        admin,
        f"/admin/offices/{office_id}",
        {**BOGOR, "code": "kanim-lain", "timezone": "Asia/Tokyo", "epassport_stock": "1"},
    )
    assert refused.status_code == 422
    assert "Another office already has this code" in refused.text
    assert "Unknown time zone" in refused.text
    with app.app_context():
        office = db.session.get(Office, office_id)
        assert (office.code, office.timezone, office.epassport_stock) == (
            "kanim-tetap",
            "Asia/Makassar",
            300,
        )
        assert counts() == before


def test_the_zone_cannot_change_while_slots_are_to_come(app, admin):
    from tests.journeys import open_office

    code, _slot = open_office(app)
    with app.app_context():
        office_id = offices.by_code(code).id
    refused = post(admin, f"/admin/offices/{office_id}", {**BOGOR, "code": code})
    assert refused.status_code == 422 and "slots to come" in refused.text
    with app.app_context():
        assert db.session.get(Office, office_id).timezone == "Asia/Makassar"


def test_the_list_finds_offices_by_name_or_city(app, admin):
    with app.app_context():
        make_office(code="kanim-medan", name="Kantor Imigrasi Medan", city="Medan")
        make_office(code="ulp-gowa", name="Unit Layanan Paspor Gowa", city="Gowa")
    every = admin.get("/admin/offices").text
    assert "Kantor Imigrasi Medan" in every and "Unit Layanan Paspor Gowa" in every
    by_city = admin.get("/admin/offices?q=gowa").text
    assert "Unit Layanan Paspor Gowa" in by_city and "Kantor Imigrasi Medan" not in by_city
    by_name = admin.get("/admin/offices?q=MEDAN").text
    assert "Kantor Imigrasi Medan" in by_name and "Gowa" not in by_name
    nothing = admin.get("/admin/offices?q=100%25").text
    assert "No office matches." in nothing


def test_a_missing_office_is_a_404(admin):
    assert admin.get("/admin/offices/999999").status_code == 404


@pytest.mark.parametrize("role", ["applicant", "staff", "supervisor"])
def test_only_administrators_reach_the_office_pages(app, role):
    with app.app_context():
        office = make_office()
        office_id = office.id
        person = make_user() if role == "applicant" else make_staff(office, role=role)
        email = person.email
    client = signed_in(app, email) if role == "applicant" else sign_in_staff(app, email)
    token = csrf_token(client.get("/account/password"))
    for path in ("/admin/offices", "/admin/offices/new", f"/admin/offices/{office_id}"):
        assert client.get(path).status_code == 403, path
    refused = client.post("/admin/offices/new", data={"csrf_token": token, **BOGOR})
    assert refused.status_code == 403
    with app.app_context():
        assert offices.by_code("kanim-bogor") is None


@fuzz(25)
@given(
    field=st.sampled_from(sorted(BOGOR)),
    value=garbage,
    extra=st.dictionaries(st.sampled_from(["id", "regular_per_hour", "x"]), garbage, max_size=2),
)
def test_garbage_in_any_field_is_refused_or_saved_whole_never_a_500(
    admin, app, field, value, extra
):
    with app.app_context():
        before = counts()
    code = f"kanim-fuzz-{before[0]}"
    answer = post(admin, "/admin/offices/new", {**BOGOR, "code": code, **extra, field: value})
    assert answer.status_code in (302, 422), answer.status_code
    with app.app_context():
        offices_now, changes_now = counts()
        if answer.status_code == 422:
            assert (offices_now, changes_now) == before
        else:  # valid after all: saved whole, with no quota whatever else was posted
            office = db.session.scalar(select(Office).order_by(Office.id.desc()).limit(1))
            assert (offices_now, changes_now) == (before[0] + 1, before[1] + 1)
            assert office.capacity_per_lane == {}
