"""invitations of office staff and supervisors

Revision ID: 0015_invitations
Revises: 0014_changes
Create Date: 2026-12-01 14:30:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0015_invitations"
down_revision = "0014_changes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("replaced_at", UTCDateTime(), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
        sa.CheckConstraint(
            "role IN ('staff', 'supervisor')", name=op.f("ck_invitations_invitation_role")
        ),
    )
    op.create_index("ix_invitations_email", "invitations", ["email"])
    op.create_index(op.f("ix_invitations_office_id"), "invitations", ["office_id"])


def downgrade():
    op.drop_index(op.f("ix_invitations_office_id"), table_name="invitations")
    op.drop_index("ix_invitations_email", table_name="invitations")
    op.drop_table("invitations")
