"""Every status change of an application, a hold, a bill, a visit or a travel-ban check: allowed
by its machine, made as a compare-and-set, and audited in the same transaction.

A move is `UPDATE ... SET status = :to WHERE id = :id AND status = :from`, where `from` is the
status the caller decided on. When the row no longer has it (another request moved it meanwhile),
nothing is written, the transaction is rolled back and TransitionRefused tells the loser.

Lock order. Whatever locks more than one row takes the locks in this order, and never takes an
earlier one after a later one, so that no two requests ever wait on each other in a cycle:

    account (users row) -> slot -> application -> office -> hold -> bill -> counter session
    -> visit

- booking.hold: the account (its live holds are counted), the slot (its places are counted), the
  application, then inserts the hold and the bill.
- booking.reschedule: the new slot, the application, the paid hold.
- booking.withdraw (cancel), booking.expire, payments.apply_notice: the application, the hold,
  the bill (a fine's bill has no hold). A row needed only to find the one to lock first (a
  payment's bill, an expiring hold) is read without a lock for its unchanging ids, and locked
  again in its turn.
- examination.record_report: the application, then the fine's new bill. examination.reissue_fine:
  the application, the fine's old bill, then its new one.
- accounts.close_account: the account, then each application as booking.withdraw does.
- calling.call_next: the counter's session, the visit in service at the counter, the visit
  it calls. calling.start_service: the application, then its visit.
- screening.confirm_hit: the application, then its travel-ban check (then the review's own
  locks of the rejection, which begin with the same application).
- checkin.check_in: the application, then its lane's queue_sequences row as its visit is made.
  checkin.walk_in: as booking.hold, then the queue_sequences row. A walk-in's visit is locked
  last when its bill is paid, expires or is cancelled (services.arrivals).
- issuance.mark_printed: the application, then (an e-passport) the office's row, whose blank
  stock is taken by a compare-and-set UPDATE (epassport_stock > 0) that waits for any other
  print of the office. issuance.mark_ready and issuance.collect: the application alone (the
  handover's row is inserted, one per application).
- endings.sweep_no_shows: the application, then its paid hold. endings.sweep_uncollected: the
  application alone (its issuance is only read).
- office_settings.change (the supervisor's settings): the office's future slots in id order,
  then the office's row; a hold taken meanwhile waits for its slot and sees the new places.
  office_settings.deliver / write_off (e-passport blanks): the office's row alone, with a
  compare-and-set UPDATE (stock never below zero). fee_tables.create: every fee_tables row in
  id order (nothing else).
- closures.add: the office row alone (closures of one office are added one at a time, so that
  an overlap is always seen). closures.make_offers, per applicant: the offered slot (each
  candidate in time order, until one has a place), the application, the closed hold, then
  inserts the offered hold. closures.accept and closures.choose: the new slot, the application,
  the closed hold, the offered hold, then (an unpaid booking) its bill, which follows the place.
  closures.release: the application, then the offered hold.
- receipts (print batches): a batch's status and progress move by conditional UPDATEs of its
  row alone, in transactions that lock nothing else (services.receipts).
- office_admin.update: the office's row alone, before reading it (a print's blank taken
  meanwhile is not overwritten unseen). invitations.disable and invitations.enable: the account,
  then (disable) its open counter session by a conditional UPDATE. invitations.accept: the
  invitation's row by a compare-and-set UPDATE (used_at IS NULL), then inserts the account;
  invitations.resend: the old invitation's row, then inserts the new one.

On PostgreSQL the locks are row locks: SELECT ... FOR NO KEY UPDATE, or the UPDATE of a move
itself, which takes the same lock. Never plain FOR UPDATE: it would also block the key-share
locks that inserting a row referencing the locked one takes (an audit row's actor, a hold's
account), and so wait in a cycle with a request that follows the order. On
SQLite every transaction takes the database's write lock when it begins (webapp.sqlite), which
serialises them all in the same order.
"""

from datetime import datetime

from sqlalchemy import inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp import clock
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Bill, Hold, ScreeningCheck, Visit
from webapp.rules import bills, holds, screening, statuses, visits


class TransitionRefused(Exception):
    """The machine forbids the move, or the row was moved meanwhile; nothing was written."""

    def __init__(self, entity: str, source: str, target: str):
        super().__init__(f"{entity}: {source} -> {target}")
        self.entity, self.source, self.target = entity, source, target


def lock(row):
    """Lock a row FOR UPDATE and reload its columns, so that what is read next is what it holds
    now. Loaded relationships are kept: reloading them would flush the caller's changes early."""
    columns = [attribute.key for attribute in inspect(type(row)).column_attrs]
    db.session.refresh(row, attribute_names=columns, with_for_update={"key_share": True})
    return row


def locking(statement):
    """A SELECT that locks the rows it finds, in the one way this module documents, and reloads
    them (populate_existing) so that they are read as they are now."""
    return statement.with_for_update(key_share=True).execution_options(populate_existing=True)


def skipping_locked(statement):
    """As locking, but rows another transaction has locked are passed over instead of waited
    for: a queue's next candidate that another counter is taking is skipped (PostgreSQL; on
    SQLite the write lock held from BEGIN already lets one transaction at a time choose)."""
    return statement.with_for_update(key_share=True, skip_locked=True).execution_options(
        populate_existing=True
    )


def transition(
    application: Application,
    target: str,
    *,
    actor_id: int | None,
    reason: str = "",
    counter_number: int | None = None,
):
    """Move an application from the status it was read with to target (at a counter, if a
    member of staff acts from one)."""
    _compare_and_set(
        application,
        statuses.can_move,
        target,
        entity="application",
        application_id=application.id,
        actor_id=actor_id,
        reason=reason,
        counter=counter_number,
    )


def move_hold(held: Hold, target: str, *, actor_id: int | None, reason: str = "") -> None:
    """Move a hold; a hold that ends records when."""
    ended = {"ended_at": clock.now()} if target not in holds.LIVE else {}
    _compare_and_set(
        held,
        holds.can_move,
        target,
        entity="hold",
        application_id=held.application_id,
        actor_id=actor_id,
        reason=reason,
        **ended,
    )


def move_bill(
    bill: Bill,
    target: str,
    *,
    actor_id: int | None,
    reason: str = "",
    paid_at: datetime | None = None,
) -> None:
    """Move a bill; a paid one keeps the bank's paid-at time."""
    paid = {"paid_at": paid_at} if target == bills.PAID else {}
    _compare_and_set(
        bill,
        bills.can_move,
        target,
        entity="bill",
        application_id=bill.application_id,
        actor_id=actor_id,
        reason=reason,
        **paid,
    )


def move_visit(
    visit: Visit,
    target: str,
    *,
    actor_id: int | None,
    counter_number: int | None = None,
    reason: str = "",
    **values,
) -> None:
    """Move a visit (CALLED -> CALLED is a recall), recording the counter acted from; values are
    the columns that change with it (called_at, rank, ...). A call also records its counter on
    the visit, where the screen and the counter read it."""
    if target == visits.CALLED:
        values["counter_number"] = counter_number
    _compare_and_set(
        visit,
        visits.can_move,
        target,
        entity="visit",
        application_id=visit.application_id,
        actor_id=actor_id,
        reason=reason,
        counter=counter_number,
        **values,
    )


def move_screening(
    check: ScreeningCheck, target: str, *, actor_id: int | None, reason: str = "", **values
) -> None:
    """Move a travel-ban check (a result, a new attempt, a confirmed hit); values are the columns
    that change with it (checked_at, confirmed_by, ...)."""
    _compare_and_set(
        check,
        screening.can_move,
        target,
        entity="screening",
        application_id=check.application_id,
        actor_id=actor_id,
        reason=reason,
        **values,
    )


_ENTITY_OF = {Hold: "hold", Bill: "bill", Visit: "visit", ScreeningCheck: "screening"}


def created(
    row: Hold | Bill | Visit | ScreeningCheck, *, actor_id: int | None, reason: str = ""
) -> None:
    """Audit a new hold, bill, visit or travel-ban check (flushed, so that it has its id) in the
    state it starts in."""
    _audit(_ENTITY_OF[type(row)], row.id, row.application_id, actor_id, None, row.status, reason)


RECORDED = "recorded"


def recorded(entity: str, row, *, actor_id: int | None, reason: str = "") -> None:
    """Audit a record that has no status of its own (an examination report, a suspension),
    flushed so that it has its id: it appears in its application's trail as "recorded"."""
    _audit(entity, row.id, row.application_id, actor_id, None, RECORDED, reason)


def _compare_and_set(
    row,
    can_move,
    target: str,
    *,
    entity: str,
    application_id: int,
    actor_id,
    reason,
    counter=None,
    **values,
):
    source = row.status
    if not can_move(source, target):
        db.session.rollback()
        raise TransitionRefused(entity, source, target)
    model = type(row)
    changed = db.session.execute(
        update(model)
        .where(model.id == row.id, model.status == source)
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise TransitionRefused(entity, source, target)
    for name, value in {"status": target, **values}.items():
        set_committed_value(row, name, value)
    entity_id = None if entity == "application" else row.id
    _audit(entity, entity_id, application_id, actor_id, source, target, reason, counter)


def _audit(
    entity, entity_id, application_id, actor_id, source, target, reason, counter=None
) -> None:
    db.session.add(
        AuditEntry(
            application_id=application_id,
            entity=entity,
            entity_id=entity_id,
            actor_id=actor_id,
            counter_number=counter,
            from_status=source,
            to_status=target,
            reason=reason or None,
        )
    )
