"""waiting rooms for quota releases, their entries, and the waitlist for freed places

Revision ID: 0016_waiting_rooms
Revises: 0016_offline_drafts
Create Date: 2026-12-01 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

revision = "0016_waiting_rooms"
down_revision = "0016_offline_drafts"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('listed', 'offered')")


def upgrade():
    op.create_table(
        "waiting_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("release_at", UTCDateTime(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("drawn_at", UTCDateTime(), nullable=True),
        sa.Column("sold_out_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("office_id", "release_at", name=op.f("uq_waiting_rooms_office_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_rooms")),
    )
    op.create_table(
        "room_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("waiting_rooms.id"), nullable=False),
        sa.Column(
            "application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False
        ),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("nik", sa.String(16), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("token", sa.String(24), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("admitted_at", UTCDateTime(), nullable=True),
        sa.Column("admission_expires_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'admitted', 'used', 'lapsed', 'sold_out')",
            name=op.f("ck_room_entries_entry_status"),
        ),
        sa.UniqueConstraint("room_id", "nik", name="uq_room_entries_nik"),
        sa.UniqueConstraint("room_id", "application_id", name="uq_room_entries_application"),
        sa.UniqueConstraint("room_id", "position", name="uq_room_entries_position"),
        sa.UniqueConstraint("token", name=op.f("uq_room_entries_token")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_entries")),
    )
    op.create_index("ix_room_entries_room_status", "room_entries", ["room_id", "status"])
    op.create_index(op.f("ix_room_entries_application_id"), "room_entries", ["application_id"])
    op.create_index(op.f("ix_room_entries_account_id"), "room_entries", ["account_id"])
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column(
            "application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False
        ),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("lane", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("offered_hold_id", sa.Integer(), sa.ForeignKey("holds.id"), nullable=True),
        sa.Column("offered_at", UTCDateTime(), nullable=True),
        sa.Column("offer_expires_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('listed', 'offered', 'taken', 'passed')",
            name=op.f("ck_waitlist_entries_waitlist_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        "uq_waitlist_entries_active",
        "waitlist_entries",
        ["application_id"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index(
        "ix_waitlist_entries_office_status", "waitlist_entries", ["office_id", "status", "id"]
    )
    op.create_index(op.f("ix_waitlist_entries_account_id"), "waitlist_entries", ["account_id"])


def downgrade():
    op.drop_index(op.f("ix_waitlist_entries_account_id"), table_name="waitlist_entries")
    op.drop_index("ix_waitlist_entries_office_status", table_name="waitlist_entries")
    op.drop_index("uq_waitlist_entries_active", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    op.drop_index(op.f("ix_room_entries_account_id"), table_name="room_entries")
    op.drop_index(op.f("ix_room_entries_application_id"), table_name="room_entries")
    op.drop_index("ix_room_entries_room_status", table_name="room_entries")
    op.drop_table("room_entries")
    op.drop_table("waiting_rooms")
