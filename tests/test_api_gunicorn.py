"""The engine's concurrency test through the API, as production runs it: gunicorn with 4 worker
processes on PostgreSQL, 60 trainees applying at the same moment for 10 seats.

PostgreSQL only (``backends("postgresql")``). Without ``TEST_DATABASE_URL`` it has no backend to run
on and pytest reports it as not run; with ``CI=true`` that cannot happen silently: ``conftest``
refuses to start a CI run without PostgreSQL, and an unreachable server stops the run with an error.

The server is a real gunicorn subprocess on a free local port, on the test's own database (the
fixtures commit what they make, so its workers see it); requests use only the standard library.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_helpers import token_for

from audit.models import AuditEvent
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.services import waitlist_position
from extensions import db
from vocabulary import EnrollmentStatus, Role

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 4
SEATS, APPLICANTS = 10, 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port: int, method: str, path: str, token: str, *, timeout: float = 60) -> tuple[int, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, headers={"Authorization": f"Bearer {token}", "Content-Length": "0"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Server:
    """A gunicorn serving the app on ``port``; ``log`` is its output (for failure messages)."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until_answering(self, token: str, seconds: float = 30) -> None:
        """Wait until a worker answers an authenticated request (so the app runs and reads the data)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, body = request(self.port, "GET", "/api/v1/me", token, timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            assert status == 200, f"{status} {body!r}\n{self.output()}"
            return
        pytest.fail(f"gunicorn did not answer within {seconds} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what it started
                self.process.wait(timeout=5)


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """``gunicorn()``: start gunicorn with 4 workers on the test's database; stopped after the test
    (before the ``app`` fixture empties the tables)."""
    servers: list[Server] = []

    def start() -> Server:
        port = free_port()
        env = os.environ | {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "gunicorn-test-" + os.urandom(8).hex(),
            "RATELIMIT_STORAGE_URI": "memory://",
            "MARKAZ_INSTANCE_PATH": str(tmp_path / "instance"),
            "MAIL_BACKEND": "log",
        }
        log = tmp_path / "gunicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(GUNICORN), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "app:create_app()"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, port, log)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.mark.backends("postgresql")
def test_sixty_applications_at_once_through_gunicorn(app, gunicorn, make_cohort, make_user, make_trainee):
    cohort = make_cohort(seats=SEATS)
    cohort_id = cohort.id
    trainees = [make_trainee(user=make_user(Role.TRAINEE)) for _ in range(APPLICANTS)]
    tokens = [token_for(trainee.user) for trainee in trainees]
    db.session.commit()
    server = gunicorn()
    server.wait_until_answering(tokens[0])

    barrier = threading.Barrier(APPLICANTS)
    answers: list[tuple[int, bytes] | BaseException] = [None] * APPLICANTS  # type: ignore[list-item]

    def apply_with(index: int) -> None:
        connection = HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            connection.connect()
            barrier.wait(timeout=30)
            connection.request(
                "POST",
                f"/api/v1/cohorts/{cohort_id}/enrollments",
                headers={"Authorization": f"Bearer {tokens[index]}", "Content-Length": "0"},
            )
            response = connection.getresponse()
            answers[index] = (response.status, response.read())
        except BaseException as error:
            answers[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=apply_with, args=(index,)) for index in range(APPLICANTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    elapsed = time.monotonic() - started

    failures = [answer for answer in answers if not (isinstance(answer, tuple) and answer[0] == 201)]
    assert failures == [], f"{failures[:3]}\n{server.output()}"
    bodies = [json.loads(body) for _, body in answers]
    assert Counter(body["status"] for body in bodies) == {"enrolled": SEATS, "waitlisted": APPLICANTS - SEATS}
    assert {body["trainee_id"] for body in bodies} == {trainee.id for trainee in trainees}
    answered_positions = [body["waitlist_position"] for body in bodies if body["status"] == "waitlisted"]
    # Each was told her true place in line: applications are timed once the cohort is locked.
    assert sorted(answered_positions) == list(range(1, APPLICANTS - SEATS + 1))

    db.session.expire_all()
    enrollments = list(db.session.scalars(sa.select(Enrollment).where(Enrollment.cohort_id == cohort_id)))
    statuses = Counter(enrollment.status for enrollment in enrollments)
    assert statuses == {EnrollmentStatus.ENROLLED: SEATS, EnrollmentStatus.WAITLISTED: APPLICANTS - SEATS}
    waiting = sorted(
        (e for e in enrollments if e.status is EnrollmentStatus.WAITLISTED), key=lambda e: (e.applied_at, e.id)
    )
    assert [waitlist_position(enrollment) for enrollment in waiting] == list(range(1, APPLICANTS - SEATS + 1))
    db.session.refresh(cohort)
    assert (cohort.enrolled_count, cohort.waitlisted_count, cohort.pending_count) == (SEATS, APPLICANTS - SEATS, 0)
    assert recount() == []
    audited = Counter(
        db.session.scalars(
            sa.select(AuditEvent.object_id).where(
                AuditEvent.action == "enrollment.apply", AuditEvent.object_type == "enrollment"
            )
        )
    )
    assert audited == Counter({enrollment.id: 1 for enrollment in enrollments})
    assert elapsed < 30, f"60 applications took {elapsed:.1f} s"
