"""NIK verification against the population registry, run by a job beside the application.

Each change of NIK, name or birth date bumps a version; a result is stored only if the version it
checked is still the current one, so a late answer about older data is never applied.

Only a verified NIK claims: the database lets one active application per verified NIK exist. When
another application verified the same NIK first, storing "verified" fails on that index and the
application is marked UNAVAILABLE instead, in words that say nothing about the other one.
"""

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.integrations.population_registry import RegistryAnswer, client_from_config
from webapp.models import Application
from webapp.services.notifications import notify

PENDING, VERIFIED, MISMATCH, NOT_FOUND, ERROR, UNAVAILABLE = (
    "pending",
    "verified",
    "mismatch",
    "not_found",
    "error",
    "unavailable",  # verified data, but the NIK is claimed by an active application
)
RETRYABLE = frozenset({ERROR, UNAVAILABLE})
CHECKED_FIELDS = ("nik", "full_name", "birth_date")


def restart_if_changed(application: Application, before: dict) -> int | None:
    """After an edit, in the caller's transaction: start a new check when the data the registry
    compares changed since `before` (or were never checked); returns the version to check.

    Incomplete data forget the old result: a verified status never outlives the NIK it was about.
    """
    changed = any(getattr(application, f) != before.get(f) for f in CHECKED_FIELDS)
    if not all(getattr(application, f) for f in CHECKED_FIELDS):
        if changed:
            application.nik_check_version += 1
            application.nik_status = application.nik_reason = None
        return None
    if changed or application.nik_status is None:
        return mark_pending(application)
    return None


def mark_pending(application: Application) -> int:
    """Start a new check in the caller's transaction; returns the version to check."""
    application.nik_check_version += 1
    application.nik_status = PENDING
    application.nik_reason = None
    application.holds_valid_passport = None
    return application.nik_check_version


def check(application_id: int, version: int) -> None:
    """Ask the registry about this version of the application's data and store the answer.

    Raises RegistryUnavailable for the job to retry; record_failure() stores the final error.
    """
    application = db.session.get(Application, application_id)
    if application is None or application.nik_check_version != version:
        return  # changed since: a newer check is on its way
    asked = application.nik, application.full_name, application.birth_date
    db.session.rollback()  # no transaction (on SQLite: the write lock) across the registry call
    answer = client_from_config(current_app.config).check(*asked)
    status, reason = _status_of(answer)
    stored = _store(application_id, version, status, reason, answer.holds_valid_passport)
    if stored is None:  # another active application verified this NIK first
        status, reason = UNAVAILABLE, "claimed"
        stored = _store(application_id, version, status, reason, None)
    if stored:
        db.session.refresh(application)
        notify(
            application,
            "nik_verified" if status == VERIFIED else "nik_refused",
            f"v{version}",
            status=status,
            reason=reason or "",
        )


def record_failure(application_id: int, version: int, reason: str) -> None:
    """After the last retry: show an error the applicant can retry."""
    _store(application_id, version, ERROR, reason[:60], None)


def _status_of(answer: RegistryAnswer) -> tuple[str, str | None]:
    if answer.outcome == "verified":
        return VERIFIED, None
    if answer.outcome == "mismatch":
        return MISMATCH, ",".join(answer.mismatched)
    if answer.outcome == "duplicate":
        return NOT_FOUND, "duplicate"
    return NOT_FOUND, "not_recorded"


def _store(application_id, version, status, reason, holds_valid_passport) -> bool | None:
    """Whether the answer was stored (False: a newer version is current); None when the database
    refused "verified" because another active application holds this NIK verified."""
    try:
        stored = db.session.execute(
            update(Application)
            .where(Application.id == application_id, Application.nik_check_version == version)
            .values(
                nik_status=status,
                nik_reason=reason,
                nik_checked_at=clock.now(),
                holds_valid_passport=holds_valid_passport,
            )
        ).rowcount
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if status == VERIFIED:
            return None
        raise
    return stored == 1
