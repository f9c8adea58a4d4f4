"""Where a wizard step and the month calendar spend their time, in-process, on PostgreSQL.

What it measures: for each request measured (the service step's GET, its POST with valid
answers, the calendar fragment as htmx asks for it), the milliseconds per request through the
app's test client (no server, no network: the app's own cost), the SQL statements each sends,
and a pyinstrument profile of PROFILE_REQUESTS more of them.

How it runs (bench/harness.py): a dedicated database (mpaspor_bench_profile, dropped and
recreated, then dropped at the end; BENCH_DATABASE_URL overrides) loaded as the two throughput
benches load theirs: the demo offices with their slots, applicants with a submitted application
at kanim-makassar (bench/availability_throughput.py) and applicants with a draft
(bench/wizard_throughput.py). One test client signs in as each. The availability cache is the
embedded one of this process (no REDIS_URL), counted again each FRESH second as in production.

How to read it: the profile of each request shows the call tree's top frames (pyinstrument text),
then "self time by package": which library's own code the samples were in. flask, werkzeug,
jinja2 (the template engine, not the templates), wtforms, sqlalchemy and psycopg are the
framework's cost; "templates" is the compiled templates' own code, "webapp" the application's,
"stdlib" Python's. The queries line counts the statements each request sends.

Settings (environment): PROFILE_REQUESTS (200 per path), PROFILE_TIMED (300 per path),
PROFILE_DEPTH (the text profile's depth of shown frames). The figures printed last are
queries_per_step_get, queries_per_step_post, queries_per_calendar, <name>_cpu_ms_per_request
(this process's CPU time) and <name>_ms_per_request (the clock's).
"""

import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pyinstrument import Profiler  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

from bench import availability_throughput as calendar_bench  # noqa: E402
from bench import harness  # noqa: E402
from bench import wizard_throughput as wizard_bench  # noqa: E402
from tests.html import csrf_token  # noqa: E402

PROFILE_REQUESTS = harness.setting("PROFILE_REQUESTS", 200)
TIMED_REQUESTS = harness.setting("PROFILE_TIMED", 300)
SHOWN_FRAMES = 0.02  # of the total time: smaller frames are left out of the text profile
FRAMEWORK = ("flask", "werkzeug", "jinja2", "markupsafe", "wtforms", "sqlalchemy", "psycopg")
STATEMENT_WIDTH = 160
PACKAGE = re.compile(r"site-packages/([A-Za-z0-9_]+)")


class StatementCount:
    """SQL statements sent by this thread (not the embedded waiting-room clock's) while counting,
    with the round trips around them: a connection's checkout (its pre-ping), commit, rollback."""

    def __init__(self):
        self.thread = threading.get_ident()
        self.statements: list[str] = []
        event.listen(Engine, "before_cursor_execute", self._seen)
        event.listen(Pool, "checkout", lambda *_args: self._note("[checkout: pre-ping]"))
        event.listen(Engine, "commit", lambda *_args: self._note("[commit]"))
        event.listen(Engine, "rollback", lambda *_args: self._note("[rollback]"))

    def _seen(self, _connection, _cursor, statement, *_args) -> None:
        self._note(" ".join(statement.split()))

    def _note(self, line: str) -> None:
        if threading.get_ident() == self.thread:
            self.statements.append(line)

    def during(self, send: Callable[[], None]) -> list[str]:
        before = len(self.statements)
        send()
        return self.statements[before:]


def signed_in_client(app, email: str):
    client = app.test_client()
    token = csrf_token(client.get("/login"))
    fields = {"email": email, "password": harness.PASSWORD, "csrf_token": token}
    answer = client.post("/login", data=fields)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in of {email} answered {answer.status_code}")
    return client


def expect(answer, status: int, what: str):
    if answer.status_code != status:
        raise RuntimeError(f"{what} answered {answer.status_code}, not {status}")
    return answer


def requests_measured(app, data: dict, wizard_users: list) -> dict[str, Callable[[], None]]:
    """name -> one request of that kind, checked, sent by a signed-in client."""
    email, public_id = wizard_users[0]
    wizard = signed_in_client(app, email)
    step_path = f"/applications/{public_id}/service"
    token = csrf_token(wizard.get(step_path))
    answers = {**wizard_bench.STEP_ANSWERS, "csrf_token": token}
    calendar_email, calendar_id = data["accounts"][0]
    applicant = signed_in_client(app, calendar_email)
    calendar_path = calendar_bench.calendar_path(calendar_id, data["day"])

    def step_get() -> None:
        expect(wizard.get(step_path), 200, f"GET {step_path}")

    def step_post() -> None:
        expect(wizard.post(step_path, data=answers), 302, f"POST {step_path}")

    def calendar() -> None:
        answer = applicant.get(calendar_path, headers=calendar_bench.HTMX_CALENDAR)
        if calendar_bench.DAY_LIST not in expect(answer, 200, calendar_path).get_data(as_text=True):
            raise RuntimeError("the calendar answered without the day's slots")

    anonymous = app.test_client()

    def bare() -> None:
        expect(anonymous.get(harness.BARE_PATH), 200, harness.BARE_PATH)

    return {"step_get": step_get, "step_post": step_post, "calendar": calendar, "bare": bare}


def stop_waiting_room_clock(app) -> None:
    """The embedded clock's thread, started by the first request, would share this process's
    time with the requests measured."""
    from webapp.jobs.waiting_rooms import EMBEDDED

    thread, stop = app.extensions[EMBEDDED]
    stop.set()
    thread.join()


def ms_per_request(send: Callable[[], None], count: int) -> tuple[float, float]:
    """Milliseconds per request: on the clock, and of this process's CPU (PostgreSQL's not)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(count):
        send()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return 1000 * elapsed / count, 1000 * cpu / count


def profiled(send: Callable[[], None], count: int) -> Profiler:
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        send()
    profiler.stop()
    return profiler


def self_time_by_package(profiler: Profiler) -> Counter:
    """Seconds of samples by whose code they were in (see the docstring)."""
    shares: Counter = Counter()
    pending = [profiler.last_session.root_frame()]
    while pending:
        frame = pending.pop()
        pending.extend(frame.children)
        if not frame.is_synthetic:
            shares[_owner(frame)] += frame.total_self_time
    return shares


def _owner(frame) -> str:
    path = frame.file_path or ""
    if (found := PACKAGE.search(path)) is not None:
        return found.group(1)
    if path.startswith(os.path.join(ROOT, "templates")):
        return "templates"
    if path.startswith(os.path.join(ROOT, "webapp")):
        return "webapp"
    return "stdlib" if path else "other"


def print_profile(name: str, profiler: Profiler) -> None:
    print(f"\n=== {name}: {PROFILE_REQUESTS} requests ===")
    text = profiler.output_text(unicode=False, color=False, show_all=False, timeline=False)
    print(text)
    shares = self_time_by_package(profiler)
    total = sum(shares.values()) or 1.0
    framework = sum(shares[p] for p in FRAMEWORK)
    print(f"self time by package ({name}); framework {framework / total:.0%}:")
    for package, seconds in shares.most_common(14):
        print(f"  {package:<22}{seconds / total:>6.1%}")


def sql_statements(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith("[")]


def print_statements(queries: dict[str, list[str]]) -> None:
    for name, statements in queries.items():
        print(f"\n{name}: {len(sql_statements(statements))} SQL statements")
        for statement in statements:
            print(f"  {statement[:STATEMENT_WIDTH]}")


def main() -> None:
    with harness.Bench("mpaspor_bench_profile") as bench:
        data = calendar_bench.seed(bench)
        wizard_users = wizard_bench.prepare_data(bench)
        bench.app.add_url_rule(harness.BARE_PATH, "bare", lambda: "ok")
        requests = requests_measured(bench.app, data, wizard_users)
        stop_waiting_room_clock(bench.app)
        for send in requests.values():  # warm: templates compiled, caches filled
            for _ in range(20):
                send()
        statements = StatementCount()
        queries = {name: statements.during(send) for name, send in requests.items()}
        print_statements(queries)
        timings = {name: ms_per_request(send, TIMED_REQUESTS) for name, send in requests.items()}
        for name, send in requests.items():
            print_profile(name, profiled(send, PROFILE_REQUESTS))
    figures = {
        "queries_per_step_get": len(sql_statements(queries["step_get"])),
        "queries_per_step_post": len(sql_statements(queries["step_post"])),
        "queries_per_calendar": len(sql_statements(queries["calendar"])),
    }
    figures |= {f"{name}_cpu_ms_per_request": f"{cpu:.2f}" for name, (_, cpu) in timings.items()}
    figures |= {f"{name}_ms_per_request": f"{ms:.2f}" for name, (ms, _) in timings.items()}
    harness.report(figures)


if __name__ == "__main__":
    main()
