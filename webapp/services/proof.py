"""The proof of application (bukti pengajuan): a signed QR code and a printable cover letter.

It exists once the fee is paid: from "scheduled" on, along the main line of statuses, for as long
as the application has a paid hold on a slot. The QR code alone is accepted at the office.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import segno
from flask_babel import force_locale
from sqlalchemy import select

from webapp import clock, labels, pdf, signing
from webapp.extensions import db
from webapp.i18n import ZONE_ABBREVIATIONS
from webapp.models import Application, Bill, Hold, Office
from webapp.rules import bills, documents, holds, journey
from webapp.rules.statuses import (
    APPROVED,
    CHECKED_IN,
    COLLECTED,
    IN_REVIEW,
    INCOMPLETE,
    PRINTED,
    READY_FOR_PICKUP,
    SCHEDULED,
)

# Scheduled or later, without the side exits (no-show, rejected, ...): the fee paid for a visit
# that is still coming or that happened.
WITH_PROOF = frozenset(
    {SCHEDULED, CHECKED_IN, IN_REVIEW, INCOMPLETE, APPROVED, PRINTED, READY_FOR_PICKUP, COLLECTED}
)
QR_ERROR_LEVEL = "m"
QR_BORDER = 4  # the quiet zone, drawn in white inside the image: no CSS needed around it
# One pixel per module in the PDF's image: the PDF scales it up without smoothing (image-rendering:
# pixelated in static/css/pdf/letter.css), so it is as sharp as a larger image and far smaller.
QR_PNG_SCALE = 1
# A fixed mask pattern: choosing the best of the eight costs most of the time of making the code
# (segno scores each), and every mask is valid; scanners read any of them.
QR_MASK = 0


class NoProof(LookupError):
    """The application has no proof (yet): not paid, or no longer going ahead."""


@dataclass(frozen=True)
class Proof:
    application_number: str
    full_name: str  # in capitals, as the KTP prints it
    passport_kind: str  # codes, labelled by labels.PASSPORT_KINDS, VALIDITIES and SERVICES
    validity_years: int
    service: str
    office: Office
    starts_at: datetime  # the slot's start in the office's zone
    zone: str  # the office's zone, e.g. Asia/Makassar
    amount_paid: int  # rupiah
    documents: tuple[str, ...]  # codes of the originals to bring, labels in labels.DOCUMENTS
    token: str
    qr: segno.QRCode  # of the token; drawn below for the page and for the PDF, each when asked

    @cached_property
    def qr_svg(self) -> str:
        """Inline SVG, no size and no style: sized by the page's CSS."""
        return self.qr.svg_inline(
            border=QR_BORDER, light="#fff", omitsize=True, svgclass="qr-code", lineclass=None
        )

    @cached_property
    def qr_png_data_uri(self) -> str:
        """For the PDF."""
        return self.qr.png_data_uri(border=QR_BORDER, scale=QR_PNG_SCALE)

    @property
    def day(self) -> date:
        """The appointment's date in the office's zone."""
        return self.starts_at.date()

    @property
    def reschedule_deadline(self) -> date:
        """The last day the appointment may be moved: the day before it (H-1), office time."""
        return self.day - timedelta(days=1)

    @property
    def zone_abbreviation(self) -> str:
        return ZONE_ABBREVIATIONS.get(self.zone, self.zone)


def _paid_booking(application: Application) -> tuple[Hold, Bill] | None:
    """The paid hold (a new one after a reschedule) and the bill that was paid for it."""
    row = db.session.execute(
        select(Hold, Bill)
        .join(Bill, Bill.application_id == Hold.application_id)
        .where(
            Hold.application_id == application.id,
            Hold.status == holds.PAID,
            Bill.status == bills.PAID,
            Bill.purpose == bills.FEE,
        )
    ).first()
    return None if row is None else tuple(row)


def proof_for(application: Application) -> Proof | None:
    """The proof of a paid, scheduled (or later) application; None otherwise."""
    if application.status not in WITH_PROOF or not application.number:
        return None
    paid = _paid_booking(application)
    if paid is None:
        return None
    hold, bill = paid
    slot, office = hold.slot, hold.slot.office
    token = signing.issue_token(application.number, office.code, slot.starts_at)
    qr = qr_code(token)
    case = journey.document_case(application, clock.today(office.timezone))
    return Proof(
        application_number=application.number,
        full_name=(application.full_name or "").upper(),
        passport_kind=application.passport_kind,
        validity_years=application.validity_years,
        service=application.service,
        office=office,
        starts_at=slot.starts_at.astimezone(ZoneInfo(office.timezone)),
        zone=office.timezone,
        amount_paid=bill.amount,
        documents=documents.documents_to_bring(case) if case else (),
        token=token,
        qr=qr,
    )


def qr_code(token: str) -> segno.QRCode:
    return segno.make(token, error=QR_ERROR_LEVEL, boost_error=False, micro=False, mask=QR_MASK)


def cover_letter_pdf(application: Application, locale: str) -> bytes:
    """The printable cover letter in the given language; NoProof when there is none."""
    proof = proof_for(application)
    if proof is None:
        raise NoProof(application.public_id)
    with force_locale(locale):
        return pdf.render_pdf("cover_letter.html", proof=proof, locale=locale, labels=labels)
