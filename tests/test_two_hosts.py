"""Two app hosts behind nginx, as README "Production" deploys them, tested at work.

One deployment for the module (``deployment``): PostgreSQL (the test's database, reached by the hosts through
a TCP relay the test can cut, as a database that goes away), Redis at 127.0.0.1:6379 (the rate-limit
counters, under a key prefix of this run), two gunicorn instances on their own ports as two hosts
(``MARKAZ_ENV=production``, ``MARKAZ_PROXY_COUNT=1``), a ``flask worker`` on each sending email to a
local SMTP server of the test's own and SMS to the fake gateway (tests/fake_gateway.py), and Debian's nginx
in front of them with deploy/nginx.conf (TLS with a self-signed certificate, the hashed static files
collected by ``flask static collect``). Each test then checks one promise of the README through it.

PostgreSQL only. Without nginx, its brotli modules or Redis a test skips locally and fails under ``CI=true``
(``.ci/run`` installs them). The hosts' database is the test's own, emptied between tests by the ``app``
fixture like any other: the hosts keep nothing between requests, so that is all they need.
"""

import contextlib
import functools
import gzip
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from urllib.parse import urlencode

import brotli
import pytest
import sqlalchemy as sa
from api_helpers import token_for
from deployment import HOST, IN_CI, need_nginx, nginx_command, nginx_main, nginx_site, self_signed
from fake_gateway import FakeGateway
from harness import password_hash
from sqlalchemy.engine import make_url

from enrollments.counters import recount
from enrollments.models import Enrollment
from extensions import db
from notifications.models import OutboxMessage
from notifications.outbox import queue
from static_files import collect, content_hash, hashed_name
from tests.test_api_gunicorn import free_port
from vocabulary import Channel, EnrollmentStatus, Role

# One deployment for the module: under xdist its tests stay in one process (make test: --dist loadgroup).
pytestmark = [pytest.mark.backends("postgresql"), pytest.mark.xdist_group("two-hosts")]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS = ("127.0.0.1", 6379)
PASSWORD = "a-long-password"
THROTTLED = "Too many attempts. Wait a few minutes, then try again."


# A database that can go away ------------------------------------------------------------------------------


class Relay:
    """A TCP relay from a local port to the database server: ``cut()`` closes every connection through it and
    refuses new ones (the database has gone away, as far as the hosts can tell), ``restore()`` listens again on
    the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self.accept, args=(listener,), daemon=True).start()

    def accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # cut: the listener is closed
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self.listener is not None:
            # shutdown() first: on Linux it wakes the thread blocked in accept(), which close() alone does not
            # (the listening socket would live on, and go on accepting).
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


# A mail server that counts ----------------------------------------------------------------------------------


class MailServer:
    """A minimal SMTP server on a local port that accepts every message and keeps its headers (``received``):
    the email half of the outbox, counted by Message-ID as the SMS are at the fake gateway."""

    def __init__(self) -> None:
        import socketserver

        mail = self
        self.received: list[dict[str, str]] = []
        self.lock = threading.Lock()

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 markaz-test ESMTP")
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.reply("250 markaz-test")
                    elif command == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data.decode(errors="replace"))
                        headers = {}
                        for header in "".join(lines).split("\r\n\r\n", 1)[0].split("\r\n"):
                            name, _, value = header.partition(":")
                            headers[name.strip().lower()] = value.strip()
                        with mail.lock:
                            mail.received.append(headers)
                        self.reply("250 queued")
                    elif command == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        self.reply("250 ok")

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(headers.get("message-id", "") for headers in self.received)

    def senders(self, message_ids: set[str]) -> Counter[str]:
        with self.lock:
            return Counter(
                headers.get("from", "") for headers in self.received if headers.get("message-id") in message_ids
            )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Hosts and nginx ----------------------------------------------------------------------------------------------


@dataclass
class Process:
    """A process started by the deployment, in a session of its own (so that it and its children can be
    stopped together, and only they), its output in ``log``."""

    name: str
    command: list[str]
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process and its children: a host that dies, no goodbye."""
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def output(self, tail: int = 3000) -> str:
        """The end of its output (``tail`` characters; 0: all of it)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-tail:] if tail else text


@dataclass
class Host:
    """One app host: gunicorn on ``port``; ``requests`` counts what its access log shows."""

    name: str
    port: int
    web: Process

    def requests(self, pattern: str) -> int:
        return len(re.findall(pattern, self.web.log.read_text(errors="replace")))


@dataclass
class Deployment:
    hosts: list[Host]
    nginx: Process
    https_port: int
    http_port: int
    relay: Relay
    gateway: FakeGateway
    mail: MailServer
    workers: list[Process]
    folder: Path
    prefix: str

    def both_hosts_up(self) -> None:
        """Wait until both hosts answer (one may be starting again after the test that kills it)."""
        for host in self.hosts:
            answers = functools.partial(lambda h: direct(h, "GET", "/").status == 200, host)
            wait_for(f"{host.name} did not answer", answers, self.output)

    def output(self) -> str:
        parts = [f"--- {host.name}\n{host.web.output()}" for host in self.hosts]
        parts += [f"--- {worker.name}\n{worker.output()}" for worker in self.workers]
        error_log = self.folder / "nginx" / "error.log"
        parts.append(f"--- nginx\n{error_log.read_text(errors='replace')[-2000:] if error_log.exists() else ''}")
        return "\n".join(parts)


def redis_or_skip() -> None:
    try:
        with socket.create_connection(REDIS, timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            answered = probe.recv(16).startswith(b"+PONG")
    except OSError:
        answered = False
    if not answered:
        message = f"Redis is not answering at {REDIS[0]}:{REDIS[1]}"
        if IN_CI:
            pytest.fail(f"{message} and CI=true")
        pytest.skip(message)


def host_environment(
    database_url: str, relay: Relay, gateway: FakeGateway, mail: MailServer, prefix: str, instance: Path
) -> dict[str, str]:
    """The environment of a production host (README, "Production"), the database reached through ``relay``,
    email sent to ``mail``, SMS to ``gateway`` (tests/fake_gateway.py)."""
    url = make_url(database_url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MARKAZ_", "RATELIMIT_", "SMS_", "MAIL_", "DATABASE_", "SECRET_KEY"))
    }
    return inherited | {
        "FLASK_APP": "app",
        "MARKAZ_ENV": "production",
        "SECRET_KEY": "two-hosts-" + uuid.uuid4().hex,  # the same on both hosts: a session cookie works on either
        "DATABASE_URL": url,
        "MARKAZ_BASE_URL": f"https://{HOST}",
        "MARKAZ_PROXY_COUNT": "1",
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}",
        "RATELIMIT_KEY_PREFIX": prefix,
        "MARKAZ_INSTANCE_PATH": str(instance),
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail.port),
        "SMS_BACKEND": "http",
        "MARKAZ_SMS_URL": gateway.url,
        "MARKAZ_SMS_SENDER_ID": "MARKAZ",
        "MARKAZ_WORKER_SEND_SECONDS": "0.2",  # a test waits for the outbox to empty: no need to wait 2 s a turn
    }


def wait_for(what: str, check, deployment_output, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    last: object = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError as error:
            last = error
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds} s (last: {last!r})\n{deployment_output()}")


def direct(host: Host, method: str, path: str, **kwargs) -> "Answer":
    """A request to one host, as nginx would send it (the site's Host, X-Forwarded-Proto https)."""
    return Browser(HTTPConnection, host.port).request(method, path, **kwargs)


@pytest.fixture(scope="module")
def deployment(database_url, tmp_path_factory):
    nginx = need_nginx()
    redis_or_skip()
    folder = tmp_path_factory.mktemp("two-hosts")
    server = make_url(database_url)
    relay = Relay((server.host or "127.0.0.1", server.port or 5432))
    prefix = f"markaz-two-hosts-{uuid.uuid4().hex}"
    gateway, mail = FakeGateway().__enter__(), MailServer()
    environment = host_environment(database_url, relay, gateway, mail, prefix, folder / "instance")

    hosts = []
    for name in ("host-a", "host-b"):
        port = free_port()
        command = [str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
        command += ["--access-logfile", "-", "--access-logformat", '"%(r)s" %(s)s', "app:create_app()"]
        web = Process(name, command, environment, folder / f"{name}.log")
        hosts.append(Host(name, port, web))
    # A worker on each host, told apart by the sender they send as.
    workers = [
        Process(
            f"worker-{name}",
            [str(BIN / "flask"), "worker"],
            environment
            | {"MAIL_SENDER": f"worker-{name}@markaz.test", "MARKAZ_SMS_SENDER_ID": f"MARKAZ-{name[-1].upper()}"},
            folder / f"worker-{name}.log",
        )
        for name in ("host-a", "host-b")
    ]

    https_port, http_port = free_port(), free_port()
    main = folder / "nginx" / "nginx.conf"
    front = Process("nginx", nginx_command(nginx, main, "-g", "daemon off;"), dict(os.environ), folder / "nginx.log")
    deployment = Deployment(hosts, front, https_port, http_port, relay, gateway, mail, workers, folder, prefix)
    try:
        for process in [*(host.web for host in hosts), *workers]:  # seconds to start: collect, certify meanwhile
            process.start()
        collect(str(ROOT / "static"), folder / "collected")
        certificate, key = self_signed(folder / "tls")
        site = nginx_site(
            app_hosts=[f"127.0.0.1:{host.port}" for host in hosts],
            https_port=https_port,
            http_port=http_port,
            collected=folder / "collected",
            certificate=certificate,
            key=key,
        )
        nginx_main(main.parent, site)
        front.start()
        deployment.both_hosts_up()
        wait_for("nginx did not answer", lambda: through_nginx(deployment, "GET", "/").status == 200, deployment.output)
        yield deployment
    finally:
        stop_all([*workers, front, *(host.web for host in hosts)])
        relay.cut()
        mail.close()
        gateway.__exit__(None, None, None)
        delete_redis_keys(prefix)


def stop_all(processes: list[Process]) -> None:
    """The end of the module: nothing of theirs needs to survive, so no graceful goodbyes (gunicorn's take
    seconds per host)."""
    for process in processes:
        process.kill()


def delete_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1])
    stale = list(client.scan_iter(match=f"*{prefix}*"))
    if stale:
        client.delete(*stale)
    client.close()


# A client -------------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> dict:
        return json.loads(self.body)


class Browser:
    """Requests with a session cookie kept between them, to nginx (HTTPS) or straight to one host."""

    def __init__(self, kind, port: int) -> None:
        self.kind, self.port = kind, port
        self.cookie: str | None = None

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Answer:
        sent = {"Host": HOST} | (headers or {})
        if self.kind is HTTPConnection:
            sent.setdefault("X-Forwarded-Proto", "https")
        if self.cookie:
            sent["Cookie"] = self.cookie
        if method == "POST":  # Flask-WTF checks that a form sent over HTTPS came from the site itself
            sent.setdefault("Referer", f"https://{HOST}{path}")
        if body is not None:
            sent.setdefault("Content-Length", str(len(body)))
        elif method == "POST":
            sent.setdefault("Content-Length", "0")
        if self.kind is HTTPSConnection:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
            connection = HTTPSConnection("127.0.0.1", self.port, timeout=60, context=context)
        else:
            connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                if header.startswith("session="):
                    self.cookie = header.split(";", 1)[0]
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def sign_in(self, email: str, password: str) -> Answer:
        page = self.request("GET", "/auth/login")
        assert page.status == 200, page.text[-1000:]
        token = re.search(r'name="csrf_token"[^>]*\svalue="([^"]+)"', page.text).group(1)
        form = urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        return self.request(
            "POST", "/auth/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )


def through_nginx(deployment: Deployment, method: str, path: str, **kwargs) -> Answer:
    return Browser(HTTPSConnection, deployment.https_port).request(method, path, **kwargs)


def apply(deployment: Deployment, cohort_id: int, token: str) -> Answer:
    return through_nginx(
        deployment, "POST", f"/api/v1/cohorts/{cohort_id}/enrollments", headers={"Authorization": f"Bearer {token}"}
    )


# The tests ------------------------------------------------------------------------------------------------------


def applicants(make_trainee, make_user, count: int) -> list[tuple[int, str]]:
    """``count`` trainees with an account each: (trainee id, API token), committed for the hosts to see."""
    made = [make_trainee(user=make_user(Role.TRAINEE)) for _ in range(count)]
    tokens = [(trainee.id, token_for(trainee.user)) for trainee in made]
    db.session.commit()
    return tokens


def test_sixty_applications_for_ten_seats_over_both_hosts(app, deployment, make_cohort, make_trainee, make_user):
    deployment.both_hosts_up()
    cohort_id = make_cohort(seats=10).id
    people = applicants(make_trainee, make_user, 60)
    before = [host.requests(r"POST /api/v1/cohorts/\d+/enrollments") for host in deployment.hosts]
    barrier = threading.Barrier(len(people))
    answers: list[Answer | BaseException | None] = [None] * len(people)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = apply(deployment, cohort_id, people[index][1])
        except BaseException as error:
            answers[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    refused = [answer for answer in answers if not (isinstance(answer, Answer) and answer.status == 201)]
    assert refused == [], f"{refused[:3]}\n{deployment.output()}"
    statuses = Counter(answer.json()["status"] for answer in answers)
    assert statuses == {"enrolled": 10, "waitlisted": 50}
    positions = sorted(
        answer.json()["waitlist_position"] for answer in answers if answer.json()["status"] == "waitlisted"
    )
    assert positions == list(range(1, 51))
    # nginx spread them over both hosts.
    after = [host.requests(r"POST /api/v1/cohorts/\d+/enrollments") for host in deployment.hosts]
    served = [now - seen for now, seen in zip(after, before, strict=True)]
    assert sum(served) == 60 and min(served) > 0, served  # round robin, but a host nginx saw fail rests 10 s

    db.session.expire_all()
    found = Counter(db.session.scalars(sa.select(Enrollment.status).where(Enrollment.cohort_id == cohort_id)))
    assert found == {EnrollmentStatus.ENROLLED: 10, EnrollmentStatus.WAITLISTED: 50}
    assert recount() == []


def test_a_session_made_on_one_host_works_on_the_other(app, deployment, make_user):
    deployment.both_hosts_up()
    user = make_user(Role.ADMIN, password_hash=password_hash(PASSWORD))
    email = user.email
    db.session.commit()
    host_a, host_b = deployment.hosts
    browser = Browser(HTTPConnection, host_a.port)
    signed_in = browser.sign_in(email, PASSWORD)
    assert signed_in.status == 302, signed_in.text[-1000:]
    assert "; secure" in signed_in.headers["set-cookie"].lower()  # production's cookies

    browser.port = host_b.port  # the same cookie, the other host
    profile = browser.request("GET", "/auth/sessions")
    assert profile.status == 200, profile.text[-1000:]
    assert email in profile.text

    # Signing out on host B ends the session on host A too: it is a record in the database, not in a process.
    page = browser.request("GET", "/auth/sessions")
    token = re.search(r'name="csrf_token"[^>]*\svalue="([^"]+)"', page.text).group(1)
    cookie = browser.cookie
    out = browser.request(
        "POST",
        "/auth/logout",
        body=urlencode({"csrf_token": token}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert out.status == 302, out.text[-1000:]
    browser.port, browser.cookie = host_a.port, cookie  # the old cookie, replayed on host A
    again = browser.request("GET", "/auth/sessions")
    assert again.status == 302 and "/auth/login" in again.headers["location"]


def test_sign_in_failures_count_once_across_both_hosts(app, deployment, make_user):
    deployment.both_hosts_up()
    user = make_user(Role.STAFF, password_hash=password_hash(PASSWORD))
    email = user.email
    db.session.commit()
    statuses = []
    for attempt in range(8):  # wrong passwords, host A and host B in turn, from one address
        host = deployment.hosts[attempt % 2]
        answer = direct(
            host,
            "POST",
            "/api/v1/tokens",
            body=json.dumps({"email": email, "password": f"wrong {attempt}"}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.7"},
        )
        statuses.append((host.name, answer.status))
        if answer.status == 429:
            assert THROTTLED in answer.text
    assert [status for _, status in statuses] == [401] * 5 + [429] * 3, statuses
    # Once throttled, the right password is refused on either host.
    for host in deployment.hosts:
        answer = direct(
            host,
            "POST",
            "/api/v1/tokens",
            body=json.dumps({"email": email, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.7"},
        )
        assert answer.status == 429, (host.name, answer.status)


def test_killing_one_host_mid_burst_loses_no_acknowledged_application(
    app, deployment, make_cohort, make_trainee, make_user
):
    """30 trainees apply through nginx, a few at a time; when a third have their answer, host A's gunicorn
    dies (SIGKILL, its worker processes included). Whoever got no answer (nginx's 502 for a request that was
    on host A, or a refused connection) tries again, as a phone would. Every application answered 201 is in
    the database, every trainee ends with exactly one place or place in line, and the seats hold."""
    cohort_id = make_cohort(seats=10).id
    people = applicants(make_trainee, make_user, 30)
    host_a = deployment.hosts[0]
    acknowledged: dict[int, int] = {}  # trainee id → enrollment id answered 201
    lost: Counter[str] = Counter()
    lock = threading.Lock()
    answered = threading.Semaphore(0)

    def run(trainee_id: int, token: str) -> None:
        for _ in range(20):
            try:
                answer = apply(deployment, cohort_id, token)
            except OSError as error:
                with lock:
                    lost[type(error).__name__] += 1
                time.sleep(0.2)
                continue
            if answer.status == 201:
                with lock:
                    acknowledged[trainee_id] = answer.json()["id"]
                answered.release()
                return
            if answer.status == 409:  # a try whose answer was lost had been saved: "already applied"
                answered.release()
                return
            with lock:
                lost[str(answer.status)] += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=run, args=person) for person in people]
    for index, thread in enumerate(threads):
        thread.start()
        if index % 4 == 3:
            time.sleep(0.05)
    for _ in range(len(people) // 3):
        assert answered.acquire(timeout=60), deployment.output()
    host_a.web.kill()
    killed_at = len(acknowledged)
    host_a.web.start()  # it comes back while the others retry (nginx tries it again after fail_timeout); the
    # tests that need both hosts wait for it (Deployment.both_hosts_up)
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert 0 < killed_at < len(people)
        db.session.expire_all()
        rows = db.session.execute(
            sa.select(Enrollment.trainee_id, Enrollment.id, Enrollment.status).where(Enrollment.cohort_id == cohort_id)
        ).all()
        saved = {trainee_id: enrollment_id for trainee_id, enrollment_id, _ in rows}
        # Every acknowledged application is there, under the id its answer gave.
        assert {trainee: saved.get(trainee) for trainee in acknowledged} == acknowledged
        # Everyone ends with exactly one enrollment (a retry never made a second one).
        assert sorted(trainee for trainee, _, _ in rows) == sorted(trainee for trainee, _ in people)
        assert Counter(status for _, _, status in rows) == {
            EnrollmentStatus.ENROLLED: 10,
            EnrollmentStatus.WAITLISTED: 20,
        }
        assert recount() == []
    finally:
        print(f"host A killed after {killed_at} acknowledged; answers lost and retried: {dict(lost)}")


def test_every_message_is_sent_exactly_once_by_the_two_workers(app, deployment, make_trainee):
    """150 trainees with a phone and an email: 300 messages queued at once. The workers of both hosts claim
    and send them (``flask worker``): the mail server receives each email exactly once (its Message-ID is the
    message's idempotency key), the fake SMS gateway each SMS exactly once (its ``id``, the idempotency key),
    and both workers took a share of each."""
    for worker in deployment.workers:
        assert worker.running(), worker.output()
    trainees = [make_trainee(email=f"outbox{number}@example.pk") for number in range(150)]
    for trainee in trainees:
        queue(trainee, "two-hosts-test", "Markaz test", f"two-hosts message {trainee.id}.")
    db.session.commit()
    rows = db.session.execute(
        sa.select(OutboxMessage.channel, OutboxMessage.idempotency_key, OutboxMessage.body).where(
            OutboxMessage.kind == "two-hosts-test"
        )
    ).all()
    emails = {f"<{key}@markaz>" for channel, key, _ in rows if channel is Channel.EMAIL}
    assert len(emails) == 150

    def all_sent() -> bool:
        db.session.rollback()
        pending = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "two-hosts-test", OutboxMessage.sent_at.is_(None))
        )
        return pending == 0

    wait_for("the workers did not send the outbox", all_sent, deployment.output, seconds=60)
    received = deployment.mail.message_ids()
    assert {message_id: received[message_id] for message_id in emails} == dict.fromkeys(emails, 1)
    email_shares = deployment.mail.senders(emails)
    assert len(email_shares) == 2 and sum(email_shares.values()) == 150, email_shares

    keys = {key for channel, key, _ in rows if channel is Channel.SMS}
    at_gateway = Counter(deployment.gateway.keys())
    assert {key: at_gateway[key] for key in keys} == dict.fromkeys(keys, 1)
    sms_shares = Counter(
        request.fields.get("mask") for request in deployment.gateway.received if request.fields.get("id") in keys
    )
    assert set(sms_shares) == {"MARKAZ-A", "MARKAZ-B"}, sms_shares


def test_readyz_fails_while_the_database_is_away_and_recovers_after(app, deployment):
    """The load balancer's check: while the hosts cannot reach the database (the relay cut: connections
    dropped, new ones refused) each host's ``/readyz`` answers 503 naming the database; once it is back, 200
    again, without restarting anything."""
    deployment.both_hosts_up()
    for host in deployment.hosts:
        ready = direct(host, "GET", "/readyz")
        assert ready.status == 200, ready.text
    deployment.relay.cut()
    try:
        for host in deployment.hosts:
            answer = direct(host, "GET", "/readyz")
            assert answer.status == 503, answer.text
            assert answer.json()["checks"]["database"].startswith("unreachable"), answer.text
        assert through_nginx(deployment, "GET", "/readyz").status == 503
    finally:
        deployment.relay.restore()

    def ready() -> bool:
        return all(direct(host, "GET", "/readyz").status == 200 for host in deployment.hosts)

    wait_for("/readyz did not recover", ready, deployment.output, seconds=30)


def test_hashed_static_files_come_from_nginx_compressed_and_kept_a_year(app, deployment):
    stylesheet = (ROOT / "static" / "css" / "markaz.css").read_bytes()
    url = "/static/" + hashed_name("css/markaz.css", content_hash(stylesheet))
    seen = [host.requests(re.escape(url)) for host in deployment.hosts]
    answer = through_nginx(deployment, "GET", url, headers={"Accept-Encoding": "br, gzip"})
    assert answer.status == 200
    assert answer.headers["content-encoding"] == "br"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "accept-encoding" in answer.headers.get("vary", "").lower()
    assert brotli.decompress(answer.body) == stylesheet
    gzipped = through_nginx(deployment, "GET", url, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    plain = through_nginx(deployment, "GET", url)
    assert plain.body == stylesheet and "content-encoding" not in plain.headers
    assert [host.requests(re.escape(url)) for host in deployment.hosts] == seen  # no host was asked

    # A plain name and a hash the collection lacks go to the app, which answers them revalidated.
    for path in ("/static/css/markaz.css", "/static/css/markaz.000000000000.css"):
        answer = through_nginx(deployment, "GET", path)
        assert answer.status == 200 and answer.body == stylesheet
        assert "immutable" not in answer.headers["cache-control"] and "no-cache" in answer.headers["cache-control"]


def test_pages_are_compressed_by_the_app_and_not_again_by_nginx(app, deployment):
    page = through_nginx(deployment, "GET", "/courses/", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200 and page.headers["content-encoding"] == "gzip"
    assert b"</html>" in gzip.decompress(page.body)
    # The sign-in form holds a CSRF token next to the query it echoes: the app sends it uncompressed
    # (BREACH), and nginx leaves it so.
    form = through_nginx(deployment, "GET", "/auth/login?next=/auth/profile", headers={"Accept-Encoding": "gzip"})
    assert form.status == 200 and "content-encoding" not in form.headers


def test_http_moves_to_https_and_large_uploads_stop_at_nginx(app, deployment):
    moved = Browser(HTTPConnection, deployment.http_port).request("GET", "/courses/?track=it_support")
    assert moved.status == 301
    assert moved.headers["location"] == f"https://{HOST}/courses/?track=it_support"
    bodies = b"x" * (7 * 1024 * 1024)
    answer = through_nginx(
        deployment, "POST", "/api/v1/trainees", body=bodies, headers={"Content-Type": "application/json"}
    )
    assert answer.status == 413
    assert "nginx" in answer.text
    assert (
        deployment.hosts[0].requests("POST /api/v1/trainees") + deployment.hosts[1].requests("POST /api/v1/trainees")
        == 0
    )


def test_nginx_limits_sign_in_posts_per_address_before_the_app(app, deployment):
    """It uses up this address's allowance at nginx for a minute or two: no other test signs in through nginx.
    deploy/nginx.conf lets 30 a minute through, with a burst of 60 at once."""
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def post() -> None:
        answer = through_nginx(
            deployment,
            "POST",
            "/auth/login",
            body=b"email=x&password=y",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with lock:
            statuses["nginx 429" if answer.status == 429 and "nginx" in answer.text else str(answer.status)] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=post) for _ in range(90)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    reached_the_app = sum(count for status, count in statuses.items() if status != "nginx 429")
    assert statuses["nginx 429"] > 0, statuses
    assert reached_the_app <= 61 + elapsed / 2 + 1, (statuses, elapsed)
    # A GET of the form is not limited.
    assert through_nginx(deployment, "GET", "/auth/login").status == 200
