"""holds and bills get state machines: unpaid bills are "open"; notices keep the bank's paid-at

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 07:10:00

"""

from alembic import op
import sqlalchemy as sa

import webapp.models.types


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE bills SET status = 'open' WHERE status = 'unpaid'")
    with op.batch_alter_table("payment_notices") as batch:
        batch.add_column(sa.Column("paid_at", webapp.models.types.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("payment_notices") as batch:
        batch.drop_column("paid_at")
    # Before this revision a bill no longer payable was simply left unpaid.
    op.execute("UPDATE bills SET status = 'unpaid' WHERE status IN ('open', 'void')")
