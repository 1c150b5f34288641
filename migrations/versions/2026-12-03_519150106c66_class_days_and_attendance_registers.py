"""class days and attendance registers (issue 17)

Class days are computed from a cohort's dates and shift; ``class_day`` keeps only the days staff added or
cancelled. ``attendance_register`` holds one row per cohort and class day (who was marked, who was absent,
who late); enrollments get their attendance counters, cohorts the backfill window (7 days) and the sums of
their registers. Existing rows: nothing was marked yet, so every counter starts at 0. Nothing is lost.

Revision ID: 519150106c66
Revises: 788a7c81c9ec
Create Date: 2026-12-03 08:32:42.638202

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '519150106c66'
down_revision = '788a7c81c9ec'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attendance_register',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('marked', sa.JSON(), nullable=False),
    sa.Column('absent', sa.JSON(), nullable=False),
    sa.Column('late', sa.JSON(), nullable=False),
    sa.Column('marked_count', sa.Integer(), nullable=False),
    sa.Column('present_count', sa.Integer(), nullable=False),
    sa.Column('corrections', sa.Integer(), server_default='0', nullable=False),
    sa.Column('taken_by_id', sa.Integer(), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('marked_count >= 0 AND present_count >= 0 AND present_count <= marked_count', name=op.f('ck_attendance_register_counts_valid')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_attendance_register_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['taken_by_id'], ['user_account.id'], name=op.f('fk_attendance_register_taken_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_register')),
    sa.UniqueConstraint('cohort_id', 'day', name=op.f('uq_attendance_register_cohort_id_day'))
    )
    op.create_table('class_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('added', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cancelled <> added', name=op.f('ck_class_day_added_or_cancelled')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_class_day_cohort_id_cohort')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_day')),
    sa.UniqueConstraint('cohort_id', 'day', name=op.f('uq_class_day_cohort_id_day'))
    )
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backfill_days', sa.Integer(), server_default='7', nullable=False))
        batch_op.add_column(sa.Column('attendance_marked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attendance_present', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_cohort_attendance_counts_valid'),
            'backfill_days >= 0 AND attendance_marked >= 0 AND attendance_present >= 0 '
            'AND attendance_present <= attendance_marked',
        )

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('days_marked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('days_present', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('absent_streak', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('at_risk_notified_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('at_risk_notified_at')
        batch_op.drop_column('absent_streak')
        batch_op.drop_column('days_present')
        batch_op.drop_column('days_marked')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cohort_attendance_counts_valid'), type_='check')
        batch_op.drop_column('attendance_present')
        batch_op.drop_column('attendance_marked')
        batch_op.drop_column('backfill_days')

    op.drop_table('class_day')
    op.drop_table('attendance_register')
