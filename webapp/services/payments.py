"""Payment notices from the channels: applied once, whatever arrives twice, late or at once.

Every notice is recorded first, under its unique transaction id: a replay finds its first copy
and changes nothing. Then the application, its hold and its bill are locked in lifecycle's lock
order, so that two payments of one bill, or a payment and a cancel or an expiry, are applied one
after the other and the second finds the first's outcome.

A payment counts by the bank's signed paid-at time, believed only up to
bills.PAID_AT_TOLERANCE ahead of our clock: a bank's retry arriving after the deadline for a
payment made in time is applied, as long as the place is still kept for it
(holds.SETTLEMENT_GRACE). A payment made after the deadline, or for a void bill, never revives
anything: the money is held for refund and the applicant told.

A fine's bill (billed at the office after the examination report) has no hold: paying it in time
marks it paid, audited, and moves nothing else; paid late, it is held for refund.
"""

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.integrations.payment_gateway import Notice, StandinBank
from webapp.models import Application, Bill, Hold, PaymentNotice
from webapp.rules import bills, holds
from webapp.rules.statuses import AWAITING_PAYMENT, EXPIRED, SCHEDULED
from webapp.services import arrivals, lifecycle
from webapp.services.notifications import notify

log = logging.getLogger(__name__)

# What apply_notice returns.
APPLIED = "applied"  # the bill is paid (a fee's: and the application scheduled)
DUPLICATE = "duplicate"  # this transaction id was received before; nothing changed
UNKNOWN_CODE = "unknown_code"  # no bill has this code; the notice is kept as rejected
WRONG_AMOUNT = "wrong_amount"  # not the bill's exact amount; the notice is kept as rejected
ALREADY_PAID = "already_paid"  # a second payment of a paid bill: to be refunded
REFUND_REVIEW = "refund_review"  # paid when no longer payable (expired): to be refunded
VOID = "void"  # paid for a void bill (its application was cancelled or expired): to be refunded
BAD_PAID_AT = "bad_paid_at"  # paid-at without a zone, or in the future: kept as rejected
NOT_DUE = "not_due"  # the stand-in found no open bill with the code and paid nothing

# payment_notices.outcome
_NOTICE_APPLIED, _NOTICE_REFUND, _NOTICE_REJECTED = "applied", "refund_review", "rejected"

LATE_REASON = "paid after the two-hour deadline"
LATE_FINE_REASON = "fine paid after its billing code expired"
VOID_REASON = "paid after the application was cancelled or expired"


def apply_notice(notice: Notice) -> str:
    """Apply one payment notice in one transaction and say what became of it."""
    moment = clock.now()
    problem = bills.paid_at_problem(notice.paid_at, now=moment)
    record = PaymentNotice(
        transaction_id=notice.transaction_id,
        billing_code=notice.billing_code,
        amount=notice.amount,
        paid_at=None if problem == "no_zone" else notice.paid_at,
        outcome=_NOTICE_REJECTED,
        received_at=moment,
    )
    db.session.add(record)
    try:
        # A concurrent copy waits here on the unique index until the first commits, then fails.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        _log_duplicate(notice)
        return DUPLICATE
    if problem:
        return _reject(notice, BAD_PAID_AT, paid_at=notice.paid_at.isoformat(), problem=problem)

    found = _locked(notice.billing_code)
    if found is None:
        return _reject(notice, UNKNOWN_CODE)
    application, held, bill = found
    if notice.amount != bill.amount:
        return _reject(notice, WRONG_AMOUNT, expected=bill.amount)

    if bill.status == bills.PAID:
        return _refund(notice, record, application, ALREADY_PAID, "bill already paid")
    if bill.status == bills.VOID:
        lifecycle.move_bill(bill, bills.REFUND_REVIEW, actor_id=None, reason=VOID_REASON)
        return _refund(notice, record, application, VOID, "bill void")
    if bill.purpose == bills.FINE:
        return _apply_fine(notice, record, application, bill)
    if not _payable(bill, held, application, notice.paid_at, moment):
        _hold_for_refund(bill, held, application)
        outcome = _refund(notice, record, application, REFUND_REVIEW, "no longer payable")
        notify(application, "payment_after_expiry", bill.code, code=bill.code, amount=bill.amount)
        return outcome

    record.outcome = _NOTICE_APPLIED
    reason = f"paid {notice.transaction_id}"
    lifecycle.move_bill(bill, bills.PAID, actor_id=None, reason=reason, paid_at=notice.paid_at)
    lifecycle.move_hold(held, holds.PAID, actor_id=None, reason=reason)
    lifecycle.transition(application, SCHEDULED, actor_id=None, reason=reason)
    arrivals.admit_paid(application, paid_at=notice.paid_at, reason=reason)
    db.session.commit()
    notify(application, "payment_received", bill.code, code=bill.code, amount=bill.amount)
    return APPLIED


def _apply_fine(notice: Notice, record: PaymentNotice, application: Application, bill: Bill):
    """A fine's open bill: paid by its deadline, it is paid and nothing else moves."""
    if not bills.paid_in_time(notice.paid_at, bill.expires_at):
        lifecycle.move_bill(bill, bills.REFUND_REVIEW, actor_id=None, reason=LATE_FINE_REASON)
        return _refund(notice, record, application, REFUND_REVIEW, "fine no longer payable")
    record.outcome = _NOTICE_APPLIED
    reason = f"fine paid {notice.transaction_id}"
    lifecycle.move_bill(bill, bills.PAID, actor_id=None, reason=reason, paid_at=notice.paid_at)
    db.session.commit()
    notify(application, "fine_paid", bill.code, code=bill.code, amount=bill.amount)
    return APPLIED


def _locked(code: str) -> tuple[Application, Hold | None, Bill] | None:
    """The application, its hold (a fine's bill has none), then the bill, each locked FOR UPDATE
    in lifecycle's order.

    The bill is first read without a lock, only for its application (which never changes).
    populate_existing: what the lock returns is what the rows hold now.
    """
    found = db.session.scalar(select(Bill).where(Bill.code == code))
    if found is None:
        return None
    application = lifecycle.lock(db.session.get(Application, found.application_id))
    held = lifecycle.lock(db.session.get(Hold, found.hold_id)) if found.hold_id else None
    return application, held, lifecycle.lock(found)


def _payable(bill: Bill, held: Hold, application: Application, paid_at, moment) -> bool:
    """Open, paid by its deadline, and its place still kept, whatever the expiry job has done."""
    return (
        bill.status == bills.OPEN
        and bills.paid_in_time(paid_at, bill.expires_at)
        and held.status == holds.HELD
        and held.expires_at > moment
        and application.status == AWAITING_PAYMENT
    )


def _hold_for_refund(bill: Bill, held: Hold, application: Application) -> None:
    """The slot is not revived: the hold ends, the application expires, the money is refunded."""
    if bill.status == bills.OPEN:
        lifecycle.move_bill(bill, bills.REFUND_REVIEW, actor_id=None, reason=LATE_REASON)
    if held.status == holds.HELD:
        lifecycle.move_hold(held, holds.EXPIRED, actor_id=None, reason=LATE_REASON)
    if application.status == AWAITING_PAYMENT:
        lifecycle.transition(application, EXPIRED, actor_id=None, reason=LATE_REASON)
    arrivals.void_unpaid(application, reason=LATE_REASON)


def _refund(notice: Notice, record: PaymentNotice, application: Application, outcome, why):
    """Keep the money for refund review, flag the application, and say so in the log."""
    record.outcome = _NOTICE_REFUND
    application.refund_review = True
    db.session.commit()
    log.warning(
        "payment %s for billing code %s: %s; held for refund",
        notice.transaction_id,
        notice.billing_code,
        why,
    )
    return outcome


def _reject(notice: Notice, outcome: str, **detail) -> str:
    """Keep the notice (outcome "rejected") and change nothing else."""
    db.session.commit()
    log.warning(
        "payment %s for billing code %s rejected: %s %s",
        notice.transaction_id,
        notice.billing_code,
        outcome,
        " ".join(f"{key}={value}" for key, value in detail.items()),
    )
    return outcome


def _log_duplicate(notice: Notice) -> None:
    first = db.session.scalar(
        select(PaymentNotice).where(PaymentNotice.transaction_id == notice.transaction_id)
    )
    if first is not None and (first.billing_code, first.amount) != (
        notice.billing_code,
        notice.amount,
    ):
        log.warning(
            "payment %s replayed with different content (code %s amount %s, first %s %s)",
            notice.transaction_id,
            notice.billing_code,
            notice.amount,
            first.billing_code,
            first.amount,
        )


# The stand-in channel's page ------------------------------------------------------------------


@dataclass(frozen=True)
class AmountDue:
    """What a payer sees for a code at a bank: the amount and the application number only."""

    code: str
    amount: int
    application_number: str | None
    purpose: str  # a fee (for an appointment) or a fine (rules/bills.py)


class NotDue(Exception):
    """Nothing is payable under this code; outcome is NOT_DUE (unknown, paid) or VOID."""

    def __init__(self, outcome: str):
        super().__init__(outcome)
        self.outcome = outcome


def amount_due(code: str) -> AmountDue:
    """The amount of an open bill; NotDue for a code that is unknown, settled or void."""
    row = db.session.execute(
        select(Bill.code, Bill.amount, Application.number, Bill.status, Bill.purpose)
        .join(Application, Application.id == Bill.application_id)
        .where(Bill.code == code)
    ).first()
    if row is None or row.status not in (bills.OPEN, bills.VOID):
        raise NotDue(NOT_DUE)
    if row.status == bills.VOID:
        raise NotDue(VOID)
    return AmountDue(row.code, row.amount, row.number, row.purpose)


def pay_at_standin(code: str) -> tuple[str | None, str | None]:
    """Pay an open bill's exact amount through the stand-in bank: the webhook's outcome, and what
    the bill was for.

    NOT_DUE or VOID when there is nothing to pay; None when the webhook gave no outcome.
    """
    try:
        due = amount_due(code)
    except NotDue as nothing:
        return nothing.outcome, None
    finally:
        db.session.rollback()  # end the read: the webhook works in its own session
    secret = current_app.config["PAYMENT_WEBHOOK_SECRET"]
    reply = StandinBank(current_app._get_current_object(), secret).pay(due.code, due.amount)
    if reply.outcome is None:
        log.error("stand-in payment of billing code %s: webhook answered %s", code, reply.status)
    return reply.outcome, due.purpose
