"""Production start at a desktop (1280x800) in a real browser: an administrator adds an office
and invites its supervisor; the supervisor opens the mailed link, chooses a password, signs in
and enrols the second factor with an authenticator app, and reaches the office's pages."""

import os
import re

import pyotp
from sqlalchemy import select

from tests.conftest import Mailbox
from tests.e2e.test_leave_days_journey import ADMIN, sign_in_as_administrator
from tests.staff import make_administrator
from webapp.extensions import db
from webapp.models import Office, User

SUPERVISOR = "nurul.hidayah@imigrasi.go.id"
PASSWORD = "sambal-matah-pedas"
SHOTS = os.environ.get("SCREENSHOT_DIR")


def shot(page, name: str) -> None:
    """Keep a screenshot to look at when SCREENSHOT_DIR is set."""
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"admin-{name}.png"), full_page=True)


def test_an_administrator_adds_an_office_and_its_supervisor_enrols(live_server, desktop):
    app = live_server.app
    with app.app_context():
        make_administrator(email=ADMIN)
    admin = desktop()
    sign_in_as_administrator(admin, app)

    admin.goto("/admin/offices")
    assert admin.locator("h1").inner_text() == "Kantor"
    admin.get_by_role("link", name="Tambah kantor").click()
    admin.select_option("#kind", "kanim")
    admin.fill("#code", "kanim-bogor")
    admin.fill("#name", "Kantor Imigrasi Kelas I Non TPI Bogor")
    admin.fill("#address", "Jl. Jend. A. Yani No. 65, Tanah Sareal")
    admin.fill("#city", "Bogor")
    admin.fill("#province", "Jawa Barat")
    admin.fill("#latitude", "6.5740")  # the minus forgotten
    admin.fill("#longitude", "106.7980")
    admin.select_option("#timezone", "Asia/Jakarta")
    admin.check("#issues_epassport")
    admin.fill("#epassport_stock", "250")
    shot(admin, "office-new")
    admin.get_by_role("button", name="Tambahkan kantor").click()
    admin.wait_for_load_state()
    assert "di luar Indonesia" in admin.locator(".error-summary").inner_text()
    shot(admin, "office-refused")
    admin.fill("#latitude", "-6.5740")
    admin.get_by_role("button", name="Tambahkan kantor").click()
    admin.wait_for_url(re.compile(r".*/admin/offices/\d+$"))
    assert "sudah ditambahkan" in admin.locator(".notice-success").inner_text()
    assert "Kantor ditambahkan" in admin.locator("table.changes").inner_text()
    shot(admin, "office-saved")

    admin.get_by_role("link", name="Undang petugas atau supervisor").click()
    admin.fill("#full_name", "Nurul Hidayah")
    admin.fill("#email", SUPERVISOR)
    assert "kanim-bogor" in admin.locator("#office_id option:checked").inner_text()
    admin.get_by_label("Supervisor", exact=False).check()
    shot(admin, "invite")
    admin.get_by_role("button", name="Kirim undangan").click()
    admin.wait_for_url("**/admin/staff")
    assert SUPERVISOR in admin.locator("table.invitations").inner_text()
    shot(admin, "staff-list")

    text = Mailbox.text(Mailbox(app).last(SUPERVISOR))
    link = re.search(r"http://localhost(/invitation/\S+)", text).group(1)
    supervisor = desktop()
    supervisor.goto(link)
    assert supervisor.locator("h1").inner_text() == "Buat akun petugas M-Paspor Anda"
    assert "Kantor Imigrasi Kelas I Non TPI Bogor" in supervisor.locator("main").inner_text()
    supervisor.fill("#password", PASSWORD)
    supervisor.fill("#confirm", PASSWORD)
    shot(supervisor, "invitation")
    supervisor.get_by_role("button", name="Buat akun saya").click()
    supervisor.wait_for_url("**/login")
    assert "Akun Anda sudah dibuat" in supervisor.locator(".notice-success").inner_text()
    assert supervisor.input_value("#email") == SUPERVISOR

    supervisor.fill("#password", PASSWORD)
    supervisor.press("#password", "Enter")
    supervisor.wait_for_url("**/staff/sign-in/enrol")
    shot(supervisor, "enrol")
    key = supervisor.locator(".totp-key").inner_text().replace(" ", "")
    supervisor.fill("#code", pyotp.TOTP(key).now())
    supervisor.press("#code", "Enter")
    supervisor.wait_for_load_state()
    assert supervisor.locator("ol.recovery-codes li").count() == 10
    shot(supervisor, "recovery-codes")

    # The link is spent: opened again it offers nothing.
    again = desktop()
    again.goto(link)
    assert again.locator("h1").inner_text() == "Undangan ini tidak berlaku lagi"
    assert again.locator("#password").count() == 0
    shot(again, "invitation-used")

    admin.reload()
    assert "Faktor kedua belum dipasang" not in admin.locator("table.staff-accounts").inner_text()
    assert admin.locator("table.staff-accounts .tag-ok").text_content() == "Aktif"
    shot(admin, "staff-enrolled")
    admin.goto("/admin/offices?q=bogor")
    row = admin.locator("table.admin-offices tbody tr")
    assert row.count() == 1 and "kanim-bogor" in row.inner_text()
    shot(admin, "offices-found")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == SUPERVISOR))
        office = db.session.scalar(select(Office).where(Office.code == "kanim-bogor"))
        assert (user.role, user.office_id) == ("supervisor", office.id)
        assert user.totp_enrolled_at is not None
        assert office.capacity_per_lane == {}  # no quota until the supervisor sets it
