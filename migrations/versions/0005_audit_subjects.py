"""audit entries name what changed: the application, a hold or a bill

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(
            sa.Column("entity", sa.String(length=12), nullable=False, server_default="application")
        )
        batch.add_column(sa.Column("entity_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("entity_id")
        batch.drop_column("entity")
