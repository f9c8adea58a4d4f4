"""The trail of administrators' and supervisors' changes: only what differed is kept, and nobody
rewrites it, on SQLite and on PostgreSQL."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from tests.factories import make_office
from tests.integration.test_races import database_url  # noqa: F401 (both databases)
from webapp.extensions import db
from webapp.models import Change
from webapp.services import changes


def test_a_change_keeps_who_and_only_the_fields_that_differ(app):
    with app.app_context():
        office = make_office()
        changes.record(
            None,
            "office",
            office.id,
            "changed",
            before={"name": "Kanim A", "city": "Makassar"},
            after={"name": "Kanim B", "city": "Makassar"},
            office_id=office.id,
        )
        db.session.commit()
        (kept,) = changes.of_office(office.id)
        assert (kept.entity, kept.action) == ("office", "changed")
        assert (kept.before, kept.after) == ({"name": "Kanim A"}, {"name": "Kanim B"})


@pytest.mark.parametrize("statement", ["UPDATE changes SET action = 'x'", "DELETE FROM changes"])
def test_nobody_rewrites_the_trail(app, statement):
    with app.app_context():
        changes.record(None, "fee_table", 1, "created", after={"valid_from": "2026-12-01"})
        db.session.commit()
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Change.id))) == 1
