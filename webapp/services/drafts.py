"""Offline drafting on the server: a submission key is applied once, and a step sent from an
older copy of the draft is merged with what was saved since (webapp/rules/drafts.py)."""

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from webapp.extensions import db
from webapp.models.applications import Application, StepSubmission
from webapp.rules import drafts
from webapp.services import documents

# Sent with a conflicted field: which of the two values the applicant chose.
CHOICE_PREFIX = "choose-"


@dataclass
class Received:
    """A post as it is to be validated, after merging it with what was saved since its base."""

    formdata: MultiDict
    merged: bool = False  # the draft had moved on and the post was merged with it
    conflicts: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # field: (mine, theirs)


def document_step(code: str) -> str:
    return f"document:{code}"


@dataclass(frozen=True)
class Submission:
    """A post's submission key (None without a usable one) and what it sent."""

    key: str | None
    fingerprint: str


def submission_of(key: str | None, sent: bytes) -> Submission:
    return Submission(drafts.valid_key(key), hashlib.sha256(sent).hexdigest())


def form_content(formdata: MultiDict) -> bytes:
    """A post's fields as bytes to fingerprint; the CSRF token is the session's, not the post's."""
    fields = sorted((k, v) for k, v in formdata.items(multi=True) if k != "csrf_token")
    return json.dumps(fields).encode()


def already_applied(application: Application, submission: Submission) -> bool | None:
    """True when this very submission was applied; False when its key was, with other content
    (a page changed and sent again from the browser's history): apply it without the key."""
    if submission.key is None:
        return None
    fingerprint = db.session.scalar(
        select(StepSubmission.fingerprint).where(
            StepSubmission.key == submission.key, StepSubmission.application_id == application.id
        )
    )
    return None if fingerprint is None else fingerprint == submission.fingerprint


def record(application: Application, submission: Submission | None, step: str) -> None:
    """Note the key in the transaction that applies it; the unique key refuses a second copy
    at commit (IntegrityError), so that the copy changes nothing."""
    if submission is not None and submission.key is not None:
        db.session.add(
            StepSubmission(
                key=submission.key,
                application_id=application.id,
                step=step,
                fingerprint=submission.fingerprint,
            )
        )


def upload_once(application: Application, code: str, data: bytes, key: str | None) -> bool:
    """Store an upload unless this very file was stored under its key: True when stored now.

    Raises what documents.upload raises (LookupError, UploadRefused), with nothing kept.
    """
    submission = submission_of(key, data)
    seen = already_applied(application, submission)
    if seen:
        return False
    # Committed with the upload, or not at all; a key seen with another file is not kept again.
    record(application, None if seen is False else submission, document_step(code))
    try:
        documents.upload(application, code, data)
    except IntegrityError:  # a copy with the same key arrived at the same time and won
        db.session.rollback()
        return False
    except Exception:
        db.session.rollback()
        raise
    return True


def receive(application: Application, posted: MultiDict, saved: dict, sent: dict) -> Received:
    """Merge a post with the step's saved inputs when it was based on an older version.

    saved and sent are {field: {input name: value}} of the step as saved now and as posted.
    """
    base = drafts.read_base(posted.get("base_version"), posted.get("base_values"))
    mine = {name: _chosen(posted, name, inputs, base) for name, inputs in sent.items()}
    if base is None or base[0] >= application.draft_version:
        return Received(_with(posted, mine))
    shown = base[1]
    was = {name: {k: shown[k] for k in inputs if k in shown} for name, inputs in saved.items()}
    was = {name: inputs for name, inputs in was.items() if len(inputs) == len(saved[name])}
    merged, conflicts = drafts.merge(was, mine, saved)
    return Received(
        _with(posted, merged),
        merged=True,
        conflicts={name: (mine[name], saved[name]) for name in conflicts},
    )


def _chosen(posted: MultiDict, name: str, inputs: dict, base) -> dict:
    """What the applicant sends for a field: as typed, or, where a conflict was resolved in
    favour of the other device, the value the conflict page showed as saved (its base)."""
    if posted.get(CHOICE_PREFIX + name) != "theirs" or base is None:
        return inputs
    return {k: base[1].get(k, v) for k, v in inputs.items()}


def _with(posted: MultiDict, values: dict) -> MultiDict:
    formdata = MultiDict(posted)
    for inputs in values.values():
        for key, value in inputs.items():
            formdata.setlist(key, [value])
    return formdata
