"""after approval: collection dates, handovers, receipt batches, leave days, e-passport stock

Revision ID: 0012_issuance
Revises: 0011_screening
Create Date: 2026-12-01 14:00:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0012_issuance"
down_revision = "0011_screening"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("offices") as batch:
        batch.create_check_constraint(op.f("ck_offices_epassport_stock"), "epassport_stock >= 0")
    op.create_table(
        "leave_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("added_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("day"),
    )
    op.create_table(
        "issuances",
        sa.Column(
            "application_id", sa.Integer(), sa.ForeignKey("applications.id"), primary_key=True
        ),
        sa.Column("collect_from", sa.Date(), nullable=False),
        sa.Column("ready_since", UTCDateTime(), nullable=True),
    )
    op.create_index(op.f("ix_issuances_ready_since"), "issuances", ["ready_since"])
    op.create_table(
        "handovers",
        sa.Column(
            "application_id", sa.Integer(), sa.ForeignKey("applications.id"), primary_key=True
        ),
        sa.Column("collector", sa.String(10), nullable=False),
        sa.Column("collector_name", sa.String(120), nullable=False),
        sa.Column("collector_nik", sa.String(16), nullable=True),
        sa.Column("relationship", sa.String(16), nullable=True),
        sa.Column("identity_document", sa.String(60), nullable=False),
        sa.Column("letter_note", sa.String(200), nullable=True),
        sa.Column("handed_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("handed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "collector IN ('applicant', 'family', 'attorney')",
            name=op.f("ck_handovers_collector_kind"),
        ),
        sa.CheckConstraint(
            "collector <> 'family' OR (collector_nik IS NOT NULL AND relationship IS NOT NULL)",
            name=op.f("ck_handovers_family_collector"),
        ),
        sa.CheckConstraint(
            "collector <> 'attorney' OR (collector_nik IS NOT NULL AND letter_note IS NOT NULL)",
            name=op.f("ck_handovers_attorney_collector"),
        ),
    )
    op.create_table(
        "print_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("paper", sa.String(4), nullable=False),
        sa.Column("application_ids", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("rendered", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("paper IN ('a4', 'roll')", name=op.f("ck_print_batches_batch_paper")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_print_batches_batch_status"),
        ),
        sa.CheckConstraint(
            "rendered BETWEEN 0 AND total", name=op.f("ck_print_batches_batch_progress")
        ),
    )
    op.create_index(op.f("ix_print_batches_office_id"), "print_batches", ["office_id"])


def downgrade():
    op.drop_index(op.f("ix_print_batches_office_id"), table_name="print_batches")
    op.drop_table("print_batches")
    op.drop_table("handovers")
    op.drop_index(op.f("ix_issuances_ready_since"), table_name="issuances")
    op.drop_table("issuances")
    op.drop_table("leave_days")
    with op.batch_alter_table("offices") as batch:
        batch.drop_constraint(op.f("ck_offices_epassport_stock"), type_="check")
