"""Prints and handovers at the same instant: the office's e-passport stock is never taken below
zero (exactly as many prints succeed as there were blanks), a print pressed at two desks is made
once, and a passport handed over at two desks goes to one collector. On an SQLite file of its
own and on the run's PostgreSQL, as the races of tests/integration/test_races.py run."""

import pytest
from sqlalchemy import func, select

from tests.factories import make_office
from tests.integration.test_races import (  # noqa: F401 (the fixture)
    application_moves,
    assert_trail_is_true,
    database_url,
    together,
)
from tests.issuances import approved, printed, ready
from tests.reviews import counter_officer
from tests.staff import make_staff
from webapp.extensions import db
from webapp.models import Application, Handover, Notification, Office, User
from webapp.rules import statuses
from webapp.services import issuance, office_settings

BLANKS = 5
PRINTS = 12


@pytest.fixture
def office_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


def pressing(staff_id: int, act, application_id: int, *args):
    """An act as its own request makes it: the staff member loaded afresh."""

    def press():
        try:
            act(db.session.get(User, staff_id), application_id, *args)
            return "done"
        except issuance.IssuanceRefused as refused:
            return refused.code

    return press


def test_concurrent_prints_never_take_the_stock_below_zero(office_app):
    with office_app.app_context():
        office = make_office(epassport_stock=PRINTS)
        officer = counter_officer(office)
        ids = [approved(office, officer, passport_kind="electronic").id for _ in range(PRINTS)]
        office.epassport_stock = BLANKS  # fewer blanks than passports waiting to be printed
        db.session.commit()
        office_id = office.id
        printers = [make_staff(office).id for _ in range(4)]
    presses = [
        pressing(printers[n % len(printers)], issuance.mark_printed, application_id)
        for n, application_id in enumerate(ids)
    ]
    outcomes = together(office_app, presses)
    assert sorted(outcomes) == ["done"] * BLANKS + ["no_stock"] * (PRINTS - BLANKS)
    with office_app.app_context():
        assert db.session.get(Office, office_id).epassport_stock == 0
        printed = db.session.scalar(
            select(func.count(Application.id)).where(
                Application.id.in_(ids), Application.status == statuses.PRINTED
            )
        )
        assert printed == BLANKS
    for application_id, outcome in zip(ids, outcomes, strict=True):
        moves = application_moves(assert_trail_is_true(office_app, application_id))
        took_a_blank = (statuses.APPROVED, statuses.PRINTED) in moves
        assert took_a_blank == (outcome == "done")


def test_one_print_pressed_at_two_desks_takes_one_blank(office_app):
    with office_app.app_context():
        office = make_office(epassport_stock=BLANKS)
        officer = counter_officer(office)
        application_id = approved(office, officer, passport_kind="electronic").id
        office_id = office.id
        printers = [make_staff(office).id for _ in range(4)]
    outcomes = together(
        office_app,
        [pressing(staff_id, issuance.mark_printed, application_id) for staff_id in printers],
    )
    assert sorted(outcomes) == ["already_printed"] * 3 + ["done"]
    with office_app.app_context():
        assert db.session.get(Office, office_id).epassport_stock == BLANKS - 1
    moves = application_moves(assert_trail_is_true(office_app, application_id))
    assert moves.count((statuses.APPROVED, statuses.PRINTED)) == 1


def test_two_desks_handing_over_one_passport_hand_it_over_once(office_app):
    with office_app.app_context():
        office = make_office()
        officer = counter_officer(office)
        application_id = ready(office, officer).id
        desks = [make_staff(office).id for _ in range(4)]
    collectors = [
        ("applicant", None, None, None, "KTP 5104075111970004", None),
        ("family", "I Made Suarta", "5104070507800002", "spouse", "KTP 5104070507800002", None),
        ("attorney", "Andi Rahmawati", "7371124203850001", None, "KTP 7371124203850001", "Surat"),
        ("applicant", None, None, None, "KTP 5104075111970004", None),
    ]
    presses = [
        pressing(staff_id, issuance.collect, application_id, *collector)
        for staff_id, collector in zip(desks, collectors, strict=True)
    ]
    outcomes = together(office_app, presses)
    assert sorted(outcomes) == ["already_collected"] * 3 + ["done"]
    with office_app.app_context():
        handovers = db.session.scalars(select(Handover)).all()
        assert len(handovers) == 1
        winner = collectors[outcomes.index("done")]
        assert handovers[0].collector == winner[0]
        assert handovers[0].handed_by == desks[outcomes.index("done")]
    moves = application_moves(assert_trail_is_true(office_app, application_id))
    assert moves.count((statuses.READY_FOR_PICKUP, statuses.COLLECTED)) == 1


def test_write_offs_and_deliveries_racing_prints_account_for_every_blank(office_app):
    """Prints, a supervisor's write-offs and a delivery at once: the stock never goes below zero
    and ends at exactly what was there, plus the delivery, less what succeeded."""
    with office_app.app_context():
        office = make_office(epassport_stock=PRINTS, issues_epassport=True)
        officer = counter_officer(office)
        ids = [approved(office, officer, passport_kind="electronic").id for _ in range(6)]
        office.epassport_stock = BLANKS
        db.session.commit()
        office_id = office.id
        supervisor_id = make_staff(office, role="supervisor").id
        printers = [make_staff(office).id for _ in range(3)]

    def stock_move(act, count: int):
        def move():
            try:
                act(db.session.get(User, supervisor_id), count)
                return f"{act.__name__} {count}"
            except office_settings.SettingsRefused as refused:
                return refused.code

        return move

    presses = [
        pressing(printers[n % len(printers)], issuance.mark_printed, application_id)
        for n, application_id in enumerate(ids)
    ]
    moves = [stock_move(office_settings.write_off, 2) for _ in range(3)]
    moves.append(stock_move(office_settings.deliver, 4))
    outcomes = together(office_app, presses + moves)
    printed = outcomes[: len(ids)].count("done")
    written_off = 2 * outcomes[len(ids) :].count("write_off 2")
    delivered = 4 * outcomes[len(ids) :].count("deliver 4")
    assert delivered == 4  # a delivery is never refused
    assert set(outcomes[len(ids) :]) <= {"write_off 2", "deliver 4", "stock_below_zero"}
    with office_app.app_context():
        stock = db.session.get(Office, office_id).epassport_stock
    assert stock >= 0
    assert stock == BLANKS + delivered - written_off - printed


def test_ready_pressed_at_two_desks_is_marked_and_mailed_once(office_app):
    with office_app.app_context():
        office = make_office()
        officer = counter_officer(office)
        application_id = printed(office, officer).id
        desks = [make_staff(office).id for _ in range(4)]
    outcomes = together(
        office_app, [pressing(staff_id, issuance.mark_ready, application_id) for staff_id in desks]
    )
    assert sorted(outcomes) == ["already_ready"] * 3 + ["done"]
    moves = application_moves(assert_trail_is_true(office_app, application_id))
    assert moves.count((statuses.PRINTED, statuses.READY_FOR_PICKUP)) == 1
    with office_app.app_context():
        told = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.application_id == application_id,
                Notification.event == "ready_for_pickup",
            )
        )
    assert told == 1
