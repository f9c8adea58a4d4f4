"""a version on every draft and the submission keys already applied, for offline drafting

Revision ID: 0016_offline_drafts
Revises: 0015_report_indexes
Create Date: 2026-12-01 16:30:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0016_offline_drafts"
down_revision = "0015_report_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications") as batch:
        batch.add_column(
            sa.Column("draft_version", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_table(
        "step_submissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("step", sa.String(48), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_step_submissions_application_id", "step_submissions", ["application_id"])


def downgrade():
    op.drop_index("ix_step_submissions_application_id", table_name="step_submissions")
    op.drop_table("step_submissions")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("draft_version")
