"""The backup restore drill (README, "Production", "Backups"), run by ``tests/test_seed.py`` on the demo data
it seeds anyway (seeding it again would cost CI a minute): the database is dumped with ``pg_dump -Fc`` and
restored with ``pg_restore`` into another database (``restored_copy``); the test then checks that ``flask
oversight recount`` finds no drift there, that every table came back whole, that a sample of pages read from
the copy (the oversight dashboard, a cohort's roster, the catalogue) are the same bytes as those read from the
original once each page's own CSRF token is set aside (``sample_pages``), and that the copy takes new rows.

The test databases are schemas of one database (tests/conftest.py), so the drill dumps the test's schema
(``pg_dump -n``) and restores it into a database of its own, ``markaz_restore_drill`` on the same server, made
once and kept (as ``markaz_tests`` is); the schema restored there is dropped afterwards. Without pg_dump and
pg_restore the drill skips locally and fails under ``CI=true`` (``need``).
"""

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from deployment import need
from pages import act_as
from sqlalchemy.engine import make_url

from auth.models import UserAccount

DRILL_DATABASE = "markaz_restore_drill"
# Each page holds the CSRF token of its own session: the one thing that may differ between the two.
CSRF = re.compile(r'((?:name="csrf_token"|name="csrf-token")[^>]*?(?:value|content)=")[^"]+(")')


@dataclass(frozen=True)
class Restored:
    url: str
    dump_seconds: float
    restore_seconds: float
    dump_bytes: int


def libpq_arguments(url: sa.URL) -> list[str]:
    return ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]


@contextmanager
def restored_copy(database_url: str, folder: Path) -> Iterator[Restored]:
    """Dump the database of ``database_url`` (the test's schema) with ``pg_dump -Fc`` and restore it with
    ``pg_restore`` into ``DRILL_DATABASE``, as the README's procedure does; the copy is dropped afterwards."""
    need("pg_dump and pg_restore", shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None)
    source = make_url(database_url)
    schema = re.search(r"search_path=(\w+)", source.query["options"]).group(1)
    server = sa.create_engine(source.set(database="postgres", query={}), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
        if connection.scalar(exists, {"name": DRILL_DATABASE}) is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{DRILL_DATABASE}"')
    server.dispose()
    target = source.set(database=DRILL_DATABASE)
    drill = sa.create_engine(target.set(query={}), isolation_level="AUTOCOMMIT")

    def drop_copy() -> None:
        with drill.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    drop_copy()
    dump = folder / "markaz.dump"
    try:
        started = time.monotonic()
        dump_command = ["pg_dump", "-Fc", "-n", schema, "-f", str(dump), *libpq_arguments(source), source.database]
        subprocess.run(dump_command, check=True, capture_output=True)
        dumped = time.monotonic()
        restore = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", DRILL_DATABASE]
        subprocess.run([*restore, *libpq_arguments(target), str(dump)], check=True, capture_output=True)
        yield Restored(
            target.render_as_string(hide_password=False),
            dumped - started,
            time.monotonic() - dumped,
            dump.stat().st_size,
        )
    finally:
        drop_copy()
        drill.dispose()


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return CSRF.sub(r"\1…\2", response.get_data(as_text=True))


def sample_pages(client, cohort_code: str, overseer: UserAccount, admin: UserAccount) -> dict[str, str]:
    """The pages the drill compares, each as its reader sees it: the catalogue (nobody signed in), the
    oversight dashboard (the national overseer), the roster of ``cohort_code`` (the admin)."""
    pages = {"/courses/": page(act_as(client, None), "/courses/")}
    pages["/oversight/"] = page(act_as(client, overseer), "/oversight/")
    roster = f"/enrollments/cohorts/{cohort_code}/roster"
    pages[roster] = page(act_as(client, admin), roster)
    return pages
