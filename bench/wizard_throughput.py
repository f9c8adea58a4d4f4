"""Wizard step throughput on PostgreSQL under gunicorn, against a bare Flask route.

What it measures: requests per second for one wizard step (GET /applications/<id>/service,
then POST it with valid answers and expect a 302), compared with a bare route (GET /bare that
returns a short string) added to the same app on the same gunicorn server, in the same run.

How it runs: a dedicated database (mpaspor_bench, dropped and recreated each run; override with
BENCH_DATABASE_URL) is migrated and given one verified user with one draft application per
client. gunicorn serves the app on loopback with sync workers; stdlib client threads, each with
its own connection and cookies, run three phases of a fixed duration: bare, step, bare again.
The two bare figures are averaged to balance warm-up and drift.

How to read it: GET and POST each count as one request, so step_rps compares with bare_rps;
ratio = step_rps / bare_rps (the goal is 0.5 or more). The bare route still passes through the
app's own request hooks (session, security headers), so it is the floor of the framework cost,
not of the server. The client runs on the same machine: "client cpu" is its share of one core,
and a value near 100% means the bare figure is bounded by the client rather than the server.

Settings (environment): BENCH_WORKERS (2), BENCH_CLIENTS (8), BENCH_SECONDS (10 per phase),
BENCH_WARMUP_SECONDS (2). The last three lines printed are step_rps, bare_rps and ratio.
"""

import gzip
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import brotli  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mpaspor_bench"
PASSWORD = "kopi-tubruk-pagi"
SECRET_KEY = "bench-secret-key"
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
USERS = max(20, CLIENTS)
HOST = "127.0.0.1"
STEP_ANSWERS = {"for_self": "yes", "service": "regular", "application_type": "new"}
WSGI_MODULE = """\
from webapp import create_app

app = create_app()


@app.route("/bare")
def bare():
    return "ok"
"""
CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")


# Database ----------------------------------------------------------------------------------


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def _admin_engine(url: str) -> sa.Engine:
    admin = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    return sa.create_engine(admin, isolation_level="AUTOCOMMIT")


def recreate_database(url: str) -> None:
    name = make_url(url).database
    engine = _admin_engine(url)
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_database(url: str) -> None:
    engine = _admin_engine(url)
    with engine.connect() as connection:
        connection.execute(
            sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        )
    engine.dispose()


def prepare_data(instance_path: str) -> list[tuple[str, str]]:
    """Migrate the bench database; one verified user with one draft each: (email, public_id)."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.clock import now
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services import accounts, applications

    app = create_app({"INSTANCE_PATH": instance_path})
    accounts_made = []
    with app.app_context():
        upgrade()
        password_hash = accounts.hash_password(PASSWORD)  # slow on purpose: hash once
        for n in range(1, USERS + 1):
            user = User(
                full_name=f"Budi Santoso {n}",
                email=f"bench{n}@contoh.id",
                phone=f"+62812{n:08d}",
                password_hash=password_hash,
                locale="id",
                terms_accepted_at=now(),
                verified_at=now(),
            )
            db.session.add(user)
            db.session.commit()
            accounts_made.append((user.email, applications.start(user.id).public_id))
        db.session.remove()
        db.engine.dispose()
    return accounts_made


# Server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_environment(url: str, instance_path: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_DEBUG")}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        RATELIMIT_ENABLED="false",
        DEMO_MODE="1",  # plain HTTP on loopback, the stand-in registry and payment channel
        INSTANCE_PATH=instance_path,
    )
    return env


def start_gunicorn(module_dir: str, port: int, env: dict, log) -> subprocess.Popen:
    command = [
        os.path.join(os.path.dirname(sys.executable), "gunicorn"),
        "--workers", str(WORKERS),
        "--threads", "1",
        "--bind", f"{HOST}:{port}",
        "--chdir", ROOT,
        "--pythonpath", module_dir,
        "--log-level", "warning",
        "bench_wsgi:app",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(server: subprocess.Popen, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            if Client(port).request("GET", "/bare")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# Client ------------------------------------------------------------------------------------


class Client:
    """One browser: a connection to the server (reopened when it closes) and its cookies.

    With `accept_encoding` it asks for compressed answers as a browser does; `headers` and
    `body_bytes` then tell what the last answer said and how many body bytes it took on the wire.
    """

    def __init__(self, port: int, accept_encoding: str | None = None):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.accept_encoding = accept_encoding
        self.headers: http.client.HTTPMessage | None = None
        self.body_bytes = 0

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Accept-Encoding": self.accept_encoding} if self.accept_encoding else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            sent = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        self.headers, self.body_bytes = response.headers, len(sent)
        text = decoded(sent, response.headers.get("Content-Encoding")).decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
        return response.status, text

    def csrf_token(self, path: str) -> tuple[int, str | None]:
        status, page = self.request("GET", path)
        tag = CSRF_INPUT.search(page)
        found = VALUE.search(tag.group(0)) if tag else None
        return status, found.group(1) if found else None

    def log_in(self, email: str) -> None:
        status, token = self.csrf_token("/login")
        form = {"email": email, "password": PASSWORD, "csrf_token": token or ""}
        status, _ = self.request("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"login of {email} answered {status}")


def decoded(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


# Load --------------------------------------------------------------------------------------


def ok(status: int) -> bool:
    return 200 <= status < 400


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    pairs: int = 0
    latencies: list[float] = field(default_factory=list)

    def timed(self, send):
        """Send one request, count it, and return its status (0 on a connection failure)."""
        started = time.perf_counter()
        try:
            status, page = send()
        except (OSError, http.client.HTTPException):
            status, page = 0, ""
        self.latencies.append(time.perf_counter() - started)
        self.requests += 1
        self.errors += not ok(status)
        return status, page


def bare_unit(client: Client, tally: Tally, _public_id: str) -> None:
    tally.timed(lambda: client.request("GET", "/bare"))


def step_unit(client: Client, tally: Tally, public_id: str) -> None:
    """GET the service step, then POST it with valid answers; a pair succeeds on a 302."""
    path = f"/applications/{public_id}/service"
    status, token = tally.timed(lambda: client.csrf_token(path))
    if not ok(status):
        return  # already counted as an error
    if token is None:
        tally.errors += 1  # a step page without its CSRF token
        return
    answers = {**STEP_ANSWERS, "csrf_token": token}
    status, _ = tally.timed(lambda: client.request("POST", path, answers))
    if status == 302:
        tally.pairs += 1
    elif ok(status):
        tally.errors += 1


@dataclass
class Phase:
    name: str
    seconds: float
    tallies: list[Tally]
    client_cpu: float

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
    def pairs_per_second(self) -> float:
        return sum(t.pairs for t in self.tallies) / self.seconds

    def latency_ms(self, quantile: float) -> float:
        values = sorted(v for t in self.tallies for v in t.latencies)
        if not values:
            return 0.0
        return 1000 * values[min(len(values) - 1, int(quantile * len(values)))]


def run_phase(name: str, unit, sessions: list[tuple[Client, str]], seconds: float) -> Phase:
    """Every client repeats its unit until the deadline; the phase ends when the last one stops."""
    tallies = [Tally() for _ in sessions]
    barrier = threading.Barrier(len(sessions) + 1)
    deadline = [0.0]

    def loop(client: Client, public_id: str, tally: Tally) -> None:
        barrier.wait()
        while time.monotonic() < deadline[0]:
            unit(client, tally, public_id)

    threads = [
        threading.Thread(target=loop, args=(client, public_id, tally))
        for (client, public_id), tally in zip(sessions, tallies, strict=True)
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


def open_sessions(port: int, users: list[tuple[str, str]]) -> list[tuple[Client, str]]:
    """One logged-in client per concurrent user, each with its own draft application."""
    sessions = []
    for email, public_id in users[:CLIENTS]:
        client = Client(port)
        client.log_in(email)
        sessions.append((client, public_id))
    return sessions


# Report ------------------------------------------------------------------------------------


def print_table(phases: list[Phase], log_lines: list[str]) -> None:
    print(f"workers: {WORKERS} (sync, 1 thread)   clients: {CLIENTS}   users: {USERS}")
    print(f"seconds per phase: {SECONDS:g}   warm-up: {WARMUP_SECONDS:g}   cpus: {os.cpu_count()}")
    header = (
        f"{'phase':<8}{'seconds':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'pairs/s':>9}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'client cpu':>12}"
    )
    print(header)
    print("-" * len(header))
    for phase in phases:
        pairs = f"{phase.pairs_per_second:.1f}" if phase.name == "step" else "-"
        print(
            f"{phase.name:<8}{phase.seconds:>8.1f}{phase.requests:>10}{phase.errors:>8}"
            f"{phase.rps:>9.1f}{pairs:>9}{phase.latency_ms(0.5):>8.1f}"
            f"{phase.latency_ms(0.95):>8.1f}{phase.latency_ms(1.0):>8.1f}"
            f"{phase.client_cpu:>11.0%} "
        )
    print(f"gunicorn log: {len(log_lines)} lines (warnings and up)")
    for line in log_lines[-20:]:
        print(f"  {line}")


def measure(port: int, users: list[tuple[str, str]]) -> list[Phase]:
    bare_clients = [(Client(port), "") for _ in range(CLIENTS)]
    step_clients = open_sessions(port, users)
    run_phase("warm-up", bare_unit, bare_clients, WARMUP_SECONDS)
    run_phase("warm-up", step_unit, step_clients, WARMUP_SECONDS)
    return [
        run_phase("bare", bare_unit, bare_clients, SECONDS),
        run_phase("step", step_unit, step_clients, SECONDS),
        run_phase("bare", bare_unit, bare_clients, SECONDS),
    ]


def main() -> None:
    url = database_url()
    with tempfile.TemporaryDirectory(prefix="mpaspor-bench-") as scratch:
        instance_path = os.path.join(scratch, "instance")
        with open(os.path.join(scratch, "bench_wsgi.py"), "w") as handle:
            handle.write(WSGI_MODULE)
        env = server_environment(url, instance_path)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "DEMO_MODE")})
        os.environ.pop("REDIS_URL", None)
        log_path = os.path.join(scratch, "gunicorn.log")
        recreate_database(url)
        server = None
        try:
            users = prepare_data(instance_path)
            port = free_port()
            with open(log_path, "w") as log:
                server = start_gunicorn(scratch, port, env, log)
                wait_until_up(server, port)
                phases = measure(port, users)
        finally:
            if server is not None:
                stop_gunicorn(server)
            drop_database(url)
        with open(log_path) as handle:
            log_lines = handle.read().splitlines()
    bare, step, bare_again = phases
    bare_rps = (bare.rps + bare_again.rps) / 2
    print_table(phases, log_lines)
    print(f"step_rps: {step.rps:.1f}")
    print(f"bare_rps: {bare_rps:.1f}")
    print(f"ratio: {step.rps / bare_rps:.2f}")


if __name__ == "__main__":
    main()
