"""examination reports (BAP), suspensions, and bills for fines

Revision ID: 0011_fines
Revises: 0011_review
Create Date: 2026-12-01 12:00:00

A bill is for a fee (with its hold) or for a fine billed at the office (no hold): bills.hold_id
becomes nullable and bills.purpose says which. On SQLite the nullable change rebuilds the bills
table (batch mode); no trigger lives on it.
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0011_fines"
down_revision = "0011_review"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(4), server_default="fee", nullable=False)
        )
        batch_op.alter_column("hold_id", existing_type=sa.Integer(), nullable=True)

    op.create_table(
        "examinations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("applications.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("incident", sa.String(16), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("happened_where", sa.String(200), nullable=False),
        sa.Column("police_report_number", sa.String(60), nullable=True),
        sa.Column("kelurahan_letter_number", sa.String(60), nullable=True),
        sa.Column("fine", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), sa.ForeignKey("bills.id"), nullable=True, unique=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "suspensions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("applications.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("suspensions")
    op.drop_table("examinations")
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.alter_column("hold_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("purpose")
