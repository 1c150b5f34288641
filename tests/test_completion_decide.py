"""``flask completion decide`` (issue 17): cohorts finished before completion by rule existed still hold places
in ``enrolled``; the command applies the rule to them as the system, one cohort at a time. Tested: what it
decides (certificates, counters, tallies, audit by the system, messages), the dry run writing nothing, cohorts
with nothing recorded skipped unless asked, running cohorts left alone, and a second run deciding nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from audit.models import AuditEvent
from certificates.models import Certificate
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.services import NotPossibleNow
from enrollments.services.completion import decide_finished, undecided_cohorts
from enrollments.tallies import recount_tallies
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import CertificateStatus, CohortStatus, EnrollmentStatus, NotCompletedReason

S, R = EnrollmentStatus, NotCompletedReason


@pytest.fixture
def cohorts(make_centre, make_course, make_cohort, make_trainee, make_enrollment):
    """Three cohorts of one centre: ``old`` finished with four places still enrolled (one passes, one below the
    pass mark, one without a mark, one below the attendance threshold) and one decided already; ``bare``
    finished with two enrolled places and nothing recorded; ``running`` with an enrolled place."""
    centre = make_centre(code="PB-LHR-07")
    course = make_course(title="Graphic Design")
    starts_on = date.today() - timedelta(days=120)

    def cohort(code: str, status: CohortStatus):
        return make_cohort(
            centre=centre, course=course, code=code, status=status, starts_on=starts_on,
            ends_on=starts_on + timedelta(days=55),
        )  # fmt: skip

    old, bare = cohort("PB-LHR-07-OLD", CohortStatus.FINISHED), cohort("PB-LHR-07-BARE", CohortStatus.FINISHED)
    running = cohort("PB-LHR-07-RUN", CohortStatus.RUNNING)

    def place(where, name: str, present: int, held: int, mark: str | None, status=S.ENROLLED, **fields):
        return make_enrollment(
            make_trainee(full_name=name), where, status=status, started_training=True, days_marked=held,
            days_present=present, mark=None if mark is None else Decimal(mark), **fields,
        )  # fmt: skip

    places = {
        "passes": place(old, "Ayesha Khan", 9, 10, "72"),
        "low": place(old, "Bushra Ali", 10, 10, "40"),
        "unmarked": place(old, "Farah Naz", 8, 10, None),
        "away": place(old, "Sadia Away", 5, 10, "90"),
        "decided": place(old, "Zainab Done", 10, 10, "80", status=S.COMPLETED),
        "bare1": place(bare, "Hina One", 0, 0, None),
        "bare2": place(bare, "Hina Two", 0, 0, None),
        "running": place(running, "Rabia Now", 10, 10, "90"),
    }
    recount(fix=True)
    recount_tallies(fix=True)  # the fixture wrote the places directly: counters and tallies follow them
    db.session.commit()
    return old, bare, running, places


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["completion", "decide", *args])
    assert result.exit_code == 0, result.output
    return result.output


def statuses(places: dict[str, Enrollment]) -> dict[str, tuple]:
    db.session.expire_all()
    return {name: (place.status, place.not_completed_reason) for name, place in places.items()}


def test_undecided_cohorts_are_the_finished_ones_with_places_enrolled(cohorts):
    old, bare, _running, _places = cohorts
    found = {cohort.code: (cohort.places, cohort.recorded) for cohort in undecided_cohorts()}
    assert found == {old.code: (4, 4), bare.code: (2, 0)}


def test_a_dry_run_says_what_it_would_decide_and_writes_nothing(app, cohorts, row_counts):
    old, bare, _running, places = cohorts
    before, was = row_counts(), statuses(places)
    output = run(app, "--dry-run")
    assert f"{old.code}: 1 completed, 3 not completed (attendance 1, marks 2; 1 without a mark)" in output
    assert f"{bare.code}: skipped, 2 places enrolled with nothing recorded" in output
    assert "would decide 1 cohorts: 1 completed, 3 not completed (attendance 1, marks 2); 1 cohorts skipped" in output
    assert row_counts() == before
    assert statuses(places) == was


def test_it_decides_by_the_rule_as_the_system_and_a_second_run_decides_nothing(app, cohorts, row_counts):
    old, bare, _running, places = cohorts
    output = run(app)
    assert "decided 1 cohorts: 1 completed, 3 not completed (attendance 1, marks 2); 1 cohorts skipped" in output
    assert statuses(places) == {
        "passes": (S.COMPLETED, None),
        "low": (S.NOT_COMPLETED, R.MARKS),
        "unmarked": (S.NOT_COMPLETED, R.MARKS),
        "away": (S.NOT_COMPLETED, R.ATTENDANCE),
        "decided": (S.COMPLETED, None),  # decided before: untouched, no second certificate
        "bare1": (S.ENROLLED, None),  # nothing recorded: skipped
        "bare2": (S.ENROLLED, None),
        "running": (S.ENROLLED, None),  # not finished: never decided here
    }
    issued = db.session.execute(sa.select(Certificate.enrollment_id, Certificate.status)).all()
    assert issued == [(places["passes"].id, CertificateStatus.VALID)]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("enrollment.finish_%"))).all()
    assert len(events) == 4 and {event.actor_id for event in events} == {None}
    certificate_events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert [event.actor_id for event in certificate_events] == [None]
    told = dict(db.session.execute(sa.select(OutboxMessage.enrollment_id, OutboxMessage.kind)).all())
    assert told[places["passes"].id] == "enrollment.completed"
    assert told[places["away"].id] == "enrollment.not_completed"
    db.session.refresh(old)
    assert (old.enrolled_count, old.completed_count, old.not_completed_count) == (0, 2, 3)
    assert recount() == [] and recount_tallies() == []

    counted = row_counts()
    again = run(app)
    assert f"{bare.code}: skipped" in again and old.code not in again
    assert "decided 0 cohorts: 0 completed, 0 not completed" in again
    assert row_counts() == counted


def test_cohorts_with_nothing_recorded_are_decided_only_when_asked(app, cohorts):
    _old, bare, _running, places = cohorts
    output = run(app, "--include-unrecorded")
    assert f"{bare.code}: 0 completed, 2 not completed (attendance 2, marks 0; 2 without a mark)" in output
    assert statuses(places)["bare1"] == (S.NOT_COMPLETED, R.ATTENDANCE)
    assert undecided_cohorts() == []
    assert recount() == [] and recount_tallies() == []


def test_a_cohort_not_finished_is_refused_with_nothing_written(app, cohorts, row_counts):
    _old, _bare, running, _places = cohorts
    before = row_counts()
    for dry_run in (True, False):
        with pytest.raises(NotPossibleNow) as refused:
            decide_finished(running.id, dry_run=dry_run)
        assert str(refused.value) == "Results are decided when the cohort finishes."
        db.session.rollback()
    assert row_counts() == before
