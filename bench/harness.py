"""The harness every bench in bench/ runs on: database, app, gunicorn, clients, load, figures.

A bench is a script, run from anywhere as `python bench/<name>.py`, that sets up what it needs,
measures, and prints its figures LAST as `name: value` lines (`report`). Written on this module,
a bench that loads staff and visits through the app's services and then drives the counter
pages with signed-in clients reads:

    ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, ROOT)
    from bench import harness  # noqa: E402
    from webapp.extensions import db  # noqa: E402

    def main() -> None:
        with harness.Bench("mpaspor_bench_counter") as bench:
            with bench.app_context():  # this process's app, on the bench's migrated database
                office = harness.demo_office("kanim-makassar")
                db.session.add(office)
                db.session.flush()
                staff = harness.verified_user(
                    "loket1@contoh.id", "Petugas 1", "+62816000001", role="staff",
                    office_id=office.id,
                )
                ...  # db.session.commit(); then checked-in visits through webapp.services
            with bench.serve() as server:  # gunicorn on a free loopback port
                clients = server.signed_in(emails)  # cookies, CSRF, one keep-alive connection
                # a second factor is one more form: client.submit(path, {"code": ...})
                phase = harness.for_duration("call next", call_next, sessions, harness.SECONDS)
            harness.print_log("gunicorn", server.problems)
        harness.report({"call_next_p95_ms": f"{phase.latency_ms(0.95):.0f}"})

What `Bench(database)` gives: a dedicated PostgreSQL database of that name, dropped and recreated,
then dropped at the end (BENCH_DATABASE_URL names another one), or with `database=None` an SQLite
file in the scratch folder; migrated with the project's migrations; a scratch folder holding the
instance folder (mail, signing key) that this process and the server share; this process's
environment set to the bench settings (demo mode: plain HTTP and the stand-ins; rate limits off,
as every client comes from 127.0.0.1; no REDIS_URL), which `serve(env=...)` and `process(...,
env)` add to or override (REDIS_URL; DEMO_MODE=0 with the production settings); the working
directory at the repository root; and a backstop: past BENCH_TIME_LIMIT (300 s, plus 30 s of
grace for loops that check `past_deadline()`) the run is abandoned with TimeLimit. Two servers
at once (behind one balancer): `serve(name=...)` twice, each with its own log and `env`. The
child processes and the client come from tests/loopback.py, which the tests start servers with.

Load: `for_duration` repeats a unit of work on every client until a deadline (throughput);
`for_each` does each item once, with threads released together (bursts, latency per item);
`against_bare` compares a unit with the bare route (GET /bare, "ok") on the same server.
Percentiles have ONE definition, `percentile` (nearest rank). CPU time, which other load on
the machine hardly moves, has one reading too: `cpu_seconds(pids)`, of the server's processes
(`Server.pids`) or of a database's backends (`database_backends`). Settings come from the
environment through `setting`; the common ones: BENCH_WORKERS, BENCH_CLIENTS, BENCH_SECONDS,
BENCH_WARMUP_SECONDS, BENCH_TIME_LIMIT, BENCH_DATABASE_URL, BENCH_REDIS_URL.
"""

import http.client
import math
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from tests import loopback  # noqa: E402
from tests.loopback import HOST, Process, executable, free_port, log_problems  # noqa: E402, F401

SECRET_KEY = "bench-secret-key"
PASSWORD = "kopi-tubruk-pagi"
# One PBKDF2 iteration, computed once: signing bench accounts in is setup, never measured.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
BARE_PATH = "/bare"
WSGI_MODULE = f"""\
from webapp import create_app

app = create_app()


@app.route("{BARE_PATH}")
def bare():
    return "ok"
"""


# Settings ----------------------------------------------------------------------------------


def setting(name: str, default: int | float) -> int | float:
    """The environment's value of `name`, of the default's type (int or float)."""
    value = os.environ.get(name, "").strip()
    return type(default)(value) if value else default


WORKERS = setting("BENCH_WORKERS", 2)
CLIENTS = setting("BENCH_CLIENTS", 8)
SECONDS = setting("BENCH_SECONDS", 10.0)
WARMUP_SECONDS = setting("BENCH_WARMUP_SECONDS", 2.0)
TIME_LIMIT = setting("BENCH_TIME_LIMIT", 300.0)
DEADLINE = time.monotonic() + TIME_LIMIT
GRACE_SECONDS = 30  # after the deadline, before the alarm interrupts whatever runs


class TimeLimit(Exception):
    """The run went past BENCH_TIME_LIMIT."""


def past_deadline() -> bool:
    return time.monotonic() > DEADLINE


def check_deadline() -> None:
    if past_deadline():
        raise TimeLimit(f"over the time limit of {TIME_LIMIT:g} s")


def _on_alarm(_signum, _frame) -> None:
    raise TimeLimit(f"over the time limit of {TIME_LIMIT:g} s")


def database_url(name: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL") or f"postgresql://postgres@{HOST}:5432/{name}"


def redis_url(db_number: int) -> str:
    """Redis for a bench that needs it; BENCH_REDIS_URL names another database. It is flushed."""
    return os.environ.get("BENCH_REDIS_URL") or f"redis://{HOST}:6379/{db_number}"


# Database ----------------------------------------------------------------------------------


def _admin_engine(url: str) -> sa.Engine:
    admin = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    return sa.create_engine(admin, isolation_level="AUTOCOMMIT")


def _drop_database(url: str, create: bool = False) -> None:
    name = make_url(url).database
    engine = _admin_engine(url)
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """The PostgreSQL database of `url`, dropped and created empty; dropped again at the end."""
    _drop_database(url, create=True)
    try:
        yield url
    finally:
        _drop_database(url)


# The bench ---------------------------------------------------------------------------------


class Bench:
    """One run: scratch folder, database, this process's app on it, time limit. See the top."""

    def __init__(self, database: str | None):
        self.database = database
        self._stack = ExitStack()

    def __enter__(self) -> "Bench":
        try:
            self._enter()
        except BaseException:
            self._stack.close()
            raise
        return self

    def _enter(self) -> None:
        from flask_migrate import upgrade

        from webapp import create_app

        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(int(TIME_LIMIT) + GRACE_SECONDS)
        self._stack.callback(signal.alarm, 0)
        self.scratch = self._stack.enter_context(
            tempfile.TemporaryDirectory(prefix="mpaspor-bench-")
        )
        self.instance_path = os.path.join(self.scratch, "instance")
        if self.database is None:
            self.url = "sqlite:///" + os.path.join(self.scratch, "bench.sqlite")
        else:
            self.url = self._stack.enter_context(fresh_database(database_url(self.database)))
        for name in ("REDIS_URL", "FLASK_DEBUG"):
            os.environ.pop(name, None)
        os.environ.update(
            DATABASE_URL=self.url,
            SECRET_KEY=SECRET_KEY,
            DEMO_MODE="1",  # plain HTTP on loopback, the stand-in registry and payment channel
            RATELIMIT_ENABLED="false",  # every client comes from 127.0.0.1
            INSTANCE_PATH=self.instance_path,
        )
        os.chdir(ROOT)
        with open(os.path.join(self.scratch, "bench_wsgi.py"), "w") as handle:
            handle.write(WSGI_MODULE)
        self.app = create_app()
        with self.app_context():
            upgrade()

    def __exit__(self, kind, error, traceback) -> None:
        self._stack.close()
        if isinstance(error, TimeLimit):
            print(f"abandoned: {error}", file=sys.stderr)

    @contextmanager
    def app_context(self) -> Iterator:
        """This process's app, on the bench database, for its services and models."""
        from webapp.extensions import db

        with self.app.app_context():
            try:
                yield self.app
            finally:
                db.session.remove()
                db.engine.dispose()  # no idle connection of this process while measuring

    @contextmanager
    def process(self, name: str, command: list[str], env: dict | None = None) -> Iterator:
        """A child process with the bench settings (and `env`), logging to <scratch>/<name>.log;
        stopped at the end, when its log's warning and error lines are in `problems`."""
        with loopback.running(command, os.path.join(self.scratch, f"{name}.log"), env) as child:
            yield child

    @contextmanager
    def serve(
        self, workers: int = WORKERS, env: dict | None = None, name: str = "gunicorn"
    ) -> Iterator["Server"]:
        """gunicorn with `workers` sync workers (one thread each) on a free loopback port, serving
        the app plus the bare route; up when this yields. Serving twice at once (two servers
        behind one balancer) takes a `name` for each, which names its log."""
        port = free_port()
        command = loopback.gunicorn_command(port, workers, "bench_wsgi:app", self.scratch)
        with self.process(name, command, env) as child:
            server = Server(child, port, workers)
            server.wait_until_up()
            yield server


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU seconds (user + system) the processes have used, with their children they have
    waited for (a gunicorn master's dead workers, an RQ worker's work horses, the postmaster's
    ended backends), from /proc/<pid>/stat; a process gone (or no /proc) counts 0. CPU time,
    unlike wall time, hardly moves with other load on the machine."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the ")": state is field 3 of stat(5), so utime..cstime (14-17) are at 11-14 here.
        total += sum(int(value) for value in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (a gunicorn master's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                found.append(int(entry))
    return found


def database_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the database of `url` now (its clients'
    backends, autovacuum on it), less the one answering this question."""
    name = make_url(url).database
    engine = _admin_engine(url)
    with engine.connect() as connection:
        pids = connection.scalars(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).all()
    engine.dispose()
    return list(pids)


class Server:
    """The running gunicorn: its port, clients of it, and (once stopped) its log's problems."""

    def __init__(self, process: Process, port: int, workers: int):
        self.process = process
        self.port = port
        self.workers = workers
        self.url = f"http://{HOST}:{port}"

    @property
    def problems(self) -> list[str]:
        return self.process.problems

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        master = self.process.popen.pid
        return [master, *children(master)]

    def wait_until_up(self) -> None:
        loopback.wait_until_answering(self.process, self.port, BARE_PATH)

    def client(self, headers: dict | None = None) -> "Client":
        return Client(self.port, headers)

    def signed_in(self, emails: list[str], threads: int = CLIENTS) -> list["Client"]:
        """One client per account, signed in with PASSWORD (`threads` at a time), in order."""

        def sign_in(email: str) -> Client:
            check_deadline()
            return self.client().sign_in(email)

        return for_each(sign_in, emails, threads)[0]


class Client(loopback.Client):
    """tests/loopback.py's browser (cookies, CSRF tokens, `on(port)` for another server),
    signing in with the bench accounts' PASSWORD."""

    def sign_in(self, email: str, password: str = PASSWORD) -> "Client":
        return super().sign_in(email, password)


# Load --------------------------------------------------------------------------------------


def ok(status: int) -> bool:
    return 200 <= status < 400


@dataclass
class Tally:
    """What one client did in a phase. A unit may count `completed` when a whole task succeeded."""

    requests: int = 0
    errors: int = 0
    completed: int = 0
    latencies: list[float] = field(default_factory=list)

    def timed(self, send: Callable[[], tuple[int, object]]) -> tuple[int, object]:
        """Send one request, count and time it: its status (0 on a connection failure) and
        what `send` returned with it."""
        started = time.perf_counter()
        try:
            status, answer = send()
        except (OSError, http.client.HTTPException):
            status, answer = 0, ""
        self.latencies.append(time.perf_counter() - started)
        self.requests += 1
        self.errors += not ok(status)
        return status, answer


@dataclass
class Phase:
    name: str
    seconds: float
    tallies: list[Tally]
    client_cpu: float  # this process's share of one core

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.tallies)

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.tallies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def completed_per_second(self) -> float:
        return sum(t.completed for t in self.tallies) / self.seconds

    def latency_ms(self, quantile: float) -> float:
        return percentile_ms([v for t in self.tallies for v in t.latencies], quantile)


Unit = Callable[["Client", Tally, object], None]


def for_duration(name: str, unit: Unit, sessions: list[tuple], seconds: float) -> Phase:
    """Every (client, argument) of `sessions` repeats unit(client, tally, argument) in its own
    thread until `seconds` have passed; the phase ends when the last one stops."""
    tallies = [Tally() for _ in sessions]
    barrier = threading.Barrier(len(sessions) + 1)
    deadline = [0.0]

    def loop(client: Client, argument, tally: Tally) -> None:
        barrier.wait()
        while time.monotonic() < deadline[0]:
            unit(client, tally, argument)

    threads = [
        threading.Thread(target=loop, args=(client, argument, tally), daemon=True)
        for (client, argument), tally in zip(sessions, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    started = time.monotonic()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return Phase(name, elapsed, tallies, (time.process_time() - cpu_before) / elapsed)


def for_each(work: Callable, items: Iterable, threads: int) -> tuple[list, float]:
    """work(item) once per item: `threads` threads released together, each taking the next item
    as soon as it is done with the last. The results in the items' order, and the seconds from
    the release until the last one finished. The first exception raised is raised here."""
    items = list(items)
    results: list = [None] * len(items)
    failures: list[BaseException] = []
    cursor = iter(range(len(items)))
    taking = threading.Lock()
    count = max(1, min(threads, len(items)))
    barrier = threading.Barrier(count + 1)

    def loop() -> None:
        barrier.wait()
        while not failures:
            with taking:
                index = next(cursor, None)
            if index is None:
                return
            try:
                results[index] = work(items[index])
            except BaseException as error:  # handed to the caller
                failures.append(error)

    pool = [threading.Thread(target=loop, daemon=True) for _ in range(count)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in pool:
        thread.join()
    if failures:
        raise failures[0]
    return results, time.monotonic() - started


def bare_unit(client: Client, tally: Tally, _argument) -> None:
    tally.timed(lambda: client.request("GET", BARE_PATH))


def against_bare(server: Server, name: str, unit: Unit, sessions: list[tuple]) -> list[Phase]:
    """Phases bare, `name`, bare again of SECONDS each, after WARMUP_SECONDS of each unit; as
    many bare clients as `sessions`. Average the two bare figures (`bare_rps`) to balance
    warm-up and drift."""
    bare = [(server.client(), None) for _ in sessions]
    for_duration("warm-up", bare_unit, bare, WARMUP_SECONDS)
    for_duration("warm-up", unit, sessions, WARMUP_SECONDS)
    return [
        for_duration("bare", bare_unit, bare, SECONDS),
        for_duration(name, unit, sessions, SECONDS),
        for_duration("bare", bare_unit, bare, SECONDS),
    ]


def bare_rps(phases: list[Phase]) -> float:
    return (phases[0].rps + phases[-1].rps) / 2


# Figures -----------------------------------------------------------------------------------


def percentile(values: Iterable[float], quantile: float) -> float:
    """Nearest rank: the smallest value with at least `quantile` of the values at or below it
    (so 0.5 is the lower median and 1.0 the maximum); 0 when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = min(len(ordered), max(1, math.ceil(quantile * len(ordered))))
    return ordered[rank - 1]


def percentile_ms(seconds: Iterable[float], quantile: float) -> float:
    return 1000 * percentile(seconds, quantile)


def bare_figures(name: str, phases: list[Phase]) -> dict:
    """<name>_rps, bare_rps and ratio of the phases of `against_bare`."""
    measured, bare = phases[1].rps, bare_rps(phases)
    return {
        f"{name}_rps": f"{measured:.1f}",
        "bare_rps": f"{bare:.1f}",
        "ratio": f"{measured / bare:.2f}",
    }


def print_phases(server: Server, phases: list[Phase], users: int) -> None:
    """The phases of for_duration as a table; done/s counts the units' completed tasks."""
    clients = len(phases[0].tallies)
    print(f"workers: {server.workers} (sync, 1 thread)   clients: {clients}   users: {users}")
    print(f"seconds per phase: {SECONDS:g}   warm-up: {WARMUP_SECONDS:g}   cpus: {os.cpu_count()}")
    header = (
        f"{'phase':<10}{'seconds':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'done/s':>9}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'client cpu':>12}"
    )
    print(header)
    print("-" * len(header))
    for phase in phases:
        done = phase.completed_per_second
        print(
            f"{phase.name:<10}{phase.seconds:>8.1f}{phase.requests:>10}{phase.errors:>8}"
            f"{phase.rps:>9.1f}{f'{done:.1f}' if done else '-':>9}{phase.latency_ms(0.5):>8.1f}"
            f"{phase.latency_ms(0.95):>8.1f}{phase.latency_ms(1.0):>8.1f}"
            f"{phase.client_cpu:>11.0%} "
        )


def print_log(name: str, problems: list[str]) -> None:
    print(f"{name} log: {len(problems)} warning/error lines")
    for line in problems[-10:]:
        print(f"  {line}")


def report(figures: dict) -> None:
    """The bench's figures, printed last: one `name: value` line each, in the dict's order."""
    for name, value in figures.items():
        print(f"{name}: {value}", flush=True)


# Data loaded directly ----------------------------------------------------------------------

GIVEN_NAMES = {"M": ("Agus", "Bambang", "Eko", "Hendra"), "F": ("Dewi", "Putri", "Sri", "Wulan")}
FAMILY_NAMES = ("Lestari", "Wijaya", "Saputra", "Kusuma", "Hidayat")


def residents(count: int) -> list:
    """Structurally valid residents of Surabaya (35.78.02): NIK date digits agree, serial > 0."""
    from webapp.integrations.registry_standin import Resident

    made = []
    for n in range(count):
        sex = "F" if n % 2 else "M"
        born = date(1960, 1, 1) + timedelta(days=(n * 73) % (40 * 365))
        day = born.day + (40 if sex == "F" else 0)
        name = f"{GIVEN_NAMES[sex][n % 4]} {FAMILY_NAMES[n % 5]}"
        nik = f"357802{day:02d}{born:%m%y}{n + 1:04d}"
        made.append(Resident(nik, name, "Surabaya", born, sex, "Siti Aminah"))
    return made


def verified_user(email: str, full_name: str, phone: str, **fields):
    """An account with PASSWORD, its email confirmed; `fields` add to it (role, office_id...)."""
    from webapp.clock import now
    from webapp.models import User

    values = {
        "password_hash": PASSWORD_HASH,
        "locale": "id",
        "terms_accepted_at": now(),
        "verified_at": now(),
        **fields,
    }
    return User(full_name=full_name, email=email, phone=phone, **values)


def verified_users(people: list, prefix: str, phone_prefix: str) -> list:
    """One verified account per resident: prefix1@contoh.id, prefix2@contoh.id, ..."""
    return [
        verified_user(f"{prefix}{n}@contoh.id", person.full_name, f"{phone_prefix}{n:08d}")
        for n, person in enumerate(people, 1)
    ]


def demo_office(code: str):
    """The demo data's office of that code, without its slots (a new, unsaved Office)."""
    from webapp.models import Office
    from webapp.services.offices import DEMO_OFFICES

    demo = next(data for data in DEMO_OFFICES if data["code"] == code)
    return Office(**{k: v for k, v in demo.items() if k != "quotas"})


def submitted_applications(users: list, people: list, office, prefix: str, number: str) -> list:
    """For each account its resident's submitted application at `office`, the NIK verified:
    public ids <prefix>00000000001..., numbers <number>00000000001... (16 digits with 5)."""
    from tests.factories import ADULT_ANSWERS
    from webapp.clock import now
    from webapp.models import Application

    # The adult answers of the factories, less who the person is: each resident brings that.
    answers = {
        k: v for k, v in ADULT_ANSWERS.items() if k not in ("nik", "full_name", "birth_date", "sex")
    }
    digits = 16 - len(prefix)
    return [
        Application(
            account_id=user.id,
            place=1,
            public_id=f"{prefix}{n:0{digits}d}",
            number=f"{number}{n:011d}",
            status="submitted",
            submitted_at=now(),
            declared_at=now(),
            office_id=office.id,
            nik=person.nik,
            nik_status="verified",
            nik_checked_at=now(),
            full_name=person.full_name,
            birth_date=person.birth_date,
            sex=person.sex,
            pending_inputs={},
            **answers,
        )
        for n, (user, person) in enumerate(zip(users, people, strict=True), 1)
    ]
