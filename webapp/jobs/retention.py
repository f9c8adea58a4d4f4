"""Retention job: the uploads of applications ended long enough ago are deleted. Safe to rerun."""

from webapp.services import documents


def purge_uploads() -> None:
    documents.purge_ended_uploads()
