"""Selection (DESIGN.md, "Selection"; issue 16): reserved seats and seat offers, service by service, without
HTTP. Every refusal shows its message and leaves every table as it was."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from pages import audit_events

from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.offer_links import offer_for_token, offer_token
from enrollments.services import (
    EnrollmentRefused,
    NotAllowed,
    NotPossibleNow,
    accept,
    apply,
    approve,
    change_capacity,
    change_seats,
    decline,
    prospect,
    register_many,
    release,
    settle_for_timer,
    withdraw,
)
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import Admission, Area, EnrollmentStatus, Gender, Pool, Role

S = EnrollmentStatus


@pytest.fixture
def centre(make_centre):
    return make_centre()


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def person(make_user, make_trainee):
    """``person(gender=..., area=..., ...)``: a trainee with her own account (she applies online)."""

    def make(**fields):
        return make_trainee(user=make_user(Role.TRAINEE), **fields)

    return make


@pytest.fixture
def woman(person):
    return lambda **fields: person(gender=Gender.FEMALE, **fields)


@pytest.fixture
def man(person):
    return lambda **fields: person(gender=Gender.MALE, **fields)


def applied(trainee, cohort) -> Enrollment:
    enrollment = apply(trainee, cohort, actor=trainee.user).enrollment
    db.session.commit()
    return enrollment


def fresh(cohort: Cohort) -> Cohort:
    db.session.expire_all()
    return db.session.get(Cohort, cohort.id)


def state(*enrollments: Enrollment) -> list[tuple[S, Pool | None]]:
    for enrollment in enrollments:
        db.session.refresh(enrollment)
    return [(enrollment.status, enrollment.pool) for enrollment in enrollments]


def messages(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
    )


def refused(call, row_counts, refusal=EnrollmentRefused) -> EnrollmentRefused:
    """``call`` raises ``refusal`` and nothing is written."""
    before = row_counts()
    with pytest.raises(refusal) as raised:
        call()
    db.session.rollback()
    assert row_counts() == before
    return raised.value


def no_drift() -> bool:
    return recount() == []


# Reserved seats: open seats first ------------------------------------------------------------------


def test_open_seats_go_first_then_reserved_seats_to_those_who_qualify(make_cohort, centre, woman, man):
    cohort = make_cohort(centre=centre, seats=4, reserved_women=2)
    first_man, second_man, third_man = applied(man(), cohort), applied(man(), cohort), applied(man(), cohort)
    first_woman, second_woman, third_woman = (
        applied(woman(), cohort),
        applied(woman(), cohort),
        applied(woman(), cohort),
    )
    assert state(first_man, second_man, third_man) == [
        (S.ENROLLED, Pool.OPEN),
        (S.ENROLLED, Pool.OPEN),
        (S.WAITLISTED, None),
    ]
    assert state(first_woman, second_woman, third_woman) == [
        (S.ENROLLED, Pool.WOMEN),
        (S.ENROLLED, Pool.WOMEN),
        (S.WAITLISTED, None),
    ]
    cohort = fresh(cohort)
    assert (cohort.enrolled_count, cohort.held_women, cohort.waitlisted_count) == (4, 2, 2)
    assert no_drift()


def test_a_woman_takes_an_open_seat_while_one_is_free_keeping_the_reserved_ones(make_cohort, centre, woman, man):
    cohort = make_cohort(centre=centre, seats=3, reserved_women=1)
    assert state(applied(woman(), cohort), applied(woman(), cohort)) == [
        (S.ENROLLED, Pool.OPEN),
        (S.ENROLLED, Pool.OPEN),
    ]
    # The open seats are gone: a man waits, the next woman takes the reserved seat.
    assert state(applied(man(), cohort), applied(woman(), cohort)) == [(S.WAITLISTED, None), (S.ENROLLED, Pool.WOMEN)]


def test_of_several_reserved_pools_she_takes_the_one_with_the_most_free_seats(
    make_cohort, make_district, centre, woman
):
    cohort = make_cohort(centre=centre, seats=5, reserved_women=1, reserved_rural=2, reserved_district=1)
    assert state(applied(woman(), cohort), applied(woman(), cohort)) == [
        (S.ENROLLED, Pool.OPEN),
        (S.ENROLLED, Pool.WOMEN),
    ]
    rural_local = woman(area=Area.RURAL, district=centre.district)
    # Rural (2 free) beats district (1 free); then the district's seat, now tied with rural at 1, loses the
    # tie to rural (the order of the pools), so she takes the last rural seat.
    assert state(applied(rural_local, cohort)) == [(S.ENROLLED, Pool.RURAL)]
    assert state(applied(woman(area=Area.RURAL, district=centre.district), cohort)) == [(S.ENROLLED, Pool.RURAL)]
    assert state(applied(woman(district=centre.district), cohort)) == [(S.ENROLLED, Pool.DISTRICT)]
    assert fresh(cohort).enrolled_count == 5 and no_drift()


def test_residence_and_disability_pools_ask_who_she_is(make_cohort, make_district, centre, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_district=1, reserved_disability=1)
    applied(man(), cohort)
    elsewhere = man(district=make_district())
    assert state(applied(elsewhere, cohort)) == [(S.WAITLISTED, None)]
    assert state(applied(man(disability=True, district=make_district()), cohort)) == [(S.ENROLLED, Pool.DISABILITY)]
    assert state(applied(man(district=centre.district), cohort)) == [(S.ENROLLED, Pool.DISTRICT)]


def test_the_page_says_she_would_wait_when_only_seats_she_does_not_qualify_for_are_free(
    make_cohort, centre, woman, man
):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    applied(man(), cohort)
    assert prospect(man(), fresh(cohort)).action == "waitlist"
    assert prospect(woman(), fresh(cohort)).action == "apply"


# Reserved seats: freed seats go back to their pool -------------------------------------------------


def test_a_freed_womens_seat_passes_over_men_ahead_in_line(make_cohort, centre, woman, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    applied(man(), cohort)
    holder = applied(woman(), cohort)
    waiting_man, waiting_woman = applied(man(), cohort), applied(woman(), cohort)
    withdraw(holder, actor=holder.trainee.user)
    db.session.commit()
    assert state(waiting_man, waiting_woman) == [(S.WAITLISTED, None), (S.ENROLLED, Pool.WOMEN)]
    assert [m.trainee_id for m in messages("enrollment.promoted")] == [waiting_woman.trainee_id]
    assert no_drift()


def test_a_freed_open_seat_goes_to_the_first_in_line(make_cohort, centre, woman, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    open_holder = applied(man(), cohort)
    applied(woman(), cohort)
    waiting_man, waiting_woman = applied(man(), cohort), applied(woman(), cohort)
    withdraw(open_holder, actor=open_holder.trainee.user)
    db.session.commit()
    assert state(waiting_man, waiting_woman) == [(S.ENROLLED, Pool.OPEN), (S.WAITLISTED, None)]


def test_a_freed_reserved_seat_with_nobody_of_its_kind_in_line_stays_free_until_release(
    make_cohort, centre, woman, man
):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    applied(man(), cohort)
    holder = applied(woman(), cohort)
    waiting_man = applied(man(), cohort)
    withdraw(holder, actor=holder.trainee.user)
    db.session.commit()
    assert state(waiting_man) == [(S.WAITLISTED, None)]
    cohort = fresh(cohort)
    assert (pools.free(cohort, Pool.WOMEN), pools.free(cohort, Pool.OPEN)) == (1, 0)


# Release ------------------------------------------------------------------------------------------


def test_release_opens_unfilled_reserved_seats_and_the_line_moves_once(make_cohort, centre, man, staff):
    cohort = make_cohort(centre=centre, seats=3, reserved_women=2)
    applied(man(), cohort)
    first, second, third = applied(man(), cohort), applied(man(), cohort), applied(man(), cohort)
    assert release(fresh(cohort), actor=staff, now=utcnow()) is True
    db.session.commit()
    assert state(first, second, third) == [(S.ENROLLED, Pool.OPEN), (S.ENROLLED, Pool.OPEN), (S.WAITLISTED, None)]
    [event] = audit_events("cohort.release")
    assert event.before == {"women": {"reserved": 2, "held": 0}}
    assert release(fresh(cohort), actor=staff, now=utcnow()) is False  # once only
    assert len(audit_events("cohort.release")) == 1 and no_drift()


def test_a_cohort_touched_after_its_release_time_releases_before_anything_else(make_cohort, centre, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, release_at=utcnow() + timedelta(hours=1))
    applied(man(), cohort)
    waiting = applied(man(), cohort)
    later = utcnow() + timedelta(hours=2)
    newcomer = man()
    placed = apply(newcomer, cohort, actor=newcomer.user, now=later).enrollment
    db.session.commit()
    # The man who waited got the released seat first; the newcomer waits behind nobody who came later.
    assert state(waiting, placed) == [(S.ENROLLED, Pool.OPEN), (S.WAITLISTED, None)]
    assert [event.actor_id for event in audit_events("cohort.release")] == [None]


def test_the_timer_releases_due_cohorts_and_is_idempotent(app, make_cohort, centre, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, release_at=utcnow() - timedelta(minutes=1))
    applied_first = applied(man(), cohort)  # touching the cohort released it already: release on touch
    assert state(applied_first) == [(S.ENROLLED, Pool.OPEN)]
    other = make_cohort(centre=centre, seats=1, reserved_women=1, release_at=utcnow() - timedelta(minutes=1))
    db.session.execute(sa.update(Cohort).where(Cohort.id == other.id).values(released_at=None))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reserves", "release"])
    assert result.exit_code == 0 and "1 cohorts' reserved seats released" in result.output
    assert "0 cohorts' reserved seats released" in runner.invoke(args=["reserves", "release"]).output
    assert fresh(other).released_at is not None


# Changing reserved seats --------------------------------------------------------------------------


def test_reserved_seats_cannot_exceed_the_seats(make_cohort, centre, staff, row_counts):
    cohort = make_cohort(centre=centre, seats=4)
    refusal = refused(
        lambda: change_capacity(cohort, 4, reserved={Pool.WOMEN: 3, Pool.RURAL: 2}, actor=staff), row_counts
    )
    assert (refusal.message, refusal.field) == (
        "5 seats reserved, but the cohort has 4: reserve no more than its seats.",
        "reserved_women",
    )


def test_a_pool_cannot_shrink_below_the_seats_held_in_it(make_cohort, centre, staff, woman, man, row_counts):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    applied(man(), cohort)
    applied(woman(), cohort)
    refusal = refused(lambda: change_capacity(fresh(cohort), 2, reserved={Pool.WOMEN: 0}, actor=staff), row_counts)
    assert (refusal.message, refusal.field) == (
        "1 trainees hold seats of this kind: it cannot have fewer reserved seats than that.",
        "reserved_women",
    )


def test_reserving_seats_open_holders_already_took_is_refused(make_cohort, centre, staff, man, row_counts):
    cohort = make_cohort(centre=centre, seats=2)
    applied(man(), cohort), applied(man(), cohort)
    refusal = refused(lambda: change_capacity(fresh(cohort), 2, reserved={Pool.WOMEN: 1}, actor=staff), row_counts)
    assert refusal.message == (
        "2 trainees hold open seats: with these reserved seats only 1 would be open. Add seats or reserve fewer."
    )


def test_reserved_seats_cannot_change_once_released(make_cohort, centre, staff, row_counts):
    cohort = make_cohort(centre=centre, seats=4, reserved_women=2, released_at=utcnow())
    refusal = refused(
        lambda: change_capacity(cohort, 4, reserved={Pool.WOMEN: 1}, actor=staff), row_counts, NotPossibleNow
    )
    assert refusal.message.startswith("The reserved seats were released on ")


def test_fewer_reserved_seats_give_the_freed_open_seat_to_the_line(make_cohort, centre, staff, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1)
    applied(man(), cohort)
    waiting = applied(man(), cohort)
    given = change_capacity(fresh(cohort), 2, reserved={Pool.WOMEN: 0}, actor=staff)
    db.session.commit()
    assert given == [waiting] and state(waiting) == [(S.ENROLLED, Pool.OPEN)]
    assert [event.after for event in audit_events("cohort.reserves")] == [
        {"women": 0, "rural": 0, "district": 0, "disability": 0}
    ]


def test_more_seats_with_more_reserved_seats_at_once(make_cohort, centre, staff, woman, man):
    cohort = make_cohort(centre=centre, seats=1)
    applied(man(), cohort)
    waiting_man, waiting_woman = applied(man(), cohort), applied(woman(), cohort)
    change_capacity(fresh(cohort), 2, reserved={Pool.WOMEN: 1}, actor=staff)
    db.session.commit()
    assert state(waiting_man, waiting_woman) == [(S.WAITLISTED, None), (S.ENROLLED, Pool.WOMEN)]
    assert [e.action for e in audit_events()][-3:] == ["cohort.seats", "cohort.reserves", "enrollment.promote"]


def test_seats_cannot_go_below_the_seats_reserved(make_cohort, centre, staff, row_counts):
    cohort = make_cohort(centre=centre, seats=4, reserved_women=3)
    refusal = refused(lambda: change_seats(cohort, 2, actor=staff), row_counts)
    assert (refusal.message, refusal.field) == (
        "3 seats reserved, but the cohort has 2: reserve no more than its seats.",
        "seats",
    )


def test_the_database_refuses_more_held_than_reserved(make_cohort, centre):
    cohort = make_cohort(centre=centre, seats=4, reserved_women=1)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Cohort).where(Cohort.id == cohort.id).values(held_women=2, enrolled_count=2))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Cohort).where(Cohort.id == cohort.id).values(reserved_rural=4))
        db.session.flush()
    db.session.rollback()


# The other paths: approval, a whole list -----------------------------------------------------------


def test_approval_takes_seats_by_the_same_rule(make_cohort, centre, staff, woman, man):
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, admission=Admission.REVIEWED)
    pending = [applied(man(), cohort), applied(man(), cohort), applied(woman(), cohort)]
    for enrollment in pending:
        approve(enrollment, actor=staff)
    db.session.commit()
    assert state(*pending) == [(S.ENROLLED, Pool.OPEN), (S.WAITLISTED, None), (S.ENROLLED, Pool.WOMEN)]
    assert no_drift()


def test_a_whole_list_takes_seats_as_one_by_one_would(make_cohort, centre, staff, make_trainee):
    cohort = make_cohort(centre=centre, seats=3, reserved_women=1, reserved_rural=1)
    people = [
        make_trainee(gender=Gender.MALE),
        make_trainee(gender=Gender.MALE),
        make_trainee(gender=Gender.MALE, area=Area.RURAL),
        make_trainee(gender=Gender.FEMALE),
        make_trainee(gender=Gender.FEMALE),
    ]
    outcome = register_many(people, cohort, actor=staff)
    db.session.commit()
    placed = [outcome.placed[trainee.id] for trainee in people]
    assert state(*placed) == [
        (S.ENROLLED, Pool.OPEN),
        (S.WAITLISTED, None),
        (S.ENROLLED, Pool.RURAL),
        (S.ENROLLED, Pool.WOMEN),
        (S.WAITLISTED, None),
    ]
    assert no_drift()


# Offers -------------------------------------------------------------------------------------------


@pytest.fixture
def offering(make_cohort, centre, woman, man):
    """An offering cohort of 2 seats (1 for women), full, with a man then a woman in line."""
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, offers=True, offer_hours=48)
    holders = [applied(man(), cohort), applied(woman(), cohort)]
    line = [applied(man(), cohort), applied(woman(), cohort)]
    return cohort, holders, line


def test_a_freed_seat_from_the_line_is_offered_with_a_deadline(offering):
    cohort, (_, woman_holder), (waiting_man, waiting_woman) = offering
    before = utcnow()
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    assert state(waiting_man, waiting_woman) == [(S.WAITLISTED, None), (S.OFFERED, Pool.WOMEN)]
    assert before + timedelta(hours=48) <= waiting_woman.offer_expires_at <= utcnow() + timedelta(hours=48)
    cohort = fresh(cohort)
    assert (cohort.enrolled_count, cohort.offered_count, cohort.held_women, cohort.seats_left) == (1, 1, 1, 0)
    [message] = messages("enrollment.offered")
    assert message.trainee_id == waiting_woman.trainee_id and "/enrollments/offers/" in message.body
    assert [e.action for e in audit_events()][-2:] == ["enrollment.withdrawn", "enrollment.offer"]
    assert no_drift()


def test_she_accepts_her_offer(offering):
    _, (_, woman_holder), (_, waiting_woman) = offering
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    accept(waiting_woman, actor=waiting_woman.trainee.user)
    db.session.commit()
    assert state(waiting_woman) == [(S.ENROLLED, Pool.WOMEN)]
    cohort = fresh(waiting_woman.cohort)
    assert (cohort.enrolled_count, cohort.offered_count, cohort.held_women) == (2, 0, 1)
    assert [m.trainee_id for m in messages("enrollment.accepted")] == [waiting_woman.trainee_id]
    assert len(audit_events("enrollment.accept")) == 1 and no_drift()


def test_a_declined_offer_goes_to_the_next_who_qualifies(offering, woman):
    cohort, (_, woman_holder), (waiting_man, waiting_woman) = offering
    last_woman = applied(woman(), cohort)
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    next_one = decline(waiting_woman, actor=waiting_woman.trainee.user)
    db.session.commit()
    assert next_one == last_woman
    assert state(waiting_woman, waiting_man, last_woman) == [
        (S.DECLINED, Pool.WOMEN),
        (S.WAITLISTED, None),
        (S.OFFERED, Pool.WOMEN),
    ]
    assert len(audit_events("enrollment.decline")) == 1 and no_drift()


def test_an_offer_past_its_deadline_expires_when_the_cohort_is_touched(offering, man, row_counts):
    cohort, (_, woman_holder), (_, waiting_woman) = offering
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    later = waiting_woman.offer_expires_at + timedelta(minutes=1)
    # Accepting too late is refused; nothing is written (not even the expiry: the refusal rolls it back).
    refusal = refused(
        lambda: accept(waiting_woman, actor=waiting_woman.trainee.user, now=later), row_counts, NotPossibleNow
    )
    assert refusal.message == "This offer expired: the seat has gone to the next in line."
    newcomer = man()
    apply(newcomer, cohort, actor=newcomer.user, now=later)
    db.session.commit()
    assert state(waiting_woman) == [(S.DECLINED, Pool.WOMEN)]
    assert waiting_woman.reason == "The offer expired without an answer."
    [expired] = audit_events("enrollment.expire")
    assert expired.actor_id is None
    assert [m.trainee_id for m in messages("enrollment.expired")] == [waiting_woman.trainee_id]
    assert no_drift()


def test_the_timer_expires_reminds_once_and_can_run_again(app, offering, woman):
    _, (man_holder, woman_holder), (waiting_man, waiting_woman) = offering
    withdraw(man_holder, actor=man_holder.trainee.user)  # the open seat: offered to the first in line
    withdraw(woman_holder, actor=woman_holder.trainee.user)  # the women's seat: to the first woman
    db.session.commit()
    assert state(waiting_man, waiting_woman) == [(S.OFFERED, Pool.OPEN), (S.OFFERED, Pool.WOMEN)]
    # The man's offer ends within a day (reminder due), the woman's has ended (expires).
    now = utcnow()
    db.session.execute(
        sa.update(Enrollment).where(Enrollment.id == waiting_man.id).values(offer_expires_at=now + timedelta(hours=5))
    )
    db.session.execute(
        sa.update(Enrollment).where(Enrollment.id == waiting_woman.id).values(offer_expires_at=now - timedelta(hours=1))
    )
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["offers", "expire"])
    assert first.exit_code == 0
    assert first.output.startswith("1 offers expired, 1 reminders sent, 0 cohorts' reserved seats released")
    assert state(waiting_man, waiting_woman) == [(S.OFFERED, Pool.OPEN), (S.DECLINED, Pool.WOMEN)]
    second = runner.invoke(args=["offers", "expire"])
    assert second.output.startswith("0 offers expired, 0 reminders sent")
    assert [m.trainee_id for m in messages("enrollment.reminder")] == [waiting_man.trainee_id]
    assert len(audit_events("enrollment.expire")) == 1 and no_drift()


def test_a_timer_run_finding_nothing_due_changes_nothing(offering, row_counts):
    cohort, _, _ = offering
    before = row_counts()
    assert settle_for_timer(cohort.id, now=utcnow()) == {"expired": 0, "released": 0, "ended": 0, "reminded": 0}
    db.session.commit()
    assert row_counts() == before


def test_only_she_or_her_centres_staff_answer_an_offer(offering, woman, make_user, row_counts):
    _, (_, woman_holder), (_, waiting_woman) = offering
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    stranger = woman()
    refusal = refused(lambda: accept(waiting_woman, actor=stranger.user), row_counts, NotAllowed)
    assert refusal.message == "Only the trainee or her centre's staff can answer this offer."
    other_staff = make_user(Role.STAFF)
    refused(lambda: decline(waiting_woman, actor=other_staff), row_counts, NotAllowed)


def test_an_answered_offer_cannot_be_answered_again(offering, row_counts):
    _, (_, woman_holder), (_, waiting_woman) = offering
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    accept(waiting_woman, actor=waiting_woman.trainee.user)
    db.session.commit()
    refusal = refused(lambda: decline(waiting_woman, actor=waiting_woman.trainee.user), row_counts, NotPossibleNow)
    assert refusal.message == "There is no open offer here: the place is enrolled."


def test_withdrawing_from_an_offered_seat_declines_it_and_frees_the_seat(offering, woman):
    cohort, (_, woman_holder), (_, waiting_woman) = offering
    last_woman = applied(woman(), cohort)
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    withdraw(waiting_woman, actor=waiting_woman.trainee.user)
    db.session.commit()
    assert state(waiting_woman, last_woman) == [(S.DECLINED, Pool.WOMEN), (S.OFFERED, Pool.WOMEN)]
    assert [e.action for e in audit_events()][-2:] == ["enrollment.decline", "enrollment.offer"]
    assert no_drift()


def test_the_signed_link_answers_only_the_open_offer_it_was_made_for(offering):
    _, (_, woman_holder), (_, waiting_woman) = offering
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    token = offer_token(waiting_woman)
    assert offer_for_token(token) == waiting_woman
    damaged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]  # one signature character changed
    assert damaged != token and offer_for_token(damaged) is None
    assert offer_for_token("not-a-token") is None
    accept(waiting_woman, actor=None, by_link=True)
    db.session.commit()
    assert offer_for_token(token) is None  # answered: the link is spent
    assert [event.actor_id for event in audit_events("enrollment.accept")] == [None]


def test_offered_seats_count_against_the_seats(offering, woman):
    cohort, (_, woman_holder), _ = offering
    withdraw(woman_holder, actor=woman_holder.trainee.user)
    db.session.commit()
    # The freed seat is offered, so held: a newcomer (even a woman) waits.
    assert state(applied(woman(), cohort)) == [(S.WAITLISTED, None)]
    cohort = fresh(cohort)
    assert cohort.enrolled_count + cohort.offered_count == cohort.seats
