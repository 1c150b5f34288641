"""``flask seed reference`` and ``flask seed demo``: each commits once, at the end."""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from centres.models import Centre
from extensions import db
from seed.demo import DEMO_PASSWORD, seed_demo
from seed.reference import load_reference_data

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
