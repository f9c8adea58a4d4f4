"""The fee tables the migration loads (0015_fee_tables.TABLES), loaded again after each test's
tables are emptied: quoting needs a table in force, as in every migrated database."""

import importlib.util
import os

from webapp.extensions import db
from webapp.models import FeeAmount, FeeTable
from webapp.rules import fees

_MIGRATION = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "migrations", "versions", "0015_fee_tables.py"
)


def migrated_tables() -> tuple[dict, ...]:
    spec = importlib.util.spec_from_file_location("fee_tables_migration", _MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TABLES


def load_migrated_fee_tables() -> None:
    """Insert the migration's tables into an emptied database; the caller commits."""
    for table in migrated_tables():
        db.session.add(
            FeeTable(
                name=table["name"],
                valid_from=table["valid_from"],
                valid_until=table["valid_until"],
                exemptions=table["exemptions"],
                exempt_kinds=table["exempt_kinds"],
                amounts=[
                    FeeAmount(item=item, amount=amount) for item, amount in table["amounts"].items()
                ],
            )
        )


def migrated_rule_tables() -> tuple[fees.FeeTable, ...]:
    """The migration's tables as the rules take them, oldest first."""
    return tuple(
        fees.from_amounts(
            table["name"],
            table["valid_from"],
            table["valid_until"],
            table["amounts"],
            exemptions=frozenset(filter(None, table["exemptions"].split(","))),
            exempt_kinds=frozenset(filter(None, table["exempt_kinds"].split(","))),
        )
        for table in migrated_tables()
    )
