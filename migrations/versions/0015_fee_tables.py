"""fee tables as data, loaded with the two regulations the code priced until now; the office's
release kind (weekly or monthly) and minute

Revision ID: 0015_fee_tables
Revises: 0015_invitations
Create Date: 2026-12-01 16:00:00
"""

from datetime import UTC, date, datetime

from alembic import op
import sqlalchemy as sa

from webapp.models.types import UTCDateTime

revision = "0015_fee_tables"
down_revision = "0015_invitations"
branch_labels = None
depends_on = None

# Frozen here as they were in webapp/rules/fees.py (PP 28/2019, PP 45/2024): a migration keeps
# the data of its day whatever the code becomes.
TABLES = (
    {
        "name": "PP 28/2019",
        "valid_from": date(2019, 5, 3),
        "valid_until": date(2024, 12, 16),
        "exemptions": "",
        "exempt_kinds": "",
        "amounts": {
            "ordinary_5": 350_000,
            "electronic_5": 650_000,
            "express": 1_000_000,
            "fine_lost": 1_000_000,
            "fine_damaged": 500_000,
            "fine_force_majeure": 0,
        },
    },
    {
        "name": "PP 45/2024",
        "valid_from": date(2024, 12, 17),
        "valid_until": None,
        "exemptions": "government_scholarship,pmi_first_time,poor_abroad",
        "exempt_kinds": "ordinary",
        "amounts": {
            "ordinary_5": 350_000,
            "ordinary_10": 650_000,
            "electronic_5": 650_000,
            "electronic_10": 950_000,
            "express": 1_000_000,
            "fine_lost": 1_000_000,
            "fine_damaged": 500_000,
            "fine_force_majeure": 0,
        },
    },
)


def upgrade():
    fee_tables = op.create_table(
        "fee_tables",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("exemptions", sa.String(120), nullable=False),
        sa.Column("exempt_kinds", sa.String(40), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name=op.f("ck_fee_tables_fee_table_validity"),
        ),
        sa.UniqueConstraint("name", name=op.f("uq_fee_tables_name")),
        sa.UniqueConstraint("valid_from", name=op.f("uq_fee_tables_valid_from")),
    )
    fee_amounts = op.create_table(
        "fee_amounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("table_id", sa.Integer(), sa.ForeignKey("fee_tables.id"), nullable=False),
        sa.Column("item", sa.String(24), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_fee_amounts_fee_amount")),
        sa.UniqueConstraint("table_id", "item", name=op.f("uq_fee_amounts_table_id")),
    )
    loaded_at = datetime(2026, 12, 1, tzinfo=UTC)
    for number, table in enumerate(TABLES, start=1):
        op.bulk_insert(
            fee_tables,
            [
                {
                    "id": number,
                    "name": table["name"],
                    "valid_from": table["valid_from"],
                    "valid_until": table["valid_until"],
                    "exemptions": table["exemptions"],
                    "exempt_kinds": table["exempt_kinds"],
                    "created_by": None,
                    "created_at": loaded_at,
                }
            ],
        )
        op.bulk_insert(
            fee_amounts,
            [
                {"table_id": number, "item": item, "amount": amount}
                for item, amount in table["amounts"].items()
            ],
        )
    if op.get_bind().dialect.name == "postgresql":  # ids given above: move the sequence on
        op.execute("SELECT setval('fee_tables_id_seq', (SELECT max(id) FROM fee_tables))")
    with op.batch_alter_table("offices") as batch:
        batch.add_column(
            sa.Column("release_kind", sa.String(8), nullable=False, server_default="weekly")
        )
        batch.add_column(
            sa.Column("release_minute", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_check_constraint(
            op.f("ck_offices_release_schedule"),
            "release_kind IN ('weekly', 'monthly') AND release_minute BETWEEN 0 AND 59",
        )


def downgrade():
    with op.batch_alter_table("offices") as batch:
        batch.drop_constraint(op.f("ck_offices_release_schedule"), type_="check")
        batch.drop_column("release_minute")
        batch.drop_column("release_kind")
    op.drop_table("fee_amounts")
    op.drop_table("fee_tables")
