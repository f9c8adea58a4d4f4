"""Reachability of the database and Redis, for load balancers. Never shows settings."""

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.jobs import redis_connection
from webapp.views.access import public

bp = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False


def _redis_state() -> str:
    if not current_app.config["REDIS_URL"]:
        return "not_configured"
    try:
        return "ok" if redis_connection().ping() else "down"
    except RedisError:
        return "down"


@bp.route("/healthz")
@public
def healthz():
    database = "ok" if _database_ok() else "down"
    redis = _redis_state()
    healthy = database == "ok" and redis != "down"
    response = jsonify(status="ok" if healthy else "degraded", database=database, redis=redis)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
