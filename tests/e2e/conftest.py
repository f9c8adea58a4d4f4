"""Browser fixtures: the app served on a real port, and Chromium driven by Playwright.

Chromium is Debian's (/usr/bin/chromium); Playwright's own browser downloads are not used. A
missing Chromium skips these tests locally and fails them in CI (tests/services.py).
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests import services

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A low-end Android phone: a small screen, touch, and Chrome's mobile user agent.
VIEWPORT = {"width": 360, "height": 740}
# The counter's PC, or the office's screen.
DESKTOP = {"width": 1280, "height": 800}
ANDROID_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(make_app):
    """The app on 127.0.0.1 and a free port, with jobs (mail) run in-process."""
    app = make_app(REDIS_URL=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def playwright_driver():
    services.require(services.chromium_available(), "Chromium not installed at /usr/bin/chromium")
    # Imported after the check, so that without Chromium nothing of Playwright is started.
    from playwright.sync_api import sync_playwright

    # The context manager runs Playwright's own event loop (in a greenlet) and closes it on
    # exit. Nothing in this suite runs an asyncio loop of its own, so the two never meet.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(
        executable_path=services.CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def javascript() -> bool:
    """Whether pages run scripts; parametrize `javascript` to test both."""
    return True


def _phone(javascript: bool = True, **options) -> dict:
    return {
        "viewport": VIEWPORT,
        "screen": VIEWPORT,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": ANDROID_USER_AGENT,
        "java_script_enabled": javascript,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        **options,
    }


@pytest.fixture
def context(browser, live_server, javascript):
    """A fresh phone-sized browser profile per test, pointed at the live server."""
    context = browser.new_context(**_phone(javascript, base_url=live_server.url))
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def another_phone(browser, live_server, javascript):
    """Opens another device: a fresh phone profile with nothing in common with `context` but the
    server. Call it once per device; every one opened is closed after the test."""
    opened = []

    def open_phone():
        context = browser.new_context(**_phone(javascript, base_url=live_server.url))
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    try:
        yield open_phone
    finally:
        for context in opened:
            context.close()


@pytest.fixture
def installable_context(playwright_driver, live_server, tmp_path):
    """A phone with a profile on disk: Chromium never offers to install from incognito
    profiles, and every `browser.new_context()` is one."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=services.CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        **_phone(base_url=live_server.url),
    )
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@dataclass
class WorkerServer(LiveServer):
    """The app served as by `live_server`, with a real `flask worker` process beside it."""

    worker: subprocess.Popen
    log_path: str

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    @contextlib.contextmanager
    def paused(self):
        """Hold the worker (and its scheduler and work horses) still for the block, as a busy
        worker would be: jobs queued meanwhile wait in Redis and run once it goes on."""
        os.killpg(self.worker.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.worker.pid, signal.SIGCONT)


@pytest.fixture
def worker_server(make_app, registry_url, tmp_path, redis):
    """The app on a free loopback port with jobs on Redis, and a real worker process running
    them (`flask worker`, the production command) against the stand-in registry over HTTP.

    Needs Redis: skipped locally without it, a failure in CI. The worker process uses this
    run's database and Redis database, like the app beside it.
    """
    url = redis
    app = make_app(REDIS_URL=url, REGISTRY_URL=registry_url)  # empties this run's Redis db
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="worker-server", daemon=True)
    thread.start()
    environment = {
        **os.environ,
        "DEMO_MODE": "1",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": url,
        "REGISTRY_URL": registry_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "INSTANCE_PATH": app.instance_path,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = str(tmp_path / "worker.log")
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            env=environment,
            cwd=ROOT,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = WorkerServer(
        url=f"http://127.0.0.1:{server.server_port}",
        app=app,
        worker=worker,
        log_path=log_path,
    )
    try:
        _wait_for_worker(running, url)
        yield running
    finally:
        _stop(worker)
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _wait_for_worker(running: WorkerServer, url: str, seconds: float = 30) -> None:
    """Until the worker has registered itself in Redis, so that it is listening."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if running.worker.poll() is not None:
                pytest.fail(f"the worker exited early:\n{running.log()}", pytrace=False)
            if Worker.all(connection=connection):
                return
            time.sleep(0.1)
        pytest.fail(f"the worker did not start in {seconds:g} s:\n{running.log()}", pytrace=False)
    finally:
        connection.close()


def _stop(worker: subprocess.Popen) -> None:
    """SIGTERM the worker's process group (a warm shutdown), SIGKILL what is left after a few
    seconds, and reap the worker."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGCONT)  # a paused worker could not act on SIGTERM
        os.killpg(worker.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # the scheduler or a work horse left behind
    worker.wait()


@pytest.fixture
def desktop(browser, live_server):
    """Opens a desktop browser profile (the counter's PC, or the office's screen)."""
    opened = []

    def open_desktop():
        context = browser.new_context(
            viewport=DESKTOP,
            base_url=live_server.url,
            locale="id-ID",
            timezone_id="Asia/Makassar",
        )
        context.set_default_timeout(15_000)
        opened.append(context)
        return context.new_page()

    try:
        yield open_desktop
    finally:
        for context in opened:
            context.close()
