"""Verification jobs: NIK against the registry, and the quality of each uploaded document.

Both take ids plus the version they were asked about, and are safe to run twice: a result is
stored only while that version is current, and its notification is sent at most once.
"""

from rq import get_current_job

from webapp.integrations.population_registry import RegistryRejected, RegistryUnavailable
from webapp.services import documents, verification


def verify_nik(application_id: int, version: int) -> None:
    try:
        verification.check(application_id, version)
    except RegistryUnavailable:
        job = get_current_job()
        if job is not None and job.retries_left:
            raise  # RQ tries again later, with backoff
        verification.record_failure(application_id, version, "registry_unavailable")
    except RegistryRejected:
        verification.record_failure(application_id, version, "registry_rejected")


def check_document(document_id: int, storage_key: str) -> None:
    documents.check(document_id, storage_key)
