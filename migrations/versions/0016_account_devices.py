"""the browsers each account signed in from, by the hash of a device cookie

Revision ID: 0016_account_devices
Revises: 0016_waiting_rooms
Create Date: 2026-12-01 17:05:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = "0016_account_devices"
down_revision = "0016_waiting_rooms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("device_hash", sa.String(64), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "account_id", "device_hash", name=op.f("uq_account_devices_account_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_devices")),
    )
    op.create_index(op.f("ix_account_devices_device_hash"), "account_devices", ["device_hash"])


def downgrade():
    op.drop_index(op.f("ix_account_devices_device_hash"), table_name="account_devices")
    op.drop_table("account_devices")
