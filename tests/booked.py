"""Bookings made the way applicants make them: held through booking.hold, paid through the
webhook's service. For tests that need an application awaiting payment or scheduled."""

import itertools
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from webapp import clock
from webapp.extensions import db
from webapp.integrations.payment_gateway import Notice
from webapp.models import Application, Hold
from webapp.services import booking, payments

WITA = ZoneInfo("Asia/Makassar")
_transactions = itertools.count(1)


def local(day_offset: int, hour: int = 9) -> datetime:
    """A slot start `day_offset` days from today at `hour` WITA, as aware UTC."""
    day = clock.now().astimezone(WITA).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour), tzinfo=WITA).astimezone(ZoneInfo("UTC"))


def hold(application_id: int, slot_id: int) -> Hold:
    """Hold a slot for a submitted application (inside an app context)."""
    return booking.hold(db.session.get(Application, application_id), slot_id)


def pay(application_id: int) -> str:
    """Pay the application's bill now, as a bank's notice would (inside an app context)."""
    bill = booking.bill_for(db.session.get(Application, application_id))
    notice = Notice(f"BANK-{next(_transactions)}", bill.code, bill.amount, clock.now())
    return payments.apply_notice(notice)
