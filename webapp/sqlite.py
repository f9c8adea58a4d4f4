"""The embedded SQLite database, made to keep the same promises as PostgreSQL.

- WAL: readers and the writer do not block each other's reads.
- A busy timeout: a request waits its turn for the write lock instead of failing with
  "database is locked".
- Every transaction begins with BEGIN IMMEDIATE and so holds the write lock from its first
  statement. A count-then-insert (the free places of a slot, the holds of an account) is then
  serialised: no two transactions ever read the same count and both act on it. SELECT ... FOR
  UPDATE means nothing to SQLite; this lock is what stands in for it.

pysqlite would otherwise begin transactions itself, lazily and deferred, so it is told to leave
them alone (isolation_level=None) and the BEGIN is emitted here (SQLAlchemy's pysqlite notes,
"Serializable isolation / Savepoints / Transactional DDL").
"""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from webapp.extensions import db

BUSY_TIMEOUT_MS = 30_000  # how long a transaction waits for the write lock before giving up


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        configure(engine)


def configure(engine: Engine) -> None:
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # autocommit: the BEGIN is ours
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _on_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
