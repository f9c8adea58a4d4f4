"""The applicant's history after approval: approved with the collection date, printed, ready with
the place (office, address, hours) and until when it waits, collected by whom, and the ends by the
clock (no-show, uncollected); each in the office's time, in Indonesian and in English.

The printing and collection desks are built elsewhere: their moves are driven here through the
state machine, with the handover row as the model defines it."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from tests.checkins import open_all_day, paid
from tests.factories import make_office
from tests.integration.test_endings import at, email_of
from tests.integration.test_wizard import signed_in
from tests.reviews import counter_officer, in_service, ready_to_approve
from webapp import clock
from webapp.extensions import db
from webapp.i18n import long_date
from webapp.models import Application, Handover, Issuance
from webapp.rules import collection, statuses
from webapp.services import audit, endings, lifecycle, review

MAKASSAR = "Kantor Imigrasi Kelas I Khusus TPI Makassar, Jl. Perintis Kemerdekaan Km. 13"


def approved(office):
    """An application approved at the office's counter; (application, its officer)."""
    staff = counter_officer(office)
    visit = in_service(office, staff)
    ready_to_approve(staff, visit.application_id)
    review.approve(staff, visit.application_id)
    return db.session.get(Application, visit.application_id), staff


def printed_and_ready(application, staff):
    """The desk's moves: printed, then ready (ready_since set with the move)."""
    lifecycle.transition(application, statuses.PRINTED, actor_id=staff.id)
    db.session.commit()
    lifecycle.transition(application, statuses.READY_FOR_PICKUP, actor_id=staff.id)
    db.session.get(Issuance, application.id).ready_since = clock.now()
    db.session.commit()


def handed_over(application, staff, collector: str, name: str, **fields):
    db.session.add(
        Handover(
            application_id=application.id,
            collector=collector,
            collector_name=name,
            identity_document="KTP 7371010101900001",
            handed_by=staff.id,
            **fields,
        )
    )
    lifecycle.transition(application, statuses.COLLECTED, actor_id=staff.id)
    db.session.commit()


def lines(application, locale: str) -> list[str]:
    with force_locale(locale):
        entries = audit.for_owner(application.account_id, application.id)
        return [f"{e.what} ({e.detail})" if e.detail else e.what for e in entries]


def test_approved_printed_ready_and_collected_by_the_applicant(app):
    with app.test_request_context():
        office = make_office()
        application, staff = approved(office)
        collect_from = db.session.get(Issuance, application.id).collect_from
        printed_and_ready(application, staff)
        handed_over(application, staff, collection.APPLICANT, application.full_name)
        until = clock.now() + collection.COLLECTION_PERIOD
        with force_locale("id"):
            day, last = long_date(collect_from), long_date(until, office.timezone)
        assert lines(application, "id")[-4:] == [
            f"Disetujui: paspor dapat diambil mulai {day}",
            "Paspor dicetak",
            f"Paspor siap diambil (Di {MAKASSAR}, 08.00\u201315.00 WITA, mulai {day} "
            f"sampai {last})",
            "Paspor sudah diambil (Oleh pemohon sendiri)",
        ]
        with force_locale("en"):
            day, last = long_date(collect_from), long_date(until, office.timezone)
        assert lines(application, "en")[-4:] == [
            f"Approved: the passport can be collected from {day}",
            "Passport printed",
            f"Passport ready for collection (At {MAKASSAR}, 08:00\u201315:00 WITA, from {day} "
            f"until {last})",
            "Passport collected (By the applicant)",
        ]


def test_a_passport_ready_after_its_collection_date_is_collected_from_the_day_it_was_ready(app):
    with app.test_request_context(), force_locale("en"):
        application, staff = approved(make_office())
        printed_and_ready(application, staff)
        issuance = db.session.get(Issuance, application.id)
        late = datetime.combine(
            issuance.collect_from + timedelta(days=3), time(10), tzinfo=ZoneInfo("Asia/Makassar")
        )
        issuance.ready_since = late
        db.session.commit()
        [ready] = [line for line in lines(application, "en") if line.startswith("Passport ready")]
        assert f"from {long_date(late.date())} until " in ready


@pytest.mark.parametrize(
    ("collector", "fields", "indonesian", "english"),
    [
        (
            collection.FAMILY,
            {"collector_nik": "7371014101900002", "relationship": "spouse"},
            "Oleh anggota keluarga, Rina Wulandari",
            "By a family member, Rina Wulandari",
        ),
        (
            collection.ATTORNEY,
            {"collector_nik": "7371014101900002", "letter_note": "Surat kuasa 12/XII/2026"},
            "Oleh Rina Wulandari dengan surat kuasa",
            "By Rina Wulandari with a power of attorney",
        ),
    ],
)
def test_collected_by_a_family_member_or_an_attorney(app, collector, fields, indonesian, english):
    with app.test_request_context():
        application, staff = approved(make_office())
        printed_and_ready(application, staff)
        handed_over(application, staff, collector, "Rina Wulandari", **fields)
        assert lines(application, "id")[-1] == f"Paspor sudah diambil ({indonesian})"
        assert lines(application, "en")[-1] == f"Passport collected ({english})"


def test_each_moment_is_told_in_the_offices_time(app):
    with app.test_request_context():
        office = make_office(timezone="Asia/Jayapura")
        application, staff = approved(office)
        printed_and_ready(application, staff)
        with force_locale("id"):
            entries = audit.for_owner(application.account_id, application.id)
        ready_entry = entries[-1]
        local = ready_entry.at.astimezone(ZoneInfo("Asia/Jayapura"))
        assert ready_entry.when.endswith(f"{local:%H.%M} WIT")
        assert "08.00\u201315.00 WIT" in ready_entry.detail


def test_a_no_show_and_an_uncollected_passport_end_the_history(app, monkeypatch):
    with app.test_request_context():
        day = clock.today("Asia/Jakarta") - timedelta(days=10)
        missed = paid(open_all_day("Asia/Jakarta"), at(day, 10, "Asia/Jakarta"))
        application, staff = approved(make_office())
        printed_and_ready(application, staff)
        since = db.session.get(Issuance, application.id).ready_since
        monkeypatch.setattr(clock, "now", lambda: at(day + timedelta(days=1), 0, "Asia/Jakarta"))
        assert endings.sweep_no_shows() == 1
        monkeypatch.setattr(clock, "now", lambda: since + collection.COLLECTION_PERIOD)
        assert endings.sweep_uncollected().uncollected == 1
        missed = db.session.get(Application, missed.id)
        assert (
            lines(missed, "id")[-1]
            == "Tidak datang pada jadwal kedatangan: biaya tidak dikembalikan"
        )
        assert lines(missed, "en")[-1] == "Did not come to the appointment: the fee is forfeited"
        ended = db.session.get(Application, application.id)
        assert lines(ended, "id")[-1] == "Tidak diambil dalam 30 hari: paspor dibatalkan"
        assert lines(ended, "en")[-1] == "Not collected within 30 days: the passport is cancelled"


def test_the_applicants_page_shows_the_history_after_approval(app):
    with app.app_context():
        application, staff = approved(make_office())
        printed_and_ready(application, staff)
        email, public_id = email_of(application), application.public_id
    page = signed_in(app, email).get(f"/applications/{public_id}")
    assert page.status_code == 200
    assert "Disetujui: paspor dapat diambil mulai" in page.text
    assert "Paspor siap diambil" in page.text and "08.00\u201315.00 WITA" in page.text
