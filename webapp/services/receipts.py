"""The receipt (tanda terima) given after approval, on A4 or on an 80 mm roll, one at a time or in
a batch of the day's receipts rendered by a job that counts its progress.

A receipt exists for an application of the office that is approved, printed or ready for pickup,
with its Issuance (the collection date fixed at approval). It is printed in the applicant's
account's language, whoever prints it: it is theirs to keep. Its QR code carries a signed token
of kind RECEIPT naming the application, its office and the moment of the decision, which the
collection desk scans.

Transactions: on SQLite every transaction holds the write lock from its first statement
(webapp.sqlite), so nothing here keeps one open while WeasyPrint lays a page out: what a receipt
shows is read into a Receipt of plain values, the transaction ends, then the page is rendered.
A batch's status moves by conditional UPDATEs of its row alone (no other row is locked with it).
"""

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from webapp import clock, labels, pdf, signing
from webapp.extensions import db
from webapp.i18n import zone_abbreviation
from webapp.models import Application, Issuance, Office, PrintBatch, Review, User
from webapp.rules import collection
from webapp.rules.statuses import (
    APPROVED,
    COLLECTED,
    PRINTED,
    READY_FOR_PICKUP,
    UNCOLLECTED,
)
from webapp.services import documents, proof

# Statuses whose passport still waits to be collected: the receipt is still what collects it.
WITH_RECEIPT = (APPROVED, PRINTED, READY_FOR_PICKUP)
# The day's list shows every application approved that day, whatever became of it since.
FROM_APPROVED = (*WITH_RECEIPT, COLLECTED, UNCOLLECTED)
PAPERS = ("a4", "roll")
ROLL_WIDTH_MM = 80
# The largest batch: above any office's day (Batam, one of the busiest, takes 285 a day), so a
# real day always fits, while a mistaken "2,000" is refused before it ties a worker up for minutes.
MAX_BATCH = 500
BATCH_KEY = "batches/{id}.pdf"
# Rendering 500 receipts takes a few tens of seconds; a worker gives up on the job after this.
BATCH_JOB_TIMEOUT = 600
# A batch queued or running with no news for longer than its job may take has stalled: its
# worker died, or there is none. It may then be retried, as a failed one.
STALLED_AFTER = timedelta(seconds=BATCH_JOB_TIMEOUT + 60)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_ID = 2**31 - 1  # the largest value of an integer id column on PostgreSQL


class NoReceipt(LookupError):
    """The application has no receipt: not approved (yet), or its passport is no longer waiting."""


class BatchRefused(Exception):
    """A batch that cannot be made; problem is a key of labels.RECEIPT_PROBLEMS."""

    def __init__(self, problem: str, **context):
        super().__init__(problem)
        self.problem, self.context = problem, context


@dataclass(frozen=True)
class Receipt:
    """What a receipt shows, as plain values (no database row behind them)."""

    application_id: int
    application_number: str
    full_name: str  # in capitals, as the KTP prints it
    passport_kind: str  # labels.PASSPORT_KINDS
    validity_years: int
    service: str
    office_name: str
    office_address: str  # street, city, province
    zone: str
    collect_from: date  # office date
    opens_hour: int  # collection hours, local time: the first slot to closing
    closes_hour: int
    decided_at: datetime
    locale: str
    token: str

    @cached_property
    def qr_png_data_uri(self) -> str:
        """The token's QR code for the PDF, made when a PDF asks for it (not for the page)."""
        qr = proof.qr_code(self.token)
        return qr.png_data_uri(border=proof.QR_BORDER, scale=proof.QR_PNG_SCALE)

    @property
    def zone_abbreviation(self) -> str:
        return zone_abbreviation(self.zone)

    @property
    def hours(self) -> str:
        """08.00–15.00 WITA (08:00–15:00 in English), the office's zone."""
        separator = "." if self.locale == "id" else ":"
        opens, closes = (f"{hour:02d}{separator}00" for hour in (self.opens_hour, self.closes_hour))
        return f"{opens}–{closes} {self.zone_abbreviation}"

    @property
    def cancelled_after(self) -> int:
        return collection.COLLECTION_PERIOD.days


def _spoken(locale: str | None) -> str:
    """The locale if we speak it, else the default language."""
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale


def receipt_for(application: Application, locale: str | None = None) -> Receipt | None:
    """The receipt of an application waiting for collection, in `locale` (by default the
    language of the applicant's account); None otherwise. One query for what it shows."""
    if application.status not in WITH_RECEIPT or not application.number:
        return None
    found = db.session.execute(
        select(Issuance.collect_from, Review.decided_at, Office, User.locale)
        .select_from(Issuance)
        .join(Review, Review.application_id == Issuance.application_id)
        .join(Office, Office.id == application.office_id)
        .join(User, User.id == application.account_id)
        .where(Issuance.application_id == application.id, Review.decided_at.is_not(None))
    ).first()
    if found is None:
        return None
    collect_from, decided_at, office, account_locale = found
    token = signing.issue_token(application.number, office.code, decided_at, kind=signing.RECEIPT)
    return Receipt(
        application_id=application.id,
        application_number=application.number,
        full_name=(application.full_name or "").upper(),
        passport_kind=application.passport_kind,
        validity_years=application.validity_years,
        service=application.service,
        office_name=office.name,
        office_address=f"{office.address}, {office.city}, {office.province}",
        zone=office.timezone,
        collect_from=collect_from,
        opens_hour=office.first_slot_hour,
        closes_hour=office.closes_at_hour,
        decided_at=decided_at,
        locale=_spoken(locale or account_locale),
        token=token,
    )


def of_office(office_id: int, application_id: int) -> Application | None:
    """The office's application of that id; another office's is not found."""
    return db.session.scalar(
        select(Application).where(
            Application.id == application_id, Application.office_id == office_id
        )
    )


def _check_paper(paper: str) -> None:
    if paper not in PAPERS:
        raise ValueError(f"unknown paper: {paper!r}")


def _laid_out(receipt: Receipt, paper: str):
    """The receipt's page(s), laid out in its language."""
    context = {"receipt": receipt, "paper": paper, "locale": receipt.locale, "labels": labels}
    with force_locale(receipt.locale):
        if paper == "roll":
            return pdf.render_fitted_document(
                "receipt.html", ROLL_WIDTH_MM, pdf.ROLL_RECEIPT, **context
            )
        return pdf.render_document("receipt.html", **context)


def render(receipt: Receipt, paper: str) -> bytes:
    _check_paper(paper)
    return _laid_out(receipt, paper).write_pdf()


def receipt_pdf(application: Application, paper: str, locale: str | None = None) -> bytes:
    """The receipt on A4 or on the roll, in `locale` (the account's language by default);
    NoReceipt when the application has none."""
    _check_paper(paper)
    receipt = receipt_for(application, locale)
    if receipt is None:
        raise NoReceipt(application.id)
    db.session.commit()  # end the read before the rendering (see the module's docstring)
    return render(receipt, paper)


# The day's list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Approved:
    application_id: int
    number: str
    full_name: str
    status: str
    decided_at: datetime
    zone: str  # the office's
    collect_from: date
    printable: bool


def day_bounds(office: Office, day: date) -> tuple[datetime, datetime]:
    """The office day's start and end, as aware moments."""
    start = datetime.combine(day, time(0), ZoneInfo(office.timezone))
    return start, start + timedelta(days=1)


def approved_on(office_id: int, day: date | None = None) -> list[Approved]:
    """The office's applications approved on `day` (office time, today by default), in the
    order they were decided."""
    office = db.session.get(Office, office_id)
    start, end = day_bounds(office, day or clock.today(office.timezone))
    rows = db.session.execute(
        select(Application, Review.decided_at, Issuance.collect_from)
        .join(Review, Review.application_id == Application.id)
        .join(Issuance, Issuance.application_id == Application.id)
        .where(
            Application.office_id == office_id,
            Application.status.in_(FROM_APPROVED),
            Review.decided_at >= start,
            Review.decided_at < end,
        )
        .order_by(Review.decided_at, Application.id)
    ).all()
    return [
        Approved(
            application_id=application.id,
            number=application.number,
            full_name=(application.full_name or "").upper(),
            status=application.status,
            decided_at=decided_at,
            zone=office.timezone,
            collect_from=collect_from,
            printable=application.status in WITH_RECEIPT,
        )
        for application, decided_at, collect_from in rows
    ]


# Batches ---------------------------------------------------------------------------------------


def start_batch(staff: User, application_ids: Sequence[int] | None, paper: str) -> PrintBatch:
    """A queued batch of these applications' receipts (each once, in the order given), or with
    None of every receipt of the office's day; refused when it is empty, too large, or names an
    application of another office or without a receipt. The caller enqueues its job once this
    has committed."""
    if paper not in PAPERS:
        raise BatchRefused("paper")
    if application_ids is None:
        application_ids = [
            row.application_id for row in approved_on(staff.office_id) if row.printable
        ]
    ids = list(dict.fromkeys(application_ids))
    if not ids:
        raise BatchRefused("empty")
    if len(ids) > MAX_BATCH:
        raise BatchRefused("too_many", count=len(ids), maximum=MAX_BATCH)
    printable = set(
        db.session.scalars(
            select(Application.id)
            .join(Issuance, Issuance.application_id == Application.id)
            .where(
                # An id no integer column can hold names nothing: it is not even asked about.
                Application.id.in_([i for i in ids if 0 < i <= MAX_ID]),
                Application.office_id == staff.office_id,
                Application.status.in_(WITH_RECEIPT),
            )
        )
    )
    if missing := [i for i in ids if i not in printable]:
        raise BatchRefused("not_printable", count=len(missing))
    batch = PrintBatch(
        office_id=staff.office_id,
        requested_by=staff.id,
        paper=paper,
        application_ids=ids,
        total=len(ids),
        rendered=0,
        status=QUEUED,
        touched_at=clock.now(),
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def batch_of(office_id: int, batch_id: int) -> PrintBatch | None:
    """The office's batch of that id, as it is now; another office's is not found."""
    return db.session.scalar(
        select(PrintBatch)
        .where(PrintBatch.id == batch_id, PrintBatch.office_id == office_id)
        .execution_options(populate_existing=True)
    )


def stalled(batch: PrintBatch) -> bool:
    """Whether a batch still queued or running has had no news for too long."""
    if batch.status not in (QUEUED, RUNNING):
        return False
    return clock.now() - (batch.touched_at or batch.created_at) > STALLED_AFTER


def _move(batch_id: int, sources: Sequence[str], *conditions, **values) -> bool:
    """Compare-and-set of a batch's status (and `conditions`): whether the row was in one of
    `sources`. Every move is news of the batch (touched_at)."""
    moved = db.session.execute(
        update(PrintBatch)
        .where(PrintBatch.id == batch_id, PrintBatch.status.in_(sources), *conditions)
        .values(**{"touched_at": clock.now(), **values})
    ).rowcount
    db.session.commit()
    return moved == 1


def render_batch(batch_id: int) -> None:
    """The job: render every receipt of the batch into one PDF kept in storage, counting them
    as it goes. Safe to run twice: a done batch is left alone, any other starts over."""
    batch = db.session.get(PrintBatch, batch_id)
    if batch is None or not _move(
        batch_id, (QUEUED, RUNNING, FAILED), status=RUNNING, rendered=0, error=None
    ):
        db.session.rollback()
        return
    office_id, paper, ids = batch.office_id, batch.paper, list(batch.application_ids)
    try:
        laid_out = []
        for count, application_id in enumerate(ids, 1):
            application = of_office(office_id, application_id)
            receipt = receipt_for(application) if application else None
            if receipt is None:
                raise NoReceipt(application_id)
            db.session.commit()  # no transaction held while the page is laid out
            laid_out.append(_laid_out(receipt, paper))
            # The pages laid out so far are kept until the PDF is written: left to the garbage
            # collector, every full collection would walk all of them again (a tenth of a
            # batch's time). Frozen, they are skipped, and unfrozen below once written.
            gc.freeze()
            _move(batch_id, (RUNNING,), rendered=count)
        key = BATCH_KEY.format(id=batch_id)
        documents.storage().save(key, pdf.combine(laid_out))
    except Exception as error:
        db.session.rollback()
        _move(batch_id, (RUNNING,), status=FAILED, error=_described(error))
        raise
    finally:
        gc.unfreeze()
    _move(batch_id, (RUNNING,), status=DONE, storage_key=key, finished_at=clock.now())


def _described(error: Exception) -> str:
    """What the batch page shows of a failure, for the officer to pass on: never a server path
    or a message meant for the logs (the job's traceback is there)."""
    if isinstance(error, NoReceipt):
        return f"no receipt for application {error.args[0]}"
    return type(error).__name__


def retry(office_id: int, batch_id: int) -> bool:
    """A failed or stalled batch of the office queued again (the caller enqueues its job); False
    when it is not the office's, or is done, or is still being worked on."""
    batch = batch_of(office_id, batch_id)
    if batch is None:
        return False
    if stalled(batch):
        # Only while it is as stale as it was read: a job that came back to it meanwhile wins.
        seen = PrintBatch.touched_at == batch.touched_at
        if batch.touched_at is None:
            seen = PrintBatch.touched_at.is_(None)
        return _move(batch_id, (batch.status,), seen, status=QUEUED, rendered=0, error=None)
    return _move(batch_id, (FAILED,), status=QUEUED, rendered=0, error=None)


def batch_pdf(office_id: int, batch_id: int) -> bytes | None:
    """The finished batch's PDF; None when the batch is not the office's or not done."""
    batch = batch_of(office_id, batch_id)
    if batch is None or batch.status != DONE or not batch.storage_key:
        return None
    try:
        return documents.storage().load(batch.storage_key)
    except KeyError:
        return None
