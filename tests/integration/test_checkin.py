"""Check-in at the office: the scan field takes a QR token, an application number or a NIK; the
application is judged as it is now, and gets a queue number; every bad input is refused with a
clear message in the staff member's language, with nothing changed."""

import re
import subprocess
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select, update

from tests.checkins import (
    booked,
    hour_start,
    open_all_day,
    paid,
    slot_at,
    submitted,
    zone_where,
)
from tests.factories import make_user
from tests.html import csrf_token
from tests.journeys import sign_in
from tests.staff import make_staff, sign_in_staff
from webapp import clock, signing
from webapp.extensions import db
from webapp.integrations.payment_gateway import Notice
from webapp.models import (
    Application,
    AuditEntry,
    Bill,
    Hold,
    Office,
    QueueSequence,
    Slot,
    User,
    Visit,
)
from webapp.rules import visits
from webapp.rules.working_days import national_holidays
from webapp.services import booking, offices, proof
from webapp.services.payments import apply_notice

PAGE = "/counter/check-in"


@pytest.fixture
def desk(app):
    """An office open at every hour, a member of its staff signed in, and another office."""
    with app.app_context():
        office = open_all_day()
        other = open_all_day()
        email = make_staff(office).email
        ids = {"office": office.id, "other": other.id}
    client = sign_in_staff(app, email)
    return Desk(app, client, ids)


class Desk:
    def __init__(self, app, client, ids):
        self.app, self.client, self.ids = app, client, ids

    def office(self, which="office"):
        return db.session.get(Office, self.ids[which])

    def scan(self, scanned: str, *, lang: str | None = None, headers=None, **fields):
        if lang:  # a signed-in account reads the interface in its own language
            self.client.set_cookie("lang", lang)
            with self.app.app_context():
                db.session.execute(update(User).where(User.role == "staff").values(locale=lang))
                db.session.commit()
        token = csrf_token(self.client.get(PAGE))
        data = {"csrf_token": token, "scanned": scanned, **fields}
        return self.client.post(PAGE, data=data, headers=headers or {})


def token_of(application: Application) -> str:
    return proof.proof_for(application).token


def state(app) -> tuple:
    """What a refused check-in must leave as it was."""
    with app.app_context():
        return (
            tuple(db.session.execute(select(Application.id, Application.status)).all()),
            tuple(db.session.execute(select(Visit.id, Visit.status)).all()),
            tuple(db.session.execute(select(QueueSequence.lane, QueueSequence.last_number)).all()),
            db.session.scalar(select(func.count(AuditEntry.id))),
        )


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def words_of(response) -> str:
    """The page's text as read, without its markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


# Checking in -------------------------------------------------------------------------------------


def test_the_scan_field_is_focused_on_load_and_the_only_text_field(desk):
    page = desk.client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    scan_field = re.search(r'<input[^>]*id="scanned"[^>]*>', html).group(0)
    assert " autofocus" in scan_field
    assert len(re.findall(r'<input[^>]*type="text"', html)) == 1
    assert "js/scan" in html and "<script>" not in html and "style=" not in html


def test_a_qr_token_checks_in_with_the_first_number_of_the_lane(desk):
    with desk.app.app_context():
        application = paid(desk.office())
        token, slot_start = token_of(application), hour_start(desk.office().timezone)
    answer = desk.scan(token)
    assert answer.status_code == 302
    page = desk.client.get(answer.location)
    assert "A001" in text_of(page) and "/ticket.pdf" in text_of(page)
    with desk.app.app_context():
        visit = db.session.scalar(select(Visit))
        assert db.session.get(Application, application.id).status == "checked_in"
        assert (visit.lane, visit.number, visit.status) == ("regular", 1, "waiting")
        assert (visit.rank, visit.queued_at) == (visits.ON_TIME, slot_start)
        moves = db.session.execute(
            select(
                AuditEntry.entity, AuditEntry.from_status, AuditEntry.to_status, AuditEntry.actor_id
            )
            .where(AuditEntry.application_id == application.id)
            .order_by(AuditEntry.id)
        ).all()
        staff_id = visit.checked_in_by
        assert ("application", "scheduled", "checked_in", staff_id) in moves
        assert ("visit", None, "waiting", staff_id) in moves


@pytest.mark.parametrize("typed", ["{n}", "{n4}", "{dashed}", " {n} "])
def test_an_application_number_with_spaces_or_dashes_checks_in(desk, typed):
    with desk.app.app_context():
        number = paid(desk.office()).number
    groups = [number[i : i + 4] for i in range(0, 16, 4)]
    scanned = typed.format(n=number, n4=" ".join(groups), dashed="-".join(groups))
    assert desk.scan(scanned).status_code == 302
    with desk.app.app_context():
        assert db.session.scalar(select(Visit.number)) == 1


def test_a_typed_nik_checks_in_the_application_of_this_office(desk):
    with desk.app.app_context():
        application = paid(desk.office())
        nik = application.nik
    assert desk.scan(nik[:8] + " " + nik[8:]).status_code == 302
    with desk.app.app_context():
        assert db.session.get(Application, application.id).status == "checked_in"


def test_numbers_are_consecutive_per_lane_with_the_lane_prefix(desk):
    with desk.app.app_context():
        regulars = [paid(desk.office()).number for _ in range(2)]
        express = paid(desk.office(), service="express").number
        elderly = paid(desk.office()).number
    for number in regulars + [express]:
        assert desk.scan(number).status_code == 302
    assert desk.scan(elderly, priority_group="elderly").status_code == 302
    with desk.app.app_context():
        tickets = db.session.scalars(select(Visit).order_by(Visit.id)).all()
        assert [v.ticket for v in tickets] == ["A001", "A002", "B001", "P001"]
        assert tickets[-1].priority_group == "elderly"


def test_an_arrival_after_its_slot_hour_waits_behind_those_on_time(make_app):
    app = make_app()
    zone = zone_where(lambda hour: hour >= 1)
    with app.app_context():
        office = open_all_day(zone)
        late = paid(office, hour_start(zone, -1)).number
        email = make_staff(office).email
    desk = Desk(app, sign_in_staff(app, email), {"office": None})
    before = clock.now()
    assert desk.scan(late).status_code == 302
    with app.app_context():
        visit = db.session.scalar(select(Visit))
        assert visit.rank == visits.LATE and visit.queued_at >= before


# Bad input ---------------------------------------------------------------------------------------

MESSAGES = {
    "invalid_token": ("bukti pengajuan M-Paspor yang sah", "not a valid M-Paspor proof"),
    "another_office": ("di kantor lain", "at another office"),
    "another_day": ("bukan hari ini", "is not today"),
    "moved": ("sudah diubah", "has since been moved"),
    "cancelled": ("sudah dibatalkan", "was cancelled"),
    "unpaid": ("biaya belum dibayar", "the fee has not been paid"),
    "too_early": ("Terlalu awal", "Too early"),
    "closed": ("Kantor sudah tutup", "office has closed"),
    "already": (
        "Sudah terdaftar hadir, dengan nomor antrean A001",
        "Already checked in, with queue number A001",
    ),
    "unknown": ("Tidak ada permohonan di kantor ini", "No application of this office"),
    "bad_number": ("16 angka", "16 digits"),
    "empty": ("Pindai kode QR, atau ketik", "Scan the QR code, or type"),
}


def _forged(desk):
    token = token_of(paid(desk.office()))
    body, signature = token.split(".")
    return body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]


def _truncated(desk):
    return token_of(paid(desk.office()))[:-9]


def _other_office(desk):
    return token_of(paid(desk.office("other")))


def _other_office_number(desk):
    return paid(desk.office("other")).number


def _tomorrow(desk):
    return token_of(paid(desk.office(), hour_start(desk.office().timezone, 24)))


def _moved(desk):
    application = paid(desk.office())
    earlier = hour_start(desk.office().timezone, -24)
    return signing.issue_token(application.number, desk.office().code, earlier)


def _moved_here(desk):
    """Booked at the other office first, then moved here: the old QR names the other office."""
    application = paid(desk.office())
    earlier = hour_start(desk.office().timezone, 2)
    return signing.issue_token(application.number, desk.office("other").code, earlier)


def _cancelled(desk):
    application = paid(desk.office())
    token = token_of(application)
    booking.withdraw(application, actor_id=application.account_id, reason="test")
    db.session.commit()
    return token


def _unpaid(desk):
    return booked(desk.office()).number


def _unknown(desk):
    return "2611200000000999"


# Refusals that show an appointment: the current one, or the one the QR code names.
WITH_APPOINTMENT = {
    "moved": ("Jadwal kedatangan saat ini", "Current appointment"),
    "another_day": ("Jadwal kedatangan saat ini", "Current appointment"),
}

BAD_INPUTS = {
    "forged token": (_forged, "invalid_token"),
    "truncated token": (_truncated, "invalid_token"),
    "token of another office": (_other_office, "another_office"),
    "number of another office": (_other_office_number, "unknown"),
    "token of another day": (_tomorrow, "another_day"),
    "token of a moved appointment": (_moved, "moved"),
    "token of an appointment moved here": (_moved_here, "moved"),
    "cancelled application": (_cancelled, "cancelled"),
    "unpaid application": (_unpaid, "unpaid"),
    "unknown number": (_unknown, "unknown"),
    "too few digits": (lambda desk: "2611 2000 1234", "bad_number"),
    "nothing typed": (lambda desk: "   ", "empty"),
}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_in_the_staff_language_and_changes_nothing(desk, case, lang):
    make_scan, message = BAD_INPUTS[case]
    with desk.app.app_context():
        scanned = make_scan(desk)
        office_name = desk.office().name
    before = state(desk.app)
    answer = desk.scan(scanned, lang=lang)
    assert answer.status_code == 422
    expected = MESSAGES[message][0 if lang == "id" else 1]
    assert expected in text_of(answer)
    if message in WITH_APPOINTMENT:
        shown = WITH_APPOINTMENT[message][0 if lang == "id" else 1]
        assert f"{shown}: {office_name}" in words_of(answer)
    assert state(desk.app) == before


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_second_check_in_of_the_same_person_is_refused_with_their_number(desk, lang):
    with desk.app.app_context():
        token = token_of(paid(desk.office()))
    assert desk.scan(token).status_code == 302
    before = state(desk.app)
    answer = desk.scan(token, lang=lang)
    assert answer.status_code == 422
    assert MESSAGES["already"][0 if lang == "id" else 1] in text_of(answer)
    assert state(desk.app) == before


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_check_in_before_the_window_is_refused_with_the_opening_time(make_app, lang):
    app = make_app()
    zone = zone_where(lambda hour: hour <= 22)  # a later hour today
    with app.app_context():
        office = open_all_day(zone, checkin_opens_minutes=0)
        number = paid(office, hour_start(zone, 1)).number
        email = make_staff(office).email
    desk = Desk(app, sign_in_staff(app, email), {})
    before = state(app)
    answer = desk.scan(number, lang=lang)
    assert answer.status_code == 422
    opens = hour_start(zone, 1).astimezone(ZoneInfo(zone))
    separator = "." if lang == "id" else ":"
    assert MESSAGES["too_early"][0 if lang == "id" else 1] in text_of(answer)
    assert f"{opens:%H}{separator}00" in text_of(answer)
    assert state(app) == before


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_check_in_after_closing_is_refused(make_app, lang):
    app = make_app()
    zone = zone_where(lambda hour: hour >= 1)  # an hour of today that has ended
    with app.app_context():
        opening = hour_start(zone, -1)
        hour = opening.astimezone(ZoneInfo(zone)).hour
        office = open_all_day(zone, first_slot_hour=hour, last_slot_hour=hour)
        number = paid(office, opening).number
        email = make_staff(office).email
    desk = Desk(app, sign_in_staff(app, email), {})
    before = state(app)
    answer = desk.scan(number, lang=lang)
    assert answer.status_code == 422
    assert MESSAGES["closed"][0 if lang == "id" else 1] in text_of(answer)
    assert state(app) == before


def test_htmx_gets_the_answer_region_alone(desk):
    with desk.app.app_context():
        number = paid(desk.office()).number
    headers = {"HX-Request": "true", "HX-Target": "scan-answer"}
    refused = desk.scan("2611200000000999", headers=headers)
    assert refused.status_code == 422
    assert 'id="scan-answer"' in refused.get_data(as_text=True)
    assert "<html" not in refused.get_data(as_text=True)
    given = desk.scan(number, headers=headers)
    fragment = desk.client.get(given.location, headers=headers).get_data(as_text=True)
    assert "A001" in fragment and "<html" not in fragment


# Who may ---------------------------------------------------------------------------------------


def test_applicants_and_visitors_never_reach_the_check_in(app, client):
    with app.app_context():
        email = make_user().email
    assert sign_in(app, email).get(PAGE).status_code == 403
    assert client.get(PAGE).status_code == 302
    assert "/login" in client.get(PAGE).location


def test_a_visit_of_another_office_is_not_found(desk, make_app):
    with desk.app.app_context():
        other = desk.office("other")
        theirs = make_staff(other).email
        number = paid(other).number
    their_desk = Desk(desk.app, sign_in_staff(desk.app, theirs), {})
    visit_id = int(their_desk.scan(number).location.split("visit=")[1])
    assert desk.client.get(f"/counter/visits/{visit_id}/ticket.pdf").status_code == 404
    assert desk.client.get(f"/counter/visits/{visit_id + 1000}/ticket.pdf").status_code == 404
    assert their_desk.client.get(f"/counter/visits/{visit_id}/ticket.pdf").status_code == 200
    assert "A001" not in text_of(desk.client.get(f"{PAGE}?visit={visit_id}"))


# Priority walk-in --------------------------------------------------------------------------------


def _walk_in_office(desk, places=2):
    office = desk.office()
    slot_at(office, hour_start(office.timezone), "priority", capacity=places)


def test_a_priority_walk_in_is_billed_and_waits_unpaid_until_paid(desk):
    with desk.app.app_context():
        _walk_in_office(desk)
        application = submitted(desk.office())
        number = application.number
    answer = desk.scan(number, walk_in="y", priority_group="pregnant")
    assert answer.status_code == 302
    page = text_of(desk.client.get(answer.location))
    with desk.app.app_context():
        bill = db.session.scalar(select(Bill).where(Bill.application_id == application.id))
        visit = db.session.scalar(select(Visit))
        assert (visit.ticket, visit.status, visit.lane) == ("P001", "unpaid", "priority")
        assert db.session.get(Application, application.id).status == "awaiting_payment"
        assert bill.code in page and "P001" in page and "Rp" in page
        paid_at = clock.now()
        assert apply_notice(Notice("BNI-WALK-1", bill.code, bill.amount, paid_at)) == "applied"
    with desk.app.app_context():
        visit = db.session.scalar(select(Visit))
        assert db.session.get(Application, application.id).status == "checked_in"
        assert (visit.status, visit.rank, visit.queued_at) == ("waiting", visits.LATE, paid_at)


def test_an_expired_walk_in_bill_voids_the_visit(desk):
    with desk.app.app_context():
        _walk_in_office(desk)
        application = submitted(desk.office())
        number = application.number
    assert desk.scan(number, walk_in="y", priority_group="elderly").status_code == 302
    with desk.app.app_context():
        hold_id = db.session.scalar(select(Hold.id))
        past = clock.now() - timedelta(seconds=1)
        db.session.execute(update(Hold).values(expires_at=past))
        db.session.commit()
        assert booking.expire(hold_id)
        assert db.session.scalar(select(Visit.status)) == "void"
        assert db.session.get(Application, application.id).status == "expired"


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(
    "case, expected",
    [
        ("no group", ("harus dipilihkan kelompok prioritasnya", "walk-in needs the applicant")),
        ("booked", ("memiliki jadwal kedatangan yang sudah dibayar", "has a paid appointment")),
        ("no places", ("Kuota prioritas hari ini sudah habis", "No priority places are left")),
    ],
)
def test_walk_ins_refused_change_nothing(desk, case, expected, lang):
    with desk.app.app_context():
        _walk_in_office(desk, places=0 if case == "no places" else 2)
        application = paid(desk.office()) if case == "booked" else submitted(desk.office())
        number = application.number
    group = "" if case == "no group" else "disability"
    before = state(desk.app)
    answer = desk.scan(number, walk_in="y", priority_group=group, lang=lang)
    assert answer.status_code == 422
    assert expected[0 if lang == "id" else 1] in text_of(answer)
    assert state(desk.app) == before


def test_the_applicant_calendar_never_offers_priority_places(app):
    with app.app_context():
        office = open_all_day()
        tomorrow = clock.today(office.timezone) + timedelta(days=1)
        offices.ensure_slots(office, tomorrow, 1)
        db.session.commit()
        priority = db.session.scalars(select(Slot).where(Slot.lane == "priority")).all()
        assert len(priority) == 24 and {slot.capacity for slot in priority} == {2}
        application = submitted(office)
        lane = booking.lane_for(application)
        days = booking.month_of(office, lane, tomorrow.year, tomorrow.month)
        assert all(view.slot.lane == "regular" for views in days.values() for view in views)
        with pytest.raises(booking.BookingRefused) as refused:
            booking.hold(application, priority[12].id)
        assert refused.value.code == "wrong_lane"


# The queue ticket --------------------------------------------------------------------------------


def test_the_queue_ticket_is_80_mm_wide_fits_its_content_and_names_nobody(desk, tmp_path):
    with desk.app.app_context():
        application = paid(desk.office(), full_name="Siti Rahayu")
        number, nik = application.number, application.nik
    visit_id = int(desk.scan(number).location.split("visit=")[1])
    response = desk.client.get(f"/counter/visits/{visit_id}/ticket.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "ticket.pdf"
    path.write_bytes(response.data)
    page = PdfReader(path).pages[0]
    width_mm = float(page.mediabox.width) * 25.4 / 72
    height_mm = float(page.mediabox.height) * 25.4 / 72
    assert abs(width_mm - 80) < 0.5 and 30 < height_mm < 120
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "A001" in text
    for personal in ("Siti", "RAHAYU", nik, number):
        assert personal not in text
    assert _blank_tail_mm(path, tmp_path) < 6


def _blank_tail_mm(pdf_path, tmp_path) -> float:
    """How much white paper follows the last printed row of the page, in mm."""
    dpi = 100
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-singlefile", str(pdf_path), str(tmp_path / "t")],
        check=True,
    )
    image = Image.open(tmp_path / "t.pgm")
    width, height = image.size
    pixels = image.load()
    last_ink = max(y for y in range(height) if any(pixels[x, y] < 128 for x in range(0, width, 2)))
    return (height - 1 - last_ink) * 25.4 / dpi


# The demo ----------------------------------------------------------------------------------------


def test_seed_demo_books_a_paid_visit_for_today_once_and_staff_can_check_it_in(app, runner):
    loaded = runner.invoke(args=["seed-demo"])
    if _a_holiday_in_makassar():  # the training office closes too
        assert "no demo booking" in loaded.output
        return
    number = re.search(r"created: paid demo booking .* application number (\d{16})", loaded.output)
    assert number, loaded.output
    again = runner.invoke(args=["seed-demo"]).output
    assert f"exists: demo booking for today, application number {number[1]}" in again
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == offices.TRAINING_OFFICE))
        assert office.priority_per_hour > 0
        email = make_staff(office).email
    desk = Desk(app, sign_in_staff(app, email), {})
    assert desk.scan(number[1]).status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application).filter_by(number=number[1]))
        assert application.full_name == "Siti Rahayu" and application.status == "checked_in"


def _a_holiday_in_makassar() -> bool:
    today = clock.today("Asia/Makassar")
    return today in national_holidays([today.year])
