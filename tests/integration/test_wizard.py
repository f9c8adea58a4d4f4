"""The application wizard over HTTP: the journey, the rules, kept input and who may see what."""

import io
import os
import re
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import Mailbox
from tests.factories import (
    FORM_ANSWERS,
    PASSWORD,
    jpeg_bytes,
    make_application,
    make_user,
    pdf_bytes,
)
from tests.html import csrf_token, submit
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Document

SERVICE, PASSPORT, PERSONAL, TRAVEL = FORM_ANSWERS.values()


@pytest.fixture
def applicant(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        return user.id


def signed_in(app, email="siti@contoh.id"):
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def start(client) -> str:
    response = client.post("/applications", data={"csrf_token": csrf_token(client.get("/"))})
    assert response.status_code == 302
    return response.location.rsplit("/", 1)[0]


def check_nik(client, base: str, token: str, nik: str):
    """The inline NIK check, as the personal step asks for it when the field is left."""
    return client.post(
        f"{base}/nik-check",
        headers={"HX-Request": "true"},
        data={"csrf_token": token, "field": "nik", "nik": nik, "sex": "F"},
    )


def upload(client, base: str, code: str, content: bytes, name="photo.jpg", headers=None):
    """POST a file as a phone's browser does: a multipart body with the CSRF token."""
    token = csrf_token(client.get(f"{base}/documents"))
    boundary = "----mpaspor-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"{base}/documents/{code}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers or {},
    )


def stored_files(app) -> set[str]:
    """The names of the files in the upload storage, thumbnails included."""
    uploads = app.instance_path + "/uploads"
    return {name for _, _, names in os.walk(uploads) for name in names}


def required_codes(client, base: str) -> list[str]:
    return re.findall(r'<li id="doc-(\w+)"', client.get(f"{base}/documents").text)


def fill_steps(client, base: str, **steps):
    for step, data in [
        ("service", SERVICE),
        ("passport", PASSPORT),
        ("personal", PERSONAL),
        ("travel", TRAVEL),
    ]:
        response = submit(client, f"{base}/{step}", steps.get(step, data))
        Mailbox(client.application).run_jobs()  # the NIK check, on a worker when there is one
        assert response.status_code == 302, (
            step,
            re.findall(r'class="error"[^>]*>([^<]+)', response.text),
        )


def test_a_whole_application_without_javascript(app, applicant):
    client = signed_in(app)
    base = start(client)
    fill_steps(client, base)
    codes = required_codes(client, base)
    assert codes == ["ktp", "kk", "civil_record"]
    assert upload(client, base, "ktp", jpeg_bytes()).status_code == 302
    assert upload(client, base, "kk", pdf_bytes(2), "kk.pdf").status_code == 302
    assert upload(client, base, "civil_record", jpeg_bytes(1200, 1600)).status_code == 302
    assert submit(client, f"{base}/documents", {}).location == f"{base}/review"

    review = client.get(f"{base}/review")
    assert "Rp950,000" in review.text  # electronic, 10 years, PP 45/2024
    assert review.text.count("/thumbnail") == 2 and "PDF" in review.text
    refused = submit(client, f"{base}/review", {"declare_true": "y"})
    assert refused.status_code == 422
    done = submit(client, f"{base}/review", {"declare_true": "y", "accept_forfeit": "y"})
    assert done.location == base
    with app.app_context():
        application = db.session.scalar(select(Application))
        assert application.status == "submitted"
        assert re.fullmatch(r"\d{16}", application.number)
        assert application.phone == "+6281234567890"
        audit = db.session.scalars(select(AuditEntry)).all()
        assert [(a.from_status, a.to_status) for a in audit] == [("draft", "submitted")]
    assert application.number in client.get(base).text


def test_a_child_gets_five_years_and_the_child_documents(app, applicant):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    child = {**PASSPORT, "birth_date-year": "2016", "marital_status": "single"}
    refused = submit(client, f"{base}/passport", child)
    assert refused.status_code == 422
    assert "can only get a 5-year passport" in refused.text
    assert submit(client, f"{base}/passport", {**child, "validity_years": "5"}).status_code == 302
    page = client.get(f"{base}/personal").text
    assert 'name="mother_nik"' in page and 'name="father_nik"' in page
    parents = {
        **PERSONAL,
        "nik": "5104075111160004",
        "mother_nik": "5104074101850002",
        "father_nik": "5104070101800003",
    }
    assert submit(client, f"{base}/personal", parents).status_code == 302
    submit(client, f"{base}/travel", TRAVEL)
    assert required_codes(client, base) == [
        "parents_ktp",
        "kk",
        "birth_certificate",
        "parents_marriage_book",
        "parents_passports",
        "parents_statement",
    ]


def test_ten_years_is_offered_disabled_once_the_applicant_is_known_to_be_a_child(app, applicant):
    with app.app_context():
        from webapp.models import User

        user = db.session.get(User, applicant)
        public_id = make_application(user, birth_date=date(2015, 1, 1), validity_years=5).public_id
    client = signed_in(app)
    page = client.get(f"/applications/{public_id}/passport").text
    assert re.search(r'<input[^>]*disabled[^>]*value="10"|<input[^>]*value="10"[^>]*disabled', page)


def test_steps_cannot_be_skipped(app, applicant):
    client = signed_in(app)
    base = start(client)
    assert client.get(f"{base}/personal").location == f"{base}/service"
    skipped = submit(client, f"{base}/service", SERVICE)  # fine: first step
    assert skipped.status_code == 302
    token = csrf_token(client.get(f"{base}/passport"))
    response = client.post(f"{base}/travel", data={"csrf_token": token, **TRAVEL})
    assert response.location == f"{base}/passport"
    with app.app_context():
        assert db.session.scalar(select(Application.travel_purpose)) is None
    assert client.get(f"{base}/review").location == f"{base}/passport"


def test_changing_the_reason_clears_only_the_documents_it_affects(app, applicant):
    client = signed_in(app)
    base = start(client)
    replacement = {**SERVICE, "application_type": "replacement", "replacement_reason": "expired"}
    personal = {
        **PERSONAL,
        "old_passport_number": "b 1234567",
        "old_passport_issue_date-day": "2",
        "old_passport_issue_date-month": "1",
        "old_passport_issue_date-year": "2020",
    }
    fill_steps(client, base, service=replacement, personal=personal)
    assert required_codes(client, base) == ["ktp", "old_passport"]
    upload(client, base, "ktp", jpeg_bytes())
    upload(client, base, "old_passport", jpeg_bytes())

    lost = {**replacement, "replacement_reason": "lost"}
    response = submit(client, f"{base}/service", lost, follow_redirects=True)
    assert "no longer applied and were removed" in response.text
    assert required_codes(client, base) == ["ktp", "kk", "police_report"]
    with app.app_context():
        kept = db.session.scalars(select(Document.code)).all()
        keys = db.session.execute(select(Document.storage_key, Document.thumbnail_key)).one()
        application = db.session.scalar(select(Application))
        assert kept == ["ktp"]
        assert application.old_passport_number == "B1234567"  # still a replacement
    assert stored_files(app) == {key.rsplit("/", 1)[1] for key in keys}  # the dropped one is gone

    new = {**SERVICE, "application_type": "new"}
    submit(client, f"{base}/service", new)
    with app.app_context():
        application = db.session.scalar(select(Application))
        assert application.old_passport_number is None and application.replacement_reason is None


def test_becoming_a_child_asks_for_the_parents(app, applicant):
    client = signed_in(app)
    base = start(client)
    fill_steps(client, base)
    child = {**PASSPORT, "birth_date-year": "2016", "validity_years": "5"}
    assert submit(client, f"{base}/passport", child).status_code == 302
    assert client.get(f"{base}/travel").location == f"{base}/personal"


def test_typing_a_nik_in_use_answers_exactly_as_a_free_one(app, applicant):
    """Neither the field check nor saving the step tells whether a NIK is in use elsewhere."""
    with app.app_context():
        other = make_user(email="budi@contoh.id")
        taken = make_application(other, nik=PERSONAL["nik"], nik_status="verified")
        taken_id = taken.id
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    submit(client, f"{base}/passport", PASSPORT)

    def typed() -> tuple[str, int, str]:
        token = csrf_token(client.get(f"{base}/personal"))
        check = check_nik(client, base, token, PERSONAL["nik"])
        saved = submit(client, f"{base}/personal", PERSONAL)
        return check.text, saved.status_code, saved.location

    while_taken = typed()
    with app.app_context():
        db.session.get(Application, taken_id).status = "cancelled"
        db.session.commit()
    assert typed() == while_taken == (while_taken[0], 302, f"{base}/travel")
    assert "looks right" in while_taken[0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nik": "5104071111970004"}, "does not match the sex"),
        ({"nik": "5104075211970004"}, "do not match the date of birth"),
        ({"nik": "2004075111970004"}, "not an Indonesian province"),
        ({"nik": "5104075111970000"}, "cannot be 0000"),
        ({"nik": "51040751119700"}, "16 digits"),
    ],
)
def test_a_nik_that_contradicts_the_other_answers_is_refused(app, applicant, changes, message):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    submit(client, f"{base}/passport", PASSPORT)
    refused = submit(client, f"{base}/personal", {**PERSONAL, **changes})
    assert refused.status_code == 422 and message in refused.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date-year": "2090"}, "cannot be in the future"),
        ({"birth_date-year": "1890"}, "over 130"),
        ({"birth_date-day": "31", "birth_date-month": "2"}, "Enter a real date"),
    ],
)
def test_impossible_birth_dates_are_refused(app, applicant, changes, message):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    refused = submit(client, f"{base}/passport", {**PASSPORT, **changes})
    assert refused.status_code == 422 and message in refused.text


def test_a_sixth_active_application_is_refused(app, applicant):
    with app.app_context():
        from webapp.models import User

        user = db.session.get(User, applicant)
        for n in range(5):
            make_application(user, nik=f"51040751119700{n + 10}")
    client = signed_in(app)
    response = client.post("/applications", data={"csrf_token": csrf_token(client.get("/"))})
    assert "at most 5 active applications" in client.get(response.location).text
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 5


def test_typed_input_survives_and_follows_the_account_to_another_device(app, applicant):
    phone = signed_in(app)
    base = start(phone)
    submit(phone, f"{base}/service", SERVICE)
    submit(phone, f"{base}/passport", PASSPORT)
    token = csrf_token(phone.get(f"{base}/personal"))
    half = {"csrf_token": token, "nik": "5104075111", "full_name": "Siti Rah", "sex": "F"}
    assert (
        phone.post(
            f"{base}/personal/autosave", data=half, headers={"HX-Request": "true"}
        ).status_code
        == 200
    )
    laptop = signed_in(app)
    page = laptop.get(f"{base}/personal").text
    assert 'value="5104075111"' in page and 'value="Siti Rah"' in page
    assert re.search(r'value="F"[^>]*checked|checked[^>]*value="F"', page)
    assert laptop.get("/").text.count("Continue where you stopped") == 1


def test_a_refused_step_keeps_what_was_typed(app, applicant):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    submit(client, f"{base}/passport", PASSPORT)
    submit(client, f"{base}/personal", {**PERSONAL, "phone": "12"})
    page = signed_in(app).get(f"{base}/personal").text
    assert 'value="Denpasar"' in page and 'value="12"' in page


def test_another_accounts_application_does_not_exist(app, applicant):
    with app.app_context():
        owner = make_user(email="budi@contoh.id")
        foreign = make_application(owner).public_id
    client = signed_in(app)
    token = csrf_token(client.get("/"))
    for path in ["", "/service", "/personal", "/documents", "/review", "/documents/ktp/file"]:
        assert client.get(f"/applications/{foreign}{path}").status_code == 404, path
    for path in ["/service", "/service/autosave", "/nik-check", "/cancel", "/documents/ktp"]:
        response = client.post(f"/applications/{foreign}{path}", data={"csrf_token": token})
        assert response.status_code == 404, path
    assert client.get("/applications/not-an-id/service").status_code == 404


def test_an_unverified_account_cannot_start(app):
    with app.app_context():
        make_user(email="baru@contoh.id", verified=False)
    client = signed_in(app, "baru@contoh.id")
    response = client.post("/applications", data={"csrf_token": csrf_token(client.get("/"))})
    assert response.location == "/verify"
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 0


def test_htmx_gets_the_wizard_region_and_a_direct_load_the_whole_page(app, applicant):
    client = signed_in(app)
    base = start(client)
    htmx = {"HX-Request": "true", "HX-Target": "wizard"}
    fragment = client.get(f"{base}/service", headers=htmx)
    assert "<html" not in fragment.text and 'hx-swap-oob="true"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    full = client.get(f"{base}/service")
    assert full.text.startswith("<!doctype html>") and 'id="wizard"' in full.text
    restore = client.get(
        f"{base}/service", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert restore.text.startswith("<!doctype html>")
    token = csrf_token(full)
    moved = client.post(f"{base}/service", data={"csrf_token": token, **SERVICE}, headers=htmx)
    assert f'"path": "{base}/passport"' in moved.headers["HX-Location"]
    refused = client.post(f"{base}/passport", data={"csrf_token": token}, headers=htmx)
    assert refused.status_code == 422 and "<html" not in refused.text
    assert 'class="error-summary"' in refused.text


def test_nik_is_checked_as_the_field_is_left(app, applicant):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    submit(client, f"{base}/passport", PASSPORT)
    token = csrf_token(client.get(f"{base}/personal"))
    check = check_nik(client, base, token, "5104071111970004")
    assert "does not match the sex" in check.text
    fine = check_nik(client, base, token, "5104075111970004")
    assert "looks right" in fine.text


def test_uploads_are_judged_by_content_and_replaced(app, applicant):
    client = signed_in(app)
    base = start(client)
    fill_steps(client, base)
    fake = upload(client, base, "ktp", b"<html><script>alert(1)</script></html>", "ktp.jpg")
    assert fake.status_code == 422 and "Use a photo (JPEG, PNG or WebP) or a PDF" in fake.text
    big = upload(client, base, "ktp", b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024), "big.jpg")
    assert big.status_code == 422 and "larger than 10 MB" in big.text
    upload(client, base, "ktp", jpeg_bytes(colour="red"))
    upload(client, base, "ktp", jpeg_bytes(colour="blue"))
    with app.app_context():
        documents = db.session.scalars(select(Document)).all()
        assert len(documents) == 1
    stored = client.get(f"{base}/documents/ktp/file")
    assert (
        stored.mimetype == "image/jpeg" and stored.headers["Cache-Control"] == "private, no-store"
    )
    with Image.open(io.BytesIO(stored.data)) as image:
        assert image.getpixel((10, 10))[2] > 200  # the blue one replaced the red one
    with app.app_context():
        keys = db.session.execute(select(Document.storage_key, Document.thumbnail_key)).one()
    # the current image and its thumbnail, nothing left behind
    assert stored_files(app) == {key.rsplit("/", 1)[1] for key in keys}


def test_htmx_upload_returns_the_item(app, applicant):
    client = signed_in(app)
    base = start(client)
    fill_steps(client, base)
    response = upload(
        client, base, "kk", jpeg_bytes(), headers={"HX-Request": "true", "HX-Target": "doc-kk"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<li id="doc-kk"')


def spaced(digits: str, separator: str = " ") -> str:
    """A NIK as printed on the KTP card and as people copy it: in groups of four."""
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def input_box(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]


@pytest.mark.parametrize("separator", [" ", "-", ".", " - "])
def test_niks_and_phones_typed_in_groups_are_kept_whole(app, applicant, separator):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    child = {**PASSPORT, "birth_date-year": "2016", "validity_years": "5"}
    submit(client, f"{base}/passport", child)
    page = client.get(f"{base}/personal").text
    niks = {"nik": "5104075111160004", "mother_nik": "5104074101850002"}
    niks["father_nik"] = "5104070101800003"
    for name, digits in niks.items():
        box = input_box(page, name)
        assert int(re.search(r'maxlength="(\d+)"', box)[1]) >= len(spaced(digits, separator))
        assert "pattern=" not in box  # a browser would refuse the spaced NIK itself
    typed = {name: spaced(digits, separator) for name, digits in niks.items()}
    phone = separator.join(["0812", "3456", "7890"])
    saved = submit(client, f"{base}/personal", {**PERSONAL, **typed, "phone": phone})
    assert saved.status_code == 302
    travel = submit(client, f"{base}/travel", {**TRAVEL, "emergency_phone": phone})
    assert travel.status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application))
        stored = {name: getattr(application, name) for name in niks}
        assert stored == niks
        assert application.phone == application.emergency_phone == "+6281234567890"


def test_the_inline_check_reads_a_spaced_nik_as_typed(app, applicant):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    submit(client, f"{base}/passport", PASSPORT)
    token = csrf_token(client.get(f"{base}/personal"))
    check = check_nik(client, base, token, "5104 0751 1197 0004")
    assert "looks right" in check.text


def summary_entries(page: str) -> list[str]:
    """Each entry of the error summary: its links' targets and its text, tags removed."""
    summary = re.search(r'<div class="error-summary".*?</ul>', page, re.S)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
        + " → "
        + " ".join(re.findall(r'href="([^"]+)"', item))
        for item in re.findall(r"<li>(.*?)</li>", summary, re.S)
    ]


def test_each_error_in_the_summary_names_its_question_and_links_to_its_input(app, applicant):
    client = signed_in(app)
    base = start(client)
    refused = submit(client, f"{base}/service", {})
    assert refused.status_code == 422
    entries = summary_entries(refused.text)
    assert entries == [
        "Who is this application for? Choose one of the options. → #for_self-0",
        "Service: Choose one of the options. → #service-0",
        "Application type: Choose one of the options. → #application_type-0",
    ]
    for target in ("for_self-0", "service-0", "application_type-0"):
        assert f'id="{target}"' in refused.text


def ten_years_option(page: str) -> str:
    return re.search(r'<input[^>]*value="10"[^>]*>', page)[0]


def test_a_future_birth_date_gives_one_error_and_then_the_specific_one(app, applicant):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    future = submit(client, f"{base}/passport", {**PASSPORT, "birth_date-year": "2090"})
    assert future.status_code == 422
    assert summary_entries(future.text) == [
        "Date of birth: The date of birth cannot be in the future. → #birth_date-day"
    ]
    assert "5-year" not in future.text
    ten = ten_years_option(future.text)
    assert "checked" in ten and "disabled" not in ten  # as chosen, still choosable

    fixed = submit(client, f"{base}/passport", {**PASSPORT, "birth_date-year": "2016"})
    child_only = "A child (under 17 and not married) can only get a 5-year passport."
    assert summary_entries(fixed.text) == [f"Validity: {child_only} → #validity_years-0"]
    ten = ten_years_option(fixed.text)
    assert "disabled" in ten and "checked" not in ten  # never ticked where it cannot be sent

    # A browser does not send the disabled option: still the specific error, not "choose one".
    unsent = {k: v for k, v in PASSPORT.items() if k != "validity_years"}
    again = submit(client, f"{base}/passport", {**unsent, "birth_date-year": "2016"})
    assert summary_entries(again.text) == [f"Validity: {child_only} → #validity_years-0"]
    assert "Choose one of the options" not in again.text


def test_a_nik_that_disagrees_with_the_birth_date_links_to_the_birth_date(app, applicant):
    client = signed_in(app)
    base = start(client)
    submit(client, f"{base}/service", SERVICE)
    submit(client, f"{base}/passport", PASSPORT)
    refused = submit(client, f"{base}/personal", {**PERSONAL, "nik": "5104075211970004"})
    birth_date = f"{base}/passport#birth_date-day"
    [entry] = summary_entries(refused.text)
    assert entry.startswith("NIK: Digits 7 to 12 do not match the date of birth")
    assert entry.endswith(f"→ #nik {birth_date}")
    assert "Change the date of birth in step 2" in entry
    beside = re.search(r'<p class="error" id="nik-error">.*?</p>', refused.text, re.S)[0]
    assert f'href="{birth_date}"' in beside
    token = csrf_token(refused)
    check = check_nik(client, base, token, "5104 0752 1197 0004")
    assert "do not match the date of birth" in check.text and f'href="{birth_date}"' in check.text
    assert client.get(birth_date.split("#")[0]).status_code == 200
