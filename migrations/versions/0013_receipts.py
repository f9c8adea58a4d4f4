"""receipt batches: when a batch was last queued, started or advanced, to tell a stalled one

Revision ID: 0013_receipts
Revises: 0012_issuance
Create Date: 2026-12-01 15:00:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0013_receipts"
down_revision = "0012_issuance"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("print_batches") as batch:
        batch.add_column(sa.Column("touched_at", UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("print_batches") as batch:
        batch.drop_column("touched_at")
