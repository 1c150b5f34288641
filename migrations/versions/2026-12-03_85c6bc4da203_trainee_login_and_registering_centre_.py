"""trainee login and registering centre indexed where set: ``trainee.user_id`` loses its table-wide UNIQUE
constraint for a unique index of the rows that have a login, and ``trainee.registered_centre_id``'s index holds
only the rows with a registering centre (``enrollments.models.Trainee``, ``database.where_set``).

Why: most records have neither (walk-ins and imported lists have no login; sign-ups no registering centre). A
full index counts the NULLs, SQLite's ANALYZE then records a million rows per key, and its planner scanned all
trainees for every API request's token (the token's account joined to her record: 114 ms a request at a
million trainees). Uniqueness is unchanged: NULLs never collided.

SQLite keeps a table's UNIQUE constraints inside the table, so its upgrade rebuilds ``trainee`` (batch mode:
copy, drop, rename, with foreign keys off as env.py sets; every row and id kept); PostgreSQL drops the
constraint and builds the indexes in place. Downgrade restores the constraint and the full index.

Revision ID: 85c6bc4da203
Revises: 51d669ed220f
Create Date: 2026-12-03 18:27:05.780699

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '85c6bc4da203'
down_revision = '51d669ed220f'
branch_labels = None
depends_on = None


def where_set(column):
    condition = sa.text(f'{column} IS NOT NULL')
    return {'sqlite_where': condition, 'postgresql_where': condition}


def upgrade():
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_trainee_user_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_trainee_registered_centre_id'))
    op.create_index('ix_trainee_user_id', 'trainee', ['user_id'], unique=True, **where_set('user_id'))
    op.create_index(
        'ix_trainee_registered_centre_id', 'trainee', ['registered_centre_id'], **where_set('registered_centre_id')
    )


def downgrade():
    op.drop_index('ix_trainee_registered_centre_id', table_name='trainee')
    op.drop_index('ix_trainee_user_id', table_name='trainee')
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_trainee_user_id'), ['user_id'])
        batch_op.create_index(batch_op.f('ix_trainee_registered_centre_id'), ['registered_centre_id'])
