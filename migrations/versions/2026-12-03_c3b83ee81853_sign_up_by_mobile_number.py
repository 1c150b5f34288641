"""sign-up by mobile number: the account's number, its confirmation, and SMS codes

Accounts get a mobile number to sign in with (unique, like the email, which becomes optional: an account has
one of the two at least) and ``confirmed``: a trainee who signs up may sign in once she has typed the code
sent to her number. Existing accounts are confirmed (they were accepted under the rules of their day). Each
existing trainee account takes the number of its trainee record, so that she can sign in with it too, unless
another trainee account has the same number (then neither takes it: one account per number). ``phone_code``
keeps a digest of each code sent.

Downgrading keeps every account: one that has no email (signed up with a number alone) is given a
placeholder address, ``<number>@phone.invalid``, that nobody can receive mail at; codes not used yet are
dropped (a new one can be asked for after upgrading again).

Revision ID: c3b83ee81853
Revises: 271e544ecdc3
Create Date: 2026-12-03 05:30:22.380836

"""
from alembic import op
import sqlalchemy as sa

from migrations.data_loss import warn_loss


# revision identifiers, used by Alembic.
revision = 'c3b83ee81853'
down_revision = '271e544ecdc3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('phone_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('confirm', 'reset', name='code_purpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_phone_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_code'))
    )
    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.create_index('ix_phone_code_user_purpose', ['user_id', 'purpose', 'id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=True))
        # sa.true(): TRUE on PostgreSQL, 1 on SQLite (a bare '1' is refused for a PostgreSQL boolean).
        batch_op.add_column(sa.Column('confirmed', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_phone'), ['phone'])
        batch_op.create_check_constraint(
            op.f('ck_user_account_email_or_phone'), 'email IS NOT NULL OR phone IS NOT NULL'
        )

    # Each trainee account signs in with its record's number too, when no other trainee account has it.
    op.execute(
        """
        UPDATE user_account SET phone = (SELECT trainee.phone FROM trainee WHERE trainee.user_id = user_account.id)
        WHERE role = 'trainee' AND (
            SELECT count(*) FROM trainee AS other
            WHERE other.user_id IS NOT NULL
              AND other.phone = (SELECT trainee.phone FROM trainee WHERE trainee.user_id = user_account.id)
        ) = 1
        """
    )


def downgrade():
    warn_loss(
        revision,
        "table phone_code",
        [
            (
                "SELECT count(*) FROM phone_code WHERE consumed_at IS NULL",
                "codes sent by SMS and not used yet stop working (ask for a new one after upgrading again)",
            )
        ],
    )
    warn_loss(
        revision,
        "column user_account.confirmed",
        [
            (
                "SELECT count(*) FROM user_account WHERE NOT confirmed",
                "accounts still waiting for their sign-up code may sign in without it",
            ),
            (
                "SELECT count(*) FROM user_account WHERE email IS NULL",
                "accounts with a mobile number and no email get the address <number>@phone.invalid and can sign in "
                "only with it",
            ),
        ],
    )
    op.execute(
        "UPDATE user_account SET email = substr(phone, 2) || '@phone.invalid' WHERE email IS NULL"
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_email_or_phone'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_user_account_phone'), type_='unique')
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=False)
        batch_op.drop_column('confirmed')
        batch_op.drop_column('phone')

    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.drop_index('ix_phone_code_user_purpose')

    op.drop_table('phone_code')
