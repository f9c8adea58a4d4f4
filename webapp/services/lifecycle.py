"""The one way an application changes status: checked against the rules, and audited."""

from webapp.extensions import db
from webapp.models import Application, AuditEntry
from webapp.rules.statuses import can_move


class TransitionRefused(Exception):
    pass


def transition(application: Application, target: str, *, actor_id: int | None, reason: str = ""):
    """Move to target and write the audit row in the caller's transaction."""
    if not can_move(application.status, target):
        raise TransitionRefused(f"{application.status} -> {target}")
    db.session.add(
        AuditEntry(
            application_id=application.id,
            actor_id=actor_id,
            from_status=application.status,
            to_status=target,
            reason=reason or None,
        )
    )
    application.status = target


def record(application: Application, *, actor_id: int | None, reason: str) -> None:
    """Audit an event that keeps the status, such as a moved appointment."""
    db.session.add(
        AuditEntry(
            application_id=application.id,
            actor_id=actor_id,
            from_status=application.status,
            to_status=application.status,
            reason=reason,
        )
    )
