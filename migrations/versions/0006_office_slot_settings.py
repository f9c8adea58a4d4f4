"""each office's slot settings: its hours, places per lane and hour, and the rolling window

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 07:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("first_slot_hour", "8"),
    ("last_slot_hour", "14"),
    ("regular_per_hour", "0"),
    ("express_per_hour", "0"),
    ("slot_window_days", "60"),
)


def upgrade():
    with op.batch_alter_table("offices") as batch:
        for name, default in COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=default))
        batch.create_check_constraint(
            op.f("ck_offices_slot_hours"),
            "first_slot_hour >= 0 AND last_slot_hour <= 23 AND first_slot_hour <= last_slot_hour",
        )
        batch.create_check_constraint(
            op.f("ck_offices_slot_capacity"), "regular_per_hour >= 0 AND express_per_hour >= 0"
        )
        batch.create_check_constraint(
            op.f("ck_offices_slot_window"), "slot_window_days BETWEEN 1 AND 366"
        )


def downgrade():
    with op.batch_alter_table("offices") as batch:
        for name in ("slot_window", "slot_capacity", "slot_hours"):
            batch.drop_constraint(op.f(f"ck_offices_{name}"), type_="check")
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
