"""Merit admission (DESIGN.md, "Selection"; issue 16, item 2), service by service, without HTTP: scores,
ranking and ties, weights, seats by rank (open seats, then each reserved pool among those who qualify),
offers and the line in rank order, corrections as new versions, and every refusal with its message and
nothing written."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pages import audit_events

from courses.cohorts import CohortDetails, create_cohort, update_cohort
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.counters import recount
from enrollments.models import Enrollment, MeritList
from enrollments.services import (
    EnrollmentRefused,
    NotAllowed,
    NotPossibleNow,
    ReasonRequired,
    apply,
    approve,
    decline,
    reject,
    waitlist_position,
)
from enrollments.services.merit import (
    ScoreEntry,
    ScoresRefused,
    enter_scores,
    latest_list,
    masked_name,
    plan_publication,
    publish,
    total_score,
)
from extensions import db
from notifications.models import OutboxMessage
from refusals import Refusal
from vocabulary import RESERVED_POOLS, Admission, CohortStatus, EnrollmentStatus, Gender, Pool, Role

S = EnrollmentStatus


@pytest.fixture
def centre(make_centre):
    return make_centre()


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def merit_cohort(make_cohort, centre):
    """``merit_cohort(seats=3, ...)``: an open merit cohort (seats offered), applications open now."""

    def make(**fields):
        return make_cohort(centre=centre, **({"admission": Admission.MERIT, "offers": True} | fields))

    return make


@pytest.fixture
def applicant(make_user, make_trainee):
    """``applicant(cohort, gender=...)``: a trainee with an account who has applied to ``cohort``."""

    def make(cohort, **fields):
        trainee = make_trainee(user=make_user(Role.TRAINEE), **fields)
        enrollment = apply(trainee, cohort, actor=trainee.user).enrollment
        db.session.commit()
        return enrollment

    return make


def scored(staff, cohort, *rows):
    """Enter ``(enrollment, test, interview)`` rows and commit."""
    enter_scores(cohort, [ScoreEntry(place.id, test, interview) for place, test, interview in rows], actor=staff)
    db.session.commit()


def close(cohort: Cohort) -> Cohort:
    cohort.applications_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return cohort


def published(staff, cohort, reason: str = "") -> MeritList:
    merit_list = publish(cohort, actor=staff, reason=reason)
    db.session.commit()
    return merit_list


def state(*places: Enrollment) -> list[tuple[S, Pool | None, int | None]]:
    db.session.expire_all()
    return [
        (place.status, place.pool if place.status in (S.OFFERED, S.ENROLLED) else None, place.merit_rank)
        for place in (db.session.get(Enrollment, each.id) for each in places)
    ]


def refused(call, row_counts, refusal=Refusal) -> Refusal:
    """``call`` raises ``refusal`` and nothing is written."""
    before = row_counts()
    with pytest.raises(refusal) as raised:
        call()
    db.session.rollback()
    assert row_counts() == before
    return raised.value


def no_drift() -> bool:
    return recount() == []


def messages(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)))


# Scores and totals ---------------------------------------------------------------------------------


def test_the_total_weighs_the_test_70_percent_by_default_and_rounds_to_two_decimals():
    assert total_score(80, 60, 70) == total_score(80.0, 60.0, 70)
    assert str(total_score(80, 60, 70)) == "74.00"
    assert str(total_score(72.25, 81.5, 70)) == "75.03"  # 75.025 rounds half up
    assert str(total_score(50, 90, 0)) == "90.00" and str(total_score(50, 90, 100)) == "50.00"


def test_masked_names_show_the_first_name_and_the_initial_of_the_last():
    assert masked_name("Ayesha Khan") == "Ayesha K."
    assert masked_name("Muhammad Bilal Ahmed") == "Muhammad A."
    assert masked_name("عائشہ خان") == "عائشہ خ."
    assert masked_name("Sana") == "Sana"


def test_applying_to_a_merit_cohort_waits_for_the_list(merit_cohort, applicant):
    cohort = merit_cohort(seats=2)
    place = applicant(cohort)
    assert place.status is S.PENDING and db.session.get(Cohort, cohort.id).pending_count == 1


def test_scores_are_saved_all_or_none_each_problem_named(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort()
    first, second = applicant(cohort), applicant(cohort)
    error = refused(
        lambda: enter_scores(
            cohort,
            [ScoreEntry(first.id, "72.5", "80"), ScoreEntry(second.id, "101", "abc")],
            actor=staff,
        ),
        row_counts,
        ScoresRefused,
    )
    assert error.message == "2 scores are not right: nothing was saved. Correct them and save again."
    assert error.field_messages == {
        "items.1.test": "Enter the test score as a number from 0 to 100.",
        "items.1.interview": "Enter the interview score as a number from 0 to 100.",
    }
    db.session.expire_all()
    assert db.session.get(Enrollment, first.id).test_score is None


@pytest.mark.parametrize(
    ("test", "interview", "field", "message"),
    [
        ("-1", "50", "test", "Enter the test score as a number from 0 to 100."),
        ("50", "100.5", "interview", "Enter the interview score as a number from 0 to 100."),
        ("72.125", "50", "test", "A test score has at most two decimals, e.g. 72.25."),
        ("nan", "50", "test", "Enter the test score as a number from 0 to 100."),
        ("50", "", "interview", "Enter both scores, or leave both empty."),
        (True, "50", "test", "Enter the test score as a number from 0 to 100."),
    ],
)
def test_a_wrong_score_is_refused_naming_its_field(
    merit_cohort, applicant, staff, row_counts, test, interview, field, message
):
    cohort = merit_cohort()
    place = applicant(cohort)
    error = refused(lambda: enter_scores(cohort, [ScoreEntry(place.id, test, interview)], actor=staff), row_counts)
    assert error.field_messages == {f"items.0.{field}": message}


def test_scores_in_urdu_digits_and_number_cells_are_read(merit_cohort, applicant, staff):
    cohort = merit_cohort()
    first, second = applicant(cohort), applicant(cohort)
    scored(staff, cohort, (first, "٧٢٫٥", "۸۰"), (second, 65, 90.25))
    db.session.expire_all()
    assert (first.test_score, first.interview_score) == (72.5, 80.0)
    assert (second.test_score, second.interview_score) == (65.0, 90.25)
    [event, _second] = audit_events("enrollment.score")
    assert event.before == {"test": None, "interview": None} and event.after["test"] == 72.5


def test_scores_name_places_of_this_cohort_once_and_only_pending_ones_before_publication(
    merit_cohort, applicant, staff, row_counts
):
    cohort, other = merit_cohort(), merit_cohort()
    mine, theirs, rejected = applicant(cohort), applicant(other), applicant(cohort)
    reject(rejected, actor=staff, reason="Did not come to the test")
    db.session.commit()
    error = refused(
        lambda: enter_scores(
            cohort,
            [
                ScoreEntry(mine.id, 50, 50),
                ScoreEntry(mine.id, 60, 60),
                ScoreEntry(theirs.id, 50, 50),
                ScoreEntry(rejected.id, 50, 50),
                ScoreEntry("x", 50, 50),
            ],
            actor=staff,
        ),
        row_counts,
    )
    assert error.field_messages == {
        "items.1.enrollment_id": f"Application {mine.number} is given twice.",
        "items.2.enrollment_id": "No application with this number in this cohort.",
        "items.3.enrollment_id": f"Application {rejected.number} is rejected: its scores cannot change.",
        "items.4.enrollment_id": "No application with this number in this cohort.",
    }


def test_only_the_centres_staff_enter_scores_and_only_in_merit_cohorts(
    merit_cohort, make_cohort, applicant, make_user, make_centre, staff, row_counts
):
    cohort = merit_cohort()
    place = applicant(cohort)
    outsider = make_user(Role.STAFF, centres=(make_centre(),))
    error = refused(lambda: enter_scores(cohort, [ScoreEntry(place.id, 1, 1)], actor=outsider), row_counts, NotAllowed)
    assert error.message == "Only staff of this centre can enter scores and publish its merit list."
    first_come = make_cohort(centre=cohort.centre)
    error = refused(lambda: enter_scores(first_come, [ScoreEntry(place.id, 1, 1)], actor=staff), row_counts)
    assert error.message == "This cohort does not admit by merit list: it has no scores to enter."
    error = refused(lambda: enter_scores(cohort, [], actor=staff), row_counts)
    assert (error.message, error.field) == ("Enter the scores of at least one applicant.", "items")


def test_approving_one_by_one_is_refused_in_a_merit_cohort(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort()
    place = applicant(cohort)
    error = refused(lambda: approve(place, actor=staff), row_counts, NotPossibleNow)
    assert error.message.startswith("Seats in this cohort go by the merit list")


# Publishing ----------------------------------------------------------------------------------------


def test_publishing_ranks_by_total_offers_the_seats_by_rank_and_lines_up_the_rest(merit_cohort, applicant, staff):
    cohort = merit_cohort(seats=2)
    low, top, second, third = (applicant(cohort) for _ in range(4))
    scored(staff, cohort, (low, 40, 40), (top, 90, 50), (second, 70, 80), (third, 60, 90))
    # totals: low 40.00, top 78.00, second 73.00, third 69.00
    merit_list = published(staff, close(cohort))
    assert state(top, second, third, low) == [
        (S.OFFERED, Pool.OPEN, 1),
        (S.OFFERED, Pool.OPEN, 2),
        (S.WAITLISTED, None, 3),
        (S.WAITLISTED, None, 4),
    ]
    assert [waitlist_position(place) for place in (third, low)] == [1, 2]
    top = db.session.get(Enrollment, top.id)
    assert top.offer_expires_at is not None
    assert merit_list.version == 1 and merit_list.test_weight == 70
    assert [(row["rank"], row["total"], row["outcome"]) for row in merit_list.entries] == [
        (1, "78.00", "offered"),
        (2, "73.00", "offered"),
        (3, "69.00", "waitlisted"),
        (4, "40.00", "waitlisted"),
    ]
    [event] = audit_events("merit_list.publish")
    assert event.after == {"version": 1, "test_weight": 70, "ranked": 4, "offered": 2, "waitlisted": 2}
    assert len(audit_events("enrollment.offer")) == 2 and len(audit_events("enrollment.wait")) == 2
    assert len(messages("enrollment.offered")) == 2
    [told] = [m for m in messages("enrollment.ranked") if m.enrollment_id == low.id]
    assert "you are ranked 4 and number 2 on the waitlist" in told.body
    assert no_drift()


def test_the_public_entries_hold_no_full_name_cnic_or_phone(merit_cohort, applicant, staff):
    cohort = merit_cohort(seats=1)
    place = applicant(cohort, full_name="Ayesha Siddiqa Khan")
    scored(staff, cohort, (place, 50, 50))
    merit_list = published(staff, close(cohort))
    trainee = db.session.get(Enrollment, place.id).trainee
    text = str(merit_list.entries)
    assert "Ayesha K." in text and "Siddiqa" not in text and trainee.cnic not in text and trainee.phone not in text


def test_ties_go_to_the_earlier_application(merit_cohort, applicant, staff):
    cohort = merit_cohort(seats=1)
    earlier, later = applicant(cohort), applicant(cohort)
    # Both total 74.00: 80 × 0.7 + 60 × 0.3 = 60 × 0.7 + 106.67 × 0.3 would not be a score; these tie exactly.
    scored(staff, cohort, (later, 80, 60), (earlier, 74, 74))
    published(staff, close(cohort))
    assert state(earlier, later) == [(S.OFFERED, Pool.OPEN, 1), (S.WAITLISTED, None, 2)]


@pytest.mark.parametrize(("weight", "winner"), [(100, "tester"), (0, "talker"), (50, "tester")])
def test_the_cohorts_weight_decides_the_total(merit_cohort, applicant, staff, weight, winner):
    cohort = merit_cohort(seats=1, test_weight=weight)
    places = {"tester": applicant(cohort), "talker": applicant(cohort)}
    scored(staff, cohort, (places["tester"], 90, 60), (places["talker"], 60, 85))
    published(staff, close(cohort))
    assert state(places[winner])[0][0] is S.OFFERED


def test_open_seats_go_by_rank_then_reserved_seats_by_rank_among_those_who_qualify(merit_cohort, applicant, staff):
    cohort = merit_cohort(seats=3, reserved_women=1)
    men = [applicant(cohort, gender=Gender.MALE) for _ in range(3)]
    women = [applicant(cohort, gender=Gender.FEMALE) for _ in range(2)]
    # Ranks: men 1-3, then the women 4 and 5.
    scored(staff, cohort, (men[0], 95, 95), (men[1], 90, 90), (men[2], 85, 85), (women[0], 80, 80), (women[1], 70, 70))
    merit_list = published(staff, close(cohort))
    assert state(*men, *women) == [
        (S.OFFERED, Pool.OPEN, 1),
        (S.OFFERED, Pool.OPEN, 2),
        (S.WAITLISTED, None, 3),
        (S.OFFERED, Pool.WOMEN, 4),
        (S.WAITLISTED, None, 5),
    ]
    assert [row["pool"] for row in merit_list.entries] == ["open", "open", None, "women", None]
    assert no_drift()
    # The woman's seat, declined, goes to the next woman in line, passing over the man ranked above her.
    decline(db.session.get(Enrollment, women[0].id), actor=staff)
    db.session.commit()
    assert state(men[2], women[1]) == [(S.WAITLISTED, None, 3), (S.OFFERED, Pool.WOMEN, 5)]
    # An open seat declined goes to the first in line by rank.
    decline(db.session.get(Enrollment, men[0].id), actor=staff)
    db.session.commit()
    assert state(men[2])[0][:2] == (S.OFFERED, Pool.OPEN)
    assert no_drift()


def test_the_plan_says_what_publishing_would_do_without_writing(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort(seats=2, reserved_women=1)
    places = [applicant(cohort, gender=gender) for gender in (Gender.MALE, Gender.MALE, Gender.FEMALE)]
    scored(staff, cohort, *((place, 90 - 10 * index, 50) for index, place in enumerate(places)))
    close(cohort)
    before = row_counts()
    plan = plan_publication(db.session.get(Cohort, cohort.id))
    assert (plan.version, plan.offered_in(Pool.OPEN), plan.offered_in(Pool.WOMEN), len(plan.waiting)) == (1, 1, 1, 1)
    db.session.rollback()
    assert row_counts() == before


def test_publishing_is_refused_while_applications_are_open(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort()
    place = applicant(cohort)
    scored(staff, cohort, (place, 50, 50))
    error = refused(lambda: publish(cohort, actor=staff), row_counts, NotPossibleNow)
    assert error.message.startswith("Applications are open until ")
    cohort.applications_close_at = None
    db.session.commit()
    error = refused(lambda: publish(cohort, actor=staff), row_counts, NotPossibleNow)
    assert error.message == "Applications are still open: close applications before publishing the merit list."
    cohort.status = CohortStatus.CLOSED  # staff closed applications: the list can be published
    db.session.commit()
    assert published(staff, cohort).version == 1


def test_publishing_is_refused_until_everyone_waiting_is_scored(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort()
    places = [applicant(cohort) for _ in range(13)]
    scored(staff, cohort, (places[0], 50, 50))
    close(cohort)
    error = refused(lambda: publish(cohort, actor=staff), row_counts, NotPossibleNow)
    numbers = ", ".join(place.number for place in places[1:11])
    assert error.message == (
        f"12 applicants have no scores yet (applications {numbers} and 2 more). Enter both scores for everyone, "
        "or reject an applicant who did not come, with a reason, before publishing."
    )
    # A no-show rejected with a reason, the others scored: now it publishes.
    reject(places[1], actor=staff, reason="Did not come to the test")
    scored(staff, cohort, *((place, 60, 60) for place in places[2:]))
    assert len(published(staff, cohort).entries) == 12


def test_publishing_is_refused_with_nobody_waiting_in_other_cohorts_and_by_others(
    merit_cohort, make_cohort, make_user, make_centre, staff, row_counts
):
    cohort = close(merit_cohort())
    error = refused(lambda: publish(cohort, actor=staff), row_counts, NotPossibleNow)
    assert error.message == "Nobody is waiting for a seat: there is no one to rank."
    outsider = make_user(Role.STAFF, centres=(make_centre(),))
    refused(lambda: publish(cohort, actor=outsider), row_counts, NotAllowed)
    first_come = make_cohort(centre=cohort.centre)
    error = refused(lambda: publish(first_come, actor=staff), row_counts, NotPossibleNow)
    assert error.message == "This cohort does not admit by merit list: it has no scores to enter."
    cohort.status = CohortStatus.RUNNING
    db.session.commit()
    error = refused(lambda: publish(cohort, actor=staff), row_counts, NotPossibleNow)
    assert error.message == "Scores and the merit list change only before training starts: this cohort is running."


# Corrections ---------------------------------------------------------------------------------------


def test_a_published_list_is_not_silently_redone_a_correction_needs_a_reason(
    merit_cohort, applicant, staff, row_counts
):
    cohort = merit_cohort(seats=1)
    first, second = applicant(cohort), applicant(cohort)
    scored(staff, cohort, (first, 80, 80), (second, 70, 70))
    published(staff, close(cohort))
    error = refused(lambda: publish(cohort, actor=staff), row_counts, ReasonRequired)
    assert error.message == "A published merit list is corrected only with a reason: it is shown with the new version."
    assert error.field == "reason"
    error = refused(lambda: publish(cohort, actor=staff, reason="x" * 1001), row_counts)
    assert error.field == "reason"


def test_a_correction_keeps_every_seat_reorders_the_line_and_gives_free_seats_by_the_new_ranks(
    merit_cohort, applicant, staff
):
    cohort = merit_cohort(seats=2)
    top, second, third, fourth = (applicant(cohort) for _ in range(4))
    scored(staff, cohort, (top, 90, 90), (second, 80, 80), (third, 70, 70), (fourth, 60, 60))
    published(staff, close(cohort))
    # The fourth's test was marked wrongly: corrected, she ranks first. Nobody loses a seat; she moves up the line.
    scored(staff, cohort, (fourth, 99, 99))
    corrected = published(staff, cohort, reason="Test of 000004 marked twice")
    assert corrected.version == 2 and corrected.reason == "Test of 000004 marked twice"
    assert state(fourth, top, second, third) == [
        (S.WAITLISTED, None, 1),
        (S.OFFERED, Pool.OPEN, 2),
        (S.OFFERED, Pool.OPEN, 3),
        (S.WAITLISTED, None, 4),
    ]
    assert [waitlist_position(db.session.get(Enrollment, place.id)) for place in (fourth, third)] == [1, 2]
    [event] = audit_events("merit_list.correct")
    assert event.after["version"] == 2 and event.reason == "Test of 000004 marked twice"
    # Her place in line moved: she is told (the third, whose place moved too, as well).
    told = {m.enrollment_id for m in messages("enrollment.ranked")}
    assert {fourth.id, third.id} <= told
    # A seat that frees now goes by the new ranks.
    decline(db.session.get(Enrollment, top.id), actor=staff)
    db.session.commit()
    assert state(fourth)[0][0] is S.OFFERED
    assert [merit_list.version for merit_list in db.session.scalars(sa.select(MeritList))] == [1, 2]
    assert latest_list(cohort).version == 2 and no_drift()


def test_scores_after_publication_may_change_only_for_ranked_places(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort(seats=1)
    first, second = applicant(cohort), applicant(cohort)
    scored(staff, cohort, (first, 80, 80), (second, 70, 70))
    published(staff, close(cohort))
    decline(db.session.get(Enrollment, first.id), actor=staff)
    db.session.commit()
    error = refused(lambda: enter_scores(cohort, [ScoreEntry(first.id, 1, 1)], actor=staff), row_counts)
    assert error.field_messages == {
        "items.0.enrollment_id": f"Application {first.number} is declined: its scores cannot change."
    }
    scored(staff, cohort, (second, 71, 70))  # offered now: counts from the next correction
    assert latest_list(cohort).entries[1]["test"] == 70.0


# Invariants ----------------------------------------------------------------------------------------


def holders_rank_above_those_who_wait(cohort: Cohort) -> bool:
    """Nobody who qualifies for a pool waits behind a lower-ranked holder of that pool."""
    places = list(db.session.scalars(sa.select(Enrollment).where(Enrollment.cohort_id == cohort.id)))
    waiting = [place for place in places if place.status is S.WAITLISTED]
    for holder in (place for place in places if place.status in (S.OFFERED, S.ENROLLED)):
        for place in waiting:
            if pools.qualifies(place.trainee, cohort, holder.pool) and place.merit_rank < holder.merit_rank:
                return False
    return True


@pytest.mark.parametrize("seed", range(6))
def test_publication_and_declines_keep_the_invariants(merit_cohort, applicant, staff, seed):
    rng = random.Random(seed)
    reserved = {f"reserved_{pool.value}": rng.randint(0, 1) for pool in RESERVED_POOLS}
    cohort = merit_cohort(seats=rng.randint(2, 5), **reserved)
    places = [
        applicant(
            cohort,
            gender=rng.choice([Gender.FEMALE, Gender.MALE]),
            area=rng.choice(["rural", "urban"]),
            disability=rng.random() < 0.3,
        )
        for _ in range(rng.randint(3, 9))
    ]
    scored(staff, cohort, *((place, rng.randint(0, 10) * 10, rng.randint(0, 10) * 10) for place in places))
    published(staff, close(cohort))
    cohort = db.session.get(Cohort, cohort.id)
    assert holders_rank_above_those_who_wait(cohort) and no_drift()
    assert cohort.enrolled_count + cohort.offered_count <= cohort.seats
    for _ in range(3):
        offered = db.session.scalars(
            sa.select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.OFFERED)
        ).all()
        if not offered:
            break
        decline(rng.choice(offered), actor=staff)
        db.session.commit()
        assert holders_rank_above_those_who_wait(db.session.get(Cohort, cohort.id)) and no_drift()


# The cohort's settings -----------------------------------------------------------------------------


def details(course, centre, **changes) -> CohortDetails:
    starts = utcnow().date() + timedelta(days=30)
    values = {
        "course_id": course.id,
        "centre_id": centre.id,
        "kind": "regular",
        "starts_on": starts,
        "ends_on": starts + timedelta(days=40),
        "shift": "morning",
        "mode": "on_site",
        "seats": 10,
        "admission": Admission.MERIT,
    }
    return CohortDetails(**(values | changes))


def test_a_merit_cohort_always_offers_its_seats_and_weighs_the_test_as_staff_say(make_course, centre, staff):
    cohort = create_cohort(details(make_course(), centre, offers=False, test_weight=60), actor=staff)
    assert cohort.offers is True and cohort.test_weight == 60


@pytest.mark.parametrize("weight", [-1, 101, None, "70", 7.5])
def test_a_test_weight_outside_0_to_100_is_refused(make_course, centre, staff, row_counts, weight):
    course = make_course()
    error = refused(lambda: create_cohort(details(course, centre, test_weight=weight), actor=staff), row_counts)
    assert error.field == "test_weight"
    assert error.message == "The test's weight is a whole percent from 0 to 100 (the interview counts for the rest)."


def test_admission_changes_to_or_from_merit_only_while_nobody_has_applied(merit_cohort, applicant, staff, row_counts):
    cohort = merit_cohort()
    changed = update_cohort(
        cohort,
        details(
            cohort.course,
            cohort.centre,
            admission=Admission.REVIEWED,
            starts_on=cohort.starts_on,
            ends_on=cohort.ends_on,
        ),
        actor=staff,
    )
    db.session.commit()
    assert changed.admission is Admission.REVIEWED
    applicant(cohort)
    error = refused(
        lambda: update_cohort(
            cohort,
            details(
                cohort.course,
                cohort.centre,
                admission=Admission.MERIT,
                starts_on=cohort.starts_on,
                ends_on=cohort.ends_on,
            ),
            actor=staff,
        ),
        row_counts,
    )
    assert (error.field, error.message) == (
        "admission",
        "Admission can change to or from a merit list only while nobody has applied.",
    )


def test_refusals_are_enrollment_refusals_where_the_rules_say_so():
    assert issubclass(NotPossibleNow, EnrollmentRefused) and issubclass(ScoresRefused, Refusal)
