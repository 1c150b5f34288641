"""Browser journeys: Chromium (Debian's, at ``/usr/bin/chromium``) driven by Playwright against a live server.

One werkzeug server runs for the whole session on a free port of 127.0.0.1. It serves whichever app the
current test built (the function-scoped ``app`` fixture of ``tests/conftest.py``), so every journey sees
its own freshly emptied database, on SQLite and on PostgreSQL alike. Factories commit, so what a test
makes is visible to the server's threads.

Every test here is marked ``browser`` (``pytest -m "not browser"`` leaves them out). Without Chromium
they are skipped with a reason, except under CI, where a missing browser is an error.

On failure, ``--screenshot only-on-failure --output build/test-results`` (pytest-playwright's own
options) keep a screenshot of each page.
"""

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from database import sqlite_may_write

BROWSER_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"
SKIP_REASON = f"Chromium not installed at {CHROMIUM} (apt-get install chromium fonts-noto-core); browser tests skipped"


def is_browser_item(item: pytest.Item) -> bool:
    return Path(item.path).resolve().is_relative_to(BROWSER_DIR)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``: first, so that ``-m "not browser"`` sees the mark."""
    for item in items:
        if is_browser_item(item):
            item.add_marker(pytest.mark.browser)


def pytest_collection_finish(session: pytest.Session) -> None:
    """After deselection: if browser tests are to run and Chromium is missing, skip them (fail under CI)."""
    browser_items = [item for item in session.items if is_browser_item(item)]
    if not browser_items or os.path.exists(CHROMIUM):
        return
    if IN_CI:
        raise pytest.UsageError(f"Chromium missing under CI: install chromium (see .ci/run); expected {CHROMIUM}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


# Browser ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "reduced_motion": "reduce", "locale": "en-GB"}


@pytest.fixture
def keeps_screenshots(backend: str) -> bool:
    """Whether this test keeps full-page screenshots of what it sees (``build/screenshots/``, for people to
    look at): on SQLite only. The pages are the same on both databases, the files have the same names, and
    a full-page screenshot costs hundreds of milliseconds."""
    return backend == "sqlite"


# Live server -----------------------------------------------------------------------------------------


class Dispatcher:
    """A WSGI app forwarding to the app of the test that is running (503 between tests)."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ, start_response):
        app = self.app
        if app is None:
            body = b"No test is running: the live server has no app to serve.\n"
            headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            start_response("503 Service Unavailable", headers)
            return [body]
        return app(environ, start_response)


class LiveServer:
    def __init__(self) -> None:
        self.dispatcher = Dispatcher()
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self.dispatcher, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Overrides pytest-playwright's (pytest-base-url's) fixture: ``page.goto("/courses/")`` works."""
    return live_server.url


@pytest.fixture(autouse=True)
def sqlite_deferred_transactions() -> Iterator[None]:
    """While the browser drives the server, this thread must not hold SQLite's write lock: its
    transactions start deferred (factories can still write: nothing else does at the same time).

    ``live_app`` asks for it before ``app``, so it is set up before ``app`` and reset after ``app`` is torn
    down (autouse fixtures alone run in alphabetical order)."""
    token = sqlite_may_write.set(False)
    try:
        yield
    finally:
        sqlite_may_write.reset(token)


@pytest.fixture(autouse=True)
def live_app(sqlite_deferred_transactions: None, app: Flask, live_server: LiveServer) -> Iterator[Flask]:
    """Point the live server at this test's app (every browser test gets it). Asks for
    ``sqlite_deferred_transactions`` first, so that it is in force before ``app`` is set up."""
    live_server.dispatcher.app = app
    try:
        yield app
    finally:
        live_server.dispatcher.app = None
