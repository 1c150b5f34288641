"""outcomes: consent, waves, answers, exchange rates, caller role (issue 18, items 1-4)

Trainees get ``outcome_consent`` (existing trainees: yes, as new ones are asked with yes ticked; each outcome
message carries an opt-out link) and when it last changed. Three new tables: ``outcome_wave`` (one follow-up of
a completed place, with the facts reports group by), ``outcome_answer`` (at most one per wave) and
``exchange_rate`` (rupees per dollar per month). Accounts may have the new role ``caller`` (the role's CHECK
gains it), and a caller, like an overseer, may be scoped to a province.

Downgrading drops outcome answers, waves and rates (counted and warned first: ``warn_loss``), and turns caller
accounts into inactive staff accounts without a province, so that no account is deleted.

Revision ID: 2ff05a53689e
Revises: 80f40ea190ed
Create Date: 2026-12-03 11:18:09.725272

"""
from alembic import op
import sqlalchemy as sa

from migrations.data_loss import warn_loss


# revision identifiers, used by Alembic.
revision = '2ff05a53689e'
down_revision = '80f40ea190ed'
branch_labels = None
depends_on = None

OLD_ROLES = ('trainee', 'staff', 'overseer', 'admin')
NEW_ROLES = OLD_ROLES + ('caller',)


def role_check(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def upgrade():
    op.create_table('exchange_rate',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('usd_pkr', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('usd_pkr > 0', name=op.f('ck_exchange_rate_rate_positive')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_exchange_rate_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_exchange_rate'))
    )
    op.create_table('outcome_wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.SmallInteger(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('track', sa.Enum('software_development', 'digital_marketing', 'content_creation', 'it_support', 'graphic_design', 'virtual_assistance', 'customer_support', 'online_tutoring', name='track', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('gender', sa.Enum('female', 'male', 'transgender', name='gender', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('area', sa.Enum('urban', 'semi_urban', 'rural', name='area', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('partner_type', sa.Enum('university', 'college', 'ngo', 'it_board', 'private', name='partner_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('cohort_ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint('due_on < closes_on', name=op.f('ck_outcome_wave_closes_after_due')),
    sa.CheckConstraint('months IN (3, 6, 12)', name=op.f('ck_outcome_wave_months_known')),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_outcome_wave_centre_id_centre')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_outcome_wave_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_outcome_wave_course_id_course')),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_outcome_wave_district_id_district')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_outcome_wave_enrollment_id_enrollment')),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_outcome_wave_province_id_province')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_outcome_wave_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_wave')),
    sa.UniqueConstraint('enrollment_id', 'months', name=op.f('uq_outcome_wave_enrollment_id_months'))
    )
    with op.batch_alter_table('outcome_wave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_wave_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index('ix_outcome_wave_closes_on_due_on', ['closes_on', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_wave_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_wave_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_wave_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('outcome_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('platforms', sa.Integer(), server_default='0', nullable=False),
    sa.Column('earnings_currency', sa.String(length=3), nullable=True),
    sa.Column('earnings_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('earnings_band', sa.Enum('nothing', 'pkr_under_20k', 'pkr_20k_50k', 'pkr_50k_100k', 'pkr_100k_200k', 'pkr_200k_plus', 'usd_under_100', 'usd_100_300', 'usd_300_700', 'usd_700_1500', 'usd_1500_plus', name='earnings_band', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('usd_pkr_rate', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('monthly_earnings_pkr', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('hours_per_week', sa.SmallInteger(), nullable=True),
    sa.Column('training_helped', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('channel', sa.Enum('web', 'phone', name='channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("earnings_currency IS NULL OR earnings_currency IN ('PKR', 'USD')", name=op.f('ck_outcome_answer_currency_known')),
    sa.CheckConstraint('activities > 0 AND activities < 64', name=op.f('ck_outcome_answer_activities_known')),
    sa.CheckConstraint('earnings_amount IS NULL OR earnings_amount >= 0', name=op.f('ck_outcome_answer_amount_not_negative')),
    sa.CheckConstraint('earnings_amount IS NULL OR earnings_band IS NULL', name=op.f('ck_outcome_answer_amount_or_band')),
    sa.CheckConstraint('hours_per_week IS NULL OR (hours_per_week >= 0 AND hours_per_week <= 100)', name=op.f('ck_outcome_answer_hours')),
    sa.CheckConstraint('platforms >= 0 AND platforms < 32', name=op.f('ck_outcome_answer_platforms_known')),
    sa.CheckConstraint('training_helped IS NULL OR (training_helped >= 1 AND training_helped <= 5)', name=op.f('ck_outcome_answer_helped')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_outcome_answer_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['wave_id'], ['outcome_wave.id'], name=op.f('fk_outcome_answer_wave_id_outcome_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_answer')),
    sa.UniqueConstraint('wave_id', name=op.f('uq_outcome_answer_wave_id'))
    )
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_consent', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('outcome_consent_changed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_account_role'), role_check(NEW_ROLES))
        batch_op.drop_constraint(op.f('ck_user_account_province_only_for_overseers'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_user_account_province_only_for_overseers'),
            "role IN ('overseer', 'caller') OR province_id IS NULL",
        )


def downgrade():
    warn_loss(
        revision,
        "outcomes",
        [
            ("SELECT count(*) FROM outcome_answer", "outcome answers are deleted"),
            ("SELECT count(*) FROM outcome_wave", "outcome waves are deleted"),
            ("SELECT count(*) FROM exchange_rate", "exchange rates are deleted"),
            ("SELECT count(*) FROM user_account WHERE role = 'caller'", "caller accounts become inactive staff"),
            (
                "SELECT count(*) FROM trainee WHERE NOT outcome_consent",
                "trainees who said no to outcome messages lose that choice",
            ),
        ],
    )
    # The old schema has no caller: such accounts are kept, inactive, as staff without a province.
    op.execute("UPDATE user_account SET role = 'staff', active = false, province_id = NULL WHERE role = 'caller'")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_province_only_for_overseers'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_user_account_province_only_for_overseers'), "role = 'overseer' OR province_id IS NULL"
        )
        batch_op.drop_constraint(op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_account_role'), role_check(OLD_ROLES))

    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_column('outcome_consent_changed_at')
        batch_op.drop_column('outcome_consent')

    op.drop_table('outcome_answer')
    with op.batch_alter_table('outcome_wave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_wave_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_wave_province_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_wave_cohort_id'))
        batch_op.drop_index('ix_outcome_wave_closes_on_due_on')
        batch_op.drop_index(batch_op.f('ix_outcome_wave_centre_id'))

    op.drop_table('outcome_wave')
    op.drop_table('exchange_rate')
