"""cohort facts copied onto the completion tallies (issue 17, item 7: the completion report at scale)

Each ``cohort_tally`` row gets a copy of its cohort's centre, course, status, first day, kind, women-only flag
and mode (``enrollments.tallies.COHORT_FACTS``): what the completion report groups and filters by, so that it
reads this table alone instead of joining every tally row to the wide cohort table (at 3 million enrollments
that join was most of the report's time). The services keep the copy (``copy_cohort_facts``), and ``flask
oversight recount`` checks it.

Existing rows: the facts are copied here from their cohorts, then the columns are made NOT NULL (every tally
row has a cohort: its foreign key). The downgrade drops only these copies, which the cohort table still holds:
nothing is lost.

Revision ID: fc9e83ef9646
Revises: c00061245f12
Create Date: 2026-12-03 14:25:51.650911

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "fc9e83ef9646"
down_revision = "c00061245f12"
branch_labels = None
depends_on = None

FACTS = ("centre_id", "course_id", "status", "starts_on", "kind", "women_only", "mode")


def columns() -> list[sa.Column]:
    return [
        sa.Column("centre_id", sa.Integer()),
        sa.Column("course_id", sa.Integer()),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "running",
                "finished",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
        ),
        sa.Column("starts_on", sa.Date()),
        sa.Column("kind", sa.Enum("regular", "camp", name="kind", native_enum=False, create_constraint=True)),
        sa.Column("women_only", sa.Boolean()),
        sa.Column(
            "mode", sa.Enum("on_site", "online", "hybrid", name="mode", native_enum=False, create_constraint=True)
        ),
    ]


def upgrade():
    # Nullable first, filled from the cohorts, then NOT NULL: existing rows have no value to default to.
    with op.batch_alter_table("cohort_tally", schema=None) as batch_op:
        for column in columns():
            column.nullable = True
            batch_op.add_column(column)
    op.execute(
        "UPDATE cohort_tally SET "
        + ", ".join(f"{fact} = (SELECT c.{fact} FROM cohort c WHERE c.id = cohort_tally.cohort_id)" for fact in FACTS)
    )
    with op.batch_alter_table("cohort_tally", schema=None) as batch_op:
        for column in columns():
            batch_op.alter_column(column.name, existing_type=column.type, nullable=False)
        batch_op.create_index(batch_op.f("ix_cohort_tally_centre_id"), ["centre_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_cohort_tally_centre_id_centre"), "centre", ["centre_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_cohort_tally_course_id_course"), "course", ["course_id"], ["id"])


def downgrade():
    # Copies of the cohort's own columns: dropping them loses nothing.
    with op.batch_alter_table("cohort_tally", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cohort_tally_course_id_course"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cohort_tally_centre_id_centre"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cohort_tally_centre_id"))
        for enum in ("mode", "kind", "status"):  # their CHECKs name the columns (SQLite's copy would keep them)
            batch_op.drop_constraint(op.f(f"ck_cohort_tally_{enum}"), type_="check")
        for fact in reversed(FACTS):
            batch_op.drop_column(fact)
