"""assessment marks and completion by rule (issue 17, items 3 and 4)

Courses get a pass mark (percent, two decimals, default 50) and an attendance threshold to sit the
assessment (percent, default 70); enrollments get a mark (percent, two decimals; none until marked) and when it
was saved, the reason a place ended not completed, and the written reason of a staff override. A status joins
the enrollment's CHECK: ``not_completed`` (13 characters: the column grows from 10). Cohorts count their
not-completed places, in all and by reason.

Existing rows: courses take the defaults; no place is marked or not completed (the counters start at 0, which
is their count). Nothing is lost.

Revision ID: 80f40ea190ed
Revises: 97216e8a525c
Create Date: 2026-12-03 11:17:30.310140

"""
from alembic import op
import sqlalchemy as sa

from migrations.data_loss import warn_loss


# revision identifiers, used by Alembic.
revision = '80f40ea190ed'
down_revision = '97216e8a525c'
branch_labels = None
depends_on = None

OLD_STATUSES = (
    'pending', 'waitlisted', 'offered', 'enrolled', 'rejected', 'declined', 'withdrawn', 'dropped', 'completed',
    'cancelled',
)
NEW_STATUSES = (*OLD_STATUSES[:-1], 'not_completed', 'cancelled')
REASON_SET = (
    "(status = 'not_completed' AND not_completed_reason IS NOT NULL) "
    "OR (status <> 'not_completed' AND not_completed_reason IS NULL)"
)
NOT_COMPLETED_COUNTS = (
    "not_completed_count >= 0 AND not_completed_attendance_count >= 0 AND not_completed_marks_count >= 0 "
    "AND not_completed_attendance_count + not_completed_marks_count = not_completed_count"
)


def status_check(statuses) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_completed_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(
            sa.Column('not_completed_attendance_count', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('not_completed_marks_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_cohort_not_completed_counts_valid'), NOT_COMPLETED_COUNTS)

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('pass_mark', sa.Numeric(precision=5, scale=2), server_default='50', nullable=False)
        )
        batch_op.add_column(sa.Column('attendance_threshold', sa.Integer(), server_default='70', nullable=False))
        batch_op.create_check_constraint(op.f('ck_course_pass_mark_percent'), 'pass_mark >= 0 AND pass_mark <= 100')
        batch_op.create_check_constraint(
            op.f('ck_course_attendance_threshold_percent'), 'attendance_threshold >= 0 AND attendance_threshold <= 100'
        )

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mark', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                'not_completed_reason',
                sa.Enum('attendance', 'marks', name='not_completed_reason', native_enum=False, create_constraint=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column('completion_override_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_enrollment_status'), type_='check')
        batch_op.alter_column(
            'status', existing_type=sa.VARCHAR(length=10), type_=sa.VARCHAR(length=13), existing_nullable=False
        )
        batch_op.create_check_constraint(op.f('ck_enrollment_status'), status_check(NEW_STATUSES))
        batch_op.create_check_constraint(op.f('ck_enrollment_mark_percent'), 'mark IS NULL OR (mark >= 0 AND mark <= 100)')
        batch_op.create_check_constraint(op.f('ck_enrollment_not_completed_reason_set'), REASON_SET)


def downgrade():
    warn_loss(
        revision,
        "columns course.pass_mark, course.attendance_threshold, enrollment.mark, enrollment.not_completed_reason, "
        "enrollment.completion_override_reason",
        [
            (
                "SELECT count(*) FROM course WHERE pass_mark <> 50 OR attendance_threshold <> 70",
                "courses lose their pass mark and attendance threshold",
            ),
            ("SELECT count(*) FROM enrollment WHERE mark IS NOT NULL", "places lose their mark"),
            (
                "SELECT count(*) FROM enrollment WHERE status = 'not_completed'",
                "places not completed become enrolled again (their reason is lost)",
            ),
            (
                "SELECT count(*) FROM enrollment WHERE completion_override_reason IS NOT NULL",
                "places lose the written reason of a staff override",
            ),
        ],
    )
    # The old schema has no "not completed": such a place goes back to enrolled, as it was before finishing.
    op.execute(
        "UPDATE cohort SET enrolled_count = enrolled_count + not_completed_count WHERE not_completed_count > 0"
    )
    op.execute("UPDATE enrollment SET status = 'enrolled', not_completed_reason = NULL WHERE status = 'not_completed'")
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrollment_not_completed_reason_set'), type_='check')
        batch_op.drop_constraint(op.f('ck_enrollment_mark_percent'), type_='check')
        batch_op.drop_constraint(op.f('ck_enrollment_status'), type_='check')
        batch_op.alter_column(
            'status', existing_type=sa.VARCHAR(length=13), type_=sa.VARCHAR(length=10), existing_nullable=False
        )
        batch_op.create_check_constraint(op.f('ck_enrollment_status'), status_check(OLD_STATUSES))
        batch_op.drop_constraint(op.f('ck_enrollment_not_completed_reason'), type_='check')
        batch_op.drop_column('completion_override_reason')
        batch_op.drop_column('not_completed_reason')
        batch_op.drop_column('marked_at')
        batch_op.drop_column('mark')

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_course_attendance_threshold_percent'), type_='check')
        batch_op.drop_constraint(op.f('ck_course_pass_mark_percent'), type_='check')
        batch_op.drop_column('attendance_threshold')
        batch_op.drop_column('pass_mark')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cohort_not_completed_counts_valid'), type_='check')
        batch_op.drop_column('not_completed_marks_count')
        batch_op.drop_column('not_completed_attendance_count')
        batch_op.drop_column('not_completed_count')
