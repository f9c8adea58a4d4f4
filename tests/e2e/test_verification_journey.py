"""Background verification seen from a small Android phone, with a real worker and Redis.

The app is served on a real port with its jobs on Redis, and `flask worker` (the production
command) runs them in a process of its own, asking the stand-in population registry over HTTP.
While the worker is held still the applicant sees the check pending; once it goes on, the answer
appears where the pending message was, within seconds and without a reload: which field
disagrees with Dukcapil, or that the NIK is verified; a blurred photo is sent back with a hint.

Without Redis these tests are skipped locally and fail in CI (tests/services.py).
"""

import io
from datetime import date
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.test_wizard_journey import Phone, answer, log_in, save_and_continue, translated
from tests.factories import jpeg_bytes, make_application, make_user
from webapp import labels
from webapp.extensions import db
from webapp.models import Application, Document

pytestmark = [pytest.mark.browser, pytest.mark.redis]

SETTLED = 15_000  # ms: the worker's answer must be on the screen within this

# The registry's demo residents (webapp/integrations/registry_standin.py). Agus's NIK encodes
# 12-03-1985, the date on his KTP; Dukcapil has 14-03-1985.
AGUS = {
    "nik": "3273011203850007",
    "full_name": "Agus Setiawan",
    "birth_place": "Bandung",
    "sex": "M",
    "address": "Jl. Dago 12, Bandung",
    "occupation": "Wiraswasta",
    "phone": "0812 2233 4455",
    "mother_name": "Euis Kurniasih",
    "father_name": "Ujang Setiawan",
}
AGUS_REGISTRY_DATES = ("14 March 1985", "14 Maret 1985", "1985-03-14", "14-03-1985", "14/03/1985")
# Budi is born 17-08-1990; he first types his name with a slip of the thumb.
BUDI = {
    "nik": "3174011708900012",
    "full_name": "Budi Santosa",
    "birth_place": "Jakarta",
    "sex": "M",
    "address": "Jl. Kemang Raya 5, Jakarta Selatan",
    "occupation": "Karyawan swasta",
    "phone": "0813 1122 3344",
    "mother_name": "Sri Wahyuni",
    "father_name": "Bambang Santoso",
}


@pytest.fixture
def live_server(worker_server):
    """`page` and `context` are pointed at the server whose jobs a real worker runs."""
    return worker_server


def draft_at_personal(app, **answers) -> tuple[str, str]:
    """An English-speaking account's draft whose service and passport steps are done and whose
    personal step is still to be saved: the e-mail to log in with, and the wizard path."""
    with app.app_context():
        user = make_user(locale="en")
        application = make_application(
            user,
            nik=None,
            marital_status="single",
            passport_kind="ordinary",
            validity_years=5,
            **answers,
        )
        return user.email, f"/applications/{application.public_id}"


def open_step(phone: Phone, email: str, base: str, step: str) -> None:
    """Log in and open the draft, which continues at `step`; mark the window."""
    log_in(phone, email)
    phone.page.goto(base)
    phone.page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/{step}")
    phone.mark()


def stored_application(app, base: str) -> Application:
    with app.app_context():
        application = db.session.scalar(
            select(Application).where(Application.public_id == base.rsplit("/", 1)[1])
        )
        db.session.expunge(application)
        return application


def stored_document(app, code: str) -> Document:
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.code == code))
        db.session.expunge(document)
        return document


def ran(worker_server, call: str) -> bool:
    """Whether the worker process took up this job: RQ logs each job before running it."""
    return f"verification: webapp.jobs.verification.{call} (" in worker_server.log()


def status_polls(phone: Phone, base: str) -> list[str]:
    """Collects the URL of every request the page sends for the NIK status fragment."""
    polls: list[str] = []
    phone.page.on(
        "request",
        lambda r: polls.append(r.url) if urlsplit(r.url).path == f"{base}/nik-status" else None,
    )
    return polls


def save_while_the_worker_is_busy(worker_server, phone: Phone, base: str) -> None:
    """Save the personal step while the worker is held still: the travel step shows the check
    pending, and polls for its result."""
    app = worker_server.app
    status = phone.page.locator("#wizard #nik-status")
    with worker_server.paused():
        save_and_continue(phone, base, "personal", "travel")
        expect(status).to_have_text(translated(app, "en", labels.NIK_STATUSES["pending"]))
        expect(status).to_have_attribute("hx-trigger", "every 1s")
        assert stored_application(app, base).nik_status == "pending"


def test_a_wrong_birth_date_is_named_live(worker_server, page):
    app = worker_server.app
    email, base = draft_at_personal(
        app, birth_date=date(1985, 3, 12), sex="M", full_name="Agus Setiawan"
    )
    phone = Phone(page, "en", javascript=True, name="agus-en")
    open_step(phone, email, base, "personal")
    polls = status_polls(phone, base)
    answer(page, AGUS)
    save_while_the_worker_is_busy(worker_server, phone, base)

    # The worker goes on: the answer replaces the pending message where the applicant looks.
    status = page.locator("#wizard #nik-status")
    expect(status).to_contain_text("Identity not valid", timeout=SETTLED)
    expect(status).to_contain_text("the date of birth does not match the Dukcapil records")
    expect(status).not_to_contain_text("the name does not match")
    expect(status).to_have_class("notice notice-error")
    phone.assert_not_reloaded()
    assert polls, "the pending status never polled"
    shown = page.locator("body").inner_text() + page.content()
    for registry_date in AGUS_REGISTRY_DATES:
        assert registry_date not in shown  # Dukcapil's own value is never shown
    phone.check_page("travel-birth-date-mismatch")

    settled = stored_application(app, base)
    assert (settled.nik_status, settled.nik_reason) == ("mismatch", "birth_date")
    assert settled.nik_checked_at is not None
    assert ran(worker_server, f"verify_nik({settled.id}, 1)")
    # Once settled the fragment stops polling.
    assert status.get_attribute("hx-trigger") is None
    polled = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == polled, "the settled status kept polling"


def test_a_wrong_name_is_named_live_and_a_fix_verifies(worker_server, page):
    app = worker_server.app
    email, base = draft_at_personal(
        app, birth_date=date(1990, 8, 17), sex="M", full_name="Budi Santosa"
    )
    phone = Phone(page, "en", javascript=True, name="budi-en")
    open_step(phone, email, base, "personal")
    answer(page, BUDI)
    save_while_the_worker_is_busy(worker_server, phone, base)

    status = page.locator("#wizard #nik-status")
    expect(status).to_contain_text("Identity not valid", timeout=SETTLED)
    expect(status).to_contain_text("the name does not match the Dukcapil records")
    expect(status).not_to_contain_text("date of birth")
    phone.assert_not_reloaded()
    assert stored_application(app, base).nik_reason == "full_name"
    phone.check_page("travel-name-mismatch")

    # Back to the personal step through the folded step list, to correct the name.
    page.locator("#progress summary").click()
    page.locator(f'#progress a[href="{base}/personal"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/personal")
    name = page.locator('#wizard input[name="full_name"]')
    expect(name).to_have_value("Budi Santosa")
    name.fill("Budi Santoso")
    save_while_the_worker_is_busy(worker_server, phone, base)

    verified = translated(app, "en", labels.NIK_STATUSES["verified"])
    expect(status).to_have_text(verified, timeout=SETTLED)
    assert "match the Dukcapil records" in verified
    expect(status).to_have_class("notice notice-success")
    expect(status).not_to_contain_text("Identity not valid")
    phone.assert_not_reloaded()
    assert status.get_attribute("hx-trigger") is None
    phone.check_page("travel-verified")

    settled = stored_application(app, base)
    assert (settled.full_name, settled.nik_status, settled.nik_reason) == (
        "Budi Santoso",
        "verified",
        None,
    )
    assert settled.nik_check_version == 2  # one check per saved version of the data
    for version in (1, 2):
        assert ran(worker_server, f"verify_nik({settled.id}, {version})")


def blurred_page_photo(path) -> None:
    """A sharp photo of a printed page, then out of focus."""
    with Image.open(io.BytesIO(jpeg_bytes())) as sharp:
        sharp.filter(ImageFilter.GaussianBlur(6)).save(path, "JPEG", quality=90)


def upload_while_the_worker_is_busy(worker_server, phone: Phone, code: str, path) -> None:
    """Upload a photo while the worker is held still: the item says it is being checked, and
    polls for the result."""
    item = phone.page.locator(f"#doc-{code}")
    checking = translated(worker_server.app, "en", "checking the photo…")
    with worker_server.paused():
        item.locator('input[type="file"]').set_input_files(path)
        item.locator('button[type="submit"]').click()
        expect(item.locator(".uploaded .tag")).to_have_text(checking)
        expect(item).to_have_attribute("hx-trigger", "every 1s")
        assert stored_document(worker_server.app, code).check_status == "pending"


def test_a_blurred_photo_is_sent_back_live(worker_server, page, tmp_path):
    app = worker_server.app
    with app.app_context():
        user = make_user(locale="en")
        email = user.email
        base = f"/applications/{make_application(user, nik_status='verified').public_id}"
    phone = Phone(page, "en", javascript=True, name="blurred-en")
    open_step(phone, email, base, "documents")
    blurred, sharp = tmp_path / "ktp-blurred.jpg", tmp_path / "ktp.jpg"
    blurred_page_photo(blurred)
    sharp.write_bytes(jpeg_bytes())

    upload_while_the_worker_is_busy(worker_server, phone, "ktp", blurred)
    item = page.locator("#doc-ktp")
    problem = page.locator("#doc-ktp-problem")
    message, hint = (translated(app, "en", text) for text in labels.DOCUMENT_PROBLEMS["blurry"])
    expect(problem).to_contain_text("The photo is blurred.", timeout=SETTLED)
    expect(problem.locator(".hint")).to_have_text(hint)
    assert message == "The photo is blurred."
    expect(item.locator(".tag-bad")).to_have_text(translated(app, "en", "take it again"))
    expect(item).to_have_class("document field-error")
    expect(item.locator('input[type="file"]')).to_have_attribute("aria-invalid", "true")
    assert item.get_attribute("hx-trigger") is None  # settled: no more polling
    phone.assert_not_reloaded()
    phone.check_page("documents-blurred")
    checked = stored_document(app, "ktp")
    assert (checked.check_status, checked.check_problem) == ("needs_reupload", "blurry")
    assert ran(worker_server, f"check_document({checked.id}, '{checked.storage_key}')")

    # Taken again, sharp: accepted.
    upload_while_the_worker_is_busy(worker_server, phone, "ktp", sharp)
    expect(item.locator(".tag-ok")).to_have_text(translated(app, "en", "uploaded"), timeout=SETTLED)
    expect(problem).to_have_count(0)
    expect(item).to_have_class("document")
    phone.assert_not_reloaded()
    phone.check_page("documents-sharp")
    checked = stored_document(app, "ktp")
    assert (checked.check_status, checked.check_problem) == ("ok", None)
    assert ran(worker_server, f"check_document({checked.id}, '{checked.storage_key}')")
