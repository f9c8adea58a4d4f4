"""Printing the passports: approved -> printed (an e-passport takes one blank of the office's
stock in the same transaction, never below zero) -> ready_for_pickup (its 30 days start and the
applicant is mailed where and when to collect it); each move audited with the officer, each
refusal plain, another office's application not found."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tests.conftest import Mailbox
from tests.factories import make_office
from tests.html import csrf_token
from tests.issuances import approved, printed
from tests.reviews import counter_officer
from tests.staff import make_staff, sign_in_staff
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Issuance, Office, User
from webapp.rules import statuses
from webapp.services import issuance


def _status(application_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Application, application_id).status


def _stock(office_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Office, office_id).epassport_stock


def _moves(application_id: int) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry)
        .filter_by(application_id=application_id, entity="application")
        .order_by(AuditEntry.id)
    ).all()


def test_printing_and_readiness_are_audited_with_the_officer(app):
    with app.app_context():
        office = make_office()
        officer = counter_officer(office)
        application = approved(office, officer, passport_kind="ordinary")
        printer = make_staff(office)
        issuance.mark_printed(printer, application.id)
        assert _status(application.id) == statuses.PRINTED
        issuance.mark_ready(printer, application.id)
        assert _status(application.id) == statuses.READY_FOR_PICKUP
        last_two = [(m.from_status, m.to_status, m.actor_id) for m in _moves(application.id)[-2:]]
        assert last_two == [
            (statuses.APPROVED, statuses.PRINTED, printer.id),
            (statuses.PRINTED, statuses.READY_FOR_PICKUP, printer.id),
        ]
        assert db.session.get(Issuance, application.id).ready_since is not None


def test_an_e_passport_takes_one_blank_and_an_ordinary_one_none(app):
    with app.app_context():
        office = make_office(epassport_stock=3)
        officer = counter_officer(office)
        electronic = approved(office, officer, passport_kind="electronic")
        ordinary = approved(office, officer, passport_kind="ordinary")
        issuance.mark_printed(officer, ordinary.id)
        assert _stock(office.id) == 3
        issuance.mark_printed(officer, electronic.id)
        assert _stock(office.id) == 2
        reason = _moves(electronic.id)[-1].reason
        assert "blank" in reason and "2 left" in reason


def test_an_e_passport_with_no_blank_left_is_refused_and_nothing_is_written(app):
    with app.app_context():
        office = make_office(epassport_stock=1)
        officer = counter_officer(office)
        application = approved(office, officer, passport_kind="electronic")
        db.session.execute(update(Office).where(Office.id == office.id).values(epassport_stock=0))
        db.session.commit()
        moves_before = len(_moves(application.id))
        with pytest.raises(issuance.IssuanceRefused) as refused:
            issuance.mark_printed(officer, application.id)
        assert refused.value.code == "no_stock"
        assert _status(application.id) == statuses.APPROVED
        assert _stock(office.id) == 0
        assert len(_moves(application.id)) == moves_before


def test_the_database_refuses_a_stock_below_zero(app):
    with app.app_context():
        office = make_office(epassport_stock=0)
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(Office).where(Office.id == office.id).values(epassport_stock=-1)
            )
            db.session.commit()
        db.session.rollback()
        assert _stock(office.id) == 0


def test_a_print_marked_twice_is_refused_and_takes_one_blank(app):
    with app.app_context():
        office = make_office(epassport_stock=5)
        officer = counter_officer(office)
        application = approved(office, officer, passport_kind="electronic")
        issuance.mark_printed(officer, application.id)
        with pytest.raises(issuance.IssuanceRefused) as refused:
            issuance.mark_printed(officer, application.id)
        assert (refused.value.code, refused.value.context["status"]) == (
            "already_printed",
            statuses.PRINTED,
        )
        assert _stock(office.id) == 4
        printed_moves = [m for m in _moves(application.id) if m.to_status == statuses.PRINTED]
        assert len(printed_moves) == 1


def test_ready_needs_a_print_first_and_is_refused_twice(app):
    with app.app_context():
        office = make_office()
        officer = counter_officer(office)
        application = approved(office, officer)
        with pytest.raises(issuance.IssuanceRefused) as refused:
            issuance.mark_ready(officer, application.id)
        assert refused.value.code == "not_printed"
        issuance.mark_printed(officer, application.id)
        issuance.mark_ready(officer, application.id)
        with pytest.raises(issuance.IssuanceRefused) as refused:
            issuance.mark_ready(officer, application.id)
        assert refused.value.code == "already_ready"


def test_ready_mails_the_applicant_where_and_from_when_to_collect(app, mailbox):
    with app.app_context():
        office = make_office(
            name="Kantor Imigrasi Kelas I TPI Denpasar",
            address="Jl. Panjaitan No. 3, Renon",
            timezone="Asia/Makassar",
            first_slot_hour=8,
            last_slot_hour=14,
        )
        officer = counter_officer(office)
        application = printed(office, officer)
        collect_from = db.session.get(Issuance, application.id).collect_from
        issuance.mark_ready(officer, application.id)
        email = db.session.get(User, application.account_id).email
    message = mailbox.last(email)
    assert message["Subject"] == "Paspor Anda siap diambil"
    text = Mailbox.text(message)
    assert "Kantor Imigrasi Kelas I TPI Denpasar" in text
    assert "Jl. Panjaitan No. 3, Renon" in text
    assert "08.00–15.00 WITA" in text
    months = (
        "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
    )
    assert months.split()[collect_from.month - 1] in text
    assert "30 hari" in text


def test_another_offices_application_is_not_found(app):
    with app.app_context():
        office = make_office()
        officer = counter_officer(office)
        application = approved(office, officer)
        stranger = make_staff(make_office())
        for act in (issuance.mark_printed, issuance.mark_ready):
            with pytest.raises(issuance.NotFound):
                act(stranger, application.id)
        assert _status(application.id) == statuses.APPROVED


def test_the_printing_page_lists_the_office_s_passports_and_marks_them(app):
    with app.app_context():
        office = make_office(epassport_stock=7)
        officer = counter_officer(office)
        to_print = approved(office, officer, full_name="Made Wirawan")
        to_ready = printed(office, officer, full_name="Ketut Sari")
        elsewhere = make_office()
        approved(elsewhere, counter_officer(elsewhere), full_name="Orang Lain")
        email, ids = officer.email, (to_print.id, to_ready.id)
        numbers = (to_print.number, to_ready.number)
    client = sign_in_staff(app, email)
    page = client.get("/counter/passports")
    assert page.status_code == 200
    assert "Made Wirawan" in page.text and "Ketut Sari" in page.text
    assert "Orang Lain" not in page.text
    assert "Sisa blangko e-paspor di kantor ini:" in page.text
    assert ">6<" in page.text  # one blank went to the printed e-passport
    token = csrf_token(page)
    done = client.post(f"/counter/passports/{ids[0]}/printed", data={"csrf_token": token})
    assert done.status_code == 302 and done.location == "/counter/passports"
    shown = client.get("/counter/passports").text
    assert f"Paspor permohonan {numbers[0]} sudah dicetak." in shown
    again = client.post(f"/counter/passports/{ids[0]}/printed", data={"csrf_token": token})
    assert "Paspor ini sudah dicetak" in client.get(again.location).text
    client.post(f"/counter/passports/{ids[1]}/ready", data={"csrf_token": token})
    with app.app_context():
        assert _status(ids[0]) == statuses.PRINTED
        assert _status(ids[1]) == statuses.READY_FOR_PICKUP


def test_another_offices_staff_get_404_from_the_buttons(app):
    with app.app_context():
        office = make_office()
        officer = counter_officer(office)
        application = approved(office, officer)
        stranger = make_staff(make_office())
        email, application_id = stranger.email, application.id
    client = sign_in_staff(app, email)
    token = csrf_token(client.get("/counter/passports"))
    for action in ("printed", "ready"):
        answer = client.post(
            f"/counter/passports/{application_id}/{action}", data={"csrf_token": token}
        )
        assert answer.status_code == 404
    with app.app_context():
        assert _status(application_id) == statuses.APPROVED


MONTHS = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"


def _indonesian(day) -> str:
    return f"{day.day} {MONTHS.split()[day.month - 1]} {day.year}"


def test_the_selected_passports_are_marked_at_once_each_on_its_own(app):
    with app.app_context():
        office = make_office(epassport_stock=2)
        officer = counter_officer(office)
        chosen = [approved(office, officer, passport_kind="electronic") for _ in range(3)]
        elsewhere = make_office()
        stranger = approved(elsewhere, counter_officer(elsewhere))
        email, office_id = officer.email, office.id
        ids = [application.id for application in chosen]
        numbers = [application.number for application in chosen]
        stranger_id = stranger.id
    client = sign_in_staff(app, email)
    token = csrf_token(client.get("/counter/passports"))
    done = client.post(
        "/counter/passports/printed",
        data={"csrf_token": token, "application_id": [*ids, stranger_id]},
    )
    shown = client.get(done.location).text
    assert "2 paspor ditandai sudah dicetak." in shown
    assert "Blangko e-paspor di kantor ini sudah habis" in shown and numbers[2] in shown
    with app.app_context():
        assert [_status(i) for i in ids] == [statuses.PRINTED] * 2 + [statuses.APPROVED]
        assert _status(stranger_id) == statuses.APPROVED
        assert _stock(office_id) == 0
    client.post("/counter/passports/ready", data={"csrf_token": token, "application_id": ids})
    with app.app_context():
        assert [_status(i) for i in ids] == [statuses.READY_FOR_PICKUP] * 2 + [statuses.APPROVED]
    nothing = client.post("/counter/passports/ready", data={"csrf_token": token})
    assert "Pilih setidaknya satu paspor" in client.get(nothing.location).text
