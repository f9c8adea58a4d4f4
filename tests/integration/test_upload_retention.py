"""Uploads leave storage when no longer needed, and only after the database agrees."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.factories import FORM_ANSWERS, jpeg_bytes, make_application, make_user
from tests.integration.test_wizard import fill_steps, signed_in, start, stored_files, upload
from webapp import clock
from webapp.extensions import db
from webapp.jobs.retention import purge_uploads
from webapp.models import Application, AuditEntry, Document
from webapp.services import applications, documents

SERVICE, PASSPORT, PERSONAL, TRAVEL = FORM_ANSWERS.values()


class DatabaseFault(Exception):
    """The database failing in the middle of a change."""


def ended_with_uploads(user, status: str, days_ago: int, **audit) -> int:
    """An application that moved to `status` `days_ago` days ago, with two stored uploads."""
    application = make_application(user, nik=None)
    for code in ("ktp", "kk"):
        documents.upload(application, code, jpeg_bytes())
    application.status = status
    db.session.add(
        AuditEntry(
            application_id=application.id,
            entity=audit.get("entity", "application"),
            from_status="awaiting_payment",
            to_status=status,
            at=clock.now() - timedelta(days=days_ago),
        )
    )
    db.session.commit()
    return application.id


def files_of(application_id: int) -> set[str]:
    rows = db.session.execute(
        select(Document.storage_key, Document.thumbnail_key).where(
            Document.application_id == application_id
        )
    ).all()
    return {key.rsplit("/", 1)[1] for row in rows for key in row if key}


def test_the_purge_deletes_only_uploads_of_applications_ended_before_the_retention(app, runner):
    with app.app_context():
        user = make_user(email="siti@contoh.id")
        old = ended_with_uploads(user, "cancelled", days_ago=31)
        recent = ended_with_uploads(user, "expired", days_ago=29)
        # Its hold expired long ago, but the application itself ended only recently.
        db.session.add(
            AuditEntry(
                application_id=recent,
                entity="hold",
                from_status="held",
                to_status="expired",
                at=clock.now() - timedelta(days=90),
            )
        )
        db.session.commit()
        active = make_application(user, nik=None)
        documents.upload(active, "ktp", jpeg_bytes())
        kept = files_of(recent) | files_of(active.id)
        assert len(kept) == 6 and stored_files(app) == kept | files_of(old)

    result = runner.invoke(args=["purge-uploads"])
    assert result.exit_code == 0 and "purged (ended over 30 days ago): 1" in result.output
    with app.app_context():
        assert files_of(old) == set() and stored_files(app) == kept
        assert db.session.get(Application, old).status == "cancelled"  # the record stays


def test_the_retention_setting_and_the_scheduled_job(make_app):
    app = make_app(UPLOAD_RETENTION_DAYS=7)
    with app.app_context():
        user = make_user(email="siti@contoh.id")
        gone = ended_with_uploads(user, "rejected", days_ago=8)
        stays = ended_with_uploads(user, "collected", days_ago=6)
        kept = files_of(stays)
        purge_uploads()
        purge_uploads()  # a second run finds nothing more to do
        assert files_of(gone) == set() and stored_files(app) == kept


def test_uploads_of_an_active_application_are_never_deleted_as_ended(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id")
        application = make_application(user, nik=None)
        documents.upload(application, "ktp", jpeg_bytes())
        with pytest.raises(documents.StillActive):
            documents.delete_uploads_of_ended(application.id)
        assert len(stored_files(app)) == 2


def test_a_change_the_database_rolls_back_keeps_the_files_it_would_drop(app):
    with app.app_context():
        make_user(email="siti@contoh.id", locale="en")
    client = signed_in(app)
    base = start(client)
    replacement = {**SERVICE, "application_type": "replacement", "replacement_reason": "expired"}
    personal = {
        **PERSONAL,
        "old_passport_number": "B1234567",
        "old_passport_issue_date-day": "2",
        "old_passport_issue_date-month": "1",
        "old_passport_issue_date-year": "2020",
    }
    fill_steps(client, base, service=replacement, personal=personal)
    upload(client, base, "ktp", jpeg_bytes())
    upload(client, base, "old_passport", jpeg_bytes())
    before = stored_files(app)
    assert len(before) == 4

    def fail_on_document_delete(connection, cursor, statement, *args):
        if statement.lstrip().upper().startswith("DELETE FROM DOCUMENTS"):
            raise DatabaseFault(statement)

    with app.app_context():
        application = db.session.scalar(select(Application))
        event.listen(db.engine, "before_cursor_execute", fail_on_document_delete)
        try:
            with pytest.raises(DatabaseFault):
                applications.save_step(application, "service", {"replacement_reason": "lost"})
        finally:
            event.remove(db.engine, "before_cursor_execute", fail_on_document_delete)
        db.session.rollback()
        assert stored_files(app) == before
        assert sorted(db.session.scalars(select(Document.code))) == ["ktp", "old_passport"]

        application = db.session.scalar(select(Application))
        applications.save_step(application, "service", {"replacement_reason": "lost"})
        assert stored_files(app) == files_of(application.id) and len(stored_files(app)) == 2
