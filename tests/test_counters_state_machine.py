"""Numbers that stay right (issue 6, item 5): a hypothesis state machine drives the enrollment services in
random order over a small world, and after every step the counters agree with the enrollment table.

The world: one centre with three cohorts of two seats starting today (first come, mornings; reviewed,
afternoons; a women-only first-come camp, mornings, so that it clashes with the first), eight trainees
with accounts (women, men, a transgender trainee, one without the education the course needs) and a
member of the centre's staff. Steps are what people do: apply, register (one or a list), approve,
reject, withdraw, drop, change seats, move a cohort through its statuses, cancel it, correct a
trainee's gender or area. Each step commits like a request; a refusal (``refusals.Refusal``) is a
legitimate answer: it is rolled back and must have written nothing.

Selection (issue 16): the first-come cohort reserves a seat for women, the reviewed one a seat for rural
trainees and offers seats from its line, the camp reserves one for residents of the centre's district and
offers seats too. Steps also change reserved seats, release them, accept and decline offers, and let time
pass so that offers expire (by the timer, or when the cohort is next touched).

Merit admission (issue 16, item 2): a fourth cohort (evenings) admits by merit list, with a seat reserved for
women. Steps enter scores (for one place, or everyone who may be scored), close its window and publish its
list or a correction; the line then runs in rank order, and until a correction nobody who qualifies for a
pool waits behind a lower-ranked holder of that pool.

After every step: ``recount()`` finds no drift (the per-pool held counters and offered seats included),
no cohort holds more seats (enrolled + offered) than it has nor more of a pool than it reserves, until
release a reserved seat is held only by someone who qualifies, nobody who qualifies for a pool waits
behind someone who applied later and holds a seat of that pool (first come), every offer ends accepted,
declined or expired (the audit trail says so, and the place's offer mark says the same), a cohort that
holds every seat has its moment of filling, waitlist positions run 1..n without gaps, nobody holds more
than two active places (or two that clash), nobody waits in a cohort that has started, and every state
change wrote exactly one audit event (and nothing else wrote one).
Completion by rule (issue 17): steps give enrolled trainees attendance and enter marks (steps of 10, so a
mark exactly at the pass mark comes up); finishing a cohort decides every enrolled trainee (completed with a
certificate, or not completed with the reason); staff override a result with a reason. After every step
also: every completed place has a valid certificate and no other place does; every place not completed
has its reason and no other place has one.
A second test ends each run with ``flask oversight recount``, which must say "No drift.".

On failure hypothesis shrinks the run to the fewest steps that break a rule (this can take minutes: every
step works on the database) and prints them, with the seed that reproduces them.
"""

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from itertools import combinations, pairwise
from typing import ClassVar

from flask import current_app
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, update

from audit.models import AuditEvent
from auth.models import CentreMembership, UserAccount
from centres.models import Centre, District, Province
from certificates.models import Certificate
from clock import local_today
from courses.cohorts import change_status, next_statuses
from courses.models import Cohort, Course
from database import utcnow
from enrollments import pools
from enrollments.counters import recount
from enrollments.models import Enrollment, MeritList, Trainee
from enrollments.services import (
    accept,
    approve,
    cancel_cohort,
    change_capacity,
    change_seats,
    decline,
    drop,
    overlaps,
    override,
    reject,
    release,
    settle_for_timer,
    waitlist_position,
    whole_waitlist,
    withdraw,
)
from enrollments.services import apply as apply_online
from enrollments.services import register as register_one
from enrollments.services import register_many as register_list
from enrollments.services.marks import MarkEntry, enter_marks, markable_places
from enrollments.services.merit import ScoreEntry, enter_scores, publish, scorable_places
from enrollments.services.waitlist import promotes
from enrollments.trainees import TraineeDetails, update_trainee
from extensions import db
from refusals import Refusal
from tests.conftest import empty_all_tables
from vocabulary import (
    ACTIVE_ENROLLMENT_STATUSES,
    Admission,
    Area,
    CertificateStatus,
    CohortKind,
    CohortStatus,
    Education,
    EnrollmentStatus,
    Gender,
    Mode,
    OfferState,
    PartnerType,
    Pool,
    Role,
    Shift,
    Track,
)

S = EnrollmentStatus
SEATS = 2
# (gender, area, education) of each trainee; the last lacks the matriculation the course asks for.
PEOPLE = [
    (Gender.FEMALE, Area.RURAL, Education.INTERMEDIATE),
    (Gender.FEMALE, Area.URBAN, Education.BACHELOR),
    (Gender.FEMALE, Area.SEMI_URBAN, Education.MATRIC),
    (Gender.FEMALE, Area.RURAL, Education.MATRIC),
    (Gender.MALE, Area.RURAL, Education.INTERMEDIATE),
    (Gender.MALE, Area.URBAN, Education.BACHELOR),
    (Gender.TRANSGENDER, Area.SEMI_URBAN, Education.INTERMEDIATE),
    (Gender.FEMALE, Area.URBAN, Education.PRIMARY),
]
COHORT_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING, CohortStatus.FINISHED)
# Reasons staff give; an empty one is refused where a reason is needed.
REASONS = st.sampled_from(["", "Did not attend the aptitude test.", "Missed a third of the classes."])
WAITING = (S.PENDING, S.WAITLISTED)
HOLDING = (S.ENROLLED, S.OFFERED)
# What may follow a seat offer in an enrollment's audit trail: it ends accepted, declined or expired (or
# with its cohort, cancelled).
OFFER_ENDINGS = ("enrollment.accept", "enrollment.decline", "enrollment.expire", "enrollment.cancel")
# The mark each ending leaves on the place (``Enrollment.offer``: what the offer counters count).
OFFER_MARKS = {
    "enrollment.offer": OfferState.OPEN,
    "enrollment.accept": OfferState.ACCEPTED,
    "enrollment.decline": OfferState.DECLINED,
    "enrollment.expire": OfferState.EXPIRED,
    "enrollment.cancel": OfferState.CANCELLED,
}
# The cohorts where seats go by order of application (the reviewed one's go by staff decision), and the one
# where they go by merit list.
FIRST_COME = (0, 2)
MERIT = 3
STARTED = (CohortStatus.RUNNING, CohortStatus.FINISHED, CohortStatus.CANCELLED)


# Which places suit each staff action (the machine tries others too, to see them refused).
def is_pending(place: Enrollment) -> bool:
    return place.status is S.PENDING


def is_waiting(place: Enrollment) -> bool:
    return place.status in WAITING


def is_active(place: Enrollment) -> bool:
    return place.status in ACTIVE_ENROLLMENT_STATUSES


def is_enrolled(place: Enrollment) -> bool:
    return place.status is S.ENROLLED


def is_offered(place: Enrollment) -> bool:
    return place.status is S.OFFERED


def is_decided(place: Enrollment) -> bool:
    return place.status in (S.COMPLETED, S.NOT_COMPLETED)


def is_running_place(place: Enrollment) -> bool:
    return place.status is S.ENROLLED and place.cohort.status is CohortStatus.RUNNING


def some(suits: Callable[[Enrollment], bool]) -> Callable[["EnrollmentMachine"], bool]:
    """A precondition: some enrollment suits the action (so the machine spends its steps where they tell)."""
    return lambda machine: any(suits(place) for place in db.session.scalars(select(Enrollment)))


PERSON = st.integers(0, len(PEOPLE) - 1)
RESERVED = (Pool.WOMEN, Pool.RURAL, Pool.DISTRICT)
COHORT = st.integers(0, 3)
PICK = st.integers(0, 10_000)  # which enrollment (modulo how many there are)


def build_world() -> dict:
    """The small world every run starts from (committed); returns the ids the steps work with."""
    today = local_today()
    now = utcnow()
    province = Province(code="PB", name="Punjab", name_ur="")
    towns = District(province=province, code="LHR", name="Lahore", name_ur="", rural=False)
    villages = District(province=province, code="OKR", name="Okara", name_ur="", rural=True)
    centre = Centre(
        code="PB-LHR-01",
        name="Digital Skills Centre, Lahore",
        district=towns,
        address="1 Mall Road",
        partner_type=PartnerType.UNIVERSITY,
        partner_name="University of the Punjab",
        lab_seats=30,
    )
    course = Course(
        code="SWD-101",
        title="Web Development Foundations",
        track=Track.SOFTWARE_DEVELOPMENT,
        weeks=8,
        min_age=16,
        max_age=40,
        min_education=Education.MATRIC,
    )
    common = {
        "course": course,
        "centre": centre,
        "starts_on": today,
        "ends_on": today + timedelta(days=55),
        "mode": Mode.ON_SITE,
        "seats": SEATS,
        "applications_open_at": now - timedelta(days=7),
        "status": CohortStatus.OPEN,
    }
    regular = {"kind": CohortKind.REGULAR, **common}
    # Reserved seats are released at a time of the steps' choosing (``release_reserves``), not by the clock.
    later = now + timedelta(days=365)
    cohorts = [
        Cohort(
            code="PB-LHR-01-C01",
            shift=Shift.MORNING,
            admission=Admission.FIRST_COME,
            reserved_women=1,
            release_at=later,
            **regular,
        ),
        Cohort(
            code="PB-LHR-01-C02",
            shift=Shift.AFTERNOON,
            admission=Admission.REVIEWED,
            reserved_rural=1,
            release_at=later,
            offers=True,
            **regular,
        ),
        Cohort(
            code="PB-LHR-01-K01",
            kind=CohortKind.CAMP,
            women_only=True,
            shift=Shift.MORNING,
            admission=Admission.FIRST_COME,
            reserved_district=1,
            release_at=later,
            offers=True,
            **common,
        ),
        Cohort(
            code="PB-LHR-01-C03",
            shift=Shift.EVENING,
            admission=Admission.MERIT,
            reserved_women=1,
            release_at=later,
            offers=True,
            **regular,
        ),
    ]
    staff = UserAccount(email="staff.pb-lhr-01@markaz.test", password_hash="!", role=Role.STAFF)
    staff.memberships = [CentreMembership(centre=centre)]
    trainees = []
    for number, (gender, area, education) in enumerate(PEOPLE, start=1):
        account = UserAccount(email=f"trainee{number}@markaz.test", password_hash="!", role=Role.TRAINEE)
        trainees.append(
            Trainee(
                cnic=f"35202{number:07d}{number % 10}",
                full_name=f"Trainee {'ABCDEFGH'[number - 1]}",
                gender=gender,
                date_of_birth=date(2000, 3, number),
                phone=f"+92300{number:07d}",
                district=villages if area is Area.RURAL else towns,
                area=area,
                education=education,
                user=account,
            )
        )
    db.session.add_all([*cohorts, staff, *trainees])
    db.session.flush()
    for trainee in trainees:  # registered at the centre: its staff may correct their records
        trainee.registered_centre_id = centre.id
    db.session.commit()
    return {
        "staff": staff.id,
        "cohorts": [cohort.id for cohort in cohorts],
        "trainees": [trainee.id for trainee in trainees],
    }


def state() -> dict:
    """What an audit event must follow: every enrollment's status and scores, every cohort's status, seats
    and merit list versions, every trainee's gender and area, every certificate's status, and the last audit
    event."""
    cohorts = db.session.execute(
        select(
            Cohort.id,
            Cohort.status,
            Cohort.seats,
            Cohort.released_at,
            Cohort.reserved_women,
            Cohort.reserved_rural,
            Cohort.reserved_district,
            Cohort.reserved_disability,
            select(func.count(MeritList.id)).where(MeritList.cohort_id == Cohort.id).scalar_subquery(),
        )
    )
    trainees = db.session.execute(select(Trainee.id, Trainee.gender, Trainee.area))
    return {
        "enrollment": dict(db.session.execute(select(Enrollment.id, Enrollment.status)).all()),
        "scores": {
            row.id: (row.test_score, row.interview_score)
            for row in db.session.execute(select(Enrollment.id, Enrollment.test_score, Enrollment.interview_score))
        },
        "cohort": {row.id: tuple(row[1:]) for row in cohorts},
        # A save of marks writes one event on its cohort, whatever number of marks it changed.
        "marks": {
            cohort_id: tuple(sorted((place_id, str(mark)) for place_id, mark in places))
            for cohort_id, places in marks_by_cohort().items()
        },
        "trainee": {row.id: (row.gender, row.area) for row in trainees},
        # Completing a place issues its certificate: an event of its own, about the certificate.
        "certificate": dict(db.session.execute(select(Certificate.id, Certificate.status)).all()),
        "last_event": db.session.scalar(select(func.max(AuditEvent.id))) or 0,
    }


def target_places(cohort: Cohort) -> list[Enrollment]:
    """Every place of ``cohort``, in id order."""
    return list(db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id).order_by(Enrollment.id)))


def marks_by_cohort() -> dict[int, list]:
    """Each cohort's marks entered so far, as (enrollment id, mark) pairs."""
    found: dict[int, list] = {}
    rows = db.session.execute(
        select(Enrollment.cohort_id, Enrollment.id, Enrollment.mark).where(Enrollment.mark.is_not(None))
    )
    for cohort_id, place_id, mark in rows:
        found.setdefault(cohort_id, []).append((place_id, mark))
    return found


class EnrollmentMachine(RuleBasedStateMachine):
    """Random sequences of the enrollment services; the invariants are checked after every step."""

    def __init__(self) -> None:
        super().__init__()
        db.session.rollback()
        empty_all_tables()  # every run starts from the same world
        self.ids = build_world()
        self.outcomes: Counter[str] = Counter()
        # Trainees whose gender or area was corrected: a seat held before no longer says who she is.
        self.corrected: set[int] = set()

    def teardown(self) -> None:
        db.session.rollback()
        empty_all_tables()

    # Helpers -----------------------------------------------------------------------------------------

    @property
    def staff(self) -> UserAccount:
        return db.session.get(UserAccount, self.ids["staff"])

    def cohort(self, index: int) -> Cohort:
        return db.session.get(Cohort, self.ids["cohorts"][index])

    def trainee(self, index: int) -> Trainee:
        return db.session.get(Trainee, self.ids["trainees"][index])

    def enrollment(self, pick: int, suits: Callable[[Enrollment], bool], any_status: bool) -> Enrollment:
        """One of the enrollments: among those that ``suits`` the action (there is one: see the rules'
        preconditions), or with ``any_status`` among all, so that refusals are tried too."""
        everyone = db.session.scalars(select(Enrollment).order_by(Enrollment.id)).all()
        pool = everyone if any_status else [enrollment for enrollment in everyone if suits(enrollment)]
        return pool[pick % len(pool)]

    def attempt(self, name: str, action: Callable[[], object]) -> None:
        """Do ``action`` as a request would: commit when it succeeds, roll back when it is refused (and
        then nothing may have changed). Either way, check the audit trail against what changed."""
        before = state()
        try:
            action()
        except Refusal:
            db.session.rollback()
            self.outcomes[f"{name} refused"] += 1
            assert state() == before, f"{name} was refused but changed something"
            return
        db.session.commit()
        self.outcomes[name] += 1
        self.check_audit(name, before, state())

    def check_audit(self, name: str, before: dict, after: dict) -> None:
        """Exactly one audit event per state change, about the object that changed, and no other event."""
        expected: Counter[tuple[str, int]] = Counter()
        for kind in ("enrollment", "cohort", "trainee", "scores", "certificate", "marks"):
            missing = (None, None) if kind == "scores" else None
            for object_id in after[kind].keys() | before[kind].keys():
                if before[kind].get(object_id, missing) != after[kind].get(object_id, missing):
                    # A cohort whose status and seats both changed in one step would write two events;
                    # no single service does both (the steps change seats and reserved seats apart), nor
                    # changes a place's status and its scores at once.
                    owner = {"scores": "enrollment", "marks": "cohort"}.get(kind, kind)
                    expected[(owner, object_id)] += 1
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before["last_event"])).all()
        written = Counter((event.object_type, event.object_id) for event in events)
        assert written == expected, f"{name}: audit events {dict(written)} for changes {dict(expected)}"
        for event in events:
            if event.object_type == "enrollment" and event.action != "enrollment.score":
                assert event.after["status"] == after["enrollment"][event.object_id].value, event
                if event.object_id in before["enrollment"]:
                    assert event.before["status"] == before["enrollment"][event.object_id].value, event
                else:
                    assert event.action in ("enrollment.apply", "enrollment.register"), event

    # Trainees and staff applying ---------------------------------------------------------------------

    @initialize(people=st.lists(PERSON, max_size=len(PEOPLE)), cohort=COHORT)
    def first_intake(self, people, cohort):
        """Runs start with a list registered in one cohort (possibly empty), so that the steps find
        places to decide on from the start."""
        if people:
            self.register_many(people, cohort)

    @rule(person=PERSON, cohort=COHORT)
    def apply(self, person, cohort):
        trainee = self.trainee(person)
        self.attempt("apply", lambda: apply_online(trainee, self.cohort(cohort), actor=trainee.user))

    @rule(person=PERSON, cohort=COHORT)
    def register(self, person, cohort):
        self.attempt("register", lambda: register_one(self.trainee(person), self.cohort(cohort), actor=self.staff))

    @rule(people=st.lists(PERSON, min_size=1, max_size=5), cohort=COHORT)
    def register_many(self, people, cohort):
        trainees = [self.trainee(person) for person in people]
        self.attempt("register_many", lambda: register_list(trainees, self.cohort(cohort), actor=self.staff))

    # Staff decisions and withdrawals -----------------------------------------------------------------

    @precondition(some(is_pending))
    @rule(pick=PICK, any_status=st.booleans())
    def approve(self, pick, any_status):
        enrollment = self.enrollment(pick, is_pending, any_status)
        self.attempt("approve", lambda: approve(enrollment, actor=self.staff))

    @precondition(some(is_waiting))
    @rule(pick=PICK, any_status=st.booleans(), reason=REASONS)
    def reject(self, pick, any_status, reason):
        enrollment = self.enrollment(pick, is_waiting, any_status)
        self.attempt("reject", lambda: reject(enrollment, actor=self.staff, reason=reason))

    @precondition(some(is_active))
    @rule(pick=PICK, any_status=st.booleans(), by_herself=st.booleans())
    def withdraw(self, pick, any_status, by_herself):
        enrollment = self.enrollment(pick, is_active, any_status)
        actor = enrollment.trainee.user if by_herself else self.staff
        self.attempt("withdraw", lambda: withdraw(enrollment, actor=actor))

    @precondition(some(is_enrolled))
    @rule(pick=PICK, any_status=st.booleans(), reason=REASONS)
    def drop(self, pick, any_status, reason):
        enrollment = self.enrollment(pick, is_enrolled, any_status)
        self.attempt("drop", lambda: drop(enrollment, actor=self.staff, reason=reason))

    # Completion by rule -------------------------------------------------------------------------------

    @precondition(some(is_running_place))
    @rule(pick=PICK, held=st.integers(0, 10), present=st.integers(0, 10))
    def attend(self, pick, held, present):
        """Her attendance as the registers would count it (``days_marked``, ``days_present``): the machine
        sets the counters the attendance package keeps (its own registers are tested in ``test_attendance``)
        so that the threshold is met or not, or met exactly (7 of 10 at 70%)."""
        enrollment = self.enrollment(pick, is_running_place, False)
        enrollment.days_marked, enrollment.days_present = held, min(present, held)
        db.session.commit()

    @rule(cohort=COHORT, seed=st.integers(0, 1000), everyone=st.booleans(), pick=PICK)
    def enter_marks(self, cohort, seed, everyone, pick):
        """Marks in steps of 10 (50, the pass mark, among them) or blank: for everyone enrolled in a cohort, or
        for any one place of it (in any state, which the service may refuse)."""
        target = self.cohort(cohort)
        rng = random.Random(seed)
        places = markable_places(target) if everyone else list(target_places(target))[pick % 9 :][:1]
        if not places:
            return
        entries = [MarkEntry(place.id, rng.choice([None, *range(0, 101, 10)])) for place in places]
        self.attempt("enter_marks", lambda: enter_marks(target, entries, actor=self.staff))

    @precondition(some(is_decided))
    @rule(pick=PICK, any_status=st.booleans(), reason=REASONS)
    def override(self, pick, any_status, reason):
        enrollment = self.enrollment(pick, is_decided, any_status)
        self.attempt("override", lambda: override(enrollment, actor=self.staff, reason=reason))

    # Cohorts -----------------------------------------------------------------------------------------

    @rule(cohort=COHORT, seats=st.integers(0, 4))
    def change_seats(self, cohort, seats):
        target = self.cohort(cohort)
        # The same number changes nothing and writes no event (checked like a refusal would be).
        self.attempt("change_seats", lambda: change_seats(target, seats, actor=self.staff))

    @rule(cohort=COHORT, pool=st.sampled_from(RESERVED), seats=st.integers(0, 3))
    def change_reserves(self, cohort, pool, seats):
        target = self.cohort(cohort)
        self.attempt(
            "change_reserves",
            lambda: change_capacity(target, target.seats, reserved={pool: seats}, actor=self.staff),
        )

    @rule(cohort=COHORT, by_timer=st.booleans())
    def release_reserves(self, cohort, by_timer):
        """The release time comes: by the timer's command, or by staff releasing now."""
        target = self.cohort(cohort)
        db.session.execute(update(Cohort).where(Cohort.id == target.id).values(release_at=utcnow()))
        db.session.commit()
        if by_timer:
            self.attempt("release", lambda: settle_for_timer(target.id, now=utcnow()))
        else:
            self.attempt("release", lambda: release(self.cohort(cohort), actor=self.staff, now=utcnow()))

    # Offers ------------------------------------------------------------------------------------------

    @precondition(some(is_offered))
    @rule(pick=PICK, any_status=st.booleans(), by_herself=st.booleans())
    def accept(self, pick, any_status, by_herself):
        enrollment = self.enrollment(pick, is_offered, any_status)
        actor = enrollment.trainee.user if by_herself else self.staff
        self.attempt("accept", lambda: accept(enrollment, actor=actor))

    @precondition(some(is_offered))
    @rule(pick=PICK, any_status=st.booleans(), by_herself=st.booleans())
    def decline(self, pick, any_status, by_herself):
        enrollment = self.enrollment(pick, is_offered, any_status)
        actor = enrollment.trainee.user if by_herself else self.staff
        self.attempt("decline", lambda: decline(enrollment, actor=actor))

    @precondition(some(is_offered))
    @rule(pick=PICK, by_timer=st.booleans(), person=PERSON)
    def offer_expires(self, pick, by_timer, person):
        """An offer's deadline passes; the timer runs, or someone applies to the cohort (touching it)."""
        enrollment = self.enrollment(pick, is_offered, False)
        cohort_id = enrollment.cohort_id
        db.session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment.id)
            .values(offer_expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        if by_timer:
            self.attempt("expire", lambda: settle_for_timer(cohort_id, now=utcnow()))
        else:
            trainee = self.trainee(person)
            # A refusal rolls the expiry back with it; the timer (or the next touch) expires it later.
            self.attempt("expire", lambda: apply_online(trainee, db.session.get(Cohort, cohort_id), actor=trainee.user))

    @rule(cohort=COHORT, pick=PICK, any_status=st.booleans())
    def change_status(self, cohort, pick, any_status):
        """To one of the statuses the cohort may move to next, or (``any_status``) to any of open, closed,
        running and finished, which the service refuses where the move is not allowed."""
        target = self.cohort(cohort)
        choices = COHORT_STATUSES if any_status or not next_statuses(target) else next_statuses(target)
        to = choices[pick % len(choices)]
        self.attempt("change_status", lambda: change_status(target, to, actor=self.staff))

    # Merit admission ---------------------------------------------------------------------------------

    @rule(seed=st.integers(0, 1000), everyone=st.booleans(), pick=PICK)
    def enter_scores(self, seed, everyone, pick):
        """Scores in steps of 5 (so that totals tie): for everyone who may be scored now, or for any one
        place (of any cohort, in any state, which the service may refuse)."""
        cohort = self.cohort(MERIT)
        anyone = db.session.scalar(select(func.count(Enrollment.id)))
        places = scorable_places(cohort) if everyone or not anyone else [self.enrollment(pick, is_active, True)]
        rng = random.Random(seed)
        entries = [ScoreEntry(place.id, rng.randint(0, 20) * 5, rng.randint(0, 20) * 5) for place in places]
        if entries:
            self.attempt("enter_scores", lambda: enter_scores(cohort, entries, actor=self.staff))

    @initialize(people=st.lists(PERSON, min_size=2, max_size=len(PEOPLE)))
    def merit_intake(self, people):
        """Runs start with applicants waiting in the merit cohort too, so that lists get published."""
        self.register_many(people, MERIT)

    @precondition(lambda machine: machine.merit_waiting())
    @rule(skip=st.sampled_from(["nothing", "nothing", "closing", "scoring"]), seed=st.integers(0, 1000), reason=REASONS)
    def publish_merit_list(self, skip, seed, reason):
        """Publish the merit list (or, once published, a correction), as staff do: after scoring everyone
        waiting and closing the window (two steps, each checked as a request), or having skipped one."""
        cohort = self.cohort(MERIT)
        if skip != "scoring":
            self.enter_scores(seed, everyone=True, pick=0)
        if skip != "closing":
            db.session.execute(
                update(Cohort)
                .where(Cohort.id == cohort.id)
                .values(applications_close_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
        self.attempt("publish", lambda: publish(self.cohort(MERIT), actor=self.staff, reason=reason))

    def merit_waiting(self) -> bool:
        """Someone waits for a seat in the merit cohort (there is someone to rank)."""
        return bool(
            db.session.scalar(
                select(func.count(Enrollment.id)).where(
                    Enrollment.cohort_id == self.ids["cohorts"][MERIT], Enrollment.status.in_(WAITING)
                )
            )
        )

    @rule(cohort=COHORT, reason=REASONS)
    def cancel_cohort(self, cohort, reason):
        self.attempt("cancel_cohort", lambda: cancel_cohort(self.cohort(cohort), actor=self.staff, reason=reason))

    @rule(person=PERSON, gender=st.sampled_from(Gender), area=st.sampled_from(Area))
    def correct_trainee(self, person, gender, area):
        trainee = self.trainee(person)
        details = TraineeDetails(
            cnic=trainee.cnic,
            full_name=trainee.full_name,
            gender=gender,
            date_of_birth=trainee.date_of_birth,
            phone=trainee.phone,
            district_id=trainee.district_id,
            area=area,
            education=trainee.education,
            email=trainee.email,
        )
        self.attempt("update_trainee", lambda: update_trainee(trainee, details, actor=self.staff))
        corrected = db.session.get(Trainee, trainee.id, populate_existing=True)
        if (corrected.gender, corrected.area) == (gender, area):
            self.corrected.add(trainee.id)

    # Invariants --------------------------------------------------------------------------------------

    @invariant()
    def counters_agree_with_the_enrollment_table(self):
        assert recount() == []
        db.session.rollback()

    @invariant()
    def no_cohort_is_overbooked(self):
        for cohort in db.session.scalars(select(Cohort)):
            enrolled = db.session.scalar(
                select(func.count(Enrollment.id)).where(
                    Enrollment.cohort_id == cohort.id, Enrollment.status == S.ENROLLED
                )
            )
            assert enrolled == cohort.enrolled_count <= cohort.seats, cohort
            # A decided trainee kept her seat to the end: seats held never exceed seats either.
            assert cohort.enrolled_count + cohort.completed_count + cohort.not_completed_count <= cohort.seats, cohort
            # Offered seats are held: never more held than seats, nor more of a pool than it reserves.
            assert cohort.enrolled_count + cohort.offered_count <= cohort.seats, cohort
            assert all(pools.held(cohort, pool) <= pools.reserved(cohort, pool) for pool in RESERVED), cohort
            assert pools.total_reserved(cohort) <= cohort.seats, cohort

    @invariant()
    def until_release_reserved_seats_are_held_by_those_who_qualify(self):
        holders = select(Enrollment).where(Enrollment.status.in_(HOLDING), Enrollment.pool.in_(RESERVED))
        for place in db.session.scalars(holders):
            if place.cohort.released_at is None and place.trainee_id not in self.corrected:
                assert pools.qualifies(place.trainee, place.cohort, place.pool), place

    @invariant()
    def nobody_who_qualifies_waits_behind_a_later_holder_of_the_pool(self):
        for index in FIRST_COME:
            cohort = self.cohort(index)
            places = db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all()
            elsewhere = {  # her other places may have kept her from a seat when it freed (the limits)
                place.trainee_id
                for place in db.session.scalars(select(Enrollment).where(Enrollment.cohort_id != cohort.id))
            }
            holders = [place for place in places if place.status in HOLDING]
            for waiting in (place for place in places if place.status is S.WAITLISTED):
                if waiting.trainee_id in self.corrected | elsewhere:
                    continue
                for holder in holders:
                    later = (holder.applied_at, holder.id) > (waiting.applied_at, waiting.id)
                    if later and holder.pool is not None and holder.trainee_id not in self.corrected:
                        assert not pools.qualifies(waiting.trainee, cohort, holder.pool), (waiting, holder)

    @invariant()
    def nobody_who_qualifies_waits_behind_a_lower_ranked_holder_of_the_pool(self):
        """In the merit cohort, until a correction (which never takes a seat back): a holder of a pool ranks
        above everyone in line who qualifies for it."""
        cohort = self.cohort(MERIT)
        versions = db.session.scalar(select(func.count(MeritList.id)).where(MeritList.cohort_id == cohort.id))
        if versions != 1:
            return
        places = db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all()
        elsewhere = {
            place.trainee_id
            for place in db.session.scalars(select(Enrollment).where(Enrollment.cohort_id != cohort.id))
        }
        holders = [place for place in places if place.status in HOLDING and place.trainee_id not in self.corrected]
        for waiting in (place for place in places if place.status is S.WAITLISTED):
            if waiting.trainee_id in self.corrected | elsewhere:
                continue
            for holder in holders:
                if holder.merit_rank > waiting.merit_rank:
                    assert not pools.qualifies(waiting.trainee, cohort, holder.pool), (waiting, holder)

    @invariant()
    def every_offer_ends_accepted_declined_or_expired(self):
        trail: dict[int, list[str]] = {}
        # Scores entered (a merit list's, counting from its next correction) do not change where a place stands.
        events = (
            select(AuditEvent)
            .where(AuditEvent.object_type == "enrollment", AuditEvent.action != "enrollment.score")
            .order_by(AuditEvent.id)
        )
        for event in db.session.scalars(events):
            trail.setdefault(event.object_id, []).append(event.action)
        for actions in trail.values():
            for action, following in pairwise(actions):
                if action == "enrollment.offer":
                    assert following in OFFER_ENDINGS, actions
        # Each place's offer mark says how its offer ended, as its trail does (none: never offered).
        for place in db.session.scalars(select(Enrollment)):
            actions = trail.get(place.id, [])
            if "enrollment.offer" not in actions:
                assert place.offer is None, (place, actions)
                continue
            last_offer = len(actions) - 1 - actions[::-1].index("enrollment.offer")
            ending = actions[last_offer + 1] if last_offer + 1 < len(actions) else "enrollment.offer"
            assert place.offer is OFFER_MARKS[ending], (place, actions)
        # An offer still open has its deadline (an ended one keeps it, as history).
        for place in db.session.scalars(select(Enrollment).where(Enrollment.status == S.OFFERED)):
            assert place.offer_expires_at is not None and trail[place.id][-1] == "enrollment.offer", place

    @invariant()
    def a_completed_place_has_a_valid_certificate_and_a_not_completed_one_its_reason(self):
        valid = set(
            db.session.scalars(select(Certificate.enrollment_id).where(Certificate.status == CertificateStatus.VALID))
        )
        for place in db.session.scalars(select(Enrollment)):
            assert (place.status is S.COMPLETED) == (place.id in valid), place
            assert (place.status is S.NOT_COMPLETED) == (place.not_completed_reason is not None), place
            if place.status in (S.COMPLETED, S.NOT_COMPLETED):
                assert place.cohort.status is CohortStatus.FINISHED, place

    @invariant()
    def a_cohort_that_held_every_seat_has_filled(self):
        for cohort in db.session.scalars(select(Cohort)):
            if cohort.enrolled_count + cohort.offered_count >= cohort.seats > 0:
                assert cohort.full_at is not None, cohort

    @invariant()
    def waitlists_run_from_one_without_gaps(self):
        for cohort in db.session.scalars(select(Cohort)):
            line = list(whole_waitlist(cohort))
            assert [waitlist_position(enrollment) for enrollment in line] == list(range(1, len(line) + 1))
            assert len(line) == cohort.waitlisted_count

    @invariant()
    def nobody_holds_more_than_two_places_or_two_that_clash(self):
        held: dict[int, list[Cohort]] = {}
        active = select(Enrollment).where(Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES))
        for enrollment in db.session.scalars(active):
            held.setdefault(enrollment.trainee_id, []).append(enrollment.cohort)
        for trainee_id, cohorts in held.items():
            assert len(cohorts) <= current_app.config["MAX_ACTIVE_PLACES"], (trainee_id, cohorts)
            assert not any(overlaps(first, second) for first, second in combinations(cohorts, 2)), (trainee_id, cohorts)

    @invariant()
    def nobody_waits_for_a_cohort_past_its_backfill_window(self):
        """Once a cohort has started nobody waits for it, but through its backfill window (issue 17: the
        first days of a running cohort, when a freed seat still goes to the line)."""
        started = db.session.scalars(
            select(Cohort)
            .join(Enrollment, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.status.in_(WAITING), Cohort.status.in_(STARTED))
            .distinct()
        ).all()
        assert [cohort.code for cohort in started if not promotes(cohort, utcnow())] == []


RUNS = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_random_service_calls_keep_every_counter_right(app):
    run_state_machine_as_test(EnrollmentMachine, settings=RUNS)


class RecountedAfterEachRun(EnrollmentMachine):
    """The machine, ending each run with ``flask oversight recount`` over what the run left."""

    reports: ClassVar[list[tuple[int, str, int]]] = []

    def teardown(self) -> None:
        places = db.session.scalar(select(func.count(Enrollment.id)))
        result = current_app.test_cli_runner().invoke(args=["oversight", "recount"])
        type(self).reports.append((result.exit_code, result.output, places))
        super().teardown()


def test_flask_oversight_recount_finds_no_drift_after_random_runs(app):
    RecountedAfterEachRun.reports = []
    run_state_machine_as_test(RecountedAfterEachRun, settings=settings(RUNS, max_examples=8, stateful_step_count=30))
    assert RecountedAfterEachRun.reports
    assert any(places for _, _, places in RecountedAfterEachRun.reports), "no run made a single enrollment"
    for exit_code, output, _ in RecountedAfterEachRun.reports:
        assert (exit_code, output) == (0, "No drift.\n")


def test_flask_oversight_recount_reports_a_counter_out_of_step(app):
    """The command the runs above rely on does notice drift: a counter changed behind the services'
    back is named, with its stored and actual values, and the command fails."""
    ids = build_world()
    trainee = db.session.get(Trainee, ids["trainees"][0])
    apply_online(trainee, db.session.get(Cohort, ids["cohorts"][0]), actor=trainee.user)
    db.session.commit()
    db.session.execute(update(Cohort).where(Cohort.id == ids["cohorts"][0]).values(women_count=0))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["oversight", "recount"])
    assert result.exit_code == 1
    assert result.output == (
        "PB-LHR-01-C01: women_count stored 0, actual 1\n1 counters drift (run with --fix to correct them).\n"
    )
