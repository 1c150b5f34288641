"""Merit admission (DESIGN.md, "Selection"; issue 16): applications wait (``pending``) until the window
closes; staff enter each applicant's test and interview scores (``enter_scores``); publishing the merit list
(``publish``) ranks everyone by total score and gives the seats by rank, as offers.

- **Total** = test × w + interview × (1 − w), w the cohort's ``test_weight`` (percent, 70 by default),
  rounded to two decimals (``total_score``); the rank is by that total, highest first, ties going to the
  earlier application (``applied_at``, then id).
- **Seats by rank**: the open seats go to the best ranked; then each reserved pool's seats, in the order
  of ``RESERVED_POOLS``, go by rank among those not yet placed who qualify for it; everyone else waits in
  line, in rank order (``rules.line_order``). Seats are always offered (``Cohort.offers``): each offer has
  the cohort's deadline, and a declined or expired one goes to the next in line who qualifies
  (``waitlist.promote_next``, in rank order).
- **Versions**: a list is published once (version 1, ``merit_list.publish``). Publishing again is a
  correction (``merit_list.correct``): it needs a written reason, ranks again with the scores as they are
  now, never takes a seat from anyone who holds one (offered or enrolled), re-orders the line by the new
  ranks and gives any seat that is free by them. Scores entered after the first publication count from the
  next correction. Each version is kept (``MeritList``) and shown, the latest first.

Every function takes the acting user, checks before it writes, records one audit event per change,
flushes and never commits. Publishing locks the cohort first, so it never races an application, an offer's
answer or another publication.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_manage_cohort
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.identity import DECIMAL_DIGITS
from enrollments.models import Enrollment, MeritList, application_number
from enrollments.services.changes import audit, lock_cohort, lock_trainees, move, take_seat
from enrollments.services.lists import SEAT_COUNTERS
from enrollments.services.messages import tell
from enrollments.services.rules import NotAllowed, NotPossibleNow, ReasonRequired, limits_refusal
from enrollments.services.waitlist import fill
from extensions import db
from language import deadline
from listing import LARGEST_ID
from refusals import EntriesRefused, EntryProblem, Refusal
from vocabulary import RESERVED_POOLS, Admission, CohortStatus, EnrollmentStatus, Pool

S = EnrollmentStatus
DEFAULT_TEST_WEIGHT = 70
HIGHEST_SCORE = 100
# The places a merit list ranks: those still waiting for a seat, and those holding one.
RANKED_STATUSES = (S.PENDING, S.WAITLISTED, S.OFFERED, S.ENROLLED)
# The places waiting for a seat, which publishing places by rank.
WAITING_STATUSES = (S.PENDING, S.WAITLISTED)
# A merit list is published (and corrected) while the cohort has not started.
PUBLISHING_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED)
# How many application numbers a refusal lists (the rest are counted).
LISTED_NUMBERS = 10
# The most scores entered at once (a sheet holds at most as many rows as an imported list).
MAX_SCORES_AT_ONCE = 20_000
MAX_REASON_LENGTH = 1000
CENT = Decimal("0.01")


# Checking -------------------------------------------------------------------------------------------


def check_test_weight(value: Any) -> int:
    """The test's weight, a whole percent from 0 to 100 (``Refusal`` on "test_weight")."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= HIGHEST_SCORE:
        raise Refusal(
            _("The test's weight is a whole percent from 0 to 100 (the interview counts for the rest)."),
            "test_weight",
        )
    return value


def read_score(value: Any, field: str) -> float | None:
    """A score as typed (``72``, ``72.5``, ``٧٢``, a number cell): a number from 0 to 100 with at most two
    decimals. None when empty. ``Refusal`` on ``field`` ("test" or "interview") otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    wrong = Refusal(
        _("Enter the test score as a number from 0 to 100.")
        if field == "test"
        else _("Enter the interview score as a number from 0 to 100."),
        field,
    )
    if isinstance(value, bool):
        raise wrong
    try:
        number = Decimal(str(value).strip().translate(DECIMAL_DIGITS).replace("٫", "."))
    except InvalidOperation:
        raise wrong from None
    if not number.is_finite() or not 0 <= number <= HIGHEST_SCORE:
        raise wrong
    if number != number.quantize(CENT):
        raise Refusal(
            _("A test score has at most two decimals, e.g. 72.25.")
            if field == "test"
            else _("An interview score has at most two decimals, e.g. 72.25."),
            field,
        )
    return float(number)


def total_score(test: float, interview: float, test_weight: int) -> Decimal:
    """test × w + interview × (1 − w), w = ``test_weight`` percent, rounded half up to two decimals: the
    number the list shows and ranks by (so that two totals that read the same are a tie)."""
    weight = Decimal(test_weight)
    total = (Decimal(str(test)) * weight + Decimal(str(interview)) * (HIGHEST_SCORE - weight)) / HIGHEST_SCORE
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def masked_name(full_name: str) -> str:
    """What the public list shows of a name: the first name and the initial of the last (``Ayesha K.``,
    ``عائشہ خ.``); a single name as it is."""
    words = full_name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def require_merit_manager(actor: UserAccount, cohort: Cohort) -> None:
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can enter scores and publish its merit list."))
    if cohort.admission is not Admission.MERIT:
        raise NotPossibleNow(_("This cohort does not admit by merit list: it has no scores to enter."))


def applications_closed(cohort: Cohort, now: datetime) -> bool:
    """Whether ``cohort``'s applications have closed for good enough to rank them: staff closed the cohort,
    or its window's end has passed. (A cohort whose window has not opened yet is not closed.)"""
    closes = cohort.applications_close_at
    return cohort.status is CohortStatus.CLOSED or (closes is not None and closes < now)


def require_before_start(cohort: Cohort) -> None:
    if cohort.status not in PUBLISHING_STATUSES:
        raise NotPossibleNow(
            _(
                "Scores and the merit list change only before training starts: this cohort is %(status)s.",
                status=cohort.status.label.lower(),
            )
        )


# Reading --------------------------------------------------------------------------------------------


def latest_list(cohort: Cohort) -> MeritList | None:
    """The latest published version of ``cohort``'s merit list (None: not published)."""
    return db.session.scalar(
        select(MeritList).where(MeritList.cohort_id == cohort.id).order_by(MeritList.version.desc()).limit(1)
    )


def list_versions(cohort: Cohort) -> list[MeritList]:
    """Every published version of ``cohort``'s list, the latest first."""
    return list(
        db.session.scalars(select(MeritList).where(MeritList.cohort_id == cohort.id).order_by(MeritList.version.desc()))
    )


def published(cohort: Cohort) -> bool:
    return db.session.scalar(select(func.count(MeritList.id)).where(MeritList.cohort_id == cohort.id)) > 0


def scorable_statuses(cohort: Cohort) -> tuple[EnrollmentStatus, ...]:
    """The places whose scores may be entered: the pending ones before the list is published; afterwards
    every ranked place (a change counts from the next correction)."""
    return RANKED_STATUSES if published(cohort) else (S.PENDING,)


def scorable_places(cohort: Cohort) -> list[Enrollment]:
    """The places of ``cohort`` whose scores may be entered now, with their trainees, in the merit list's
    order when there is one (else in order of application)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(scorable_statuses(cohort)))
            .options(selectinload(Enrollment.trainee))
            .order_by(func.coalesce(Enrollment.merit_rank, 2**31 - 1), Enrollment.applied_at, Enrollment.id)
        )
    )


# Entering scores ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreEntry:
    """Scores for one place as given (typed text, a number cell, or None for a blank)."""

    enrollment_id: Any
    test: Any
    interview: Any


def is_row_id(value: Any) -> bool:
    """Whether ``value`` can be a row's id (a number the database can hold: larger ones are nobody's)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LARGEST_ID


class ScoresRefused(EntriesRefused):
    """Some of the scores given are wrong: nothing was saved. ``problems`` names each entry and field
    ("enrollment_id", "test" or "interview")."""

    code = "invalid_scores"

    def __init__(self, problems: list[EntryProblem]) -> None:
        super().__init__(
            ngettext(
                "%(num)d score is not right: nothing was saved. Correct it and save again.",
                "%(num)d scores are not right: nothing was saved. Correct them and save again.",
                len(problems),
            ),
            problems,
        )


def enter_scores(
    cohort: Cohort, entries: list[ScoreEntry], *, actor: UserAccount, now: datetime | None = None
) -> list[Enrollment]:
    """Save the test and interview scores of ``entries`` (places of ``cohort``), all or none.

    Rules: staff of the cohort's centre (``NotAllowed``); a merit cohort that has not started
    (``NotPossibleNow``); the entries as ``check_scores`` checks them (any problem: ``ScoresRefused``
    listing every one, nothing written). Records ``enrollment.score`` (before and after) for each place
    whose scores change. Returns the places changed."""
    require_merit_manager(actor, cohort)
    cohort = lock_cohort(cohort, now)
    changes = check_scores(cohort, entries)
    for place, test, interview in changes:
        before = {"test": place.test_score, "interview": place.interview_score}
        place.test_score, place.interview_score = test, interview
        db.session.flush()
        record(
            actor,
            "enrollment.score",
            place,
            before=before,
            after={"test": test, "interview": interview, "cohort": cohort.code, "trainee_id": place.trainee_id},
            centre_id=cohort.centre_id,
        )
    return [place for place, _test, _interview in changes]


def check_scores(cohort: Cohort, entries: list[ScoreEntry]) -> list[tuple[Enrollment, float, float]]:
    """The scores ``entries`` would change, read-only (an uploaded sheet is checked so before it is shown
    for saving): 1 to 20,000 entries; each names a place of this cohort once, one that may be scored now
    (``scorable_statuses``: pending before the list is published, any ranked place after, when the change
    counts from the next correction), with both scores, numbers from 0 to 100 with at most two decimals;
    an entry with both scores blank is skipped. ``NotPossibleNow`` once the cohort has started;
    ``ScoresRefused`` listing every problem. Returns (place, test, interview) for each place whose scores
    differ."""
    if cohort.admission is not Admission.MERIT:
        raise NotPossibleNow(_("This cohort does not admit by merit list: it has no scores to enter."))
    if not entries:
        raise Refusal(_("Enter the scores of at least one applicant."), "items")
    if len(entries) > MAX_SCORES_AT_ONCE:
        raise Refusal(_("Enter at most %(most)s scores at once.", most=format_number(MAX_SCORES_AT_ONCE)), "items")
    require_before_start(cohort)
    allowed = scorable_statuses(cohort)
    wanted = {entry.enrollment_id for entry in entries if is_row_id(entry.enrollment_id)}
    places = {
        place.id: place
        for place in db.session.scalars(
            select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.id.in_(wanted))
        )
    }
    problems: list[EntryProblem] = []
    seen: set[int] = set()
    changes: list[tuple[Enrollment, float, float]] = []
    for index, entry in enumerate(entries):
        place = places.get(entry.enrollment_id) if is_row_id(entry.enrollment_id) else None
        if place is None:
            problems.append(EntryProblem(index, "enrollment_id", _("No application with this number in this cohort.")))
            continue
        if place.id in seen:
            problems.append(
                EntryProblem(index, "enrollment_id", _("Application %(number)s is given twice.", number=place.number))
            )
            continue
        seen.add(place.id)
        if place.status not in allowed:
            problems.append(
                EntryProblem(
                    index,
                    "enrollment_id",
                    _(
                        "Application %(number)s is %(status)s: its scores cannot change.",
                        number=place.number,
                        status=place.status.label.lower(),
                    ),
                )
            )
            continue
        scores = {}
        for field, value in (("test", entry.test), ("interview", entry.interview)):
            try:
                scores[field] = read_score(value, field)
            except Refusal as refusal:
                problems.append(EntryProblem(index, field, refusal.message))
        if len(scores) < 2:
            continue
        if scores["test"] is None and scores["interview"] is None:
            continue  # a blank row: nothing to save for her yet
        if scores["test"] is None or scores["interview"] is None:
            blank = "test" if scores["test"] is None else "interview"
            problems.append(EntryProblem(index, blank, _("Enter both scores, or leave both empty.")))
            continue
        if (place.test_score, place.interview_score) != (scores["test"], scores["interview"]):
            changes.append((place, scores["test"], scores["interview"]))
    if problems:
        raise ScoresRefused(problems)
    return changes


# Publishing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A place in rank order, with its total score."""

    enrollment: Enrollment
    total: Decimal
    rank: int


@dataclass(frozen=True)
class Plan:
    """What publishing ``cohort``'s list now would do: the ranking, the pool of the seat offered to each
    place that gets one (by enrollment id), and the places that would wait in line."""

    version: int
    ranked: list[Ranked]
    seats: dict[int, Pool]

    @property
    def waiting(self) -> list[Ranked]:
        return [
            row
            for row in self.ranked
            if row.enrollment.status in WAITING_STATUSES and row.enrollment.id not in self.seats
        ]

    def offered_in(self, pool: Pool) -> int:
        return sum(1 for seat in self.seats.values() if seat is pool)


def rank(places: list[Enrollment], test_weight: int) -> list[Ranked]:
    """``places`` (all scored) by total score, highest first; ties to the earlier application."""
    totals = {place.id: total_score(place.test_score, place.interview_score, test_weight) for place in places}
    ordered = sorted(places, key=lambda place: (-totals[place.id], place.applied_at, place.id))
    return [Ranked(place, totals[place.id], number) for number, place in enumerate(ordered, start=1)]


def unscored_refusal(unscored: list[Enrollment]) -> NotPossibleNow:
    numbers = [place.number for place in unscored[:LISTED_NUMBERS]]
    listed = ", ".join(numbers)
    if len(unscored) > LISTED_NUMBERS:
        listed = _("%(numbers)s and %(more)s more", numbers=listed, more=format_number(len(unscored) - LISTED_NUMBERS))
    return NotPossibleNow(
        ngettext(
            "%(num)d applicant has no scores yet (application %(numbers)s). Enter both scores for everyone, or "
            "reject an applicant who did not come, with a reason, before publishing.",
            "%(num)d applicants have no scores yet (applications %(numbers)s). Enter both scores for everyone, "
            "or reject an applicant who did not come, with a reason, before publishing.",
            len(unscored),
            numbers=listed,
        )
    )


def plan_publication(cohort: Cohort, now: datetime | None = None) -> Plan:
    """What ``publish`` would do to ``cohort`` at ``now``, read-only; raises what ``publish`` would
    (``NotPossibleNow``: applications still open, the cohort started, nobody to rank, applicants without
    scores). Open seats go first, by rank, then each reserved pool's seats by rank among those who qualify
    (seats a correction finds free included); those holding a seat keep it."""
    now = now or utcnow()
    if cohort.admission is not Admission.MERIT:
        raise NotPossibleNow(_("This cohort does not admit by merit list: it has no scores to enter."))
    require_before_start(cohort)
    if not applications_closed(cohort, now):
        if cohort.applications_close_at is not None:
            raise NotPossibleNow(
                _(
                    "Applications are open until %(when)s: publish the merit list once they close, or close "
                    "applications first.",
                    when=deadline(cohort.applications_close_at),
                )
            )
        raise NotPossibleNow(_("Applications are still open: close applications before publishing the merit list."))
    places = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(RANKED_STATUSES))
            .options(selectinload(Enrollment.trainee))
            .order_by(Enrollment.applied_at, Enrollment.id)
        )
    )
    if not any(place.status in WAITING_STATUSES for place in places):
        raise NotPossibleNow(_("Nobody is waiting for a seat: there is no one to rank."))
    unscored = [place for place in places if place.test_score is None or place.interview_score is None]
    if unscored:
        raise unscored_refusal(unscored)
    ranked = rank(places, cohort.test_weight)
    # The seats as they would be after each offer, without writing: a copy of the counters pools reads.
    seats_now = SimpleNamespace(
        **{name: getattr(cohort, name) for name in SEAT_COUNTERS}, released_at=cohort.released_at, centre=cohort.centre
    )
    waiting = [row.enrollment for row in ranked if row.enrollment.status in WAITING_STATUSES]
    seats: dict[int, Pool] = {}
    for pool in (Pool.OPEN, *RESERVED_POOLS):
        for place in waiting:
            if pools.free(seats_now, pool) <= 0:
                break
            if place.id in seats or not pools.qualifies(place.trainee, cohort, pool):
                continue
            seats[place.id] = pool
            seats_now.offered_count += 1
            if pool is not Pool.OPEN:
                setattr(seats_now, f"held_{pool.value}", getattr(seats_now, f"held_{pool.value}") + 1)
    version = (db.session.scalar(select(func.max(MeritList.version)).where(MeritList.cohort_id == cohort.id)) or 0) + 1
    return Plan(version, ranked, seats)


def publish(cohort: Cohort, *, actor: UserAccount, reason: str = "", now: datetime | None = None) -> MeritList:
    """Publish ``cohort``'s merit list (version 1), or a correction of it (a later version, ``reason``
    required): rank everyone waiting or holding a seat, offer the free seats by rank (``plan_publication``:
    open seats first, then each reserved pool among those who qualify), and put everyone else in line by
    rank. Nobody holding a seat loses it.

    Refused, nothing written: ``NotAllowed`` unless staff of the cohort's centre; ``NotPossibleNow`` when
    the cohort is not a merit one, has started, still takes applications, has nobody waiting, or someone
    waiting has no scores (up to ten application numbers listed); ``ReasonRequired`` for a correction with
    no reason.

    Writes, in one transaction with the cohort locked: each place's rank; each offer (``enrollment.offer``,
    with the cohort's deadline; she is told); each newly waiting place (``enrollment.wait``; she is told her
    rank and place in line), and in a correction a message to everyone whose place in line moved; the
    version (``MeritList``, its entries masked) and ``merit_list.publish`` or ``merit_list.correct`` with
    the version number."""
    require_merit_manager(actor, cohort)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise Refusal(_("Keep the reason under 1,000 characters."), "reason")
    cohort = lock_cohort(cohort, now)
    now = now or utcnow()
    plan = plan_publication(cohort, now)
    if plan.version > 1 and not reason:
        raise ReasonRequired(
            _("A published merit list is corrected only with a reason: it is shown with the new version.")
        )
    line_before = [
        row.enrollment.id
        for row in sorted(plan.ranked, key=lambda row: old_line_key(row.enrollment))
        if row.enrollment.status is S.WAITLISTED
    ]
    for row in plan.ranked:
        row.enrollment.merit_rank = row.rank
    db.session.flush()

    offered = 0
    for row in plan.ranked:
        place, pool = row.enrollment, plan.seats.get(row.enrollment.id)
        if pool is None:
            continue
        lock_trainees(place.trainee_id)
        if limits_refusal(place.trainee, cohort, excluding=place) is not None or not take_seat(
            cohort, pool, offer=True
        ):
            continue  # she waits in line instead; any seat left free goes by rank below (``fill``)
        place.offer_expires_at = now + timedelta(hours=cohort.offer_hours)
        place.offer_reminded_at = None
        before = move(place, S.OFFERED, now=now, seat=pool)
        audit(actor, "enrollment.offer", place, before)
        tell(place, "offered")
        offered += 1

    position = 0
    positions_before = {enrollment_id: number for number, enrollment_id in enumerate(line_before, start=1)}
    for row in plan.ranked:
        place = row.enrollment
        if place.status is S.PENDING:
            position += 1
            before = move(place, S.WAITLISTED, now=now)
            audit(actor, "enrollment.wait", place, before)
            tell(place, "ranked", position=position)
        elif place.status is S.WAITLISTED:
            position += 1
            if positions_before.get(place.id) != position:
                tell(place, "ranked", position=position)
    given = fill(cohort, actor=actor, now=now)  # seats left free by a place that could not take its offer

    merit_list = MeritList(
        cohort_id=cohort.id,
        version=plan.version,
        published_at=now,
        published_by_id=actor.id,
        reason=reason,
        test_weight=cohort.test_weight,
        entries=[entry_of(row) for row in plan.ranked],
    )
    db.session.add(merit_list)
    db.session.flush()
    record(
        actor,
        "merit_list.publish" if plan.version == 1 else "merit_list.correct",
        cohort,
        after={
            "version": plan.version,
            "test_weight": cohort.test_weight,
            "ranked": len(plan.ranked),
            "offered": offered + len(given),
            "waitlisted": position - len(given),
        },
        reason=reason,
        centre_id=cohort.centre_id,
    )
    return merit_list


def old_line_key(place: Enrollment) -> tuple:
    """Where a waitlisted place stood in line before this publication (its previous rank)."""
    return (place.merit_rank if place.merit_rank is not None else 2**31 - 1, place.applied_at, place.id)


def entry_of(row: Ranked) -> dict[str, Any]:
    """One row of a published list, as the public may read it: no CNIC, phone or full name."""
    place = row.enrollment
    return {
        "enrollment_id": place.id,
        "number": application_number(place.id),
        "name": masked_name(place.trainee.full_name),
        "test": place.test_score,
        "interview": place.interview_score,
        "total": str(row.total),
        "rank": row.rank,
        "outcome": place.status.value,
        "pool": place.pool.value if place.pool is not None and place.status in (S.OFFERED, S.ENROLLED) else None,
    }


# The published list, as anyone reads it ------------------------------------------------------------


@dataclass(frozen=True)
class PublicRow:
    """One row of a published list as the public reads it (masked: ``entry_of``), with where she stands:
    ``outcome`` and ``waitlist_position`` are as they are now for the latest version, as published for an
    older one."""

    enrollment_id: int
    rank: int
    number: str
    name: str
    test: float
    interview: float
    total: Decimal
    outcome: EnrollmentStatus
    pool: Pool | None
    waitlist_position: int | None


def public_rows(merit_list: MeritList, *, live: bool) -> list[PublicRow]:
    """``merit_list``'s rows in rank order; with ``live`` (the latest version), each place's status now and
    her place in line (the line is in this version's rank order). One query at most."""
    now_status: dict[int, tuple[EnrollmentStatus, Pool | None]] = {}
    if live:
        ids = [entry["enrollment_id"] for entry in merit_list.entries]
        now_status = {
            enrollment_id: (status, pool)
            for enrollment_id, status, pool in db.session.execute(
                select(Enrollment.id, Enrollment.status, Enrollment.pool).where(Enrollment.id.in_(ids))
            )
        }
    rows, in_line = [], 0
    for entry in merit_list.entries:
        published_pool = Pool(entry["pool"]) if entry.get("pool") else None
        status, pool = now_status.get(entry["enrollment_id"], (EnrollmentStatus(entry["outcome"]), published_pool))
        position = None
        if status is S.WAITLISTED:
            in_line += 1
            position = in_line
        rows.append(
            PublicRow(
                enrollment_id=entry["enrollment_id"],
                rank=entry["rank"],
                number=entry["number"],
                name=entry["name"],
                test=entry["test"],
                interview=entry["interview"],
                total=Decimal(entry["total"]),
                outcome=status,
                pool=pool if status in (S.OFFERED, S.ENROLLED, S.COMPLETED) else None,
                waitlist_position=position,
            )
        )
    return rows
