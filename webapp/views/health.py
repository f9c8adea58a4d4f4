"""Reachability of the database, Redis and object storage, for load balancers; no settings."""

from flask import Blueprint, jsonify

from webapp.services import health
from webapp.views.access import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    database, redis, storage = health.database_state(), health.redis_state(), health.storage_state()
    healthy = database == "ok" and "down" not in (redis, storage)
    response = jsonify(
        status="ok" if healthy else "degraded", database=database, redis=redis, storage=storage
    )
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
