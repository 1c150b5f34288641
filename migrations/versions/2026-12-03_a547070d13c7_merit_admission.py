"""merit admission (issue 16, item 2)

A third admission mode, ``merit``, joins the cohort's admission CHECK. Cohorts get the weight of the test in
the total score (percent, 70 by default; the interview counts for the rest); enrollments get the test and
interview scores (0 to 100) and the rank of the latest published merit list; ``merit_list`` keeps each
published version of a cohort's list (unique per cohort and version).

Existing rows: no cohort is a merit cohort and no score exists; every cohort gets the default weight.
Downgrading loses scores, ranks and published lists (``warn_loss`` says how many), and turns merit cohorts
into reviewed ones (pending applications stay pending).

Revision ID: a547070d13c7
Revises: 519150106c66
Create Date: 2026-12-03 08:21:01.212667

"""
from alembic import op
import sqlalchemy as sa

from migrations.data_loss import warn_loss


# revision identifiers, used by Alembic.
revision = 'a547070d13c7'
down_revision = '519150106c66'
branch_labels = None
depends_on = None

OLD_ADMISSIONS = ('first_come', 'reviewed')
NEW_ADMISSIONS = ('first_come', 'reviewed', 'merit')
SCORES_WITHIN_RANGE = (
    "(test_score IS NULL OR (test_score >= 0 AND test_score <= 100)) "
    "AND (interview_score IS NULL OR (interview_score >= 0 AND interview_score <= 100))"
)


def admission_check(admissions) -> str:
    return "admission IN (" + ", ".join(f"'{admission}'" for admission in admissions) + ")"


def upgrade():
    op.create_table(
        'merit_list',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('test_weight', sa.Integer(), nullable=False),
        sa.Column('entries', sa.JSON(), nullable=False),
        sa.CheckConstraint('test_weight >= 0 AND test_weight <= 100', name=op.f('ck_merit_list_test_weight_percent')),
        sa.CheckConstraint('version >= 1', name=op.f('ck_merit_list_version_positive')),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_merit_list_cohort_id_cohort')),
        sa.ForeignKeyConstraint(
            ['published_by_id'], ['user_account.id'], name=op.f('fk_merit_list_published_by_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merit_list')),
        sa.UniqueConstraint('cohort_id', 'version', name=op.f('uq_merit_list_cohort_id_version')),
    )
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_weight', sa.Integer(), server_default='70', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_cohort_test_weight_percent'), 'test_weight >= 0 AND test_weight <= 100'
        )
        batch_op.drop_constraint(op.f('ck_cohort_admission'), type_='check')
        batch_op.create_check_constraint(op.f('ck_cohort_admission'), admission_check(NEW_ADMISSIONS))

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('interview_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('merit_rank', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_enrollment_scores_within_range'), SCORES_WITHIN_RANGE)


def downgrade():
    warn_loss(
        revision,
        "table merit_list, columns enrollment.test_score, enrollment.interview_score, enrollment.merit_rank, "
        "cohort.test_weight",
        [
            ("SELECT count(*) FROM merit_list", "published merit lists are lost"),
            (
                "SELECT count(*) FROM enrollment WHERE test_score IS NOT NULL OR interview_score IS NOT NULL",
                "places lose their scores",
            ),
            ("SELECT count(*) FROM cohort WHERE admission = 'merit'", "merit cohorts become reviewed ones"),
        ],
    )
    op.execute("UPDATE cohort SET admission = 'reviewed' WHERE admission = 'merit'")
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrollment_scores_within_range'), type_='check')
        batch_op.drop_column('merit_rank')
        batch_op.drop_column('interview_score')
        batch_op.drop_column('test_score')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cohort_admission'), type_='check')
        batch_op.create_check_constraint(op.f('ck_cohort_admission'), admission_check(OLD_ADMISSIONS))
        batch_op.drop_constraint(op.f('ck_cohort_test_weight_percent'), type_='check')
        batch_op.drop_column('test_weight')

    op.drop_table('merit_list')
