"""Uploaded documents: judged by content, normalised, stored outside static/, one per item.

A file leaves storage only after the database change that stops referring to it has committed:
a rollback never loses a file still in use. Ended applications keep their uploads for
UPLOAD_RETENTION_DAYS, then lose them.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, func, select, update

from webapp import clock
from webapp.documents.quality import assess
from webapp.documents.upload_checks import CleanFile, UploadRefused, inspect_upload
from webapp.extensions import db
from webapp.integrations.storage import Storage, StorageUnavailable, storage_from_config
from webapp.jobs import enqueue
from webapp.models import Application, AuditEntry, Document
from webapp.rules import journey
from webapp.rules.statuses import FINAL

__all__ = [
    "StillActive",
    "StorageUnavailable",
    "UploadRefused",
    "check",
    "delete_files",
    "stored_keys",
    "delete_uploads_of_ended",
    "load",
    "purge_ended_uploads",
    "required_items",
    "storage",
    "upload",
]

log = logging.getLogger(__name__)


class StillActive(Exception):
    """The application has not ended: its uploads are still needed."""


def storage() -> Storage:
    app = current_app._get_current_object()
    if "storage" not in app.extensions:
        app.extensions["storage"] = storage_from_config(app.config, app.instance_path)
    return app.extensions["storage"]


def required_items(application: Application) -> list[tuple[str, Document | None]]:
    """Each required item with its current upload, in the order the rules give."""
    current = {d.code: d for d in application.documents}
    codes = journey.required_documents(application, clock.today())
    return [(code, current.get(code)) for code in codes]


def upload(application: Application, code: str, data: bytes) -> Document:
    """Store a new upload for an item, replacing the one before; raises UploadRefused, or
    StorageUnavailable with nothing kept."""
    if code not in journey.required_documents(application, clock.today()):
        raise LookupError(code)
    clean = inspect_upload(data)
    stem = f"{application.public_id}/{code}-{uuid.uuid4().hex}"
    files = {f"{stem}{clean.extension}": clean.content}
    if clean.thumbnail:
        files[f"{stem}-thumb.jpg"] = clean.thumbnail
    document = next((d for d in application.documents if d.code == code), None)
    replaced = [document.storage_key, document.thumbnail_key] if document else []
    try:
        # Every file is stored before the row points at them: a failure in between leaves the
        # row as it was and takes back the files stored so far.
        for key, content in files.items():
            storage().save(key, content)
        if document is None:
            document = Document(code=code)
            application.documents.append(document)
        _point_at(document, stem, clean)
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_files(files)
        raise
    delete_files(replaced)  # only once the new file is the current one
    enqueue(
        "webapp.jobs.verification.check_document",
        document.id,
        document.storage_key,
        queue="verification",
    )
    return document


def _point_at(document: Document, stem: str, clean: CleanFile) -> None:
    """The row describes the upload stored under stem, its quality yet to be judged."""
    document.storage_key = f"{stem}{clean.extension}"
    document.thumbnail_key = f"{stem}-thumb.jpg" if clean.thumbnail else None
    document.media_type = clean.media_type
    document.size_bytes = len(clean.content)
    document.width, document.height, document.pages = clean.width, clean.height, clean.pages
    document.check_status = "pending"
    document.uploaded_at = clock.now()


def check(document_id: int, storage_key: str) -> None:
    """Judge the quality of an upload; ignored if it was replaced meanwhile."""
    document = db.session.get(Document, document_id)
    if document is None or document.storage_key != storage_key:
        return
    try:
        content = storage().load(storage_key)
    except KeyError:
        return  # replaced and deleted since
    assessment = assess(content, document.media_type, document.code)
    db.session.execute(
        update(Document)
        .where(Document.id == document_id, Document.storage_key == storage_key)
        .values(check_status=assessment.status, check_problem=assessment.problem)
    )
    db.session.commit()


def load(document: Document, variant: str) -> bytes:
    key = document.thumbnail_key if variant == "thumbnail" else document.storage_key
    if key is None:
        raise KeyError(variant)
    return storage().load(key)


def stored_keys(documents: Iterable[Document]) -> list[str]:
    """The storage keys of documents' files and thumbnails: read them before the commit that
    removes the rows, delete them with delete_files() after it."""
    return [key for d in documents for key in (d.storage_key, d.thumbnail_key) if key]


def delete_files(keys: Iterable[str | None]) -> None:
    """Delete files no row refers to any more. Storage down leaves them behind, logged: the
    change that dropped them has happened, and a file nobody points at is never shown."""
    for key in filter(None, keys):
        try:
            storage().delete(key)
        except StorageUnavailable as error:
            log.warning("left behind %s, no longer referred to: %s", key, error)


def delete_uploads_of_ended(application_id: int) -> int:
    """Delete every upload of one ended application, rows then files; returns how many.

    Raises StillActive for an application that has not ended. An ended status is final (no
    transition leaves it), so what is read here cannot change before the delete commits.
    """
    application = db.session.get(Application, application_id)
    if application is None or application.status not in FINAL:
        raise StillActive(application_id)
    documents = list(application.documents)
    keys = stored_keys(documents)
    for document in documents:
        application.documents.remove(document)
    db.session.commit()
    delete_files(keys)
    return len(documents)


def purge_ended_uploads() -> int:
    """Delete the uploads of applications that ended more than UPLOAD_RETENTION_DAYS ago.

    When an application ended is read from its audit trail (its last move to a final status);
    returns how many applications lost their uploads.
    """
    cutoff = clock.now() - timedelta(days=current_app.config["UPLOAD_RETENTION_DAYS"])
    ended = (
        select(AuditEntry.application_id, func.max(AuditEntry.at).label("at"))
        .where(AuditEntry.entity == "application", AuditEntry.to_status.in_(FINAL))
        .group_by(AuditEntry.application_id)
        .subquery()
    )
    due = db.session.scalars(
        select(Application.id)
        .outerjoin(ended, ended.c.application_id == Application.id)
        .where(
            Application.status.in_(FINAL),
            func.coalesce(ended.c.at, Application.updated_at) <= cutoff,
            exists().where(Document.application_id == Application.id),
        )
        .order_by(Application.id)
    ).all()
    return sum(bool(delete_uploads_of_ended(application_id)) for application_id in due)
