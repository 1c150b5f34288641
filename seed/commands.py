"""``flask seed reference``, ``flask seed demo``, ``flask seed scale`` and ``flask seed graduates``: each commits once,
at the end."""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from centres.models import Centre
from extensions import db
from seed.demo import DEMO_PASSWORD, seed_demo
from seed.graduates import describe_history, seed_graduates
from seed.reference import load_reference_data
from seed.scale import DEFAULT_SEED, DatabaseNotEmpty, ScaleSize, describe, seed_scale

seed_cli = AppGroup("seed", help="Load reference data and demo data.")


@seed_cli.command("reference")
def reference_command() -> None:
    """Load provinces and districts (missing ones only)."""
    provinces, districts = load_reference_data()
    db.session.commit()
    click.echo(f"Added {provinces} provinces and {districts} districts.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has centres.")
def demo_command(if_empty: bool) -> None:
    """Load the demo data set (idempotent: a second run adds nothing) and print the demo accounts."""
    if if_empty and db.session.scalar(select(func.count(Centre.id))):
        click.echo("The database already has centres: demo data not loaded (drop --if-empty to top it up).")
        return
    report = seed_demo()
    db.session.commit()
    click.echo("Added " + ", ".join(f"{count} {name}" for name, count in report.added.items()) + ".")
    click.echo(f"\nDemo accounts (password: {DEMO_PASSWORD}):")
    for email, description in report.accounts:
        click.echo(f"  {email:<40} {description}")


@seed_cli.command("scale")
@click.option("--centres", default=ScaleSize.centres, show_default=True, type=click.IntRange(min=1))
@click.option("--trainees", default=ScaleSize.trainees, show_default=True, type=click.IntRange(min=1))
@click.option("--enrollments", default=ScaleSize.enrollments, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--graduates",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Then add past graduates up to this number, as `flask seed graduates --total` does (0: none).",
)
@click.option("--seed", "random_seed", default=DEFAULT_SEED, show_default=True, help="Same seed, same rows.")
def scale_command(centres: int, trainees: int, enrollments: int, graduates: int, random_seed: int) -> None:
    """Fill an EMPTY database (DATABASE_URL) at the programme's design size, with batched inserts (one commit):
    centres, ten cohorts each over three years, trainees, enrollments that keep every rule, and counters
    that `flask oversight recount` agrees with; with --graduates, then the programme's past graduates with
    their outcome answers (synthetic: `flask seed graduates`; a second commit). Prints progress and the time
    taken."""
    size = ScaleSize(centres=centres, trainees=trainees, enrollments=enrollments)
    click.echo(
        f"Seeding {db.engine.url.render_as_string(hide_password=True)}: {centres:,} centres, "
        f"{trainees:,} trainees, {enrollments:,} enrollments (seed {random_seed})."
    )
    try:
        report = seed_scale(size, seed=random_seed, echo=click.echo)
    except DatabaseNotEmpty as error:
        raise click.ClickException(str(error)) from None
    click.echo(describe(report))
    if graduates:
        click.echo(f"Adding graduates up to {graduates:,}.")
        click.echo(describe_history(seed_graduates(graduates, seed=random_seed, echo=click.echo)))


@seed_cli.command("graduates")
@click.option("--total", default=1_000_000, show_default=True, type=click.IntRange(min=1), help="Graduates to reach.")
@click.option("--seed", "random_seed", default=DEFAULT_SEED, show_default=True, help="Same seed, same rows.")
def graduates_command(total: int, random_seed: int) -> None:
    """After `flask seed scale`: add past, finished cohorts of graduates (synthetic, with certificates, outcome
    waves and answers) until the graduates number --total, for the outcomes report at scale; one commit. Run
    `flask oversight recount` afterwards: no drift."""
    click.echo(f"Adding graduates to {db.engine.url.render_as_string(hide_password=True)} up to {total:,}.")
    try:
        seeded = seed_graduates(total, seed=random_seed, echo=click.echo)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(describe_history(seeded))
