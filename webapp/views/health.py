"""Reachability of the database and Redis, for load balancers. Never shows settings."""

from flask import Blueprint, jsonify

from webapp.services import health
from webapp.views.access import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    database, redis = health.database_state(), health.redis_state()
    healthy = database == "ok" and redis != "down"
    response = jsonify(status="ok" if healthy else "degraded", database=database, redis=redis)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
