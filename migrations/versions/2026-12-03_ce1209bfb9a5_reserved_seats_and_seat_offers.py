"""reserved seats and seat offers (issue 16)

Cohorts get seats reserved per category (women, rural, district of residence, disability) with their held
counters, a release time, the choice to offer seats from the line with a deadline, and the count of seats
offered; enrollments get the pool their seat came from and the offer's deadline. Two statuses join the
enrollment's CHECK: ``offered`` and ``declined``.

Existing rows: no cohort has reserved seats, so every held seat is an open one (``pool = 'open'`` for
enrolled places); no offers exist. Nothing is lost.

Revision ID: ce1209bfb9a5
Revises: c3b83ee81853
Create Date: 2026-12-03 05:26:41.502149

"""
from alembic import op
import sqlalchemy as sa

from migrations.data_loss import warn_loss


# revision identifiers, used by Alembic.
revision = 'ce1209bfb9a5'
down_revision = 'c3b83ee81853'
branch_labels = None
depends_on = None

OLD_STATUSES = ('pending', 'waitlisted', 'enrolled', 'rejected', 'withdrawn', 'dropped', 'completed', 'cancelled')
NEW_STATUSES = (
    'pending', 'waitlisted', 'offered', 'enrolled', 'rejected', 'declined', 'withdrawn', 'dropped', 'completed',
    'cancelled',
)
POOLS = ('open', 'women', 'rural', 'district', 'disability')


def status_check(statuses) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        for column in (
            'reserved_women', 'reserved_rural', 'reserved_district', 'reserved_disability',
            'held_women', 'held_rural', 'held_district', 'held_disability',
        ):
            batch_op.add_column(sa.Column(column, sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('release_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('released_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('offers', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('offer_hours', sa.Integer(), server_default='72', nullable=False))
        batch_op.add_column(sa.Column('offered_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_cohort_held_within_seats'), 'enrolled_count + offered_count <= seats'
        )
        batch_op.create_check_constraint(
            op.f('ck_cohort_selection_counts_not_negative'),
            'offered_count >= 0 AND reserved_women >= 0 AND reserved_rural >= 0 AND reserved_district >= 0 '
            'AND reserved_disability >= 0',
        )
        batch_op.create_check_constraint(
            op.f('ck_cohort_reserved_within_seats'),
            'reserved_women + reserved_rural + reserved_district + reserved_disability <= seats',
        )
        batch_op.create_check_constraint(
            op.f('ck_cohort_held_within_reserved'),
            'held_women >= 0 AND held_women <= reserved_women AND held_rural >= 0 AND held_rural <= reserved_rural '
            'AND held_district >= 0 AND held_district <= reserved_district '
            'AND held_disability >= 0 AND held_disability <= reserved_disability',
        )
        batch_op.create_check_constraint(op.f('ck_cohort_offer_hours_positive'), 'offer_hours >= 1')

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'pool',
                sa.Enum(*POOLS, name='pool', native_enum=False, create_constraint=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('offer_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_enrollment_status_offer_expires_at', ['status', 'offer_expires_at'], unique=False)
        batch_op.drop_constraint(op.f('ck_enrollment_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_enrollment_status'), status_check(NEW_STATUSES))

    # Every seat held so far is an open one (no cohort had reserved seats).
    op.execute("UPDATE enrollment SET pool = 'open' WHERE status IN ('enrolled', 'completed')")


def downgrade():
    warn_loss(
        revision,
        "columns cohort.reserved_*, cohort.offers, cohort.offer_hours, cohort.release_at, enrollment.pool",
        [
            (
                "SELECT count(*) FROM cohort WHERE reserved_women + reserved_rural + reserved_district "
                "+ reserved_disability > 0",
                "cohorts lose their reserved seats",
            ),
            ("SELECT count(*) FROM cohort WHERE offers", "cohorts stop offering seats from the line"),
            (
                "SELECT count(*) FROM enrollment WHERE status IN ('offered', 'declined')",
                "offered or declined places become waitlisted or withdrawn",
            ),
        ],
    )
    # Offers the old schema cannot hold: an offered seat goes back to the line, a declined one is withdrawn.
    op.execute("UPDATE enrollment SET status = 'waitlisted' WHERE status = 'offered'")
    op.execute("UPDATE enrollment SET status = 'withdrawn' WHERE status = 'declined'")
    op.execute(
        "UPDATE cohort SET waitlisted_count = (SELECT count(*) FROM enrollment e WHERE e.cohort_id = cohort.id "
        "AND e.status = 'waitlisted')"
    )
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrollment_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_enrollment_status'), status_check(OLD_STATUSES))
        batch_op.drop_index('ix_enrollment_status_offer_expires_at')
        batch_op.drop_constraint(op.f('ck_enrollment_pool'), type_='check')
        batch_op.drop_column('offer_reminded_at')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('pool')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        for name in (
            'ck_cohort_offer_hours_positive', 'ck_cohort_held_within_reserved', 'ck_cohort_reserved_within_seats',
            'ck_cohort_selection_counts_not_negative', 'ck_cohort_held_within_seats',
        ):
            batch_op.drop_constraint(op.f(name), type_='check')
        for column in (
            'offered_count', 'offer_hours', 'offers', 'released_at', 'release_at',
            'held_disability', 'held_district', 'held_rural', 'held_women',
            'reserved_disability', 'reserved_district', 'reserved_rural', 'reserved_women',
        ):
            batch_op.drop_column(column)
