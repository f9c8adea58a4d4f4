"""the append-only trail of administrators' and supervisors' changes

Revision ID: 0014_changes
Revises: 0013_receipts
Create Date: 2026-12-01 15:30:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models import append_only
from webapp.models.types import UTCDateTime

revision = "0014_changes"
down_revision = "0013_receipts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=True),
        sa.Column("entity", sa.String(24), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(op.f("ix_changes_office_id"), "changes", ["office_id"])
    op.create_index(op.f("ix_changes_at"), "changes", ["at"])
    for statement in append_only.up("changes", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in append_only.down("changes", op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index(op.f("ix_changes_at"), table_name="changes")
    op.drop_index(op.f("ix_changes_office_id"), table_name="changes")
    op.drop_table("changes")
