"""Wizard step throughput on PostgreSQL under gunicorn, against a bare Flask route.

What it measures: requests per second for one wizard step (GET /applications/<id>/service,
then POST it with valid answers and expect a 302), compared with a bare route (GET /bare that
returns a short string) added to the same app on the same gunicorn server, in the same run.

How it runs (bench/harness.py): a dedicated database (mpaspor_bench, dropped and recreated each
run; override with BENCH_DATABASE_URL) is migrated and given one verified user with one draft
application per client. gunicorn serves the app on loopback with sync workers; client threads,
each with its own connection and cookies, run three phases of a fixed duration: bare, step,
bare again. The two bare figures are averaged to balance warm-up and drift.

How to read it: GET and POST each count as one request, so step_rps compares with bare_rps;
ratio = step_rps / bare_rps (the goal is 0.5 or more). The bare route still passes through the
app's own request hooks (session, security headers), so it is the floor of the framework cost,
not of the server. The client runs on the same machine: "client cpu" is its share of one core,
and a value near 100% means the bare figure is bounded by the client rather than the server.
"done/s" counts the GET + POST pairs that ended in a 302.

Settings (environment): BENCH_WORKERS (2), BENCH_CLIENTS (8), BENCH_SECONDS (10 per phase),
BENCH_WARMUP_SECONDS (2). The last three lines printed are step_rps, bare_rps and ratio.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402

USERS = max(20, harness.CLIENTS)
STEP_ANSWERS = {"for_self": "yes", "service": "regular", "application_type": "new"}


def prepare_data(bench: harness.Bench) -> list[tuple[str, str]]:
    """One verified user with one draft each: (email, public_id)."""
    from webapp.extensions import db
    from webapp.services import applications

    accounts_made = []
    with bench.app_context():
        for n in range(1, USERS + 1):
            user = harness.verified_user(
                f"bench{n}@contoh.id", f"Budi Santoso {n}", f"+62812{n:08d}"
            )
            db.session.add(user)
            db.session.commit()
            accounts_made.append((user.email, applications.start(user.id).public_id))
    return accounts_made


def step_unit(client: harness.Client, tally: harness.Tally, public_id: str) -> None:
    """GET the service step, then POST it with valid answers; a pair succeeds on a 302."""
    path = f"/applications/{public_id}/service"
    status, token = tally.timed(lambda: client.csrf_token(path))
    if not harness.ok(status):
        return  # already counted as an error
    if token is None:
        tally.errors += 1  # a step page without its CSRF token
        return
    answers = {**STEP_ANSWERS, "csrf_token": token}
    status, _ = tally.timed(lambda: client.request("POST", path, answers))
    if status == 302:
        tally.completed += 1
    elif harness.ok(status):
        tally.errors += 1


def main() -> None:
    with harness.Bench("mpaspor_bench") as bench:
        users = prepare_data(bench)
        with bench.serve() as server:
            clients = server.signed_in([email for email, _ in users[: harness.CLIENTS]])
            sessions = list(zip(clients, [public_id for _, public_id in users], strict=False))
            phases = harness.against_bare(server, "step", step_unit, sessions)
    harness.print_phases(server, phases, USERS)
    harness.print_log("gunicorn", server.problems)
    harness.report(harness.bare_figures("step", phases))


if __name__ == "__main__":
    main()
