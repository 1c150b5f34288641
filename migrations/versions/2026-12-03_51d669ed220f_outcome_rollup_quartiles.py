"""outcome rollup quartiles: each ``outcome_rollup`` row keeps the lower quartile, median and upper quartile of
its earners' histogram (``q1_pkr``, ``median_pkr``, ``q3_pkr``, whole PKR; NULL with no earner), written
whenever the histogram moves, so that a national report by centre reads 13 columns a row instead of 82 and
estimates no quartile while answering (issue 18, item 6; ``outcomes/rollups.py``).

The upgrade fills them for the rows already there, with a copy of the estimator as it is today
(``outcomes.tallies.quantiles``: the nearest-rank quantile located in its bucket and interpolated on a log scale
inside it; buckets from PKR 1,000, each 1.1 times the one before, 73 of them, one below and one above) — a
migration keeps its own copy so that it gives the same result whatever the code becomes. Downgrade drops the
three columns: they are derived from the histogram, which stays.

Revision ID: 51d669ed220f
Revises: fc9e83ef9646
Create Date: 2026-12-03 18:04:50.406959

"""
from bisect import bisect_right
from itertools import accumulate
from math import ceil

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '51d669ed220f'
down_revision = 'fc9e83ef9646'
branch_labels = None
depends_on = None

FLOOR, RATIO, LOG_BUCKETS = 1000, 1.1, 73
EDGES = tuple(FLOOR * RATIO**k for k in range(LOG_BUCKETS + 1))
BUCKETS = LOG_BUCKETS + 2
HISTOGRAM = tuple(f"b{bucket:02d}" for bucket in range(BUCKETS))


def quartiles(histogram):
    running = list(accumulate(histogram))
    total = running[-1] if running else 0
    if not total:
        return [None, None, None]
    found = []
    for q in (0.25, 0.5, 0.75):
        rank = max(ceil(q * total - 1e-9), 1)
        index = bisect_right(running, rank - 1)
        below = running[index - 1] if index else 0
        share = (rank - below - 0.5) / histogram[index]
        if index == 0:
            value = FLOOR * share
        elif index == BUCKETS - 1:
            value = EDGES[-1]
        else:
            low, high = EDGES[index - 1], EDGES[index]
            value = low * (high / low) ** share
        found.append(round(value))
    return found


def upgrade():
    with op.batch_alter_table('outcome_rollup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('q1_pkr', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('median_pkr', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('q3_pkr', sa.Integer(), nullable=True))

    rollup = sa.table(
        'outcome_rollup',
        sa.column('id', sa.Integer),
        sa.column('earning', sa.Integer),
        *(sa.column(name, sa.Integer) for name in (*HISTOGRAM, 'q1_pkr', 'median_pkr', 'q3_pkr')),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(rollup.c.id, *(rollup.c[name] for name in HISTOGRAM)).where(rollup.c.earning != 0)
    ).all()
    values = []
    for row_id, *histogram in rows:
        q1, median, q3 = quartiles(histogram)
        values.append({'row_id': row_id, 'q1': q1, 'median': median, 'q3': q3})
    if values:
        connection.execute(
            rollup.update()
            .where(rollup.c.id == sa.bindparam('row_id'))
            .values(q1_pkr=sa.bindparam('q1'), median_pkr=sa.bindparam('median'), q3_pkr=sa.bindparam('q3')),
            values,
        )


def downgrade():
    with op.batch_alter_table('outcome_rollup', schema=None) as batch_op:
        batch_op.drop_column('q3_pkr')
        batch_op.drop_column('median_pkr')
        batch_op.drop_column('q1_pkr')
