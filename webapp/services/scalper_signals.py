"""Signs that accounts are run by one hand to take quota for resale, listed for an
administrator's review with their figures. Nothing here bans or blocks: people share phones and
family members apply for each other, so a person decides.

- accounts sharing a phone number, or a device (the browser cookie of services/devices.py);
- NIKs typed into applications of several accounts and left there (cancelled or never
  submitted): a scalper tries a customer's NIK wherever it is free;
- accounts that let holds expire or cancel them: places taken from others and let go.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AccountDevice, Application, Hold, User
from webapp.rules import holds, roles
from webapp.rules.statuses import CANCELLED, DRAFT

LIMIT = 20  # groups per signal on the page
SHOWN_ACCOUNTS = 5  # the accounts named in each group; the count says how many in all
ABANDONED = (CANCELLED, DRAFT)


@dataclass(frozen=True)
class SharedBy:
    """Several accounts behind one phone number or one device."""

    label: str  # the number, or a short form of the device's hash
    accounts: int
    emails: list[str]


@dataclass(frozen=True)
class AbandonedNik:
    masked_nik: str
    accounts: int
    applications: int
    abandoned: int
    emails: list[str]


@dataclass(frozen=True)
class LetGo:
    email: str
    holds: int
    expired: int
    cancelled: int


def mask_nik(nik: str) -> str:
    """The region (six digits) and the last four: enough to tell NIKs apart on the page."""
    return nik[:6] + "•" * max(len(nik) - 10, 0) + nik[-4:]


def _named(rows) -> dict:
    """The first accounts' emails for each value, from (value, email) rows in account order."""
    found: dict = {}
    for value, email in rows:
        if len(found.setdefault(value, [])) < SHOWN_ACCOUNTS:
            found[value].append(email)
    return found


def shared_phones(limit: int = LIMIT) -> list[SharedBy]:
    applicant = User.role == roles.APPLICANT
    count = func.count(User.id)
    rows = db.session.execute(
        select(User.phone, count)
        .where(applicant)
        .group_by(User.phone)
        .having(count > 1)
        .order_by(count.desc(), User.phone)
        .limit(limit)
    ).all()
    emails = _named(
        db.session.execute(
            select(User.phone, User.email)
            .where(applicant, User.phone.in_([phone for phone, _ in rows]))
            .order_by(User.id)
        )
    )
    return [SharedBy(phone, accounts, emails.get(phone, [])) for phone, accounts in rows]


def shared_devices(limit: int = LIMIT) -> list[SharedBy]:
    count = func.count(func.distinct(AccountDevice.account_id))
    rows = db.session.execute(
        select(AccountDevice.device_hash, count)
        .join(User, User.id == AccountDevice.account_id)
        .where(User.role == roles.APPLICANT)  # a counter's shared computer is no sign
        .group_by(AccountDevice.device_hash)
        .having(count > 1)
        .order_by(count.desc(), AccountDevice.device_hash)
        .limit(limit)
    ).all()
    found = _named(
        db.session.execute(
            select(AccountDevice.device_hash, User.email)
            .join(User, User.id == AccountDevice.account_id)
            .where(
                User.role == roles.APPLICANT,
                AccountDevice.device_hash.in_([device for device, _ in rows]),
            )
            .order_by(User.id)
        )
    )
    return [SharedBy(device[:8], accounts, found.get(device, [])) for device, accounts in rows]


def abandoned_niks(limit: int = LIMIT) -> list[AbandonedNik]:
    accounts = func.count(func.distinct(Application.account_id))
    abandoned = func.count(Application.id).filter(Application.status.in_(ABANDONED))
    rows = db.session.execute(
        select(Application.nik, accounts, func.count(Application.id), abandoned)
        .where(Application.nik.is_not(None))
        .group_by(Application.nik)
        .having(accounts > 1, abandoned > 0)
        .order_by(accounts.desc(), abandoned.desc(), Application.nik)
        .limit(limit)
    ).all()
    found = _named(
        db.session.execute(
            select(Application.nik, User.email)
            .join(User, User.id == Application.account_id)
            .where(Application.nik.in_([row[0] for row in rows]))
            .group_by(Application.nik, User.id, User.email)
            .order_by(User.id)
        )
    )
    return [
        AbandonedNik(mask_nik(nik), count, total, left, found.get(nik, []))
        for nik, count, total, left in rows
    ]


def holds_let_go(limit: int = LIMIT) -> list[LetGo]:
    """Accounts by how many holds they let expire or cancelled, those with none left out."""
    expired = func.count(Hold.id).filter(Hold.status == holds.EXPIRED)
    cancelled = func.count(Hold.id).filter(Hold.status == holds.CANCELLED)
    rows = db.session.execute(
        select(User.email, func.count(Hold.id), expired, cancelled)
        .join(User, User.id == Hold.account_id)
        .group_by(Hold.account_id, User.email)
        .having(expired + cancelled > 0)
        .order_by((expired + cancelled).desc(), func.count(Hold.id).desc(), User.email)
        .limit(limit)
    ).all()
    return [LetGo(*row) for row in rows]
