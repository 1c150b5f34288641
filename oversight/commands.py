"""``flask oversight recount``: compare the cohort counters and the attendance, completion and certificate
tallies with the enrollment and certificate tables, and the outcomes report's tallies with the waves and
answers, and the report's roll-ups with the tallies."""

import click
from flask.cli import AppGroup

from enrollments.counters import recount
from enrollments.tallies import recount_tallies as recount_completion_tallies
from extensions import db
from outcomes.rollups import recount_rollups
from outcomes.tallies import recount_tallies

SHOWN = 50  # roll-up rows listed (a roll-up never filled differs in every row)

oversight_cli = AppGroup("oversight", help="Checks on the numbers that dashboards read.")


@oversight_cli.command("recount")
@click.option("--fix", is_flag=True, help="Set the counters to the counts found (one commit).")
def recount_command(fix: bool) -> None:
    """Recount every cohort counter, and every attendance, completion and certificate tally, from the
    enrollment and certificate tables, and the outcomes tallies per wave, cohort, gender and area from the
    waves and answers, and the outcomes report's roll-ups from those tallies; report drift."""
    drifts = [*recount(fix=fix), *recount_completion_tallies(fix=fix)]
    for drift in drifts:
        click.echo(f"{drift.cohort_code}: {drift.counter} stored {drift.stored}, actual {drift.actual}")
    tally_drifts = recount_tallies(fix=fix)
    for drift in tally_drifts:
        click.echo(
            f"outcomes {drift.months} months, cohort {drift.cohort_id}, {drift.gender}, {drift.area}: "
            f"{drift.figure} stored {drift.stored}, actual {drift.actual}"
        )
    # After the tallies (fixed first with --fix): the roll-ups are sums of them.
    rollup_drifts = recount_rollups(fix=fix)
    for drift in rollup_drifts[:SHOWN]:
        scope = "national" if drift.province_id == 0 else f"province {drift.province_id}"
        click.echo(
            f"outcomes roll-up {drift.months} months, {scope}, {drift.grouping} {drift.group_key}, {drift.side}: "
            f"{', '.join(drift.figures[:8])}{' …' if len(drift.figures) > 8 else ''} differ from the tallies"
        )
    if len(rollup_drifts) > SHOWN:
        click.echo(f"… and {len(rollup_drifts) - SHOWN} more roll-up rows")
    found = len(drifts) + len(tally_drifts) + len(rollup_drifts)
    if fix:
        db.session.commit()
        click.echo(f"Fixed {found} counters." if found else "No drift.")
    else:
        db.session.rollback()
        click.echo(f"{found} counters drift (run with --fix to correct them)." if found else "No drift.")
        if found:
            raise SystemExit(1)
