"""the counter's review: documents compared with their originals, capture, interview, decision

Revision ID: 0011_review
Revises: 0010_staffauth
Create Date: 2026-12-01 12:00:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0011_review"
down_revision = "0010_staffauth"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("photo_ref", sa.String(40), nullable=True),
        sa.Column("fingerprints_ref", sa.String(40), nullable=True),
        sa.Column("captured_at", UTCDateTime(), nullable=True),
        sa.Column("captured_by", sa.Integer(), nullable=True),
        sa.Column("interview_notes", sa.Text(), nullable=True),
        sa.Column("owed_documents", sa.JSON(), nullable=False),
        sa.Column("owed_since", UTCDateTime(), nullable=True),
        sa.Column("owed_until", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("counter_number", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("rejection_reason", sa.String(32), nullable=True),
        sa.Column("rejection_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_reviews_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["captured_by"], ["users.id"], name=op.f("fk_reviews_captured_by_users")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_reviews_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["users.id"], name=op.f("fk_reviews_confirmed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("application_id", name=op.f("uq_reviews_application_id")),
    )
    op.create_table(
        "document_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("matches", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("judged_by", sa.Integer(), nullable=False),
        sa.Column("judged_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_document_reviews_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["judged_by"], ["users.id"], name=op.f("fk_document_reviews_judged_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_reviews")),
        sa.UniqueConstraint(
            "application_id", "code", name=op.f("uq_document_reviews_application_id")
        ),
    )


def downgrade():
    op.drop_table("document_reviews")
    op.drop_table("reviews")
