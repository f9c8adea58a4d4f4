"""Receipts in a real browser, in the embedded default (no Redis: the batch's job runs in a
thread beside the requests): the officer at the counter's desktop (1280x800) opens the day's
receipts, prints them all on the roll and watches the batch's progress fill until its PDF is
offered, without reloading the page; the applicant on a phone (360x740) sees when and where to
collect the passport and downloads the receipt."""

import pytest

from tests.e2e.desk import sign_in_at_the_desk
from tests.factories import make_office
from tests.journeys import sign_in
from tests.receipts import approved
from tests.reviews import counter_officer
from webapp.extensions import db
from webapp.models import User

RECEIPTS = 6


@pytest.fixture
def approved_today(live_server):
    with live_server.app.app_context():
        office = make_office()
        staff = counter_officer(office)
        applications = [approved(office, staff) for _ in range(RECEIPTS)]
        first = applications[0]
        return {
            "staff": staff.email,
            "numbers": [a.number for a in applications],
            "public_id": first.public_id,
            "applicant": db.session.get(User, first.account_id).email,
        }


def test_the_officer_prints_the_days_receipts_while_the_bar_fills(
    live_server, desktop, approved_today, tmp_path
):
    counter = desktop()
    sign_in_at_the_desk(counter, live_server.app, approved_today["staff"])
    counter.goto("/counter/receipts")
    for number in approved_today["numbers"]:
        counter.get_by_text(number).wait_for()
    counter.screenshot(path=str(tmp_path / "day.png"), full_page=True)
    counter.get_by_label("Gulungan 80 mm").check()
    counter.get_by_role("button", name=f"Cetak semua ({RECEIPTS})").click()
    counter.wait_for_url("**/counter/receipts/batches/*")
    loaded = counter.evaluate("performance.timeOrigin")
    bar = counter.locator("#batch-bar")
    assert bar.get_attribute("max") == str(RECEIPTS)
    counter.screenshot(path=str(tmp_path / "batch-started.png"))
    opened = counter.get_by_role("link", name="Buka PDF untuk dicetak")
    opened.wait_for(timeout=60_000)
    assert counter.evaluate("performance.timeOrigin") == loaded  # swapped in place, no reload
    assert bar.get_attribute("value") == str(RECEIPTS)
    counter.get_by_text(f"{RECEIPTS} dari {RECEIPTS} tanda terima selesai dibuat").wait_for()
    counter.screenshot(path=str(tmp_path / "batch-done.png"))
    document = counter.request.get(opened.get_attribute("href"))
    assert document.headers["content-type"] == "application/pdf"
    assert document.body().startswith(b"%PDF-")


def test_the_applicant_sees_the_collection_and_downloads_the_receipt(
    live_server, page, approved_today, tmp_path
):
    client = sign_in(live_server.app, approved_today["applicant"])
    cookie = client.get_cookie("session")
    page.context.add_cookies([{"name": "session", "value": cookie.value, "url": live_server.url}])
    page.goto(f"/applications/{approved_today['public_id']}")
    panel = page.locator("section", has=page.get_by_role("heading", name="Pengambilan paspor"))
    panel.wait_for()
    assert "WITA" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    link = panel.get_by_role("link", name="Unduh tanda terima")
    box = link.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    downloaded = page.request.get(link.get_attribute("href"))
    assert downloaded.headers["content-type"] == "application/pdf"
