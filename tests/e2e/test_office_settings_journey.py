"""A supervisor at a desktop (1280x800) changes their office's places and release time, and is
refused a quota below the bookings with the figures; an administrator adds a fee table. In a real
browser, in Indonesian. SCREENSHOT_DIR, when set, keeps a picture of each page."""

import os
from datetime import timedelta

from tests.checkins import booked
from tests.e2e.desk import sign_in_with_code
from tests.factories import make_office
from tests.staff import make_administrator, make_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Office, Slot
from webapp.services import fee_tables, offices


def keep(page, name: str) -> None:
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], name), full_page=True)


def test_a_supervisor_changes_the_places_and_is_refused_below_bookings(live_server, desktop):
    app = live_server.app
    with app.app_context():
        office = make_office(
            regular_per_hour=10,
            express_per_hour=2,
            priority_per_hour=5,
            slot_window_days=28,
            epassport_stock=40,
        )
        offices.ensure_slots(office, clock.today(office.timezone), office.slot_window_days)
        db.session.commit()
        # Three places held in a slot three weeks on, which is not released yet.
        slot = (
            db.session.query(Slot)
            .filter(
                Slot.office_id == office.id,
                Slot.lane == "regular",
                Slot.starts_at > clock.now() + timedelta(days=20),
            )
            .order_by(Slot.starts_at)
            .first()
        )
        for _ in range(3):
            booked(db.session.get(Office, office.id), slot.starts_at)
        make_staff(office, role="supervisor", email="kasi@contoh.id")
        office_id = office.id
    page = desktop()
    sign_in_with_code(page, app, "kasi@contoh.id")
    page.goto("/supervisor/office")
    assert page.locator("h1").inner_text() == "Pengaturan kantor"
    page.fill("#regular_per_hour", "2")
    page.get_by_role("button", name="Simpan pengaturan").click()
    page.wait_for_load_state()
    refused = page.locator(".overbooked").inner_text()
    assert "3 dipesan, kuota baru 2" in refused and "Reguler" in refused
    keep(page, "supervisor-office-refused.png")

    page.fill("#regular_per_hour", "12")
    page.uncheck("#opening_days-4")  # Friday
    page.get_by_role("button", name="Simpan pengaturan").click()
    page.wait_for_load_state()
    assert "Pengaturan disimpan" in page.locator(".notice-success").inner_text()
    history = page.locator(".settings-history").inner_text()
    assert "Kuota reguler per jam: 10" in history and "Kuota reguler per jam: 12" in history
    assert "Hari buka: Senin, Selasa, Rabu, Kamis, Jumat" in history
    assert "Hari buka: Senin, Selasa, Rabu, Kamis" in history
    keep(page, "supervisor-office.png")
    with app.app_context():
        assert db.session.get(Office, office_id).regular_per_hour == 12


def test_an_administrator_adds_a_fee_table(live_server, desktop):
    app = live_server.app
    with app.app_context():
        make_administrator(email="admin@contoh.id")
        start = fee_tables.today() + timedelta(days=45)
    page = desktop()
    sign_in_with_code(page, app, "admin@contoh.id")
    page.goto("/admin/fees")
    keep(page, "admin-fees.png")
    page.get_by_role("link", name="Tambah tabel tarif").click()
    page.fill("#name", "PP 7/2027")
    page.fill("#valid_from-day", str(start.day))
    page.fill("#valid_from-month", str(start.month))
    page.fill("#valid_from-year", str(start.year))
    for field, amount in {
        "ordinary_5": "400000",
        "ordinary_10": "700000",
        "electronic_5": "700000",
        "electronic_10": "1000000",
        "express": "1000000",
        "fine_lost": "1000000",
        "fine_damaged": "500000",
        "fine_force_majeure": "0",
    }.items():
        page.fill(f"#{field}", amount)
    keep(page, "admin-fees-new.png")
    page.get_by_role("button", name="Tambahkan tabel").click()
    page.wait_for_load_state()
    assert "PP 7/2027 ditambahkan" in page.locator(".notice-success").inner_text()
    assert "Akan berlaku" in page.locator(".fee-table").first.inner_text()
    keep(page, "admin-fees-after.png")
