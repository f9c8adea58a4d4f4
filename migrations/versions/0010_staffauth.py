"""account security events, append-only

Revision ID: 0010_staffauth
Revises: 0009
Create Date: 2026-12-01 11:00:00

The security events of accounts (staff created, second factor enrolled, recovery codes made and
used, locks after wrong codes) are kept like the audit trail: database triggers refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL), whoever connects.
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0010_staffauth"
down_revision = "0009"
branch_labels = None
depends_on = None

_REFUSAL = "account_events is append-only"

_POSTGRES_UP = (
    f"""
    CREATE FUNCTION account_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSAL}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER account_events_no_update_or_delete BEFORE UPDATE OR DELETE ON account_events
    FOR EACH ROW EXECUTE FUNCTION account_events_append_only()
    """,
    """
    CREATE TRIGGER account_events_no_truncate BEFORE TRUNCATE ON account_events
    FOR EACH STATEMENT EXECUTE FUNCTION account_events_append_only()
    """,
)
_POSTGRES_DOWN = (
    "DROP TRIGGER account_events_no_truncate ON account_events",
    "DROP TRIGGER account_events_no_update_or_delete ON account_events",
    "DROP FUNCTION account_events_append_only()",
)
_SQLITE_UP = tuple(
    f"""
    CREATE TRIGGER account_events_no_{operation.lower()} BEFORE {operation} ON account_events
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: {operation} refused'); END
    """
    for operation in ("UPDATE", "DELETE")
)
_SQLITE_DOWN = (
    "DROP TRIGGER account_events_no_update",
    "DROP TRIGGER account_events_no_delete",
)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table(
        "account_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(op.f("ix_account_events_user_id"), "account_events", ["user_id"])
    for statement in _POSTGRES_UP if _is_postgres() else _SQLITE_UP:
        op.execute(statement)


def downgrade():
    for statement in _POSTGRES_DOWN if _is_postgres() else _SQLITE_DOWN:
        op.execute(statement)
    op.drop_index(op.f("ix_account_events_user_id"), table_name="account_events")
    op.drop_table("account_events")
