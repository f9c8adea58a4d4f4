"""travel-ban checks of applications

Revision ID: 0011_screening
Revises: 0011_fines
Create Date: 2026-12-01 11:30:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0011_screening"
down_revision = "0011_fines"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "screening_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False
        ),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("application_id"),
    )
    op.create_index(op.f("ix_screening_checks_office_id"), "screening_checks", ["office_id"])


def downgrade():
    op.drop_index(op.f("ix_screening_checks_office_id"), table_name="screening_checks")
    op.drop_table("screening_checks")
