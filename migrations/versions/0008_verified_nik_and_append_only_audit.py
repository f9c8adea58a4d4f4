"""only a verified NIK claims; audit entries are append-only

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 07:10:00

A NIK is held by an active application only once it is verified, so an unverified draft can no
longer squat it. The audit trail refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the
database itself, whoever connects.

SQLite keeps triggers with their table: a later batch_alter_table on audit_entries recreates the
table and must create these triggers again.
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FINAL = "'cancelled', 'collected', 'expired', 'no_show', 'rejected', 'uncollected'"
_ACTIVE = f"status NOT IN ({_FINAL})"
_ACTIVE_VERIFIED = f"{_ACTIVE} AND nik_status = 'verified'"
_REFUSAL = "audit_entries is append-only"

_POSTGRES_UP = (
    f"""
    CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSAL}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_entries_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
    """,
    """
    CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
    """,
)
_POSTGRES_DOWN = (
    "DROP TRIGGER audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER audit_entries_no_update_or_delete ON audit_entries",
    "DROP FUNCTION audit_entries_append_only()",
)
_SQLITE_UP = tuple(
    f"""
    CREATE TRIGGER audit_entries_no_{operation.lower()} BEFORE {operation} ON audit_entries
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: {operation} refused'); END
    """
    for operation in ("UPDATE", "DELETE")
)
_SQLITE_DOWN = (
    "DROP TRIGGER audit_entries_no_update",
    "DROP TRIGGER audit_entries_no_delete",
)


def _replace_nik_index(old: str, new: str, predicate: str) -> None:
    op.drop_index(old, table_name="applications")
    op.create_index(
        new,
        "applications",
        ["nik"],
        unique=True,
        postgresql_where=sa.text(predicate),
        sqlite_where=sa.text(predicate),
    )


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    _replace_nik_index("uq_applications_active_nik", "uq_applications_verified_nik", _ACTIVE_VERIFIED)
    for statement in _POSTGRES_UP if _is_postgres() else _SQLITE_UP:
        op.execute(statement)


def downgrade():
    for statement in _POSTGRES_DOWN if _is_postgres() else _SQLITE_DOWN:
        op.execute(statement)
    # Fails if two active applications now share a NIK, as it should: choose which one goes.
    _replace_nik_index("uq_applications_verified_nik", "uq_applications_active_nik", _ACTIVE)
