"""closures for part of a day, and the special reschedule offered to the bookings they close

Revision ID: 0015_closures
Revises: 0015_fee_tables
Create Date: 2026-12-01 14:30:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0015_closures"
down_revision = "0015_fee_tables"
branch_labels = None
depends_on = None


def upgrade():
    # A day may now have several closures of some hours each: overlaps are refused by the
    # service under the office's row lock, so the one-per-day unique constraint goes.
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.drop_constraint("uq_closures_office_id", type_="unique")
        batch_op.add_column(sa.Column("from_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("to_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_closures_created_by_users"), "users", ["created_by"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_closures_closure_hours"),
            "(from_hour IS NULL AND to_hour IS NULL) OR "
            "(from_hour >= 0 AND to_hour <= 24 AND from_hour < to_hour)",
        )
        batch_op.create_index(batch_op.f("ix_closures_office_day"), ["office_id", "day"])
    op.create_table(
        "closure_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closure_id", sa.Integer(), sa.ForeignKey("closures.id"), nullable=False),
        sa.Column(
            "application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False
        ),
        sa.Column("closed_hold_id", sa.Integer(), sa.ForeignKey("holds.id"), nullable=False),
        sa.Column("offered_hold_id", sa.Integer(), sa.ForeignKey("holds.id"), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("mailed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint(
            "closure_id", "application_id", name=op.f("uq_closure_offers_closure_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_offers")),
    )
    op.create_index(
        op.f("ix_closure_offers_application_id"), "closure_offers", ["application_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_closure_offers_application_id"), table_name="closure_offers")
    op.drop_table("closure_offers")
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closures_office_day"))
        batch_op.drop_constraint(batch_op.f("ck_closures_closure_hours"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_closures_created_by_users"), type_="foreignkey")
        batch_op.drop_column("created_at")
        batch_op.drop_column("created_by")
        batch_op.drop_column("to_hour")
        batch_op.drop_column("from_hour")
        batch_op.create_unique_constraint("uq_closures_office_id", ["office_id", "day"])
