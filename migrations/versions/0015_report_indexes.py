"""indexes for the day's figures across offices and periods, and the kept figures of past days

Revision ID: 0015_report_indexes
Revises: 0015_closures
Create Date: 2026-12-01 15:00:00
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0015_report_indexes"
down_revision = "0015_closures"
branch_labels = None
depends_on = None

_VISIT_DONE = sa.text("entity = 'visit' AND to_status = 'done'")


def upgrade():
    # Decisions and no-shows of a period: by the status reached, then the moment.
    op.create_index("ix_audit_entries_status_at", "audit_entries", ["to_status", "at"])
    # The end of a visit's service, found from the visit.
    op.create_index(
        "ix_audit_entries_visit_done",
        "audit_entries",
        ["entity_id"],
        postgresql_where=_VISIT_DONE,
        sqlite_where=_VISIT_DONE,
    )
    # Every office's slots and visits of a period (the office's own indexes lead with it).
    op.create_index("ix_slots_starts_at", "slots", ["starts_at"])
    op.create_index("ix_visits_day", "visits", ["day", "office_id"])
    # The figures of days that are over, per office (services/reports.py roll_up).
    op.create_table(
        "figure_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "released", "booked", "paid", "checked_in", "no_shows", "approved", "incomplete",
                "rejected_total",
            )
        ],
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("waits", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("service_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", "office_id", name="pk_figure_days"),
    )
    op.create_table(
        "figure_rollups",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("figure_rollups")
    op.drop_table("figure_days")
    op.drop_index("ix_visits_day", table_name="visits")
    op.drop_index("ix_slots_starts_at", table_name="slots")
    op.drop_index("ix_audit_entries_visit_done", table_name="audit_entries")
    op.drop_index("ix_audit_entries_status_at", table_name="audit_entries")
