"""The sender (notifications/sender.py) and ``flask worker``: claims with a lease, at least once with a stable
idempotency key, retries with exponential backoff, failed after the last attempt, several senders at once
never sending one message twice, a clean stop."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from database import utcnow
from extensions import db
from notifications.models import OutboxMessage
from notifications.outbox import queue_sms
from notifications.sender import (
    SMS_SENDERS,
    PermanentFailure,
    attempt,
    backoff,
    claim_batch,
    send_pending,
    sms_sender,
)
from vocabulary import Channel, MessageStatus
from worker import run_worker


class Recorder:
    """An SMS sender that keeps what it was given (thread-safe), optionally failing or pausing."""

    def __init__(self, *, fail: Exception | None = None, pause: float = 0.0, on_send=None):
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, str]] = []
        self.fail, self.pause, self.on_send = fail, pause, on_send

    def __call__(self, recipient: str, body: str, key: str) -> str:
        with self.lock:
            self.calls.append((recipient, body, key))
        if self.on_send:
            self.on_send()
        if self.pause:
            time.sleep(self.pause)
        if self.fail:
            raise self.fail
        return f"ref-{key[:8]}"

    @property
    def keys(self) -> list[str]:
        return [key for _, _, key in self.calls]


@pytest.fixture
def sms(app):
    """``sms(recorder)``: make ``recorder`` the SMS sender for this test."""

    def use(recorder: Recorder) -> Recorder:
        SMS_SENDERS["recorder"] = recorder
        app.config["SMS_BACKEND"] = "recorder"
        return recorder

    yield use
    SMS_SENDERS.pop("recorder", None)


def queue(n: int) -> list[int]:
    ids = [queue_sms(f"+92300{number:07d}", "test", f"Message {number}").id for number in range(n)]
    db.session.commit()
    return ids


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_batch_is_sent_with_each_message_s_own_key_and_marked_sent(app, sms):
    recorder = sms(Recorder())
    queue(3)
    result = send_pending()
    assert (result.sent, result.failed) == (3, 0)
    messages = rows()
    assert recorder.keys == [message.idempotency_key for message in messages]
    assert len(set(recorder.keys)) == 3 and all(len(key) == 32 for key in recorder.keys)
    assert {message.status for message in messages} == {MessageStatus.SENT}
    assert all(message.sent_at and message.claimed_by is None and message.claimed_until is None for message in messages)
    assert [message.provider_ref for message in messages] == [f"ref-{key[:8]}" for key in recorder.keys]
    assert send_pending() == send_pending().__class__(0, 0)


def test_a_claim_is_a_lease_other_senders_respect_until_it_runs_out(app, sms):
    recorder = sms(Recorder())
    [message_id] = queue(1)
    assert claim_batch("host-a:1", 10, with_sms=True) == [message_id]
    assert claim_batch("host-b:2", 10, with_sms=True) == []  # host a holds it
    assert send_pending().sent == 0 and recorder.calls == []
    [message] = rows()
    assert message.claimed_by == "host-a:1"
    assert message.claimed_until > utcnow() + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] - 5)
    # host a dies; once its lease has run out, another sender takes the message
    message.claimed_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_pending().sent == 1 and len(recorder.calls) == 1


def test_a_failure_is_retried_with_exponential_backoff_then_the_message_fails(app, sms):
    recorder = sms(Recorder(fail=ConnectionError("gateway down")))
    app.config.update(OUTBOX_MAX_ATTEMPTS=4, OUTBOX_BACKOFF_SECONDS=30, OUTBOX_BACKOFF_MAX_SECONDS=100)
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 100, 100, 100]
    queue(1)
    waits = []
    for number in range(1, 5):
        before = utcnow()
        result = send_pending()
        assert (result.sent, result.failed) == (0, 1)
        [message] = rows()
        assert message.attempts == number and "ConnectionError: gateway down" in message.last_error
        if number < 4:
            assert message.status is MessageStatus.PENDING
            waits.append(round((message.next_attempt_at - before).total_seconds()))
            assert send_pending().failed == 0  # not due yet
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
    assert waits == [30, 60, 100]
    assert message.status is MessageStatus.FAILED and result.given_up == 1
    assert len(set(recorder.keys)) == 1 and len(recorder.keys) == 4  # the same key at every attempt
    message.next_attempt_at = None
    db.session.commit()
    assert send_pending().failed == 0  # a failed message is never tried again by itself


def test_a_permanent_refusal_fails_the_message_at_once(app, sms):
    sms(Recorder(fail=PermanentFailure("invalid number")))
    queue(1)
    assert send_pending().given_up == 1
    [message] = rows()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)


def test_a_crash_between_sending_and_recording_resends_with_the_same_key(app, sms):
    recorder = sms(Recorder())
    [message_id] = queue(1)
    claim_batch("host-a:1", 10, with_sms=True)
    message = db.session.get(OutboxMessage, message_id)
    attempt(message, sms_sender())  # the gateway accepted it...
    db.session.rollback()  # ...and the host died before committing "sent"
    [message] = rows()
    assert message.status is MessageStatus.PENDING and message.sent_at is None
    message.claimed_until = utcnow() - timedelta(seconds=1)  # its lease runs out
    db.session.commit()
    assert send_pending().sent == 1
    assert len(recorder.keys) == 2 and recorder.keys[0] == recorder.keys[1] == message.idempotency_key


def test_email_carries_the_key_as_its_message_id(app, make_trainee):
    from notifications.outbox import queue as queue_message

    queue_message(make_trainee(email="ayesha@example.com"), "test", "Subject", "Body")
    db.session.commit()
    assert send_pending().sent == 2
    [email] = app.extensions["mail_outbox"]
    key = db.session.scalar(sa.select(OutboxMessage.idempotency_key).where(OutboxMessage.channel == Channel.EMAIL))
    assert email["Message-ID"] == f"<{key}@markaz>"


def test_two_senders_at_once_never_send_one_message_twice(app, sms):
    """Four senders, each in its own thread and connection, on 300 messages in batches of 20: every message
    sent exactly once (on PostgreSQL, SKIP LOCKED; on SQLite, writers in turn)."""
    recorder = sms(Recorder(pause=0.001))
    app.config["OUTBOX_BATCH_SIZE"] = 20
    queue(300)
    barrier = threading.Barrier(4)
    results = []

    def sender():
        with app.app_context():
            barrier.wait()
            results.append(send_pending(1000))
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(result.sent for result in results) == 300
    counts = Counter(recorder.keys)
    assert len(counts) == 300 and set(counts.values()) == {1}
    assert {message.status for message in rows()} == {MessageStatus.SENT}


def test_the_worker_stops_after_the_group_in_hand_and_hands_back_the_rest(app, sms):
    app.config["OUTBOX_CONCURRENCY"] = 2
    stop = threading.Event()
    recorder = sms(Recorder(on_send=stop.set, pause=0.05))  # SIGTERM arrives while the first group is sent
    queue(5)
    assert run_worker(stop, rounds=1) == 0
    messages = rows()
    assert len(recorder.calls) == 2
    assert [message.status for message in messages] == [MessageStatus.SENT] * 2 + [MessageStatus.PENDING] * 3
    assert all(message.claimed_by is None and message.claimed_until is None for message in messages)


def test_the_worker_runs_every_job_and_keeps_going_when_one_fails(app, sms, caplog):
    recorder = sms(Recorder())
    queue(2)
    assert run_worker(threading.Event(), rounds=1) == 0
    assert len(recorder.calls) == 2
    app.config["SMS_BACKEND"] = "nonesuch"  # a setting naming no sender: the job fails, the worker goes on
    queue(1)
    assert run_worker(threading.Event(), rounds=1) == 1
    assert "worker job 'outbox' failed" in caplog.text


def test_flask_worker_stops_on_sigterm(tmp_path):
    """The command itself, in its own process: SIGTERM ends it with status 0."""
    import os
    import signal
    import subprocess
    import sys

    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path}/w.db", "FLASK_APP": "app", "SMS_BACKEND": "log"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=root, check=True, capture_output=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker"], env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        line = process.stdout.readline().decode()
        assert line.startswith("Worker started: outbox every 2s, offers every 60s")
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 0 and "Worker stopped." in out.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
