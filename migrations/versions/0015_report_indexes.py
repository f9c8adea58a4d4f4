"""indexes for the day's figures across offices and periods

Revision ID: 0015_report_indexes
Revises: 0014_changes
Create Date: 2026-12-01 15:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0015_report_indexes"
down_revision = "0014_changes"
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


def downgrade():
    op.drop_index("ix_visits_day", table_name="visits")
    op.drop_index("ix_slots_starts_at", table_name="slots")
    op.drop_index("ix_audit_entries_visit_done", table_name="audit_entries")
    op.drop_index("ix_audit_entries_status_at", table_name="audit_entries")
