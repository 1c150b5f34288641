"""outcome tally buckets: the earnings histogram moves from 75 columns of ``outcome_tally`` (b00-b74) to one row per
non-empty bucket in ``outcome_tally_bucket`` (months, cohort, gender, area, bucket, earners).

Summing 75 mostly empty columns per cell made the report six times slower on SQLite than summing the counts
alone; a few graduates per cell fill a few buckets. The counts already in the histogram columns are copied into
the new table before the columns are dropped (and back on downgrade), so nothing is lost either way.

Revision ID: 61450738a6dc
Revises: 4e26930869a9
Create Date: 2026-12-03 12:13:26.762693

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '61450738a6dc'
down_revision = '4e26930869a9'
branch_labels = None
depends_on = None

BUCKETS = [f"b{index:02d}" for index in range(75)]
CELL = "months, cohort_id, gender, area"


def upgrade():
    op.create_table('outcome_tally_bucket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('months', sa.SmallInteger(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('gender', sa.Enum('female', 'male', 'transgender', name='gender', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('area', sa.Enum('urban', 'semi_urban', 'rural', name='area', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('bucket', sa.SmallInteger(), nullable=False),
    sa.Column('earners', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_outcome_tally_bucket_cohort_id_cohort')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_tally_bucket')),
    sa.UniqueConstraint('months', 'cohort_id', 'gender', 'area', 'bucket', name='uq_outcome_tally_bucket_cell')
    )
    with op.batch_alter_table('outcome_tally_bucket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_tally_bucket_cohort_id'), ['cohort_id'], unique=False)

    for index, column in enumerate(BUCKETS):
        op.execute(
            f"INSERT INTO outcome_tally_bucket ({CELL}, bucket, earners) "
            f"SELECT {CELL}, {index}, {column} FROM outcome_tally WHERE {column} > 0"
        )
    with op.batch_alter_table('outcome_tally', schema=None) as batch_op:
        for column in BUCKETS:
            batch_op.drop_column(column)


def downgrade():
    with op.batch_alter_table('outcome_tally', schema=None) as batch_op:
        for column in BUCKETS:
            batch_op.add_column(sa.Column(column, sa.Integer(), server_default='0', nullable=False))
    for index, column in enumerate(BUCKETS):
        op.execute(
            f"UPDATE outcome_tally SET {column} = (SELECT earners FROM outcome_tally_bucket b "
            f"WHERE b.months = outcome_tally.months AND b.cohort_id = outcome_tally.cohort_id "
            f"AND b.gender = outcome_tally.gender AND b.area = outcome_tally.area AND b.bucket = {index}) "
            f"WHERE EXISTS (SELECT 1 FROM outcome_tally_bucket b WHERE b.months = outcome_tally.months "
            f"AND b.cohort_id = outcome_tally.cohort_id AND b.gender = outcome_tally.gender "
            f"AND b.area = outcome_tally.area AND b.bucket = {index})"
        )
    with op.batch_alter_table('outcome_tally_bucket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_tally_bucket_cohort_id'))
    op.drop_table('outcome_tally_bucket')
