"""Staff and supervisor accounts as administrators keep them: invited by mail with a single-use
link, disabled and enabled again.

An invitation names the person, their office and role. Its link carries a random token of which
only the hash is kept; it works once, within INVITATION_LIFETIME, and stops working when a newer
invitation to the same address is sent. Opening it, the invitee sets their password (the rules
of registration) and so makes their account; their first sign-in enrols the second factor
(services/staff_auth.py). An address that any account already has is refused.

A disabled account is closed (users.closed_at, with DISABLED as its reason) so that it can no
longer sign in, its sessions end (session_version), and its open counter session is closed, all
in one transaction; enabling it opens it again as it was. Each step goes on the trail
(services/changes.py) and on the account's own security record (account_events).

Lock order (services/lifecycle.py): disabling locks the account, then closes its counter
session; accepting claims the invitation's row by a compare-and-set UPDATE before anything else.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.jobs import enqueue
from webapp.models import CounterSession, Invitation, Office, User
from webapp.rules import roles
from webapp.rules.accounts import name_is_valid, normalise_name
from webapp.services import accounts, changes, lifecycle, staff_auth
from webapp.services.administrators import AccountRefused, _valid_email, create_account

INVITATION_LIFETIME = timedelta(hours=72)
DISABLED = "disabled by an administrator"
# What account_events records of them (beside services/staff_auth.py EVENTS).
DISABLED_EVENT = "disabled"
ENABLED_EVENT = "enabled"
# What a link is, when it is not one to use.
VALID, USED, EXPIRED, REPLACED, UNKNOWN = "valid", "used", "expired", "replaced", "unknown"


class InvitationRefused(Exception):
    """Nothing was changed; code is a key of labels.INVITATION_PROBLEMS."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Member:
    user: User
    office: Office

    @property
    def disabled(self) -> bool:
        return self.user.closed_at is not None


@dataclass(frozen=True)
class Pending:
    invitation: Invitation
    office: Office
    expired: bool


def _email_taken(email: str) -> bool:
    return accounts.find_by_email(email) is not None


def _open_invitation(email: str) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.used_at.is_(None),
            Invitation.replaced_at.is_(None),
            Invitation.expires_at > clock.now(),
        )
    )


def _details(invitation: Invitation) -> dict:
    return {
        "email": invitation.email,
        "full_name": invitation.full_name,
        "office_id": invitation.office_id,
        "role": invitation.role,
        "expires_at": invitation.expires_at,
    }


def _issue(actor_id: int, email: str, full_name: str, office_id: int, role: str) -> tuple:
    token = secrets.token_urlsafe(32)
    current = clock.now()
    invitation = Invitation(
        token_hash=accounts.token_hash(token),
        email=email,
        full_name=full_name,
        office_id=office_id,
        role=role,
        invited_by=actor_id,
        created_at=current,
        expires_at=current + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def _mail(invitation: Invitation, token: str) -> None:
    enqueue("webapp.jobs.mail.send_invitation", invitation.id, queue="mail", token=token)


def invite(actor_id: int, full_name: str, email: str, office_id: int, role: str) -> Invitation:
    """Mail an invitation; refused when the address has an account or an open invitation."""
    try:
        email = _valid_email(email or "")
    except AccountRefused:
        raise InvitationRefused("bad_email", "email") from None
    full_name = normalise_name(full_name or "")
    if not name_is_valid(full_name):
        raise InvitationRefused("bad_name", "full_name")
    if role not in roles.OFFICE_ROLES:
        raise InvitationRefused("bad_role", "role")
    office = db.session.get(Office, office_id) if office_id else None
    if office is None:
        raise InvitationRefused("no_office", "office_id")
    if _email_taken(email):
        raise InvitationRefused("email_taken", "email")
    if _open_invitation(email) is not None:
        raise InvitationRefused("already_invited", "email")
    db.session.execute(  # a late invitation to the address is superseded by this one
        update(Invitation)
        .where(
            Invitation.email == email,
            Invitation.used_at.is_(None),
            Invitation.replaced_at.is_(None),
        )
        .values(replaced_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    invitation, token = _issue(actor_id, email, full_name, office.id, role)
    changes.record(
        actor_id,
        "invitation",
        invitation.id,
        "invited",
        after=_details(invitation),
        office_id=office.id,
    )
    db.session.commit()
    _mail(invitation, token)
    return invitation


def resend(actor_id: int, invitation_id: int) -> Invitation:
    """A new link for an invitation not used yet; the old one stops working."""
    old = db.session.scalar(
        lifecycle.locking(select(Invitation).where(Invitation.id == invitation_id))
    )
    if old is None or old.replaced_at is not None:
        db.session.rollback()
        raise InvitationRefused("not_found")
    if old.used_at is not None:
        db.session.rollback()
        raise InvitationRefused("already_used")
    if _email_taken(old.email):
        db.session.rollback()
        raise InvitationRefused("email_taken")
    old.replaced_at = clock.now()
    invitation, token = _issue(actor_id, old.email, old.full_name, old.office_id, old.role)
    changes.record(
        actor_id,
        "invitation",
        invitation.id,
        "resent",
        before={"invitation_id": old.id},
        after={"invitation_id": invitation.id, "expires_at": invitation.expires_at},
        office_id=old.office_id,
    )
    db.session.commit()
    _mail(invitation, token)
    return invitation


def look_up(token: str) -> tuple[str, Invitation | None]:
    """What a link is: VALID (with its invitation), USED, EXPIRED, REPLACED or UNKNOWN."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == accounts.token_hash(token or ""))
    )
    if invitation is None:
        return UNKNOWN, None
    if invitation.used_at is not None:
        return USED, None
    if invitation.replaced_at is not None:
        return REPLACED, None
    if invitation.expires_at <= clock.now():
        return EXPIRED, None
    return VALID, invitation


def accept(token: str, password: str) -> User:
    """Use the link once and make the account; InvitationRefused(USED | EXPIRED | ...) when the
    link no longer works, whoever came first."""
    state, invitation = look_up(token)
    if invitation is None:
        raise InvitationRefused(state)
    current = clock.now()
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.replaced_at.is_(None),
            Invitation.expires_at > current,
        )
        .values(used_at=current)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:  # used or replaced meanwhile
        db.session.rollback()
        state, _ = look_up(token)
        raise InvitationRefused(state if state != VALID else USED)
    if _email_taken(invitation.email):
        db.session.rollback()
        raise InvitationRefused("email_taken")
    try:
        user = create_account(
            invitation.email,
            invitation.full_name,
            password,
            invitation.role,
            invitation.office_id,
        )
    except AccountRefused:
        db.session.rollback()
        raise InvitationRefused("weak_password", "password") from None
    except IntegrityError:  # the address taken meanwhile
        db.session.rollback()
        raise InvitationRefused("email_taken") from None
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(user_id=user.id)
        .execution_options(synchronize_session=False)
    )
    office = db.session.get(Office, invitation.office_id)
    staff_auth.record(
        user.id, staff_auth.CREATED, detail=f"{user.role} of {office.code}, by invitation"
    )
    changes.record(
        user.id,
        "account",
        user.id,
        "created",
        after={"email": user.email, "role": user.role, "invitation_id": invitation.id},
        office_id=office.id,
    )
    db.session.commit()
    return user


def _office_member(user_id: int) -> User | None:
    return db.session.scalar(
        lifecycle.locking(select(User).where(User.id == user_id, User.role.in_(roles.OFFICE_ROLES)))
    )


def disable(actor_id: int, user_id: int) -> User:
    """Close a staff or supervisor account: no sign-in, its sessions and open counter end."""
    user = _office_member(user_id)
    if user is None:
        db.session.rollback()
        raise InvitationRefused("no_account")
    if user.closed_at is not None:
        db.session.rollback()
        return user  # disabled already, perhaps by a second click
    current = clock.now()
    user.closed_at, user.closed_reason = current, DISABLED
    user.session_version += 1
    closed_counters = db.session.execute(
        update(CounterSession)
        .where(CounterSession.staff_id == user.id, CounterSession.closed_at.is_(None))
        .values(closed_at=current)
        .execution_options(synchronize_session=False)
    ).rowcount
    staff_auth.record(user.id, DISABLED_EVENT, detail=f"by account {actor_id}")
    changes.record(
        actor_id,
        "account",
        user.id,
        "disabled",
        before={"closed_at": None},
        after={"closed_at": current, "counter_sessions_closed": closed_counters},
        office_id=user.office_id,
    )
    db.session.commit()
    return user


def enable(actor_id: int, user_id: int) -> User:
    """Open again an account an administrator disabled (never one its owner closed)."""
    user = _office_member(user_id)
    if user is None or (user.closed_at is not None and user.closed_reason != DISABLED):
        db.session.rollback()
        raise InvitationRefused("no_account")
    if user.closed_at is None:
        db.session.rollback()
        return user
    before = {"closed_at": user.closed_at}
    user.closed_at, user.closed_reason = None, None
    staff_auth.record(user.id, ENABLED_EVENT, detail=f"by account {actor_id}")
    changes.record(
        actor_id,
        "account",
        user.id,
        "enabled",
        before=before,
        after={"closed_at": None},
        office_id=user.office_id,
    )
    db.session.commit()
    return user


def members(office_id: int | None = None) -> list[Member]:
    """Staff and supervisors, of one office or all, by office and name."""
    statement = (
        select(User, Office)
        .join(Office, Office.id == User.office_id)
        .where(User.role.in_(roles.OFFICE_ROLES))
        .order_by(Office.name, Office.code, User.full_name, User.id)
    )
    if office_id is not None:
        statement = statement.where(User.office_id == office_id)
    return [Member(user, office) for user, office in db.session.execute(statement)]


def pending(office_id: int | None = None) -> list[Pending]:
    """Invitations not used nor replaced, newest first; the late ones marked expired."""
    statement = (
        select(Invitation, Office)
        .join(Office, Office.id == Invitation.office_id)
        .where(Invitation.used_at.is_(None), Invitation.replaced_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if office_id is not None:
        statement = statement.where(Invitation.office_id == office_id)
    current = clock.now()
    return [
        Pending(invitation, office, invitation.expires_at <= current)
        for invitation, office in db.session.execute(statement)
    ]


def mail_context(invitation_id: int) -> tuple[Invitation, Office] | None:
    """The invitation and its office, for its mail."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return None
    return invitation, db.session.get(Office, invitation.office_id)
