"""Races on a fine's billing code: the same payment notice, or different payments of one fine,
delivered at the same instant, on SQLite and on PostgreSQL (as test_races runs its races)."""

import pytest
from sqlalchemy import func, select

from tests.factories import make_office
from tests.integration import test_races as races
from tests.integration.test_calling import officer, serve_next
from tests.integration.test_examination import a_report, the_report
from tests.integration.test_races import (
    RACERS,
    assert_trail_is_true,
    deliver,
    notice_body,
    together,
)
from tests.visits import checked_in
from webapp.extensions import db
from webapp.models import Application, Bill, PaymentNotice
from webapp.services import examination

# The races' databases (an SQLite file of this module's own, then PostgreSQL) and their app.
database_url = races.database_url
race_app = races.race_app


def fined(app) -> tuple[int, str, int]:
    """A lost passport's application in service, its BAP recorded: (id, fine's code, amount)."""
    with app.app_context():
        office = make_office()
        staff = officer(office)
        checked_in(office, by=staff, application_type="replacement", replacement_reason="lost")
        application_id = serve_next(staff).application_id
        examination.record_report(staff, application_id, a_report())
        bill = db.session.get(Bill, the_report(application_id).bill_id)
        return application_id, bill.code, bill.amount


def bill_moves(trail) -> list[tuple[str | None, str]]:
    return [(source, target) for entity, source, target in trail if entity == "bill"]


@pytest.mark.parametrize("distinct", [False, True], ids=["replays", "different-payments"])
def test_a_fine_paid_twice_at_once_is_applied_once(race_app, distinct):
    application_id, code, amount = fined(race_app)
    bodies = [
        notice_body(code, amount, transaction_id=f"BNI-{n}" if distinct else "BNI-0")
        for n in range(RACERS)
    ]
    clients = [race_app.test_client() for _ in bodies]
    answers = together(
        race_app, [lambda c=c, b=b: deliver(c, b) for c, b in zip(clients, bodies, strict=True)]
    )
    assert {answer.status_code for answer in answers} == {200}
    others = "already_paid" if distinct else "duplicate"
    outcomes = sorted(answer.json["outcome"] for answer in answers)
    assert outcomes == sorted(["applied"] + [others] * (RACERS - 1))
    trail = assert_trail_is_true(race_app, application_id)
    assert bill_moves(trail) == [(None, "open"), ("open", "paid")]
    with race_app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == "in_review"  # paying a fine moves nothing else
        assert application.refund_review is distinct  # a second payment is held for refund
        assert examination.approval_blocker(application) is None
        notices = db.session.scalar(select(func.count(PaymentNotice.id)))
        assert notices == (RACERS if distinct else 1)
