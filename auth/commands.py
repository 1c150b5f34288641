"""``flask users create``, ``flask users set-password`` and ``flask users token``: accounts and API tokens
from the command line, for the first admin of an install and for scripted set-ups. Each command commits
once, at the end."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from auth.models import UserAccount
from auth.services import AccountDetails, create_account, normalise_email, set_password
from auth.tokens import issue_token
from centres.models import Centre, Province
from extensions import db
from refusals import Refusal
from vocabulary import Role

users_cli = AppGroup("users", help="Create accounts, set passwords, make API tokens.")

ROLES_FROM_CLI = [Role.STAFF.value, Role.OVERSEER.value, Role.ADMIN.value]


def fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in email of the new account.")
@click.option("--role", required=True, type=click.Choice(ROLES_FROM_CLI), help="Trainees sign up on the site.")
@click.option("--name", "full_name", default="", help="Full name (defaults to the part of the email before @).")
@click.option("--centre", "centre_codes", multiple=True, help="Centre code a staff member works at (repeatable).")
@click.option("--province", "province_name", default=None, help="Province of a provincial overseer (name or code).")
@click.password_option("--password", help="Asked for when not given (typed twice, hidden).")
def create_command(email, role, full_name, centre_codes, province_name, password) -> None:
    """Create a staff, overseer or admin account."""
    centres = []
    for code in centre_codes:
        centre = db.session.scalar(select(Centre).where(Centre.code == code.upper()))
        if centre is None:
            fail(f"No centre has the code {code!r}.")
        centres.append(centre)
    province = None
    if province_name:
        province = db.session.scalar(
            select(Province).where((Province.name == province_name) | (Province.code == province_name.upper()))
        )
        if province is None:
            fail(f"No province is called {province_name!r}.")
    details = AccountDetails(
        email=email,
        full_name=full_name or email.split("@")[0],
        role=Role(role),
        province=province,
        centres=tuple(centres),
    )
    try:
        user = create_account(details, password, actor=None)
    except Refusal as error:
        fail(f"{error.field}: {error.message}" if error.field else error.message)
    db.session.commit()
    scope = province.name if province else ", ".join(c.code for c in centres) or "national"
    click.echo(f"Created {user.role.value} {user.email} ({scope}).")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option("--password", help="Asked for when not given (typed twice, hidden).")
def set_password_command(email, password) -> None:
    """Set the password of the account with EMAIL."""
    user = db.session.scalar(select(UserAccount).where(UserAccount.email == normalise_email(email)))
    if user is None:
        fail(f"No account has the email {email!r}.")
    try:
        set_password(user, password, actor=None, reason="flask users set-password")
    except Refusal as error:
        fail(error.message)
    db.session.commit()
    click.echo(f"Password set for {user.email}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for (on her tokens page).")
def token_command(email, name) -> None:
    """Make an API token for the account with EMAIL and print it (once: only its digest is kept)."""
    user = db.session.scalar(select(UserAccount).where(UserAccount.email == normalise_email(email)))
    if user is None:
        fail(f"No account has the email {email!r}.")
    try:
        token, secret = issue_token(user, name=name, actor=None)
    except Refusal as error:
        fail(f"{error.field}: {error.message}" if error.field else error.message)
    db.session.commit()
    click.echo(secret)
    click.echo(
        f"API token {token.name!r} for {user.email}, valid until {token.expires_at:%Y-%m-%d %H:%M} UTC. "
        "It is shown only this once; it can be revoked on the account's API tokens page (/auth/tokens).",
        err=True,
    )
