"""``flask seed scale`` (issue 6, item 6), run tiny: it writes the numbers asked for, its rows keep every
enrollment rule, its counters agree with the enrollment table, and it refuses a database that has data."""

from collections import Counter, defaultdict
from datetime import UTC, datetime
from itertools import combinations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from auth.models import UserAccount
from centres.models import Centre, District
from certificates.models import Certificate
from courses.models import Cohort, Course
from enrollments import pools
from enrollments.counters import recount
from enrollments.identity import normalise_phone
from enrollments.models import Enrollment, Trainee
from enrollments.services import overlaps, waitlist_position, whole_waitlist
from enrollments.tallies import recount_tallies
from extensions import db
from seed.scale import DatabaseNotEmpty, ScaleSeeder, ScaleSize, seed_scale
from tests.conftest import empty_all_tables
from vocabulary import (
    ACTIVE_ENROLLMENT_STATUSES,
    RESERVED_POOLS,
    Admission,
    Area,
    CohortStatus,
    EnrollmentStatus,
    Gender,
    OfferState,
)

S = EnrollmentStatus
C = CohortStatus
SIZE = ScaleSize(centres=5, trainees=2_000, enrollments=6_000)
# Dates are relative to "now": a fixed one (and seed) gives the same world whatever the day the tests run,
# one with cohorts in every phase, waitlists and pending applications.
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SEED = 9
ARGS = ["seed", "scale", "--centres", "5", "--trainees", "2000", "--enrollments", "6000"]


@pytest.fixture
def scaled(app):
    """The tiny scaled world, seeded once for the test; its report."""
    lines: list[str] = []
    report = seed_scale(SIZE, seed=SEED, echo=lines.append, now=NOW)
    report.lines = lines
    return report


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def places() -> list[Enrollment]:
    return list(
        db.session.scalars(
            select(Enrollment).options(
                selectinload(Enrollment.trainee), selectinload(Enrollment.cohort).selectinload(Cohort.course)
            )
        )
    )


def test_running_and_finished_cohorts_have_registers_that_their_counters_agree_with(scaled):
    """Issue 17: a register per class day so far of every started cohort; each place's counters and each
    cohort's sums are what the registers say (``attendance.services.tallies`` recounts them)."""
    from attendance.models import AttendanceRegister
    from attendance.services import tallies

    assert scaled.rows["attendance registers"] == count(AttendanceRegister) > 0
    started = db.session.scalars(select(Cohort).where(Cohort.status.in_((C.RUNNING, C.FINISHED)))).all()
    for cohort in started:
        registers = db.session.scalars(
            select(AttendanceRegister).where(AttendanceRegister.cohort_id == cohort.id)
        ).all()
        assert cohort.attendance_marked == sum(r.marked_count for r in registers)
        assert cohort.attendance_present == sum(r.present_count for r in registers)
        assert all(r.day < NOW.date() and r.present_count == r.marked_count - len(r.absent) for r in registers)
        seated = {p.id: p for p in db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id))}
        counted = tallies(cohort, set(seated))
        for place_id, tally in counted.items():
            place = seated[place_id]
            assert (place.days_marked, place.days_present, place.absent_streak) == (
                tally.marked,
                tally.present,
                tally.streak,
            )


def test_it_writes_the_numbers_asked_for(scaled):
    assert (count(Centre), count(Cohort), count(Trainee), count(Enrollment)) == (5, 50, 2_000, 6_000)
    assert scaled.rows["enrollments"] == 6_000 and scaled.shortfall == 0
    assert count(Course) == 25  # the catalogue
    staff = db.session.scalar(select(func.count(UserAccount.id)).where(UserAccount.email.like("staff.%")))
    assert staff == 5
    assert {line.split(":")[0].strip() for line in scaled.lines} == {"cohort", "trainee", "enrollment"}
    assert all("rows/s" in line for line in scaled.lines)


def test_cohorts_span_three_years_in_every_phase(scaled):
    statuses = Counter(db.session.scalars(select(Cohort.status)))
    assert {C.FINISHED, C.RUNNING, C.OPEN} <= set(statuses)
    assert statuses[C.FINISHED] > statuses[C.OPEN]
    first, last = db.session.execute(select(func.min(Cohort.starts_on), func.max(Cohort.starts_on))).one()
    assert (last - first).days > 2 * 365
    # Drafts and cohorts whose window has not opened have no applications.
    for cohort in db.session.scalars(select(Cohort).where(Cohort.status == C.DRAFT)):
        assert cohort.applications_count == 0


def test_every_enrollment_keeps_the_rules(scaled):
    rows = places()
    by_cohort: dict[int, list[Enrollment]] = defaultdict(list)
    active: dict[int, list[Cohort]] = defaultdict(list)
    for place in rows:
        cohort, trainee = place.cohort, place.trainee
        by_cohort[cohort.id].append(place)
        # Eligible on the first day: women-only, age, education.
        if cohort.women_only:
            assert trainee.gender is Gender.FEMALE, place
        age = trainee.age_on(cohort.starts_on)
        assert cohort.course.min_age <= age <= cohort.course.max_age, place
        assert trainee.education.rank >= cohort.course.min_education.rank, place
        # Statuses that fit how far the cohort has got.
        if place.status in (S.PENDING, S.WAITLISTED):
            assert cohort.status in (C.OPEN, C.CLOSED), place
        if place.status is S.ENROLLED:
            assert cohort.status in (C.OPEN, C.CLOSED, C.RUNNING), place
        if place.status is S.COMPLETED:
            assert cohort.status is C.FINISHED, place
        assert cohort.status is not C.DRAFT, place
        if place.status in ACTIVE_ENROLLMENT_STATUSES:
            active[trainee.id].append(cohort)
        assert place.applied_at >= cohort.applications_open_at
    for cohorts in active.values():
        assert len(cohorts) <= 2
        assert not any(overlaps(first, second) for first, second in combinations(cohorts, 2))
    for cohort_places in by_cohort.values():
        cohort = cohort_places[0].cohort
        held = [place for place in cohort_places if place.status in (S.ENROLLED, S.COMPLETED, S.DROPPED)]
        assert len(held) <= cohort.seats, cohort
        waiting = [place for place in cohort_places if place.status is S.WAITLISTED]
        holding = [place for place in cohort_places if place.status in (S.ENROLLED, S.OFFERED)]
        if waiting:  # a waitlist only behind a full cohort (an offered seat is held)
            assert len(holding) == cohort.seats, cohort
            if cohort.admission is Admission.FIRST_COME:  # seats went in order of application
                assert max(place.applied_at for place in holding) < min(place.applied_at for place in waiting)
            line = list(whole_waitlist(cohort))
            assert [waitlist_position(place) for place in line] == list(range(1, len(line) + 1))
            assert line == sorted(waiting, key=lambda place: (place.applied_at, place.id))
    assert len({(place.trainee_id, place.cohort_id) for place in rows}) == len(rows)
    outcomes = Counter(place.status for place in rows)
    assert set(outcomes) == set(S)  # every status occurs, seat offers (issue 16) included


def test_reserved_seats_and_offers_follow_the_selection_rules(scaled):
    """Issue 16, item 4: some cohorts reserve seats and some offer them, by the rules of DESIGN.md,
    "Selection", so that the oversight's selection figures have something to show at scale."""
    cohorts = list(db.session.scalars(select(Cohort).options(selectinload(Cohort.centre))))
    reserving = [cohort for cohort in cohorts if pools.total_reserved(cohort)]
    assert reserving and any(cohort.released_at for cohort in reserving)
    rows = places()
    for place in rows:
        if place.pool in RESERVED_POOLS:  # held by someone who qualifies
            assert pools.qualifies(place.trainee, place.cohort, place.pool), place
        if place.status in (S.ENROLLED, S.OFFERED, S.COMPLETED, S.DROPPED):
            assert place.pool is not None, place
    for cohort in reserving:
        assert all(pools.held(cohort, pool) <= pools.reserved(cohort, pool) for pool in RESERVED_POOLS), cohort
        if cohort.released_at is not None:  # what each pool held at the release is kept
            assert cohort.released_held_women is not None and cohort.released_held_rural is not None, cohort
        else:
            assert cohort.released_held_women is None, cohort
    marks = Counter(place.offer for place in rows if place.offer is not None)
    assert set(marks) == set(OfferState) - {OfferState.CANCELLED}  # the seed cancels no cohort after offers
    for place in rows:
        assert (place.offer is OfferState.OPEN) == (place.status is S.OFFERED), place
        if place.offer is not None:
            assert place.cohort.offers and place.offer_expires_at is not None, place
    assert sum(cohort.offers_made_count for cohort in cohorts) == sum(marks.values())
    for cohort in cohorts:  # a cohort holding every seat filled at some moment
        if cohort.enrolled_count + cohort.offered_count == cohort.seats:
            assert cohort.full_at is not None, cohort
    assert recount() == []


def test_trainees_look_like_the_people_who_apply(scaled):
    trainees = list(db.session.scalars(select(Trainee).options(selectinload(Trainee.district))))
    assert len({trainee.cnic for trainee in trainees}) == len({trainee.phone for trainee in trainees}) == 2_000
    for trainee in trainees:
        assert len(trainee.cnic) == 13 and trainee.cnic.isdigit() and trainee.cnic[0] != "0"
        # NADRA's last digit: even for women, odd for men.
        assert (int(trainee.cnic[-1]) % 2 == 0) == (trainee.gender is Gender.FEMALE)
        assert normalise_phone(trainee.phone) == trainee.phone
        assert 16 <= trainee.age_on(NOW.date()) <= 38
    genders = Counter(trainee.gender for trainee in trainees)
    assert genders[Gender.FEMALE] / len(trainees) > 0.5
    rural_areas = Counter((trainee.district.rural, trainee.area is Area.RURAL) for trainee in trainees)
    in_rural_districts = rural_areas[(True, True)] / (rural_areas[(True, True)] + rural_areas[(True, False)])
    in_cities = rural_areas[(False, True)] / (rural_areas[(False, True)] + rural_areas[(False, False)])
    assert in_rural_districts > 0.5 > 0.1 > in_cities
    assert db.session.scalar(select(func.count(District.id)).where(District.rural)) > 0


def test_finished_cohorts_are_marked_judged_by_the_rule_and_certified(scaled):
    """Issue 17, items 3–5 and 7 (``seed.completion``): every place that finished a course was marked and
    judged as the completion rule judges it (or overridden, with its reason), and holds a certificate if
    completed."""
    finished = [place for place in places() if place.cohort.status is C.FINISHED]
    certified = {c.enrollment_id: c for c in db.session.scalars(select(Certificate))}
    outcomes = Counter()
    for place in finished:
        if place.status not in (S.COMPLETED, S.NOT_COMPLETED):
            assert place.status not in (S.ENROLLED, S.PENDING, S.WAITLISTED, S.OFFERED), place
            continue
        course = place.cohort.course
        assert place.mark is not None and 40 <= place.mark <= 100
        met = place.days_present * 100 >= place.days_marked * course.attendance_threshold
        passed = place.mark >= course.pass_mark
        if place.completion_override_reason:
            outcomes["overridden"] += 1
            assert place.status is S.COMPLETED and not (met and passed)
        elif met and passed:
            assert place.status is S.COMPLETED, place
        else:
            assert place.status is S.NOT_COMPLETED, place
            assert place.not_completed_reason.value == ("marks" if met else "attendance")
        outcomes[place.status] += 1
        assert (place.id in certified) == (place.status is S.COMPLETED)
    assert outcomes[S.COMPLETED] and outcomes[S.NOT_COMPLETED] and outcomes["overridden"]
    assert certified and all(c.cohort_code and c.hours > 0 for c in certified.values())
    assert scaled.rows["certificates"] == len(certified)


def test_counters_agree_with_the_enrollment_table(scaled, app):
    assert recount() == []
    assert recount_tallies() == []
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["oversight", "recount"])
    assert (result.exit_code, result.output) == (0, "No drift.\n")
    assert db.session.scalar(select(func.sum(Cohort.applications_count))) == 6_000


def test_the_command_fills_an_empty_database_and_says_how_long_it_took(app):
    result = app.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    made = count(Enrollment)
    # Today's world (dates are relative to today): a world this tiny may run out of eligible trainees
    # for a few applications, and says so.
    assert made > 5_500
    assert f"enrollment: {made:,} of 6,000 rows" in result.output
    added = f"Added 25 courses, 5 centres, 8 accounts, 50 cohorts, 2,000 trainees, {made:,} enrollments, "
    assert added in result.output
    assert ("could not be made" in result.output) == (made < 6_000)
    assert "Total: " in result.output
    assert recount() == []


def test_it_refuses_a_database_that_has_data_and_writes_nothing(scaled, app, row_counts):
    before = row_counts()
    with pytest.raises(DatabaseNotEmpty, match="2,000 rows in trainee"):
        seed_scale(SIZE, echo=lambda line: None)
    result = app.test_cli_runner().invoke(args=ARGS)
    assert result.exit_code == 1
    assert "the scale seed fills an empty database only" in result.output
    assert row_counts() == before


def test_the_same_seed_gives_the_same_rows(app):
    def rows() -> list[tuple]:
        return sorted(
            db.session.execute(
                select(Trainee.cnic, Trainee.full_name, Cohort.code, Enrollment.status, Enrollment.reason)
                .join(Enrollment.trainee)
                .join(Enrollment.cohort)
            ).all()
        )

    seed_scale(SIZE, seed=SEED, echo=lambda line: None, now=NOW)
    first = rows()
    empty_all_tables()
    seed_scale(SIZE, seed=SEED, echo=lambda line: None, now=NOW)
    assert rows() == first
    empty_all_tables()
    seed_scale(SIZE, seed=SEED + 1, echo=lambda line: None, now=NOW)
    assert rows() != first


def test_an_error_half_way_leaves_nothing_behind(app, monkeypatch):
    def fail(self, cohorts):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ScaleSeeder, "write_counters", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_scale(SIZE, seed=SEED, echo=lambda line: None, now=NOW)
    db.session.rollback()
    assert [count(model) for model in (Centre, Cohort, Trainee, Enrollment, UserAccount)] == [0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("option", "value"), [("--centres", "0"), ("--trainees", "-5"), ("--enrollments", "many"), ("--seed", "x")]
)
def test_the_command_refuses_bad_numbers_naming_the_option(app, option, value):
    result = app.test_cli_runner().invoke(args=[*ARGS, option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert count(Trainee) == count(Centre) == 0
