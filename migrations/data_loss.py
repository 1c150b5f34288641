"""What a downgrade throws away, said while it runs.

A downgrade that drops a column or a table loses what was in it, and upgrading again does not bring it
back. Each such downgrade calls ``warn_loss`` before it drops anything: the rows concerned are counted,
and a warning names the revision, what is dropped and how many rows lose what (logged by Alembic's
logger, so ``flask db downgrade`` prints it with its own lines, on standard error). Nothing is said when
no row loses anything. Offline (``flask db downgrade --sql``) nothing can be counted, so the warning
says what would be lost, without a number.

A downgrade that drops only what can be rebuilt (an index; counters the upgrade fills again from the
tables they count) loses nothing and says nothing.

Migration scripts import this module, not the application: they must keep working as the code moves on.
"""

import logging

import sqlalchemy as sa
from alembic import context, op

logger = logging.getLogger("alembic.runtime.migration.data_loss")


def count(sql: str) -> int | None:
    """The number ``sql`` (a ``SELECT count(*) ...``) gives now; None offline, where nothing is read."""
    if context.is_offline_mode():
        return None
    return op.get_bind().execute(sa.text(sql)).scalar_one()


def warn_loss(revision: str, dropped: str, losses: list[tuple[str, str]]) -> list[str]:
    """Say what downgrading ``revision`` loses by dropping ``dropped`` (``"column trainee.language"``):
    each of ``losses`` is a count query and what each row counted loses (``"trainees whose messages are
    in Urdu lose that choice"``). Returns the warnings given (none when every count is 0)."""
    said = []
    for sql, what in losses:
        rows = count(sql)
        if rows == 0:
            continue
        amount = "the" if rows is None else f"{rows:,}"  # offline: nothing to count
        said.append(f"Downgrading {revision} drops {dropped}: {amount} {what}. Upgrading again does not bring it back.")
    for warning in said:
        logger.warning(warning)
    return said
