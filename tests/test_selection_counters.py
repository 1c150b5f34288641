"""The selection counters (issue 16, item 4): seat offers made and how each ended (``Enrollment.offer``,
``Cohort.offers_*_count``), the moment a cohort filled (``Cohort.full_at``) and the reserved seats held at
the release (``Cohort.released_held_<pool>``), kept by the services, without HTTP; and the recount that
checks the counters against the enrollment table."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from courses.models import Cohort
from database import utcnow
from enrollments.counters import Drift, offer_deltas, recount
from enrollments.models import Enrollment
from enrollments.services import (
    accept,
    apply,
    cancel_cohort,
    change_capacity,
    change_seats,
    decline,
    register_many,
    release,
    withdraw,
)
from extensions import db
from vocabulary import EnrollmentStatus, Gender, OfferState, Pool, Role

S = EnrollmentStatus
OFFER_COUNTS = ("offers_made_count", "offers_accepted_count", "offers_declined_count", "offers_expired_count")


@pytest.fixture
def centre(make_centre):
    return make_centre()


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def person(make_user, make_trainee):
    return lambda gender=Gender.MALE: make_trainee(user=make_user(Role.TRAINEE), gender=gender)


def applied(trainee, cohort, now=None) -> Enrollment:
    enrollment = apply(trainee, cohort, actor=trainee.user, now=now).enrollment
    db.session.commit()
    return enrollment


def fresh(cohort: Cohort) -> Cohort:
    db.session.expire_all()
    return db.session.get(Cohort, cohort.id)


def offer_counts(cohort: Cohort) -> tuple[int, ...]:
    cohort = fresh(cohort)
    return (*(getattr(cohort, name) for name in OFFER_COUNTS), cohort.offered_count)


def marks(*enrollments: Enrollment) -> list[OfferState | None]:
    for enrollment in enrollments:
        db.session.refresh(enrollment)
    return [enrollment.offer for enrollment in enrollments]


@pytest.mark.parametrize(
    ("before", "after", "expired", "mark", "expected"),
    [
        (S.WAITLISTED, S.OFFERED, False, OfferState.OPEN, {"offers_made_count": 1}),
        (S.OFFERED, S.ENROLLED, False, OfferState.ACCEPTED, {"offers_accepted_count": 1}),
        (S.OFFERED, S.DECLINED, False, OfferState.DECLINED, {"offers_declined_count": 1}),
        (S.OFFERED, S.DECLINED, True, OfferState.EXPIRED, {"offers_expired_count": 1}),
        (S.OFFERED, S.CANCELLED, False, OfferState.CANCELLED, {}),
        (S.WAITLISTED, S.ENROLLED, False, None, {}),  # promoted without an offer: no offer at all
        (S.ENROLLED, S.DROPPED, False, None, {}),
    ],
)
def test_what_each_offer_change_marks_and_counts(before, after, expired, mark, expected):
    place = Enrollment(status=before)
    assert offer_deltas(place, before, after, expired=expired) == expected
    assert place.offer is mark


def test_every_offer_is_counted_once_made_and_once_by_how_it_ended(make_cohort, centre, staff, person):
    cohort = make_cohort(centre=centre, seats=2, offers=True, offer_hours=48)
    holders = [applied(person(), cohort), applied(person(), cohort)]
    line = [applied(person(), cohort) for _ in range(5)]
    assert offer_counts(cohort) == (0, 0, 0, 0, 0)  # seats taken on application are not offers

    for holder in holders:  # both seats go to the first two in line, as offers
        withdraw(holder, actor=holder.trainee.user)
    db.session.commit()
    assert marks(*line[:2]) == [OfferState.OPEN, OfferState.OPEN]
    assert offer_counts(cohort) == (2, 0, 0, 0, 2)

    accept(line[0], actor=line[0].trainee.user)
    decline(line[1], actor=line[1].trainee.user)  # her seat is offered to the third
    db.session.commit()
    assert marks(line[0], line[1], line[2]) == [OfferState.ACCEPTED, OfferState.DECLINED, OfferState.OPEN]
    assert offer_counts(cohort) == (3, 1, 1, 0, 1)

    later = line[2].offer_expires_at + timedelta(minutes=1)  # past the third one's deadline
    newcomer = person()
    apply(newcomer, cohort, actor=newcomer.user, now=later)  # touching the cohort expires it: offered on
    db.session.commit()
    assert marks(line[2], line[3]) == [OfferState.EXPIRED, OfferState.OPEN]
    assert offer_counts(cohort) == (4, 1, 1, 1, 1)

    withdraw(line[3], actor=line[3].trainee.user)  # withdrawing from an offer declines it
    db.session.commit()
    assert marks(line[3], line[4]) == [OfferState.DECLINED, OfferState.OPEN]
    assert offer_counts(cohort) == (5, 1, 2, 1, 1)

    cancel_cohort(fresh(cohort), actor=staff, reason="The lab flooded.")
    db.session.commit()
    # The open offer ends with its cohort: made, but neither accepted, declined nor expired.
    assert marks(line[4]) == [OfferState.CANCELLED]
    assert offer_counts(cohort) == (5, 1, 2, 1, 0)
    assert recount() == []


def test_the_recount_finds_and_fixes_offer_counters_that_drifted(make_cohort, centre, person):
    cohort = make_cohort(centre=centre, seats=1, offers=True)
    holder, waiting = applied(person(), cohort), applied(person(), cohort)
    withdraw(holder, actor=holder.trainee.user)
    db.session.commit()
    accept(waiting, actor=waiting.trainee.user)
    db.session.commit()
    db.session.execute(
        sa.update(Cohort).where(Cohort.id == cohort.id).values(offers_accepted_count=0, offers_expired_count=2)
    )
    db.session.commit()
    assert recount() == [
        Drift(cohort.id, cohort.code, "offers_accepted_count", 0, 1),
        Drift(cohort.id, cohort.code, "offers_expired_count", 2, 0),
    ]
    assert len(recount(fix=True)) == 2
    db.session.commit()
    assert offer_counts(cohort) == (1, 1, 0, 0, 0) and recount() == []


# The moment a cohort filled ---------------------------------------------------------------------------


def test_the_last_seat_taken_marks_the_cohort_full_once_and_for_good(make_cohort, centre, person):
    cohort = make_cohort(centre=centre, seats=2)
    start = utcnow()
    first = applied(person(), cohort, now=start)
    assert fresh(cohort).full_at is None
    applied(person(), cohort, now=start + timedelta(hours=5))
    assert fresh(cohort).full_at == start + timedelta(hours=5)
    withdraw(first, actor=first.trainee.user)  # a seat free again: it filled all the same
    db.session.commit()
    assert fresh(cohort).full_at == start + timedelta(hours=5)
    applied(person(), cohort, now=start + timedelta(days=2))  # full again: the first time stays
    assert fresh(cohort).full_at == start + timedelta(hours=5)


def test_an_offered_seat_fills_the_cohort_as_an_enrolled_one_does(make_cohort, centre, staff, person):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, offers=True)
    applied(person(), cohort)
    waiting = applied(person(), cohort)  # the other seat is the women's: he waits
    assert fresh(cohort).full_at is None
    before = utcnow()
    change_capacity(fresh(cohort), 2, reserved={Pool.WOMEN: 0}, actor=staff)  # the seat is offered to him
    db.session.commit()
    assert marks(waiting) == [OfferState.OPEN]
    assert before <= fresh(cohort).full_at <= utcnow()


def test_a_whole_list_taking_the_last_seat_fills_the_cohort(make_cohort, centre, staff, make_trainee):
    cohort = make_cohort(centre=centre, seats=2)
    register_many([make_trainee()], cohort, actor=staff)
    db.session.commit()
    assert fresh(cohort).full_at is None
    before = utcnow()
    register_many([make_trainee(), make_trainee()], cohort, actor=staff)  # one seat, one in line
    db.session.commit()
    assert before <= fresh(cohort).full_at <= utcnow()
    assert (fresh(cohort).enrolled_count, fresh(cohort).waitlisted_count) == (2, 1)


def test_fewer_seats_that_are_all_held_fill_the_cohort(make_cohort, centre, staff, person):
    cohort = make_cohort(centre=centre, seats=3)
    applied(person(), cohort), applied(person(), cohort)
    change_seats(fresh(cohort), 2, actor=staff)
    db.session.commit()
    assert fresh(cohort).full_at is not None
    change_seats(fresh(cohort), 4, actor=staff)  # more seats again: it had filled, and that stays
    db.session.commit()
    assert fresh(cohort).full_at is not None


# The reserved seats filled, kept at the release ----------------------------------------------------------


def test_the_release_keeps_the_reserved_seats_held_then_whatever_comes_after(make_cohort, centre, staff, person):
    cohort = make_cohort(centre=centre, seats=4, reserved_women=2, reserved_rural=1)
    applied(person(), cohort), applied(person(), cohort)  # the open seats
    woman = applied(person(Gender.FEMALE), cohort)  # a women's seat
    assert release(fresh(cohort), actor=staff, now=utcnow()) is True
    db.session.commit()
    cohort = fresh(cohort)
    assert (cohort.released_held_women, cohort.released_held_rural, cohort.released_held_district) == (1, 0, 0)
    withdraw(woman, actor=woman.trainee.user)
    db.session.commit()
    cohort = fresh(cohort)
    assert (cohort.held_women, cohort.released_held_women) == (0, 1)
    assert recount() == []


def test_a_cohort_not_released_has_no_release_figures(make_cohort, centre, person):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    applied(person(Gender.FEMALE), cohort)
    cohort = fresh(cohort)
    assert (cohort.released_at, cohort.released_held_women) == (None, None)
