"""The outcomes report's tallies (``outcomes.tallies``): the earnings histogram and its quartiles against an exact
computation, and the tallies against a recount from the waves and answers after mixed answers and corrections."""

import random
from math import ceil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from outcome_world import EMPLOYED, FREELANCING, LOOKING, answer, graduate
from sqlalchemy import select, update

from extensions import db
from outcomes.tallies import (
    BUCKETS,
    EDGES,
    RATIO,
    TOP,
    bucket_of,
    exact_quantile,
    outcome_tally,
    outcome_tally_bucket,
    quantiles,
    recount_tallies,
)
from vocabulary import Area, CohortStatus, Gender

# The bucket edges differ from RATIO only by float rounding.
BOUND = RATIO * (1 + 1e-9)


def histogram(values: list[float]) -> list[int]:
    counts = [0] * BUCKETS
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


def test_the_buckets_cover_every_earning_without_gaps():
    assert bucket_of(1) == 0 and bucket_of(999.99) == 0
    assert bucket_of(1000) == 1 and bucket_of(EDGES[1] - 0.01) == 1 and bucket_of(EDGES[1]) == 2
    assert bucket_of(TOP - 0.01) == BUCKETS - 2 and bucket_of(TOP) == BUCKETS - 1 == bucket_of(10**9)
    assert all(EDGES[k + 1] / EDGES[k] == pytest.approx(RATIO) for k in range(len(EDGES) - 1))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(min_value=1000, max_value=TOP * 0.999, allow_nan=False), min_size=1, max_size=400),
    st.sampled_from((0.25, 0.5, 0.75)),
)
def test_a_quartile_is_within_the_stated_bound_of_the_exact_one(values, q):
    """Between PKR 1,000 and the top edge the estimate lies in the exact value's bucket: within a factor 1.1."""
    [estimate] = quantiles(histogram(values), (q,))
    exact = exact_quantile(values, q)
    assert exact / BOUND <= estimate <= exact * BOUND


def test_on_log_normal_earnings_the_error_is_far_below_the_bound():
    rng = random.Random(18)
    worst = 0.0
    for _ in range(50):
        values = [round(rng.lognormvariate(10.8, 0.8), -2) for _ in range(rng.randrange(20, 2000))]
        for q, estimate in zip((0.25, 0.5, 0.75), quantiles(histogram(values)), strict=True):
            worst = max(worst, abs(estimate / exact_quantile(values, q) - 1))
    assert worst < RATIO - 1
    assert worst < 0.06  # typically 1-3%: the bound is the worst case


def test_quartiles_of_nothing_are_none_and_the_open_ends_are_said():
    assert quantiles([0] * BUCKETS) == [None, None, None]
    assert quantiles(histogram([2 * TOP] * 5)) == [TOP, TOP, TOP]  # "PKR 1,051,153 or more"
    [low] = quantiles(histogram([500] * 4), (0.5,))
    assert 0 < low < 1000
    assert exact_quantile([5, 1, 3, 2], 0.5) == 2 and ceil(0.5 * 4) == 2


# Against the waves and answers -------------------------------------------------------------------------------


@pytest.fixture
def finished_cohort(make_cohort):
    from datetime import date

    return make_cohort(status=CohortStatus.FINISHED, starts_on=date(2030, 1, 6), ends_on=date(2030, 3, 1))


def stored_rows() -> list[tuple]:
    return db.session.execute(select(outcome_tally).order_by(outcome_tally.c.id)).all()


def stored_buckets() -> dict[int, int]:
    rows = db.session.execute(select(outcome_tally_bucket.c.bucket, outcome_tally_bucket.c.earners))
    return {bucket: earners for bucket, earners in rows if earners}


CHOICES = [
    (FREELANCING, 45_000),
    (FREELANCING | EMPLOYED, 120_000),
    (EMPLOYED, 0),
    (EMPLOYED, None),
    (LOOKING, None),
    (FREELANCING, 2_500_000),
    (FREELANCING, 800),
]


@pytest.mark.parametrize("seed", range(4))
def test_tallies_equal_the_recount_after_mixed_answers_and_corrections(
    finished_cohort, make_trainee, make_enrollment, seed
):
    rng = random.Random(seed)
    waves = []
    for gender in (Gender.FEMALE, Gender.MALE, Gender.TRANSGENDER):
        for area in (Area.URBAN, Area.RURAL):
            waves += graduate(make_trainee, make_enrollment, finished_cohort, months=(3, 6), gender=gender, area=area)
    for _ in range(40):  # answers and corrections of the same waves, in any order
        answer(rng.choice(waves), *rng.choice(CHOICES))
    assert recount_tallies() == []
    # Each answer once: 12 waves, as many answers as waves answered.
    answers = sum(row.answers for row in stored_rows())
    assert sum(row.waves for row in stored_rows()) == 12
    assert answers == len({wave.id for wave in waves if wave.answer is not None})


def test_a_correction_moves_the_answer_between_buckets_and_counts(finished_cohort, make_trainee, make_enrollment):
    [wave] = graduate(make_trainee, make_enrollment, finished_cohort)
    answer(wave, FREELANCING, 45_000)
    [row] = stored_rows()
    assert (row.waves, row.answers, row.working, row.freelancing, row.earning, row.earnings_answers) == (
        1, 1, 1, 1, 1, 1,
    )  # fmt: skip
    assert stored_buckets() == {bucket_of(45_000): 1}
    answer(wave, LOOKING, None)
    [row] = stored_rows()
    assert (row.answers, row.working, row.freelancing, row.earning, row.earnings_answers) == (1, 0, 0, 0, 0)
    assert row.earnings_pkr == 0 and sum(stored_buckets().values()) == 0
    assert recount_tallies() == []


def test_the_recount_finds_drift_and_fixes_it(app, finished_cohort, make_trainee, make_enrollment):
    [wave] = graduate(make_trainee, make_enrollment, finished_cohort)
    answer(wave, EMPLOYED, 30_000)
    db.session.execute(update(outcome_tally).values(answers=7))
    db.session.execute(
        outcome_tally_bucket.insert().values(
            months=3, cohort_id=wave.cohort_id, gender="female", area="urban", bucket=1, earners=2
        )
    )
    db.session.commit()
    drifts = recount_tallies()
    assert {(drift.figure, drift.stored, drift.actual) for drift in drifts} == {
        ("answers", 7, 1),
        ("earners in bucket 1", 2, 0),
    }
    runner = app.test_cli_runner()
    result = runner.invoke(args=["oversight", "recount"])
    assert result.exit_code == 1 and "answers stored 7, actual 1" in result.output
    fixed = runner.invoke(args=["oversight", "recount", "--fix"]).output
    assert "earners in bucket 1 stored 2, actual 0" in fixed and "Fixed" in fixed
    assert runner.invoke(args=["oversight", "recount"]).output.strip() == "No drift."
    # A missing row is made again, and a row with nothing behind it goes.
    db.session.execute(outcome_tally.delete())
    db.session.commit()
    assert {drift.figure for drift in recount_tallies(fix=True)} >= {"waves", "answers"}
    db.session.commit()
    assert recount_tallies() == []
