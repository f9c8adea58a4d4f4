"""Uploaded documents: judged by content, normalised, stored outside static/, one per item."""

import os
import uuid

from flask import current_app
from sqlalchemy import update

from webapp import clock
from webapp.documents.quality import assess
from webapp.documents.upload_checks import UploadRefused, inspect_upload
from webapp.extensions import db
from webapp.integrations.storage import FileSystemStorage, Storage
from webapp.jobs import enqueue
from webapp.models import Application, Document
from webapp.rules import journey

__all__ = ["UploadRefused", "check", "load", "required_items", "storage", "upload"]


def storage() -> Storage:
    app = current_app._get_current_object()
    if "storage" not in app.extensions:
        app.extensions["storage"] = FileSystemStorage(os.path.join(app.instance_path, "uploads"))
    return app.extensions["storage"]


def required_items(application: Application) -> list[tuple[str, Document | None]]:
    """Each required item with its current upload, in the order the rules give."""
    current = {d.code: d for d in application.documents}
    codes = journey.required_documents(application, clock.today())
    return [(code, current.get(code)) for code in codes]


def upload(application: Application, code: str, data: bytes) -> Document:
    """Store a new upload for an item, replacing the one before; raises UploadRefused."""
    if code not in journey.required_documents(application, clock.today()):
        raise LookupError(code)
    clean = inspect_upload(data)
    stem = f"{application.public_id}/{code}-{uuid.uuid4().hex}"
    files = {f"{stem}{clean.extension}": clean.content}
    if clean.thumbnail:
        files[f"{stem}-thumb.jpg"] = clean.thumbnail
    for key, content in files.items():
        storage().save(key, content)
    document = next((d for d in application.documents if d.code == code), None)
    replaced = [document.storage_key, document.thumbnail_key] if document else []
    if document is None:
        document = Document(code=code)
        application.documents.append(document)
    document.storage_key = f"{stem}{clean.extension}"
    document.thumbnail_key = f"{stem}-thumb.jpg" if clean.thumbnail else None
    document.media_type = clean.media_type
    document.size_bytes = len(clean.content)
    document.width, document.height, document.pages = clean.width, clean.height, clean.pages
    document.check_status = "pending"
    document.uploaded_at = clock.now()
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in files:
            storage().delete(key)
        raise
    for key in filter(None, replaced):  # only once the new file is the current one
        storage().delete(key)
    enqueue(
        "webapp.jobs.verification.check_document",
        document.id,
        document.storage_key,
        queue="verification",
    )
    return document


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
