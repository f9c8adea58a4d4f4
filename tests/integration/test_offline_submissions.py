"""Steps and uploads sent by a phone's outbox: applied once, merged with edits made elsewhere,
conflicts shown with both values, refused for an application that is closed. On SQLite and
PostgreSQL alike."""

import io
import json
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import html5lib
import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, jpeg_bytes, make_application, make_user
from tests.html import NS, csrf_token, submit
from tests.integration.test_races import database_url  # noqa: F401 (both databases)
from tests.integration.test_wizard import stored_files
from webapp.extensions import db
from webapp.models import Application, Document
from webapp.models.applications import StepSubmission

OUTBOX = {"HX-Request": "true", "X-Outbox": "1"}


@pytest.fixture
def draft(app):
    """A complete adult draft of its own account: (email, public id)."""
    with app.app_context():
        user = make_user()
        application = make_application(user, destination_country="Jepang")
        return user.email, application.public_id


def signed_in(app, email):
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def step_fields(client, path: str) -> dict:
    """Every input of the step form as the page renders it, as a browser would post it."""
    tree = html5lib.parse(client.get(path).get_data(as_text=True))
    form = next(f for f in tree.iter(f"{NS}form") if f.get("id") == "step-form")
    fields = {}
    for field in form.iter(f"{NS}input"):
        kind = field.get("type")
        if kind in ("radio", "checkbox") and field.get("checked") is None:
            continue
        fields[field.get("name")] = field.get("value") or ""
    for field in form.iter(f"{NS}textarea"):
        fields[field.get("name")] = field.text or ""
    return fields


def upload_with_key(client, base: str, code: str, content: bytes, key: str):
    """A photo as the outbox sends it: multipart, with its CSRF token and submission key."""
    token = csrf_token(client.get(f"{base}/documents"))
    return client.post(
        f"{base}/documents/{code}",
        data={
            "csrf_token": token,
            "submission_key": key,
            "file": (io.BytesIO(content), "photo.jpg"),
        },
        content_type="multipart/form-data",
        headers=OUTBOX,
    )


def saved(app, public_id: str) -> Application:
    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(public_id=public_id))
        db.session.expunge(application)
        return application


def keys_applied(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StepSubmission))


def travel(public_id: str) -> str:
    return f"/applications/{public_id}/travel"


def test_the_form_carries_its_version_saved_values_and_a_fresh_key(app, draft):
    email, public_id = draft
    client = signed_in(app, email)
    first, second = step_fields(client, travel(public_id)), step_fields(client, travel(public_id))
    assert first["base_version"] == "0"
    assert json.loads(first["base_values"])["destination_country"] == "Jepang"
    assert len(first["submission_key"]) >= 22
    assert first["submission_key"] != second["submission_key"]


def test_a_step_sent_twice_is_applied_once(app, draft):
    email, public_id = draft
    client = signed_in(app, email)
    fields = step_fields(client, travel(public_id))
    first = client.post(travel(public_id), data={**fields, "destination_country": "Korea"})
    again = client.post(travel(public_id), data={**fields, "destination_country": "Korea"})
    assert first.headers["X-Submission"] == "applied"
    assert again.headers["X-Submission"] == "duplicate"
    assert again.status_code == first.status_code == 302
    assert again.location == first.location
    application = saved(app, public_id)
    assert application.destination_country == "Korea"
    assert application.draft_version == 1
    assert keys_applied(app) == 1


def test_a_page_changed_and_sent_again_from_the_history_is_not_taken_for_a_copy(app, draft):
    """The back button brings the page back with its old key: other answers under it are not
    dropped as a copy but merged with what that page saved before (here: both values shown)."""
    email, public_id = draft
    client = signed_in(app, email)
    fields = step_fields(client, travel(public_id))
    client.post(travel(public_id), data={**fields, "destination_country": "Korea"})
    again = client.post(
        travel(public_id),
        data={**fields, "destination_country": "Mesir", "address_abroad": "Kairo"},
    )
    assert (again.status_code, again.headers["X-Submission"]) == (409, "conflict")
    assert "<strong>Mesir</strong>" in again.get_data(as_text=True)
    merged = client.post(travel(public_id), data={**fields, "address_abroad": "Kairo"})
    assert merged.headers["X-Submission"] == "applied"
    application = saved(app, public_id)
    assert (application.destination_country, application.address_abroad) == ("Korea", "Kairo")
    assert application.draft_version == 2


def test_the_same_key_sent_at_the_same_instant_is_applied_once(make_app, draft):
    app = make_app(RATELIMIT_ENABLED=False)
    email, public_id = draft
    clients = [signed_in(app, email) for _ in range(4)]
    fields = {**step_fields(clients[0], travel(public_id)), "destination_country": "Korea"}
    tokens = [step_fields(c, travel(public_id))["csrf_token"] for c in clients]
    start = Barrier(len(clients))

    def send(i: int):
        start.wait()
        return clients[i].post(
            travel(public_id),
            data={**fields, "csrf_token": tokens[i]},
            headers=OUTBOX,
        )

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(send, range(len(clients))))
    assert [a.status_code for a in answers] == [204] * len(clients)
    outcomes = sorted(a.headers["X-Submission"] for a in answers)
    assert outcomes == ["applied"] + ["duplicate"] * (len(clients) - 1)
    assert all("HX-Location" in a.headers for a in answers)
    application = saved(app, public_id)
    assert application.destination_country == "Korea"
    assert application.draft_version == 1
    assert keys_applied(app) == 1


def test_edits_of_different_fields_on_two_devices_are_merged(app, draft):
    email, public_id = draft
    phone, laptop = signed_in(app, email), signed_in(app, email)
    on_phone = step_fields(phone, travel(public_id))
    on_laptop = step_fields(laptop, travel(public_id))
    assert laptop.post(travel(public_id), data={**on_laptop, "destination_country": "Korea"})
    answer = phone.post(
        travel(public_id), data={**on_phone, "address_abroad": "Seoul"}, headers=OUTBOX
    )
    assert answer.status_code == 204
    assert answer.headers["X-Draft-Merged"] == "1"
    application = saved(app, public_id)
    assert (application.destination_country, application.address_abroad) == ("Korea", "Seoul")
    assert application.draft_version == 2


def test_the_same_answer_written_another_way_is_no_conflict(app, draft):
    email, public_id = draft
    personal = f"/applications/{public_id}/personal"
    phone, laptop = signed_in(app, email), signed_in(app, email)
    on_phone = step_fields(phone, personal)
    laptop.post(personal, data={**step_fields(laptop, personal), "phone": "0812 7777 0001"})
    answer = phone.post(
        personal,
        data={**on_phone, "phone": "0812-7777-0001", "occupation": "Nelayan"},
        headers=OUTBOX,
    )
    assert answer.status_code == 204  # one number both times: merged, not a choice
    application = saved(app, public_id)
    assert (application.phone, application.occupation) == ("+6281277770001", "Nelayan")


def test_a_field_changed_on_both_devices_shows_both_values_and_applies_neither(app, draft):
    email, public_id = draft
    phone, laptop = signed_in(app, email), signed_in(app, email)
    on_phone = step_fields(phone, travel(public_id))
    laptop.post(
        travel(public_id),
        data={**step_fields(laptop, travel(public_id)), "destination_country": "Korea"},
    )
    answer = phone.post(
        travel(public_id),
        data={**on_phone, "destination_country": "Mesir", "address_abroad": "Kairo"},
        headers=OUTBOX,
    )
    assert answer.status_code == 409
    assert answer.headers["X-Submission"] == "conflict"
    page = answer.get_data(as_text=True)
    assert "data-conflict" in page
    assert "Yang Anda ketik di sini: <strong>Mesir</strong>" in page
    assert "Tersimpan dari perangkat lain: <strong>Korea</strong>" in page
    assert "Bagian ini diubah di perangkat lain." in page
    application = saved(app, public_id)
    assert (application.destination_country, application.address_abroad) == ("Korea", None)
    assert application.draft_version == 1
    assert keys_applied(app) == 1  # the laptop's save alone


@pytest.mark.parametrize("choice, country", [("mine", "Mesir"), ("theirs", "Korea")])
def test_the_conflict_page_saves_the_value_chosen(app, draft, choice, country):
    email, public_id = draft
    phone, laptop = signed_in(app, email), signed_in(app, email)
    on_phone = step_fields(phone, travel(public_id))
    laptop.post(
        travel(public_id),
        data={**step_fields(laptop, travel(public_id)), "destination_country": "Korea"},
    )
    conflict = phone.post(
        travel(public_id),
        data={**on_phone, "destination_country": "Mesir", "address_abroad": "Kairo"},
    )
    assert conflict.status_code == 409
    tree = html5lib.parse(conflict.get_data(as_text=True))
    form = next(f for f in tree.iter(f"{NS}form") if f.get("id") == "step-form")
    fields = {
        f.get("name"): f.get("value") or ""
        for f in form.iter(f"{NS}input")
        if f.get("type") not in ("radio", "checkbox") or f.get("checked") is not None
    }
    fields |= {f.get("name"): f.text or "" for f in form.iter(f"{NS}textarea")}
    assert fields["base_version"] == "1"
    answer = phone.post(travel(public_id), data={**fields, "choose-destination_country": choice})
    assert answer.status_code == 302
    application = saved(app, public_id)
    assert (application.destination_country, application.address_abroad) == (country, "Kairo")


@pytest.mark.parametrize("status", ["submitted", "scheduled", "cancelled"])
def test_a_queued_step_for_a_closed_application_is_refused_and_not_applied(app, draft, status):
    email, public_id = draft
    client = signed_in(app, email)
    fields = step_fields(client, travel(public_id))
    with app.app_context():
        db.session.execute(
            Application.__table__.update()
            .where(Application.public_id == public_id)
            .values(status=status)
        )
        db.session.commit()
    answer = client.post(
        travel(public_id), data={**fields, "destination_country": "Korea"}, headers=OUTBOX
    )
    assert answer.status_code == 410
    assert answer.headers["X-Submission"] == "closed"
    assert "tersimpan di ponsel tidak dikirim" in answer.get_data(as_text=True)
    application = saved(app, public_id)
    assert (application.destination_country, application.draft_version) == ("Jepang", 0)
    assert application.status == status  # a submission made meanwhile is not withdrawn
    assert keys_applied(app) == 0


def test_a_step_for_another_accounts_application_is_not_found(app, draft):
    email, public_id = draft
    with app.app_context():
        other = make_user().email
    owner, stranger = signed_in(app, email), signed_in(app, other)
    fields = step_fields(owner, travel(public_id))
    fields["csrf_token"] = csrf_token(stranger.get("/", follow_redirects=True))
    answer = stranger.post(
        travel(public_id), data={**fields, "destination_country": "Korea"}, headers=OUTBOX
    )
    assert answer.status_code == 404
    assert saved(app, public_id).destination_country == "Jepang"


def test_invalid_answers_from_the_outbox_come_back_with_their_errors(app, draft):
    email, public_id = draft
    client = signed_in(app, email)
    fields = step_fields(client, travel(public_id))
    answer = client.post(
        travel(public_id), data={**fields, "destination_country": ""}, headers=OUTBOX
    )
    assert answer.status_code == 422
    assert "<html" not in answer.get_data(as_text=True)  # the wizard fragment
    assert 'id="destination_country-error"' in answer.get_data(as_text=True)
    assert saved(app, public_id).draft_version == 0
    assert keys_applied(app) == 0


def test_a_plain_post_without_the_draft_fields_saves_as_before(app, draft):
    email, public_id = draft
    client = signed_in(app, email)
    fields = step_fields(client, travel(public_id))
    for name in ("base_version", "base_values", "submission_key"):
        del fields[name]
    answer = client.post(travel(public_id), data={**fields, "destination_country": "Korea"})
    assert answer.status_code == 302
    assert answer.location.endswith(f"/applications/{public_id}/documents")
    application = saved(app, public_id)
    assert (application.destination_country, application.draft_version) == ("Korea", 1)


def test_an_upload_sent_twice_is_stored_once(app, draft):
    email, public_id = draft
    client = signed_in(app, email)
    base = f"/applications/{public_id}"
    photo = jpeg_bytes()
    key = "phone-upload-key-0000000001"
    first = upload_with_key(client, base, "ktp", photo, key)
    files = stored_files(app)
    again = upload_with_key(client, base, "ktp", photo, key)
    assert (first.status_code, first.headers["X-Submission"]) == (200, "applied")
    assert (again.status_code, again.headers["X-Submission"]) == (200, "duplicate")
    assert 'id="doc-ktp"' in again.get_data(as_text=True)
    assert stored_files(app) == files
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_conflicting_date_and_option_are_shown_as_people_read_them(app, draft):
    email, public_id = draft
    passport = f"/applications/{public_id}/passport"
    phone, laptop = signed_in(app, email), signed_in(app, email)
    on_phone = step_fields(phone, passport)
    laptop.post(
        passport,
        data={**step_fields(laptop, passport), "birth_date-day": "12", "passport_kind": "ordinary"},
    )
    answer = phone.post(
        passport,
        data={**on_phone, "birth_date-day": "13", "passport_kind": "electronic"},
        headers=OUTBOX,
    )
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "Yang Anda ketik di sini: <strong>13/11/1997</strong>" in page
    assert "Tersimpan dari perangkat lain: <strong>12/11/1997</strong>" in page
    assert 'id="passport_kind-conflict"' not in page  # changed on the laptop only: merged
    assert saved(app, public_id).passport_kind == "ordinary"


def test_an_option_chosen_differently_on_both_devices_is_a_choice_of_its_labels(app, draft):
    email, public_id = draft
    phone, laptop = signed_in(app, email), signed_in(app, email)
    on_phone = step_fields(phone, travel(public_id))
    laptop.post(
        travel(public_id), data={**step_fields(laptop, travel(public_id)), "travel_purpose": "work"}
    )
    answer = phone.post(
        travel(public_id), data={**on_phone, "travel_purpose": "study"}, headers=OUTBOX
    )
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "Yang Anda ketik di sini: <strong>Belajar</strong>" in page
    assert "Tersimpan dari perangkat lain: <strong>Bekerja</strong>" in page
    assert saved(app, public_id).travel_purpose == "work"


def test_a_replay_after_the_session_ended_is_refused_and_not_applied(app, draft):
    """The session's CSRF token went with it: the form has expired (400), for the phone to keep
    the item until its owner signs in again."""
    email, public_id = draft
    client = signed_in(app, email)
    fields = step_fields(client, travel(public_id))
    client.post("/logout", data={"csrf_token": fields["csrf_token"]})
    answer = client.post(
        travel(public_id), data={**fields, "destination_country": "Korea"}, headers=OUTBOX
    )
    assert answer.status_code == 400
    assert "X-Submission" not in answer.headers
    assert saved(app, public_id).destination_country == "Jepang"


def test_another_file_sent_with_an_old_key_is_stored(app, draft):
    email, public_id = draft
    client = signed_in(app, email)
    base = f"/applications/{public_id}"
    key = "phone-upload-key-0000000002"
    upload_with_key(client, base, "ktp", jpeg_bytes(), key)
    again = upload_with_key(client, base, "ktp", jpeg_bytes(1200, 1600), key)
    assert again.headers["X-Submission"] == "applied"
    with app.app_context():
        assert db.session.scalar(select(Document.height)) == 1600
