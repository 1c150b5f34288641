"""``flask oversight recount``: compare the cohort counters and the tallies by gender and area with the
enrollment and certificate tables."""

import click
from flask.cli import AppGroup

from enrollments.counters import recount
from enrollments.tallies import recount_tallies
from extensions import db

oversight_cli = AppGroup("oversight", help="Checks on the numbers that dashboards read.")


@oversight_cli.command("recount")
@click.option("--fix", is_flag=True, help="Set the counters to the counts found (one commit).")
def recount_command(fix: bool) -> None:
    """Recount every cohort counter, and every attendance, completion and certificate tally, from the
    enrollment and certificate tables; report drift."""
    drifts = [*recount(fix=fix), *recount_tallies(fix=fix)]
    for drift in drifts:
        click.echo(f"{drift.cohort_code}: {drift.counter} stored {drift.stored}, actual {drift.actual}")
    if fix:
        db.session.commit()
        click.echo(f"Fixed {len(drifts)} counters." if drifts else "No drift.")
    else:
        db.session.rollback()
        click.echo(f"{len(drifts)} counters drift (run with --fix to correct them)." if drifts else "No drift.")
        if drifts:
            raise SystemExit(1)
