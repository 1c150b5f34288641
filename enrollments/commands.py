"""Timed jobs of selection, for cron or a systemd timer (every few minutes), safe to run on several hosts
at once: ``flask offers expire`` (offers past their deadline expire and the line moves; reminders go 24
hours before a deadline; reserved seats due for release are released) and ``flask reserves release``
(the releases alone). Both are idempotent; the same work also happens whenever a cohort is touched.

And a one-off for operators: ``flask completion decide`` applies completion by rule to cohorts finished before
it existed (their places still enrolled). Not a timer: finishing a cohort stays a staff action, after the
preview (README, "Assessment and completion by rule")."""

import click
from flask.cli import AppGroup

from database import utcnow
from enrollments.services import due_cohorts, settle_for_timer
from enrollments.services.completion import decide_finished, undecided_cohorts
from enrollments.services.offers import cohorts_to_release
from extensions import db
from vocabulary import NotCompletedReason

offers_cli = AppGroup("offers", help="Seat offers: expire those past their deadline, send reminders.")
reserves_cli = AppGroup("reserves", help="Reserved seats: release them at each cohort's release time.")
completion_cli = AppGroup("completion", help="Completion by rule: decide cohorts finished before it existed.")


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


@completion_cli.command("decide")
@click.option("--dry-run", is_flag=True, help="Say what would be decided; write nothing.")
@click.option(
    "--include-unrecorded",
    is_flag=True,
    help="Decide cohorts whose enrolled places have no class-day mark and no assessment mark too "
    "(the rule then finds every one of them not completed, for attendance).",
)
def decide_command(dry_run: bool, include_unrecorded: bool) -> None:
    """Apply completion by rule to every finished cohort that still holds enrolled places: each becomes
    completed (with her certificate) or not completed with the reason, audited as the system, and she is told.
    One transaction per cohort; idempotent (a decided place is never decided again).

    A cohort in which nothing was recorded for those places (no attendance, no mark) is skipped unless
    --include-unrecorded: the rule would fail all of them for attendance that was simply never taken.
    Enter their attendance and marks first, or decide one by one with the roster's override."""
    totals = {"cohorts": 0, "completed": 0, "attendance": 0, "marks": 0, "skipped": 0}
    for cohort in undecided_cohorts():
        if not cohort.recorded and not include_unrecorded:
            totals["skipped"] += 1
            click.echo(f"{cohort.code}: skipped, {cohort.places} places enrolled with nothing recorded")
            continue
        result = decide_finished(cohort.cohort_id, dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        attendance = result.not_completing.get(NotCompletedReason.ATTENDANCE, 0)
        marks = result.not_completing.get(NotCompletedReason.MARKS, 0)
        totals["cohorts"] += 1
        totals["completed"] += result.completing
        totals["attendance"] += attendance
        totals["marks"] += marks
        click.echo(
            f"{cohort.code}: {result.completing} completed, {attendance + marks} not completed "
            f"(attendance {attendance}, marks {marks}; {len(result.unmarked)} without a mark)"
        )
    verb = "would decide" if dry_run else "decided"
    click.echo(
        f"{verb} {totals['cohorts']} cohorts: {totals['completed']} completed, "
        f"{totals['attendance'] + totals['marks']} not completed (attendance {totals['attendance']}, "
        f"marks {totals['marks']}); {totals['skipped']} cohorts skipped (nothing recorded)."
    )
