"""Payment notices from the channels: applied once, whatever arrives twice, late or at once.

Every notice is recorded first, under its unique transaction id: a replay finds its first copy
and changes nothing. The bill row is then locked, so that two payments of one bill (two different
transactions) are applied one after the other and the second finds the bill already paid. A
payment after the two-hour deadline never revives the slot, even if no expiry job has run yet: the
money is held for refund and the applicant told.
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
from webapp.rules.statuses import AWAITING_PAYMENT, EXPIRED, SCHEDULED
from webapp.services import lifecycle
from webapp.services.notifications import notify

log = logging.getLogger(__name__)

# What apply_notice returns.
APPLIED = "applied"  # the bill is paid and the application scheduled
DUPLICATE = "duplicate"  # this transaction id was received before; nothing changed
UNKNOWN_CODE = "unknown_code"  # no bill has this code; the notice is kept as rejected
WRONG_AMOUNT = "wrong_amount"  # not the bill's exact amount; the notice is kept as rejected
ALREADY_PAID = "already_paid"  # a second payment of a paid bill: to be refunded
REFUND_REVIEW = "refund_review"  # paid when no longer payable (expired): to be refunded
NOT_DUE = "not_due"  # the stand-in found no unpaid bill with the code and paid nothing

# payment_notices.outcome
_NOTICE_APPLIED, _NOTICE_REFUND, _NOTICE_REJECTED = "applied", "refund_review", "rejected"

LATE_REASON = "paid after the two-hour deadline"


def apply_notice(notice: Notice) -> str:
    """Apply one payment notice in one transaction and say what became of it."""
    record = PaymentNotice(
        transaction_id=notice.transaction_id,
        billing_code=notice.billing_code,
        amount=notice.amount,
        outcome=_NOTICE_REJECTED,
        received_at=clock.now(),
    )
    db.session.add(record)
    try:
        # A concurrent copy waits here on the unique index until the first commits, then fails.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        _log_duplicate(notice)
        return DUPLICATE

    found = _locked(notice.billing_code)
    if found is None:
        return _reject(notice, UNKNOWN_CODE)
    bill, held, application = found
    if notice.amount != bill.amount:
        return _reject(notice, WRONG_AMOUNT, expected=bill.amount)

    if bill.status == "paid":
        record.outcome = _NOTICE_REFUND
        application.refund_review = True
        db.session.commit()
        log.warning(
            "payment %s for billing code %s: bill already paid; held for refund",
            notice.transaction_id,
            notice.billing_code,
        )
        return ALREADY_PAID

    moment = clock.now()
    if not _payable(bill, held, application, moment):
        record.outcome = _NOTICE_REFUND
        _hold_for_refund(bill, held, application, moment)
        db.session.commit()
        log.warning(
            "payment %s for billing code %s arrived when no longer payable; held for refund",
            notice.transaction_id,
            notice.billing_code,
        )
        notify(application, "payment_after_expiry", bill.code, code=bill.code, amount=bill.amount)
        return REFUND_REVIEW

    record.outcome = _NOTICE_APPLIED
    bill.status, bill.paid_at = "paid", notice.paid_at
    held.status = "paid"
    lifecycle.transition(
        application, SCHEDULED, actor_id=None, reason=f"paid {notice.transaction_id}"
    )
    db.session.commit()
    notify(application, "payment_received", bill.code, code=bill.code, amount=bill.amount)
    return APPLIED


def _locked(code: str) -> tuple[Bill, Hold, Application] | None:
    """The bill, then its hold, then its application, each locked FOR UPDATE in that order.

    The hold is locked before the application as the expiry job does, so the two never wait on
    each other in a cycle. populate_existing: what the lock returns is what the rows hold now.
    """
    bill = _locked_one(select(Bill).where(Bill.code == code))
    if bill is None:
        return None
    held = _locked_one(select(Hold).where(Hold.id == bill.hold_id))
    application = _locked_one(select(Application).where(Application.id == bill.application_id))
    return bill, held, application


def _locked_one(statement):
    return db.session.scalar(statement.with_for_update().execution_options(populate_existing=True))


def _payable(bill: Bill, held: Hold, application: Application, moment) -> bool:
    """Unpaid, still held and before the deadline, whether or not the expiry job has run."""
    return (
        bill.status == "unpaid"
        and held.status == "held"
        and held.expires_at > moment
        and bill.expires_at > moment
        and application.status == AWAITING_PAYMENT
    )


def _hold_for_refund(bill: Bill, held: Hold, application: Application, moment) -> None:
    """The slot is not revived: the hold ends, the application expires, the money is refunded."""
    bill.status = "refund_review"
    application.refund_review = True
    if held.status == "held":
        held.status, held.ended_at = "expired", moment
    if application.status == AWAITING_PAYMENT:
        lifecycle.transition(application, EXPIRED, actor_id=None, reason=LATE_REASON)


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


def amount_due(code: str) -> AmountDue | None:
    """The amount of an unpaid bill, or None for a code that is unknown or not unpaid."""
    row = db.session.execute(
        select(Bill.code, Bill.amount, Application.number)
        .join(Application, Application.id == Bill.application_id)
        .where(Bill.code == code, Bill.status == "unpaid")
    ).first()
    return None if row is None else AmountDue(*row)


def pay_at_standin(code: str) -> str | None:
    """Pay an unpaid bill's exact amount through the stand-in bank; the webhook's outcome.

    NOT_DUE when there is nothing to pay; None when the webhook gave no outcome (an error).
    """
    due = amount_due(code)
    db.session.rollback()  # end the read: the webhook works in its own session and transaction
    if due is None:
        return NOT_DUE
    secret = current_app.config["PAYMENT_WEBHOOK_SECRET"]
    reply = StandinBank(current_app._get_current_object(), secret).pay(due.code, due.amount)
    if reply.outcome is None:
        log.error("stand-in payment of billing code %s: webhook answered %s", code, reply.status)
    return reply.outcome
