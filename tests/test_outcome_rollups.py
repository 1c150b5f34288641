"""The outcomes report's roll-ups (``outcomes.rollups``, issue 18 item 6): on a randomised world of answers and
corrections, the national and provincial report read from the roll-ups equals the report summed from the
per-cohort tallies, figure for figure, in every wave, grouping and scope; the recount finds and fixes drift; a
centre or course that changes group moves its graduates; and concurrent answers add up."""

import importlib.util
import random
from datetime import date
from pathlib import Path

import pytest
from outcome_world import EMPLOYED, FREELANCING, LOOKING, answer, graduate, make_wave
from sqlalchemy import func, select, update
from test_concurrency import run_at_once

from auth.permissions import OversightScope
from centres.services import CentreDetails, update_centre
from courses.services import CourseDetails, update_course
from enrollments.counters import recount
from extensions import db
from outcomes.models import OutcomeWave
from outcomes.rollups import NATIONAL, outcome_rollup, quartiles_of, recount_rollups
from outcomes.tallies import recount_tallies
from oversight.queries.outcomes import (
    OUTCOME_GROUPINGS,
    WAVES,
    headline,
    outcome_totals,
    outcomes_report,
    per_cohort,
    rolled_up,
    rolled_up_total,
)
from vocabulary import Area, CohortStatus, EnrollmentStatus, Gender, PartnerType, Role, Track

FIGURES = (
    "key", "name", "waves", "answers", "response_rate", "share_working", "share_freelancing", "share_earning",
    "earners", "earnings_q1", "earnings_median", "earnings_q3", "reported_monthly_pkr", "women_answers",
    "men_answers", "women_gap_earning", "women_gap_median", "rural_answers", "urban_answers", "rural_gap_earning",
    "rural_gap_median",
)  # fmt: skip
ANSWERS = [
    (FREELANCING, 45_000),
    (FREELANCING | EMPLOYED, 120_000.5),
    (EMPLOYED, 0),
    (EMPLOYED, None),
    (LOOKING, None),
    (FREELANCING, 2_500_000),
    (FREELANCING, 800),
    (EMPLOYED, 31_250.75),
    (FREELANCING, 61_000),
]


def figures(row) -> tuple:
    """Every figure of a row, and each side's sums and quartiles before suppression (a roll-up row keeps its
    quartiles; a per-cohort row estimates them from its histogram)."""
    cells = tuple(
        (cell.waves, cell.answers, cell.earning, cell.earnings_pkr, tuple(cell.estimated_quartiles))
        for cell in (row.all, row.women, row.men, row.rural, row.urban)
    )
    return (*(getattr(row, name) for name in FIGURES), cells)


class World:
    """Two provinces, three districts, four centres of three partner types, three courses on two tracks, six
    finished cohorts ending in three months; graduates of every gender and area with waves of 3, 6 and 12
    months, answered, corrected and left unanswered at random."""

    def __init__(self, seed, make_province, make_district, make_centre, make_course, make_cohort, make_trainee,
                 make_enrollment):  # fmt: skip
        rng = random.Random(seed)
        self.punjab = make_province(code="PB", name="Punjab")
        self.sindh = make_province(code="SD", name="Sindh")
        lahore = make_district(self.punjab, code="LHR", name="Lahore")
        self.multan = make_district(self.punjab, code="MUL", name="Multan")
        karachi = make_district(self.sindh, code="KHS", name="Karachi South")
        self.centres = [
            make_centre(lahore, code="PB-LHR-01", name="Lahore One", partner_type=PartnerType.UNIVERSITY),
            make_centre(lahore, code="PB-LHR-02", name="Lahore Two", partner_type=PartnerType.NGO),
            make_centre(self.multan, code="PB-MUL-01", name="Multan One", partner_type=PartnerType.NGO),
            make_centre(karachi, code="SD-KHS-01", name="Karachi One", partner_type=PartnerType.IT_BOARD),
        ]
        self.courses = [
            make_course(code="WEB-101", track=Track.SOFTWARE_DEVELOPMENT),
            make_course(code="WEB-201", track=Track.SOFTWARE_DEVELOPMENT),
            make_course(code="MKT-101", track=Track.DIGITAL_MARKETING),
        ]
        self.waves = []
        for index, (centre, course) in enumerate(
            [(c, k) for c in self.centres for k in self.courses if rng.random() < 0.6][:6] or [(self.centres[0],) * 2]
        ):
            ends_on = date(2030, 2 + index % 3, 1)
            cohort = make_cohort(
                centre, course, status=CohortStatus.FINISHED, starts_on=date(2030, 1, 5), ends_on=ends_on
            )
            for _ in range(rng.randrange(5, 11)):
                gender = rng.choices(list(Gender), weights=(5, 4, 1))[0]
                area = rng.choices(list(Area), weights=(4, 2, 4))[0]
                trainee = make_trainee(district=lahore, gender=gender, area=area)
                place = make_enrollment(trainee, cohort, status=EnrollmentStatus.COMPLETED)
                for months in (3,) if rng.random() < 0.3 else (3, 6, 12):
                    self.waves.append(make_wave(trainee, cohort, place, months))
        recount(fix=True)  # make_enrollment writes places directly: the cohorts' counters follow them here
        db.session.commit()
        for _ in range(len(self.waves) * 3 // 2):  # answers and corrections, some waves never answered
            answer(rng.choice(self.waves), *rng.choice(ANSWERS))


@pytest.fixture(params=range(2))
def world(request, make_province, make_district, make_centre, make_course, make_cohort, make_trainee,
          make_enrollment):  # fmt: skip
    return World(
        request.param, make_province, make_district, make_centre, make_course, make_cohort, make_trainee,
        make_enrollment,
    )  # fmt: skip


def assert_same_reports(world) -> None:
    """Every wave, grouping and scope: the roll-ups give what the per-cohort tallies give, totals and headline
    included; and the roll-ups agree with a recount."""
    national = OversightScope()
    for wave in WAVES:
        for group_by in OUTCOME_GROUPINGS:
            cases = [
                (NATIONAL, national, {}),
                (world.punjab.id, OversightScope(province_id=world.punjab.id), {}),
                (world.sindh.id, national, {"province_code": "SD"}),
            ]
            for province_id, scope, narrowing in cases:
                expected = per_cohort(scope, wave, group_by, **narrowing)
                report = outcomes_report(scope, wave, group_by, **narrowing)
                found = report.rows
                assert found == rolled_up(wave, group_by, province_id)
                assert [figures(row) for row in found] == [figures(row) for row in expected], (wave, group_by)
                total, expected_total = report.total, outcome_totals(expected)
                assert figures(total) == figures(expected_total)
                assert total.all.histogram == expected_total.all.histogram
                assert headline(total) == headline(expected_total)
    assert recount_rollups() == []


def test_the_rolled_up_report_equals_the_per_cohort_one(world):
    assert any(wave.answer is not None for wave in world.waves)
    assert_same_reports(world)
    # Something was suppressed somewhere, and something was not: the comparison covers both.
    rows = rolled_up(3, "centre", NATIONAL)
    assert any(row.answers is None for row in rows) or any(row.earnings_median is None for row in rows)
    assert any(row.answers is not None for row in rows)


def test_narrowing_to_a_province_outside_the_scope_or_unknown_gives_nothing(world):
    outside = outcomes_report(OversightScope(province_id=world.punjab.id), 3, "centre", province_code="SD")
    assert outside.rows == [] and outside.total.waves == 0
    assert outcomes_report(OversightScope(), 3, "centre", province_code="XX").rows == []
    # Narrowing to the reader's own province is her province.
    own = outcomes_report(OversightScope(province_id=world.punjab.id), 3, "centre", province_code="PB").rows
    assert [row.key for row in own] == [row.key for row in rolled_up(3, "centre", world.punjab.id)]


def test_a_centre_that_moves_district_or_partner_and_a_course_that_changes_track_move_their_graduates(world, make_user):
    admin = make_user(Role.ADMIN)
    moved = world.centres[3]  # Karachi → Multan (Sindh → Punjab), and another kind of partner
    details = CentreDetails(
        code=moved.code, name=moved.name, district_id=world.multan.id, address=moved.address,
        partner_type=PartnerType.PRIVATE, partner_name=moved.partner_name, lab_seats=moved.lab_seats,
        women_only=moved.women_only,
    )  # fmt: skip
    update_centre(moved, details, actor=admin)
    course = world.courses[2]
    changed = CourseDetails(
        code=course.code, title=course.title, track=Track.GRAPHIC_DESIGN, summary=course.summary,
        weeks=course.weeks, level=course.level, min_education=course.min_education, min_age=course.min_age,
        max_age=course.max_age, pass_mark=course.pass_mark, attendance_threshold=course.attendance_threshold,
    )  # fmt: skip
    update_course(course, changed, actor=admin)
    db.session.commit()
    assert_same_reports(world)
    tracks = {row.key for row in rolled_up(3, "track", NATIONAL)}
    assert ("graphic_design" in tracks) == any(wave.course_id == course.id for wave in world.waves)
    assert "digital_marketing" not in tracks
    moved_waves = [wave for wave in world.waves if wave.centre_id == moved.id and wave.months == 3]
    sindh = rolled_up(3, "province", world.sindh.id)
    assert sum(row.waves for row in sindh) == 0 if moved_waves else True


def test_the_recount_finds_roll_up_drift_and_fixes_it(app, world):
    row_count = db.session.scalar(select(func.count()).select_from(outcome_rollup))
    db.session.execute(
        update(outcome_rollup)
        .where(outcome_rollup.c.grouping == "track", outcome_rollup.c.side == "all")
        .values(answers=outcome_rollup.c.answers + 3, b10=outcome_rollup.c.b10 + 1)
    )
    with_median = select(func.min(outcome_rollup.c.id)).where(
        outcome_rollup.c.grouping == "centre", outcome_rollup.c.median_pkr.is_not(None)
    )
    db.session.execute(
        update(outcome_rollup)
        .where(outcome_rollup.c.id == with_median.scalar_subquery())
        .values(median_pkr=outcome_rollup.c.median_pkr + 1)
    )
    db.session.execute(
        outcome_rollup.delete().where(outcome_rollup.c.grouping == "month", outcome_rollup.c.province_id == NATIONAL)
    )
    db.session.execute(
        outcome_rollup.insert().values(months=6, province_id=0, grouping="centre", group_key="999999", side="all",
                                       waves=4)
    )  # fmt: skip
    db.session.commit()
    drifts = recount_rollups()
    assert {("track", "all", ("answers", "b10"))} <= {(d.grouping, d.side, d.figures) for d in drifts}
    assert any(d.grouping == "month" and d.province_id == NATIONAL for d in drifts)
    assert any(d.group_key == "999999" and d.figures == ("waves",) for d in drifts)
    assert ("centre", ("median_pkr",)) in {(d.grouping, d.figures) for d in drifts}
    runner = app.test_cli_runner()
    result = runner.invoke(args=["oversight", "recount"])
    assert result.exit_code == 1 and "differ from the tallies" in result.output
    assert "outcomes roll-up 6 months, national, centre 999999, all: waves differ from the tallies" in result.output
    assert db.session.scalar(select(func.count()).select_from(outcome_rollup)) != row_count  # nothing fixed yet
    fixed = runner.invoke(args=["oversight", "recount", "--fix"])
    assert fixed.exit_code == 0 and "Fixed" in fixed.output
    assert runner.invoke(args=["oversight", "recount"]).output.strip() == "No drift."
    assert db.session.scalar(select(func.count()).select_from(outcome_rollup)) == row_count
    assert_same_reports(world)


def test_an_empty_roll_up_is_filled_by_the_recount(app, world):
    """After the migration that adds the table, ``flask oversight recount --fix`` fills it."""
    db.session.execute(outcome_rollup.delete())
    db.session.commit()
    assert rolled_up(3, "province", NATIONAL) == []
    assert len(recount_rollups(fix=True)) > 0
    db.session.commit()
    assert recount_tallies() == []
    assert_same_reports(world)


def test_concurrent_answers_add_up(app, backend, make_cohort, make_trainee, make_enrollment, make_district):
    cohort = make_cohort(status=CohortStatus.FINISHED, starts_on=date(2030, 1, 6), ends_on=date(2030, 3, 1))
    waves = [
        graduate(make_trainee, make_enrollment, cohort, gender=gender, area=Area.RURAL)[0]
        for gender in (Gender.FEMALE, Gender.FEMALE, Gender.MALE, Gender.FEMALE)
    ]
    ids = [wave.id for wave in waves]

    def answering(wave_id: int, pkr: int):
        def job():
            answer(db.session.get(OutcomeWave, wave_id), FREELANCING, pkr)

        return job

    errors = run_at_once(app, [answering(wave_id, 40_000 + 1000 * index) for index, wave_id in enumerate(ids)])
    assert errors == []
    [national] = rolled_up(3, "province", NATIONAL)
    assert (national.all.waves, national.all.answers, national.all.earning) == (4, 4, 4)
    assert (national.women.answers, national.men.answers, national.rural.answers) == (3, 1, 4)
    # The kept quartiles are those of all four answers, whichever transaction wrote them last.
    assert national.all.estimated_quartiles == list(quartiles_of(rolled_up_total(3, NATIONAL).all.histogram))
    assert sum(rolled_up_total(3, NATIONAL).all.histogram) == 4
    assert national.all.earnings_pkr == 40_000 + 41_000 + 42_000 + 43_000
    assert recount_tallies() == [] and recount_rollups() == []


def test_the_migration_fills_the_quartiles_as_the_code_estimates_them():
    """The migration that adds the kept quartiles fills them with its own copy of the estimator: the same."""
    path = next(Path(__file__).parent.parent.glob("migrations/versions/*_51d669ed220f_outcome_rollup_quartiles.py"))
    spec = importlib.util.spec_from_file_location("quartiles_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    rng = random.Random(18)
    for _ in range(500):
        histogram = [rng.choice((0, 0, 0, 1, 2, 7)) for _ in range(75)]
        assert migration.quartiles(histogram) == list(quartiles_of(histogram))
    assert migration.quartiles([0] * 75) == [None, None, None]
