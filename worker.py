"""``flask worker``: one long-running process per host that sends the outbox and runs every timed job on a
schedule (settings ``MARKAZ_WORKER_*_SECONDS``), instead of a crontab line per job.

Safe on every host at once: the sender claims messages (``notifications.sender``), offer expiry claims
cohorts (``enrollments.services.offers.claim_cohort``), outcome waves claim what they send. A job that
fails (the database restarting, a gateway down) is logged and runs again at its next turn; the worker
itself keeps going. SIGTERM or SIGINT (systemd stopping the unit, Ctrl-C) stops it cleanly: the sender
finishes the group of messages in hand (``OUTBOX_CONCURRENCY``), hands back the claims of the rest of its
batch, and the process exits 0.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext

from extensions import db

log = logging.getLogger("markaz.worker")


@dataclass(frozen=True)
class Job:
    """A timed job: its name, the setting holding its interval in seconds, and what it does. ``run`` returns
    True when it should run again at once (a full batch: more is waiting)."""

    name: str
    every: str
    run: Callable[[threading.Event, str], bool]


def send_outbox(stop: threading.Event, claimer: str) -> bool:
    from notifications.sender import send_batch

    result, claimed = send_batch(claimer, stop=stop)
    if claimed or result.held:
        log.info(
            "outbox: %s sent, %s failed (%s for good), %s SMS held",
            result.sent,
            result.failed,
            result.given_up,
            result.held,
        )
    return claimed >= current_app.config["OUTBOX_BATCH_SIZE"] and not stop.is_set()


def expire_offers(stop: threading.Event, claimer: str) -> bool:
    from database import utcnow
    from enrollments.commands import settle_each
    from enrollments.services import due_cohorts

    totals = settle_each(due_cohorts(utcnow()))
    if totals["cohorts"]:
        log.info("offers: %s", totals)
    return False


def send_outcome_waves(stop: threading.Event, claimer: str) -> bool:
    from database import utcnow
    from outcomes.jobs import send_due_waves

    done = send_due_waves(utcnow())
    if any(done.values()):
        log.info("outcome waves: %s", done)
    return False


def jobs() -> list[Job]:
    """The timed jobs: the sender, offer expiry (``flask offers expire``'s work) and the outcome waves
    (``flask outcomes send``'s: ``outcomes.jobs.send_due_waves``, which commits batch by batch)."""
    return [
        Job("outbox", "WORKER_SEND_SECONDS", send_outbox),
        Job("offers", "WORKER_OFFERS_SECONDS", expire_offers),
        Job("outcome waves", "WORKER_OUTCOMES_SECONDS", send_outcome_waves),
    ]


def run_worker(stop: threading.Event, *, rounds: int | None = None) -> int:
    """Run the jobs, each at its interval, until ``stop`` is set (or for ``rounds`` passes, for tests).
    Returns how many job runs failed. Each run ends its session, so the next starts from fresh rows."""
    from notifications.sender import sender_name

    claimer = sender_name()
    schedule = {job.name: 0.0 for job in jobs()}
    failures = passes = 0
    while not stop.is_set() and (rounds is None or passes < rounds):
        passes += 1
        for job in jobs():
            if stop.is_set() or schedule[job.name] > time.monotonic():
                continue
            again = False
            try:
                again = job.run(stop, claimer)
            except Exception:  # a job's trouble is logged; the worker and the other jobs go on
                failures += 1
                log.exception("worker job %r failed; it runs again in %ss", job.name, current_app.config[job.every])
                db.session.rollback()
            finally:
                db.session.remove()
            schedule[job.name] = time.monotonic() + (0 if again else current_app.config[job.every])
        if rounds is None or passes < rounds:
            stop.wait(max(0.0, min(schedule.values()) - time.monotonic()))
    return failures


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Send the outbox and run the timed jobs (offer expiry, outcome waves) until stopped (SIGTERM):
    one per host, on as many hosts as you like."""
    stop = threading.Event()

    def stop_on_signal(signum, _frame) -> None:
        log.info("worker: %s received, stopping after the messages in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    names = ", ".join(f"{job.name} every {current_app.config[job.every]:g}s" for job in jobs())
    log.info("worker started: %s", names)
    click.echo(f"Worker started: {names}.")
    run_worker(stop)
    click.echo("Worker stopped.")
