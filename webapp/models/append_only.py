"""The DDL that makes a table append-only: triggers that refuse UPDATE and DELETE (and TRUNCATE
on PostgreSQL), for the migrations of the trails nobody may rewrite."""


def up(table: str, dialect: str) -> tuple[str, ...]:
    refusal = f"{table} is append-only"
    if dialect == "postgresql":
        return (
            f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{refusal}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
            END
            $$
            """,
            f"""
            CREATE TRIGGER {table}_no_update_or_delete BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()
            """,
            f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()
            """,
        )
    return tuple(
        f"""
        CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}
        BEGIN SELECT RAISE(ABORT, '{refusal}: {operation} refused'); END
        """
        for operation in ("UPDATE", "DELETE")
    )


def down(table: str, dialect: str) -> tuple[str, ...]:
    if dialect == "postgresql":
        return (
            f"DROP TRIGGER {table}_no_truncate ON {table}",
            f"DROP TRIGGER {table}_no_update_or_delete ON {table}",
            f"DROP FUNCTION {table}_append_only()",
        )
    return (f"DROP TRIGGER {table}_no_update", f"DROP TRIGGER {table}_no_delete")
