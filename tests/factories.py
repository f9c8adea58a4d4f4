"""Build records for tests directly, with realistic Indonesian data."""

import itertools

from werkzeug.security import generate_password_hash

from webapp.clock import now
from webapp.extensions import db
from webapp.models import User

PASSWORD = "kopi-tubruk-pagi"
# Hashing is deliberately slow; one hash serves every factory-made account.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt")
_sequence = itertools.count(1)


def make_user(*, verified: bool = True, locale: str = "id", **fields) -> User:
    n = next(_sequence)
    user = User(
        full_name=fields.pop("full_name", f"Budi Santoso {n}"),
        email=fields.pop("email", f"budi{n}@contoh.id"),
        phone=fields.pop("phone", f"+62812{n:08d}"),
        password_hash=_PASSWORD_HASH,
        locale=locale,
        terms_accepted_at=now(),
        verified_at=now() if verified else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user
