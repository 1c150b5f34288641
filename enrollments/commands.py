"""Timed jobs of selection, for cron or a systemd timer (every few minutes), safe to run on several hosts
at once: ``flask offers expire`` (offers past their deadline expire and the line moves; reminders go 24
hours before a deadline; reserved seats due for release are released) and ``flask reserves release``
(the releases alone). Both are idempotent; the same work also happens whenever a cohort is touched."""

import click
from flask.cli import AppGroup

from database import utcnow
from enrollments.services import due_cohorts, settle_for_timer
from enrollments.services.offers import cohorts_to_release
from extensions import db

offers_cli = AppGroup("offers", help="Seat offers: expire those past their deadline, send reminders.")
reserves_cli = AppGroup("reserves", help="Reserved seats: release them at each cohort's release time.")


def settle_each(cohort_ids: list[int]) -> dict[str, int]:
    """Settle each cohort in its own transaction (one cohort's trouble never holds back the others);
    a cohort another host is settling now is skipped, that host does it."""
    now = utcnow()
    totals = {"cohorts": 0, "expired": 0, "released": 0, "ended": 0, "reminded": 0, "skipped": 0}
    for cohort_id in cohort_ids:
        done = settle_for_timer(cohort_id, now=now)
        if done is None:
            totals["skipped"] += 1
            db.session.rollback()
            continue
        db.session.commit()
        totals["cohorts"] += 1
        for name, count in done.items():
            totals[name] += count
    return totals


@offers_cli.command("expire")
def expire_command() -> None:
    """Expire the offers past their deadline (their seats go on down the line), send the reminders due,
    and release reserved seats whose time has come."""
    totals = settle_each(due_cohorts(utcnow()))
    click.echo(
        f"{totals['expired']} offers expired, {totals['reminded']} reminders sent, {totals['released']} cohorts' "
        f"reserved seats released, {totals['ended']} places still waiting after a backfill window ended "
        f"({totals['cohorts']} cohorts; {totals['skipped']} busy elsewhere)."
    )


@reserves_cli.command("release")
def release_command() -> None:
    """Release the reserved seats of every cohort whose release time has come (the line moves into them)."""
    totals = settle_each(cohorts_to_release(utcnow()))
    click.echo(f"{totals['released']} cohorts' reserved seats released ({totals['skipped']} busy elsewhere).")
