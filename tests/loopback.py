"""The product served for real on loopback, for tests and benches alike: child processes
(gunicorn on a free port, an RQ worker) logging to a file, and a browser-like HTTP client.

Benches reach it through bench/harness.py; tests import it directly. Cookies are kept whatever
their Secure flag says: a client here stands for a browser behind the HTTPS proxy, so production
mode's Secure cookies work over plain HTTP on loopback.
"""

import gzip
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import brotli

HOST = "127.0.0.1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOG_FLAGS = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception")
CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")


def executable(name: str) -> str:
    """A command installed beside this Python (gunicorn, flask)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# Processes ---------------------------------------------------------------------------------


class Process:
    """A child process and its log file."""

    def __init__(self, popen: subprocess.Popen, log_path: str):
        self.popen = popen
        self.log_path = log_path
        self.problems: list[str] = []

    def stop(self) -> None:
        """Terminate, then kill after 15 s; keep the log's problems."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.problems = log_problems(self.log_path)


def log_problems(path: str) -> list[str]:
    with open(path) as handle:
        return [line for line in handle.read().splitlines() if any(w in line for w in LOG_FLAGS)]


@contextmanager
def running(command: list[str], log_path: str, env: dict | None = None) -> Iterator[Process]:
    """A child process run from the repository root with this process's environment plus
    `env`, its output in `log_path`; stopped at the end, when its log's warning and error lines
    are in `problems`."""
    with open(log_path, "w") as log:
        child = Process(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            log_path,
        )
        try:
            yield child
        finally:
            child.stop()


def gunicorn_command(port: int, workers: int, app: str = "wsgi:app", path: str = ROOT) -> list:
    """gunicorn with `workers` sync workers (one thread each) on a loopback port, serving `app`
    from a module on `path` (the repository's wsgi.py by default)."""
    return [
        executable("gunicorn"),
        "--workers", str(workers),
        "--threads", "1",
        "--bind", f"{HOST}:{port}",
        "--chdir", ROOT,
        "--pythonpath", path,
        "--log-level", "warning",
        app,
    ]  # fmt: skip


def worker_command(burst: bool = False) -> list:
    """An RQ worker with its scheduler on every queue, as `make worker` runs it."""
    return [executable("flask"), "--app", "wsgi", "worker", *(["--burst"] if burst else [])]


def wait_until_answering(child: Process, port: int, path: str, timeout: float = 120) -> None:
    """Until GET `path` answers 200 (a busy machine starts slowly); an error if the process ends
    first or the time runs out."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if child.popen.poll() is not None:
            raise RuntimeError(f"{child.popen.args[0]} exited with code {child.popen.returncode}")
        try:
            if Client(port).request("GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} in time")


# Client ------------------------------------------------------------------------------------


class Client:
    """One browser: a keep-alive connection (reopened when it closes), its cookies, CSRF tokens.

    `headers` go with every request (e.g. Accept-Encoding); after each request `headers`,
    `location` and `body_bytes` tell what the answer said and the body bytes it took on the wire.
    `on(port)` is the same browser talking to another server, as behind a balancer.
    """

    def __init__(self, port: int, headers: dict | None = None, cookies: dict | None = None):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {} if cookies is None else cookies
        self.sent_headers = dict(headers or {})
        self.headers: http.client.HTTPMessage | None = None
        self.body_bytes = 0
        self.body = b""

    def on(self, port: int) -> "Client":
        """This browser on the server at `port`: the same cookies (shared, not copied)."""
        if port == self.port:
            return self
        return type(self)(port, self.sent_headers, self.cookies)

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        headers: dict | None = None,
        files: dict | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, str]:
        """Send one request: its status and its body as text (decompressed; `body` keeps the
        bytes). `files` ({field: (filename, bytes)}) send the form as multipart; `raw` is sent
        as it is (its Content-Type in `headers`)."""
        sent = {**self.sent_headers, **(headers or {})}
        body = raw
        if files:
            body, sent["Content-Type"] = multipart(form or {}, files)
        elif form is not None:
            body = urlencode(form, doseq=True)  # a list value: one field per item
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
            received = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        self.headers, self.body_bytes = response.headers, len(received)
        self.body = decoded(received, response.headers.get("Content-Encoding"))
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
        return response.status, self.body.decode(errors="replace")

    @property
    def location(self) -> str:
        """The path the last answer redirects to, or ""."""
        return urlsplit(self.headers.get("Location", "") if self.headers else "").path

    def csrf_token(self, path: str) -> tuple[int, str | None]:
        """GET the page: its status and the CSRF token of its first form (None without one)."""
        status, page = self.request("GET", path)
        tag = CSRF_INPUT.search(page)
        found = VALUE.search(tag.group(0)) if tag else None
        return status, found.group(1) if found else None

    def submit(self, path: str, fields: dict) -> str:
        """GET the page and post its form with its CSRF token, as a browser does: where the
        redirect leads. Anything but a redirect is an error."""
        status, token = self.csrf_token(path)
        if token is None:
            raise RuntimeError(f"GET {path} answered {status} without a CSRF token")
        status, _ = self.request("POST", path, {"csrf_token": token, **fields})
        if status != 302:
            raise RuntimeError(f"POST {path} answered {status}")
        return self.location

    def sign_in(self, email: str, password: str) -> "Client":
        self.submit("/login", {"email": email, "password": password})
        return self


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n')
        parts.append(f"{value}\r\n")
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(content + b"\r\n")
    parts.append(f"--{boundary}--\r\n")
    body = b"".join(part if isinstance(part, bytes) else part.encode() for part in parts)
    return body, f"multipart/form-data; boundary={boundary}"


def decoded(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body
