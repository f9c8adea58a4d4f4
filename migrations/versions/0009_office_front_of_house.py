"""the office's front of house: staff of an office with a second factor, visits with queue
numbers, counters, and the office's check-in and calling settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:10:00

audit_entries gains a plain nullable column with ALTER TABLE (never a batch copy, which on
SQLite would drop the append-only triggers of 0008 with the old table).
"""

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OFFICE_COLUMNS = (
    ("priority_per_hour", "0"),
    ("checkin_opens_minutes", "60"),
    ("call_weight_priority", "1"),
    ("call_weight_express", "1"),
    ("call_weight_regular", "2"),
)


def upgrade():
    with op.batch_alter_table("offices") as batch:
        for name, default in OFFICE_COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=default))
        batch.create_check_constraint(op.f("ck_offices_priority_capacity"), "priority_per_hour >= 0")
        batch.create_check_constraint(
            op.f("ck_offices_checkin_window"), "checkin_opens_minutes BETWEEN 0 AND 600"
        )
        batch.create_check_constraint(
            op.f("ck_offices_call_weights"),
            "call_weight_priority >= 0 AND call_weight_express >= 0 AND call_weight_regular >= 0",
        )

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.String(255), nullable=True))
        batch.add_column(sa.Column("totp_enrolled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("failed_codes", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_users_office_id_offices"), "offices", ["office_id"], ["id"]
        )
        batch.create_index(op.f("ix_users_office_id"), ["office_id"])
        batch.create_check_constraint(
            op.f("ck_users_office_of_role"),
            "(role IN ('staff', 'supervisor')) = (office_id IS NOT NULL)",
        )

    op.add_column("audit_entries", sa.Column("counter_number", sa.Integer(), nullable=True))

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("applications.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lane", sa.String(10), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("priority_group", sa.String(16), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("checked_in_at", UTCDateTime(), nullable=False),
        sa.Column("checked_in_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("counter_number", sa.Integer(), nullable=True),
        sa.Column("called_at", UTCDateTime(), nullable=True),
        sa.Column("called_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("sent_back", sa.Boolean(), nullable=False),
        sa.Column("served_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("office_id", "day", "lane", "number", name="uq_visits_number"),
    )
    op.create_index(
        "ix_visits_line", "visits", ["office_id", "day", "lane", "status", "rank", "queued_at"]
    )

    op.create_table(
        "queue_sequences",
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lane", sa.String(10), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "day", "lane"),
    )

    op.create_table(
        "counter_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("counter_number", sa.Integer(), nullable=False),
        sa.Column("lanes", sa.String(40), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    open_only = sa.text("closed_at IS NULL")
    op.create_index(
        "uq_counter_sessions_open_counter",
        "counter_sessions",
        ["office_id", "counter_number"],
        unique=True,
        postgresql_where=open_only,
        sqlite_where=open_only,
    )
    op.create_index(
        "uq_counter_sessions_open_staff",
        "counter_sessions",
        ["staff_id"],
        unique=True,
        postgresql_where=open_only,
        sqlite_where=open_only,
    )


def downgrade():
    op.drop_table("counter_sessions")
    op.drop_table("queue_sequences")
    op.drop_index("ix_visits_line", table_name="visits")
    op.drop_table("visits")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_column("audit_entries", "counter_number")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_office_of_role"), type_="check")
        batch.drop_index(op.f("ix_users_office_id"))
        batch.drop_constraint(op.f("fk_users_office_id_offices"), type_="foreignkey")
        for name in (
            "locked_until",
            "failed_codes",
            "totp_last_step",
            "totp_enrolled_at",
            "totp_secret",
            "office_id",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("offices") as batch:
        for name in ("call_weights", "checkin_window", "priority_capacity"):
            batch.drop_constraint(op.f(f"ck_offices_{name}"), type_="check")
        for name, _ in reversed(OFFICE_COLUMNS):
            batch.drop_column(name)
