"""What a request is about, looked up once however many parts of it ask."""

from flask import g
from flask_login import current_user

from webapp.services import applications


def application(public_id: str, with_documents: bool = False):
    """The signed-in account's application of that public id, or None, looked up once in a
    request (a rate limit's key may have read it before the view). Kept in `g`, which lives for
    one request, under the account's id: never another request's or another account's.
    `with_documents`: its documents read in the same query, when this is the first lookup."""
    found = g.setdefault("applications", {})
    key = (current_user.id, public_id)
    if key not in found:
        found[key] = applications.for_owner(current_user.id, public_id, with_documents)
    return found[key]
