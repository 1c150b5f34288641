"""Sign-in throttling (auth/throttling.py): one count of failures per account and one per address, shared by
the sign-in page and ``POST /api/v1/tokens``; with Redis, shared by every worker too.

The last test runs the app as production does (gunicorn, two workers, the counters in Redis at
127.0.0.1:6379, ``MARKAZ_ENV=production``) and tries one account's password through the page and the API
alternately. It needs Redis: without one it is skipped locally, with a reason, and fails under ``CI=true``
(``.ci/run`` starts Redis). Its counters carry a key prefix of their own, deleted afterwards, so parallel runs
sharing the server never count each other's attempts.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import pytest
from harness import password_hash
from pages import csrf_token_of as csrf_token

from extensions import db, limiter
from tests.api_helpers import api_error
from tests.test_api_gunicorn import Server, free_port
from vocabulary import Role

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS = ("127.0.0.1", 6379)
PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)
THROTTLED = "Too many attempts. Wait a few minutes, then try again."


@pytest.fixture
def ayesha(make_user):
    return make_user(Role.TRAINEE, email="ayesha@markaz.test", password_hash=PASSWORD_HASH)


def page_attempt(client, email: str, password: str) -> int:
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token}).status_code


def api_attempt(client, email: str, password: str):
    return client.post("/api/v1/tokens", json={"email": email, "password": password})


# One count for both doors (in one process) -------------------------------------------------------------


def test_the_page_and_the_api_share_one_count_per_account(client, ayesha, make_user, row_counts):
    limiter.reset()
    before = row_counts()
    for attempt in range(5):  # page, API, page, API, page: five failures in all
        if attempt % 2 == 0:
            assert page_attempt(client, ayesha.email, f"wrong {attempt}") == 401, attempt
        else:
            assert api_attempt(client, ayesha.email, f"wrong {attempt}").status_code == 401, attempt
    assert api_error(api_attempt(client, ayesha.email.upper(), "wrong 6")) == (
        429,
        "too_many_requests",
        THROTTLED,
        None,
    )
    assert page_attempt(client, ayesha.email, "wrong 7") == 429
    # The right password is refused at both doors while the account is throttled.
    assert page_attempt(client, ayesha.email, PASSWORD) == 429
    assert api_attempt(client, ayesha.email, PASSWORD).status_code == 429
    assert row_counts() == before
    # Another account from the same address still signs in.
    assert page_attempt(client, make_user(Role.TRAINEE, password_hash=PASSWORD_HASH).email, PASSWORD) == 302


def test_the_page_and_the_api_share_one_count_per_address(client, ayesha):
    limiter.reset()
    for number in range(10):
        assert page_attempt(client, f"guess{number}@markaz.test", "guess") == 401, number
        assert api_attempt(client, f"other{number}@markaz.test", "guess").status_code == 401, number
    assert page_attempt(client, "guess-21@markaz.test", "guess") == 429
    assert api_attempt(client, ayesha.email, PASSWORD).status_code == 429


def test_successful_sign_ins_do_not_count(client, ayesha):
    limiter.reset()
    for _ in range(6):
        assert api_attempt(client, ayesha.email, PASSWORD).status_code == 201
    assert page_attempt(client, ayesha.email, PASSWORD) == 302


def test_while_redis_is_away_sign_in_still_works_and_is_still_throttled(client, ayesha, monkeypatch, caplog):
    """The counters' store not answering (Redis restarting) must not turn every sign-in into a 500: each
    process counts in memory with the same limits until the store answers again
    (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``). The limiter is pointed at a port where nothing listens; its
    own attributes are put back after the test (it is one object for every app of the process)."""
    from limits.storage import MemoryStorage, storage_from_string

    away = storage_from_string(f"redis://127.0.0.1:{free_port()}")
    memory = MemoryStorage()
    monkeypatch.setattr(limiter, "_storage", away)
    monkeypatch.setattr(limiter, "_limiter", type(limiter._limiter)(away))
    monkeypatch.setattr(limiter, "_fallback_storage", memory)
    monkeypatch.setattr(limiter, "_fallback_limiter", type(limiter._limiter)(memory))
    monkeypatch.setattr(limiter, "_storage_dead", False)
    assert limiter._in_memory_fallback_enabled

    for attempt in range(5):
        assert page_attempt(client, ayesha.email, f"wrong {attempt}") == 401, attempt
    assert "Rate limit storage unreachable" in caplog.text
    assert api_attempt(client, ayesha.email, PASSWORD).status_code == 429
    assert page_attempt(client, ayesha.email, PASSWORD) == 429


# Two gunicorn workers, counters in Redis ------------------------------------------------------------------

HOST = "markaz.example.pk"  # MARKAZ_BASE_URL's host: production answers no other
ACCESS_LOG = re.compile(r'^pid=<?(\d+)>? "(\w+) (\S+) [^"]*" (\d{3})$', re.M)


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Browser:
    """Requests to one server as one person: her cookies, the site's Host, a tag per request so that the
    server's access log says which worker answered it."""

    def __init__(self, port: int, first_tag: int = 0) -> None:
        self.port, self.cookie, self.sent = port, "", first_tag

    def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[int, str]:
        self.sent += 1
        tagged = f"{path}{'&' if '?' in path else '?'}try={self.sent}"
        headers = {"Host": HOST, "Content-Length": str(len(body))}
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookie:
            headers["Cookie"] = self.cookie
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, tagged, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                if header.startswith("session="):
                    self.cookie = header.split(";", 1)[0]
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()

    def page_attempt(self, email: str, password: str) -> tuple[int, int]:
        """Sign in through the page; returns (status, the tag of the POST)."""
        status, page = self.request("GET", "/auth/login")
        assert status == 200, page[-2000:]
        token = re.search(r'name="csrf_token"[^>]*\svalue="([^"]+)"', page).group(1)
        form = urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        status, _ = self.request("POST", "/auth/login", form, "application/x-www-form-urlencoded")
        return status, self.sent

    def api_attempt(self, email: str, password: str) -> tuple[int, int]:
        body = f'{{"email": "{email}", "password": "{password}"}}'.encode()
        status, _ = self.request("POST", "/api/v1/tokens", body, "application/json")
        return status, self.sent


@pytest.fixture
def production_gunicorn(app, database_url, tmp_path):
    """Start gunicorn (two workers) as production runs: MARKAZ_ENV=production, counters in Redis under a key
    prefix of this test's own. Stopped, and its Redis keys deleted, afterwards."""
    if not redis_answers():
        message = f"Redis is not answering at {REDIS[0]}:{REDIS[1]}: the workers' shared counters cannot be tested"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    import redis

    prefix = f"markaz-test-{uuid.uuid4().hex}"
    port = free_port()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("MARKAZ_", "RATELIMIT_", "SMS_"))
    } | {
        "MARKAZ_ENV": "production",
        "SECRET_KEY": "throttle-test-" + os.urandom(8).hex(),
        "MARKAZ_BASE_URL": f"https://{HOST}",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}",
        "RATELIMIT_KEY_PREFIX": prefix,
        "MARKAZ_INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_BACKEND": "log",
    }
    log = tmp_path / "gunicorn.log"
    command = [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-"]
    command += ["--access-logformat", 'pid=%(p)s "%(r)s" %(s)s', "app:create_app()"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, port, log)
    client = redis.Redis(host=REDIS[0], port=REDIS[1])
    try:
        yield server
    finally:
        server.stop()
        stale = list(client.scan_iter(match=f"*{prefix}*"))
        if stale:
            client.delete(*stale)
        client.close()


def wait_until_answering(server: Server, seconds: float = 30) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.output()}")
        try:
            status, _ = Browser(server.port).request("GET", "/auth/login")
        except OSError:
            time.sleep(0.2)
            continue
        assert status == 200, server.output()
        return
    pytest.fail(f"gunicorn did not answer within {seconds} s:\n{server.output()}")


@pytest.mark.backends("sqlite")  # the subject is the counters in Redis, not the database
def test_two_workers_share_one_count_through_redis_for_page_and_api(production_gunicorn, ayesha):
    email = ayesha.email
    db.session.commit()  # hold no transaction: on SQLite it would keep the workers' writes waiting
    server = production_gunicorn
    wait_until_answering(server)
    browser = Browser(server.port)
    tries: list[tuple[str, int, int]] = []  # (door, status, tag)
    for attempt in range(16):  # wrong passwords, through the page and the API in turn
        door = "page" if attempt % 2 == 0 else "api"
        status, tag = (browser.page_attempt if door == "page" else browser.api_attempt)(email, f"wrong {attempt}")
        tries.append((door, status, tag))
    statuses = [status for _, status, _ in tries]
    assert statuses == [401] * 5 + [429] * 11, f"{statuses}\n{server.output()}"
    # The right password is refused too, at either door.
    assert browser.page_attempt(email, PASSWORD)[0] == 429
    assert browser.api_attempt(email, PASSWORD)[0] == 429

    # Which worker answered each try. One after another, the same worker may take every request (whichever
    # waits in accept first), which would prove nothing: more wrong tries then go two at once, so that while
    # one worker is busy the other must answer, until each worker has refused at least one.
    def answered_by() -> dict[int, int]:
        return {
            int(re.search(r"try=(\d+)", target).group(1)): int(pid)
            for pid, method, target, _ in ACCESS_LOG.findall(server.log.read_text(errors="replace"))
            if method == "POST"
        }

    refused = [tag for _, status, tag in tries if status == 429]
    for round_ in range(1, 21):
        if len({answered_by().get(tag) for tag in refused} - {None}) == 2:
            break
        pair = [Browser(server.port, first_tag=1000 * round_ + 100 * side) for side in (0, 1)]
        start = threading.Barrier(2)

        def attempt(browser: Browser, start: threading.Barrier = start) -> tuple[int, int]:
            start.wait()
            return browser.api_attempt(email, "wrong again")

        with ThreadPoolExecutor(2) as pool:
            for status, tag in pool.map(attempt, pair):
                assert status == 429, f"a wrong try past the limit was not refused: {status}\n{server.output()}"
                refused.append(tag)
    refusing_workers = {answered_by().get(tag) for tag in refused} - {None}
    assert len(refusing_workers) == 2, f"the refusals were not answered by both workers: {answered_by()}"
