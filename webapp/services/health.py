"""Whether the stores the service depends on answer: for the load balancers' health check."""

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.jobs import redis_connection
from webapp.services import documents


def database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError:
        db.session.rollback()
        return "down"


def redis_state() -> str:
    if not current_app.config["REDIS_URL"]:
        return "not_configured"
    try:
        return "ok" if redis_connection().ping() else "down"
    except RedisError:
        return "down"


def storage_state() -> str:
    """The S3 bucket's reachability; "filesystem" for files on this server's own disk."""
    if not current_app.config["STORAGE_S3_BUCKET"]:
        return "filesystem"
    return "ok" if documents.storage().reachable() else "down"
