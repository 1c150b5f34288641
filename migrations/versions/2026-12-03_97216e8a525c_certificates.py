"""certificates (issue 17, item 5)

A new table, ``certificate``: one row per certificate issued, with the facts it printed (a snapshot), its
status (valid, revoked, replaced) and the certificate that replaced it. A partial unique index allows one
valid certificate per enrollment. Existing rows are untouched: places completed before this revision have
no certificate (staff issue one from the roster).

Revision ID: 97216e8a525c
Revises: a547070d13c7
Create Date: 2026-12-03 08:36:26.767476

"""
from alembic import op
import sqlalchemy as sa

from migrations.data_loss import warn_loss


# revision identifiers, used by Alembic.
revision = '97216e8a525c'
down_revision = 'a547070d13c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('cnic_masked', sa.String(length=15), nullable=False),
    sa.Column('course_title', sa.String(length=160), nullable=False),
    sa.Column('course_code', sa.String(length=16), nullable=False),
    sa.Column('track', sa.Enum('software_development', 'digital_marketing', 'content_creation', 'it_support', 'graphic_design', 'virtual_assistance', 'customer_support', 'online_tutoring', name='track', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('centre_name', sa.String(length=160), nullable=False),
    sa.Column('centre_code', sa.String(length=16), nullable=False),
    sa.Column('partner_name', sa.String(length=200), nullable=False),
    sa.Column('cohort_code', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('valid', 'revoked', 'replaced', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('revoked_reason', sa.Text(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hours >= 0', name=op.f('ck_certificate_hours_not_negative')),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_certificate_dates_ordered')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_certificate_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_certificate_enrollment_id_enrollment')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['certificate.id'], name=op.f('fk_certificate_replaced_by_id_certificate')),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_certificate_trainee_id_trainee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_number'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_trainee_id'), ['trainee_id'], unique=False)
        batch_op.create_index('uq_certificate_enrollment_id_valid', ['enrollment_id'], unique=True, sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))



def downgrade():
    warn_loss(
        revision,
        "table certificate",
        [("SELECT count(*) FROM certificate", "certificates are deleted (their numbers no longer verify)")],
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_enrollment_id_valid', sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))
        batch_op.drop_index(batch_op.f('ix_certificate_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_enrollment_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_cohort_id'))

    op.drop_table('certificate')
