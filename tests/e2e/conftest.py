"""Browser fixtures: the app served on a real port, and Chromium driven by Playwright.

Chromium is Debian's (/usr/bin/chromium); Playwright's own browser downloads are not used. A
missing Chromium skips these tests locally and fails them in CI (tests/services.py).
"""

import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests import services

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
