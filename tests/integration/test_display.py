"""The waiting-room screen: the number at each open counter and the last five called, polled every
second, small enough for a weak office network, and with nothing about the people on it."""

import gzip

from tests.factories import make_office
from tests.integration.test_calling import officer, serve_next
from tests.visits import checked_in
from webapp.extensions import db
from webapp.models import Application, User
from webapp.rules import visits
from webapp.services import calling

FRAGMENT = {"HX-Request": "true"}


def busy_office(app, counters: int = 8, extra_calls: int = 5):
    """An office whose counters each called a number, then some of them the next: returns its
    code and, for every visit called, (ticket, counter, name, NIK, application number)."""
    with app.app_context():
        office = make_office()
        staff = [officer(office, counter=n) for n in range(1, counters + 1)]
        for n in range(counters + extra_calls):
            checked_in(office, visits.LANES[n % 3], by=staff[0])
        called = []
        for n in range(counters + extra_calls):
            visit = serve_next(staff[n % counters])
            application = db.session.get(Application, visit.application_id)
            called.append(
                (
                    visit.ticket,
                    visit.counter_number,
                    application.full_name,
                    application.nik,
                    application.number,
                )
            )
        return office.code, called


def test_the_screen_shows_each_counters_number_and_the_last_five_called(app):
    code, called = busy_office(app)
    board = app.test_client().get(f"/display/{code}/board", headers=FRAGMENT).text
    serving = board.split('id="recent-title"')[0]
    for ticket, counter, *_ in called[-8:]:  # what each of the 8 counters called last
        assert f'{ticket}</span> <span class="to-counter">Loket {counter}</span>' in serving
    recent = board.split('id="recent-title"')[1]
    assert [ticket for ticket, *_ in called[-5:]][::-1] == [
        part.split("</span>")[0] for part in recent.split('<span class="ticket">')[1:]
    ]
    for ticket, *_ in called[:3]:  # called before the last five, and no longer at a counter
        assert ticket not in board


def test_nothing_about_the_people_is_on_the_screen(app):
    code, called = busy_office(app, counters=3, extra_calls=0)
    client = app.test_client()
    board = client.get(f"/display/{code}/board", headers=FRAGMENT).text
    for page in (client.get(f"/display/{code}").text, board):
        for _ticket, _counter, name, nik, number in called:
            assert name not in page and nik not in page and number not in page


def test_the_board_polls_every_second_and_reloads_without_javascript(app):
    code, _ = busy_office(app, counters=1, extra_calls=0)
    page = app.test_client().get(f"/display/{code}").text
    assert f'hx-get="/display/{code}/board" hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_a_new_call_reaches_the_polled_board(app):
    with app.app_context():
        office = make_office()
        staff = officer(office, counter=6)
        ticket = checked_in(office, visits.PRIORITY, by=staff).ticket
        code, staff_id = office.code, staff.id
    client = app.test_client()
    assert ticket not in client.get(f"/display/{code}/board", headers=FRAGMENT).text
    with app.app_context():
        calling.call_next(db.session.get(User, staff_id))
    board = client.get(f"/display/{code}/board", headers=FRAGMENT).text
    assert f'{ticket}</span> <span class="to-counter">Loket 6</span>' in board


def test_a_closed_counter_leaves_the_now_serving_list(app):
    with app.app_context():
        office = make_office()
        staff = officer(office, counter=2)
        ticket = checked_in(office, by=staff).ticket
        calling.call_next(staff)
        calling.close_counter(staff)
        code = office.code
    board = app.test_client().get(f"/display/{code}/board", headers=FRAGMENT).text
    now_serving = board.split('id="recent-title"')[0]
    assert ticket not in now_serving and ticket in board


def test_the_fragment_gzipped_fits_in_two_kilobytes(app):
    code, _ = busy_office(app)
    body = app.test_client().get(f"/display/{code}/board", headers=FRAGMENT).get_data()
    assert len(gzip.compress(body)) < 2048


def test_an_unknown_office_has_no_screen(app):
    client = app.test_client()
    assert client.get("/display/kanim-tidak-ada").status_code == 404
    assert client.get("/display/kanim-tidak-ada/board", headers=FRAGMENT).status_code == 404
    assert client.get("/display/BAD CODE").status_code == 404
