"""Query plans on SQLite with the statistics a real database has: most trainees have no login and no
registering centre. A full index of such a column counted its NULLs, ANALYZE recorded every row under one key,
and the planner scanned the whole trainee table for each API token's account (``enrollments.models.Trainee``'s
partial indexes). The plans are read after ANALYZE over such a distribution."""

import pytest
from sqlalchemy import select

from auth.tokens import token_query
from enrollments.models import Trainee
from extensions import db

pytestmark = pytest.mark.backends("sqlite")


def plan(statement, parameters) -> str:
    compiled = statement.compile(db.engine)
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(
        parameters[name] for name in compiled.positiontup
    )).all()  # fmt: skip
    return "\n".join(row[-1] for row in rows)


def test_the_token_and_a_centres_records_are_found_by_index_when_most_trainees_have_neither(
    make_trainee, make_user, make_centre
):
    for _ in range(300):
        make_trainee()
    centre = make_centre()
    make_trainee(user=make_user(), registered_centre_id=centre.id)
    db.session.commit()
    db.session.connection().exec_driver_sql("ANALYZE")

    token_plan = plan(token_query(), {"digest": "x"})
    assert "SCAN trainee" not in token_plan and "ix_trainee_user_id" in token_plan, token_plan
    registered = select(Trainee.id).where(Trainee.registered_centre_id == centre.id)
    registered_plan = plan(registered, {"registered_centre_id_1": centre.id})
    assert "ix_trainee_registered_centre_id" in registered_plan, registered_plan
