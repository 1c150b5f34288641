"""``flask seed graduates`` (issue 18, item 6), run tiny after a tiny ``flask seed scale``: it adds past cohorts of
graduates up to the number asked, each with a certificate, outcome waves and answers, keeps every counter, tally
and roll-up consistent (``flask oversight recount``: no drift), and refuses a database with nothing to add to."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from test_seed_scale import NOW, SEED, SIZE

from auth.permissions import OversightScope
from certificates.models import Certificate
from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from extensions import db
from outcomes.models import OutcomeAnswer, OutcomeWave
from outcomes.rollups import NATIONAL, outcome_rollup
from oversight.queries.outcomes import OUTCOME_GROUPINGS, outcome_totals, per_cohort, rolled_up, rolled_up_total
from seed.graduates import SEATS, graduate_count, seed_graduates
from seed.scale import seed_scale
from vocabulary import CohortStatus, Gender


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_it_adds_past_graduates_up_to_the_number_and_nothing_drifts(app):
    seed_scale(SIZE, seed=SEED, echo=lambda line: None, now=NOW)
    before = graduate_count(db.session.connection())
    places_before, waves_before = count(Enrollment), count(OutcomeWave)
    last_cohort = db.session.scalar(select(func.max(Cohort.id)))
    db.session.commit()
    lines = []
    seeded = seed_graduates(before + 260, seed=SEED, echo=lines.append, now=NOW)
    added = 11 * SEATS  # whole cohorts: 260 more graduates take 11 cohorts of 25
    assert (seeded.graduates_before, seeded.places, seeded.cohorts) == (before, added, 11)
    assert graduate_count(db.session.connection()) == before + added
    assert count(Enrollment) == places_before + added
    history = db.session.scalars(select(Cohort).where(Cohort.id > last_cohort)).all()
    assert len(history) == 11 and all(c.status is CohortStatus.FINISHED for c in history)
    assert all(c.completed_count == SEATS == c.applications_count for c in history)
    oldest = min(c.ends_on for c in history)
    assert (NOW.date() - oldest).days > 2.9 * 365 and (NOW.date() - max(c.ends_on for c in history)).days >= 92
    for cohort in history:
        if cohort.women_only:
            genders = db.session.scalars(
                select(Trainee.gender).join(Enrollment.trainee).where(Enrollment.cohort_id == cohort.id)
            )
            assert set(genders) == {Gender.FEMALE}
    new_places = select(Enrollment.id).where(Enrollment.cohort_id > last_cohort)
    certified = db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.enrollment_id.in_(new_places))
    )
    assert certified == added == seeded.certificates
    # Every new graduate has her due waves (all three for a cohort that ended over a year ago); some answered.
    assert count(OutcomeWave) == waves_before + seeded.waves and seeded.waves >= added
    assert 0 < seeded.answers < seeded.waves
    assert count(OutcomeAnswer) >= seeded.answers
    # Nothing drifts: counters, completion tallies, outcome tallies and roll-ups.
    result = app.test_cli_runner().invoke(args=["oversight", "recount"])
    assert (result.exit_code, result.output) == (0, "No drift.\n")
    # The roll-ups give the per-cohort report.
    for group_by in OUTCOME_GROUPINGS:
        found, expected = rolled_up(12, group_by, NATIONAL), per_cohort(OversightScope(), 12, group_by)
        assert [(r.key, r.waves, r.answers, r.earnings_median) for r in found] == [
            (r.key, r.waves, r.answers, r.earnings_median) for r in expected
        ]
        assert rolled_up_total(12, NATIONAL).all.earnings_pkr == outcome_totals(expected).all.earnings_pkr
    assert count(outcome_rollup) > 0
    # Asking again for the same number adds nothing.
    again = seed_graduates(before + 260, seed=SEED, echo=lambda line: None, now=NOW)
    assert again.places == 0 and count(Enrollment) == places_before + added


def test_the_command_adds_and_says_what(app):
    seed_scale(SIZE, seed=SEED, echo=lambda line: None, now=datetime.now(UTC))
    db.session.commit()
    before = graduate_count(db.session.connection())
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["seed", "graduates", "--total", str(before + 25)])
    assert result.exit_code == 0, result.output
    assert f"Added 1 past cohorts, 25 graduates ({before:,} before)" in result.output
    assert app.test_cli_runner().invoke(args=["oversight", "recount"]).output == "No drift.\n"
    again = app.test_cli_runner().invoke(args=["seed", "graduates", "--total", "10"])
    assert f"{before + 25:,} graduates already: nothing added." in again.output


def test_the_command_refuses_an_empty_database_and_a_bad_number(app, row_counts):
    before = row_counts()
    result = app.test_cli_runner().invoke(args=["seed", "graduates", "--total", "100"])
    assert result.exit_code == 1 and "Run flask seed scale first" in result.output
    bad = app.test_cli_runner().invoke(args=["seed", "graduates", "--total", "0"])
    assert bad.exit_code == 2 and "--total" in bad.output
    assert row_counts() == before
    assert count(Enrollment) == 0


def test_flask_seed_scale_adds_the_graduates_asked_for(app):
    """``flask seed scale --graduates N``: the design-size seed and then the past graduates, in one command."""
    args = ["seed", "scale", "--centres", "5", "--trainees", "2000", "--enrollments", "6000", "--graduates", "400"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Adding graduates up to 400." in result.output
    assert graduate_count(db.session.connection()) >= 400
    assert count(OutcomeAnswer) > 0 and count(outcome_rollup) > 0
    recounted = app.test_cli_runner().invoke(args=["oversight", "recount"])
    assert (recounted.exit_code, recounted.output) == (0, "No drift.\n")
