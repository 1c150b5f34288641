"""Cohorts as their centre's staff (or an admin) run them: create one, change it, move it through its
statuses.

Every function takes the acting user, checks all its rules before it writes anything, records one audit
event per change (with the centre's id, so that the centre's staff and overseers see it in their scope),
flushes and never commits: the request commits once. Refusals name the field concerned.

Seats and cancelling belong to the enrollment rules: a change of seats goes through
``enrollments.services.change_seats`` (raising them fills seats from the waitlist at once; they cannot go
below the number enrolled), and cancelling through ``enrollments.services.cancel_cohort``.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

import clock
from audit.events import record, snapshot
from auth.models import UserAccount
from auth.permissions import can_manage_centre, can_manage_cohort
from centres.models import Centre, District, Province
from centres.services import tidy_text
from clock import local_date
from courses.models import Cohort, Course
from enrollments.services import (
    NotAllowed,
    NotPossibleNow,
    change_capacity,
    check_reserve_numbers,
    check_seat_count,
    decide_places,
    end_waiting,
    start_training,
)
from enrollments.services.merit import DEFAULT_TEST_WEIGHT, check_test_weight
from enrollments.services.offers import DEFAULT_OFFER_HOURS
from enrollments.services.waitlist import in_backfill_window
from enrollments.tallies import copy_cohort_facts
from extensions import db
from language import long_date
from refusals import Conflict, Refusal
from vocabulary import RESERVED_POOLS, Admission, CohortKind, CohortStatus, Mode, Pool, Shift, WomenOnlyAdmits

# Letters, digits and dashes (cohort codes appear in public links): PB-LHR-01-C03.
COHORT_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
# What changes through ``update_cohort`` (seats are recorded by ``change_seats`` as ``cohort.seats``).
COHORT_FIELDS = (
    "course_id",
    "kind",
    "women_only",
    "women_only_admits",
    "starts_on",
    "ends_on",
    "shift",
    "mode",
    "applications_open_at",
    "applications_close_at",
    "admission",
    "venue",
    "venue_district_id",
    "eligible_province_id",
    "eligible_district_id",
    "release_at",
    "offers",
    "offer_hours",
    "test_weight",
)
RESERVED_FIELDS = tuple(f"reserved_{pool.value}" for pool in RESERVED_POOLS)
CREATED_FIELDS = ("code", "centre_id", *COHORT_FIELDS, "seats", *RESERVED_FIELDS, "status")
# How long a seat offer may be held: an hour to thirty days.
MIN_OFFER_HOURS, MAX_OFFER_HOURS = 1, 720

S = CohortStatus
# The status changes staff make by hand. Cancelling has rules of its own (``cancel_cohort``).
TRANSITIONS: dict[CohortStatus, tuple[CohortStatus, ...]] = {
    S.DRAFT: (S.OPEN,),
    S.OPEN: (S.CLOSED, S.RUNNING),
    S.CLOSED: (S.OPEN, S.RUNNING),
    S.RUNNING: (S.FINISHED,),
}
# Cohorts whose details can no longer change.
ENDED = (S.FINISHED, S.CANCELLED)
# A new cohort starts as a draft (only its staff see it) or open for applications at once.
STATUSES_AT_CREATION = (S.DRAFT, S.OPEN)


@dataclass(frozen=True)
class CohortDetails:
    """A cohort as staff describe it. ``code`` may be empty on creation (one is made up: ``<CENTRE>-C01``,
    ``<CENTRE>-K01`` for camps) and never changes afterwards; ``women_only`` None means "not said" (camps
    are women-only, regular cohorts open to all). Window times are timezone-aware."""

    course_id: int | None
    centre_id: int | None
    kind: CohortKind | None
    starts_on: date | None
    ends_on: date | None
    shift: Shift | None
    mode: Mode | None
    seats: int | None
    admission: Admission | None = Admission.FIRST_COME
    applications_open_at: datetime | None = None
    applications_close_at: datetime | None = None
    women_only: bool | None = None
    # Who a women-only cohort admits: women (the rule so far), or women and transgender people.
    women_only_admits: WomenOnlyAdmits | str | None = WomenOnlyAdmits.WOMEN
    venue: str = ""
    venue_district_id: int | None = None
    eligible_district_id: int | None = None
    eligible_province_id: int | None = None
    code: str = ""
    status: CohortStatus | None = None
    # Seats reserved per pool (a missing pool: none reserved; None: as they are, on a change).
    reserved: dict[Pool, int | None] | None = None
    # When unfilled reserved seats become open (None: 7 days before the first day).
    release_at: datetime | None = None
    # Seats from the line are offered with a deadline (``offer_hours``) instead of given at once.
    offers: bool = False
    offer_hours: int | None = DEFAULT_OFFER_HOURS
    # Merit admission: the percent of the total score the test counts for (the interview, the rest).
    test_weight: int | None = DEFAULT_TEST_WEIGHT


# Checking ------------------------------------------------------------------------------------------


def normalise_cohort_code(code: str | None) -> str:
    """``pb-lhr-01-c03`` → ``PB-LHR-01-C03`` (empty stays empty: a code is made up). ``Refusal`` on
    "code" unless letters, digits and dashes, 2 to 32 of them."""
    cleaned = (code or "").strip().upper()
    if cleaned and not COHORT_CODE.fullmatch(cleaned):
        raise Refusal(
            _(
                "A cohort code has 2 to 32 letters, digits and dashes, e.g. PB-LHR-01-C03; leave it empty for one "
                "to be made up."
            ),
            "code",
        )
    return cleaned


def code_at(code: str | None, centre: Centre) -> str:
    """The code a new cohort of ``centre`` is given: ``code`` as ``normalise_cohort_code`` cleans it, which
    must be the centre's code, a dash and the cohort's own part (``PB-LHR-01-C03`` at PB-LHR-01), so that
    a code always says where its cohort runs. Empty stays empty (one is made up). ``Refusal`` on "code"."""
    code = normalise_cohort_code(code)
    prefix = f"{centre.code}-"
    if code and not (code.startswith(prefix) and code[len(prefix) : len(prefix) + 1].isalnum()):
        raise Refusal(
            _(
                "A cohort's code starts with the code of its centre, %(centre)s, e.g. %(example)s; leave it empty "
                "for one to be made up.",
                centre=centre.code,
                example=f"{prefix}C01",
            ),
            "code",
        )
    return code


def default_code(centre: Centre, kind: CohortKind) -> str:
    """The next free ``<CENTRE>-C<nn>`` (``-K<nn>`` for camps) at ``centre``: one above the highest taken."""
    prefix = f"{centre.code}-{'K' if kind is CohortKind.CAMP else 'C'}"
    taken = db.session.scalars(select(Cohort.code).where(Cohort.code.startswith(prefix, autoescape=True)))
    numbers = [int(code[len(prefix) :]) for code in taken if code[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def _window(details: CohortDetails, ends_on: date) -> tuple[datetime | None, datetime | None]:
    # Windows are stored in UTC; the day a bound falls on, compared with the cohort's last day, is Pakistan's.
    opens, closes = details.applications_open_at, details.applications_close_at
    for field, moment in (("applications_open_at", opens), ("applications_close_at", closes)):
        if moment is not None and moment.tzinfo is None:
            raise Refusal(_("Give the time with its time zone (Pakistan time on the page)."), field)
    if opens is not None and local_date(opens) > ends_on:
        raise Refusal(
            _("Applications must open before the cohort ends (%(day)s).", day=long_date(ends_on)),
            "applications_open_at",
        )
    if opens is not None and closes is not None and closes < opens:
        raise Refusal(_("Applications cannot close before they open."), "applications_close_at")
    if closes is not None and local_date(closes) > ends_on:
        raise Refusal(
            _("Applications must close by the last day of the cohort (%(day)s).", day=long_date(ends_on)),
            "applications_close_at",
        )
    return opens, closes


def _residence(details: CohortDetails) -> tuple[int | None, int | None]:
    """The optional restriction to residents of one district or one province: ``(district, province)``."""
    district = province = None
    if details.eligible_district_id is not None:
        district = db.session.get(District, details.eligible_district_id)
        if district is None:
            raise Refusal(_("Choose the district from the list, or leave it empty."), "eligible_district_id")
    if details.eligible_province_id is not None:
        province = db.session.get(Province, details.eligible_province_id)
        if province is None:
            raise Refusal(_("Choose the province from the list, or leave it empty."), "eligible_province_id")
    if district is not None and province is not None and district.province_id != province.id:
        raise Refusal(
            _(
                "%(district)s is in %(its_province)s, not %(province)s: choose one or the other.",
                district=district.name,
                its_province=district.province.name,
                province=province.name,
            ),
            "eligible_district_id",
        )
    return (district.id if district else None), (province.id if province else None)


def _venue_district(details: CohortDetails, centre: Centre) -> int | None:
    """The district a cohort meets in away from its centre; None when it meets in the centre's own district
    (nothing to add) or none is given. Refuses a district that does not exist, and one given without a venue
    (trainees would not know where in it to go)."""
    if details.venue_district_id is None:
        return None
    district = db.session.get(District, details.venue_district_id)
    if district is None:
        raise Refusal(_("Choose the venue's district from the list, or leave it empty."), "venue_district_id")
    if not (details.venue or "").strip():
        raise Refusal(_("Name the venue in that district, or leave the district empty."), "venue")
    return None if district.id == centre.district_id else district.id


def _checked(details: CohortDetails, centre: Centre) -> dict:
    """The cohort's fields (seats apart) from ``details``, cleaned; refuses the first one that is wrong."""
    course = db.session.get(Course, details.course_id) if details.course_id is not None else None
    if course is None:
        raise Refusal(_("Choose the course from the catalogue."), "course_id")
    kind = CohortKind.parse(details.kind)
    if kind is None:
        raise Refusal(_("Choose a regular cohort or a training camp."), "kind")
    if details.starts_on is None:
        raise Refusal(_("Enter the first day of the cohort."), "starts_on")
    if details.ends_on is None:
        raise Refusal(_("Enter the last day of the cohort."), "ends_on")
    if details.ends_on < details.starts_on:
        raise Refusal(
            _("The last day cannot be before the first day (%(day)s).", day=long_date(details.starts_on)), "ends_on"
        )
    shift = Shift.parse(details.shift)
    if shift is None:
        raise Refusal(_("Choose the shift."), "shift")
    mode = Mode.parse(details.mode)
    if mode is None:
        raise Refusal(_("Choose on-site, online or hybrid."), "mode")
    admission = Admission.parse(details.admission)
    if admission is None:
        raise Refusal(
            _("Choose how seats are given: first come, first served, reviewed by the centre, or a merit list."),
            "admission",
        )
    test_weight = check_test_weight(details.test_weight)
    opens, closes = _window(details, details.ends_on)
    release_at = details.release_at
    if release_at is not None and release_at.tzinfo is None:
        raise Refusal(_("Give the time with its time zone (Pakistan time on the page)."), "release_at")
    if release_at is not None and local_date(release_at) > details.starts_on:
        raise Refusal(
            _(
                "Reserved seats are released at the latest on the first day (%(day)s).",
                day=long_date(details.starts_on),
            ),
            "release_at",
        )
    offer_hours = details.offer_hours
    if offer_hours is None or not MIN_OFFER_HOURS <= offer_hours <= MAX_OFFER_HOURS:
        raise Refusal(
            _(
                "An offer is held from %(fewest)s to %(most)s hours (30 days).",
                fewest=MIN_OFFER_HOURS,
                most=MAX_OFFER_HOURS,
            ),
            "offer_hours",
        )
    venue = tidy_text(details.venue, field="venue", what=_("The venue"), max_length=240)
    venue_district_id = _venue_district(details, centre)
    district_id, province_id = _residence(details)
    women_only = details.women_only if details.women_only is not None else kind is CohortKind.CAMP
    if centre.women_only:
        women_only = True  # a women-only centre runs women-only cohorts, whatever the form said
    women_only_admits = WomenOnlyAdmits.parse(details.women_only_admits)
    if women_only_admits is None:
        raise Refusal(
            _("Choose who a women-only cohort admits: women, or women and transgender people."), "women_only_admits"
        )
    return {
        "course_id": course.id,
        "kind": kind,
        "women_only": women_only,
        "women_only_admits": women_only_admits,
        "starts_on": details.starts_on,
        "ends_on": details.ends_on,
        "shift": shift,
        "mode": mode,
        "applications_open_at": opens,
        "applications_close_at": closes,
        "admission": admission,
        "venue": venue,
        "venue_district_id": venue_district_id,
        "eligible_province_id": province_id,
        "eligible_district_id": district_id,
        "release_at": release_at,
        # A merit list's seats are always offered: each must be accepted, and a declined one goes on by rank.
        "offers": bool(details.offers) or admission is Admission.MERIT,
        "offer_hours": offer_hours,
        "test_weight": test_weight,
    }


def _reserved(details: CohortDetails, cohort: Cohort | None = None) -> dict[Pool, int]:
    """The seats reserved per pool that ``details`` asks for: those given, the others as they are on
    ``cohort`` (none on a new cohort). Checked by ``enrollments.services.check_reserves``."""
    given = details.reserved or {}
    before = {pool: getattr(cohort, f"reserved_{pool.value}") if cohort else 0 for pool in RESERVED_POOLS}
    return {pool: given[pool] if pool in given else before[pool] for pool in RESERVED_POOLS}


# Creating and changing -----------------------------------------------------------------------------


def create_cohort(details: CohortDetails, *, actor: UserAccount) -> Cohort:
    """Add a cohort (a draft, or open at once when ``details.status`` says so) and record ``cohort.create``.

    Rules: the centre exists, is active and the actor may manage it (staff of that centre, or an admin:
    ``NotAllowed`` otherwise); the course exists; the code, when given, is letters, digits and dashes,
    starts with the centre's code (``code_at``) and no other cohort has it (``Conflict``), else the next
    ``<CENTRE>-C<nn>`` / ``-K<nn>`` is used; the first day is not after the last; the application window
    is ordered and lies before the last day;
    1 to 1,000 seats, and no more than the centre's lab seats when on-site; a restriction to residents
    of a district or a province names existing ones (and a district inside the province). Camps are
    women-only unless ``women_only`` is False, and always at a women-only centre. A merit cohort always offers
    its seats; its test weight is a percent from 0 to 100 (the interview counts for the rest). Raises ``Refusal``
    naming the field, before anything is written."""
    centre = db.session.get(Centre, details.centre_id) if details.centre_id is not None else None
    if centre is None:
        raise Refusal(_("Choose the centre."), "centre_id")
    if not can_manage_centre(actor, centre):
        raise NotAllowed(_("Only staff of %(centre)s can add cohorts there.", centre=centre.code), "centre_id")
    if not centre.active:
        raise Refusal(_("%(centre)s is inactive: it cannot run new cohorts.", centre=centre.code), "centre_id")
    code = code_at(details.code, centre)
    values = _checked(details, centre)
    seats = check_seat_count(details.seats, mode=values["mode"], centre=centre)
    reserved = check_reserve_numbers(seats, _reserved(details))
    status = details.status or S.DRAFT
    if status not in STATUSES_AT_CREATION:
        raise Refusal(_("A new cohort is a draft or open for applications."), "status")
    if code and (existing := db.session.scalar(select(Cohort).where(Cohort.code == code))) is not None:
        raise Conflict(
            _(
                "The code %(code)s belongs to another cohort already (%(course)s).",
                code=code,
                course=existing.course.title,
            ),
            "code",
        )

    for _attempt in range(3):
        cohort = Cohort(
            code=code or default_code(centre, values["kind"]),
            centre_id=centre.id,
            seats=seats,
            status=status,
            **{f"reserved_{pool.value}": count for pool, count in reserved.items()},
            **values,
        )
        try:
            with db.session.begin_nested():
                db.session.add(cohort)
        except IntegrityError:  # the same code taken at the same moment by another request
            if code:
                raise Conflict(_("The code %(code)s was taken just now: choose another.", code=code), "code") from None
            continue
        break
    else:
        raise Conflict(_("Could not make up a free code: type one."), "code")
    record(actor, "cohort.create", cohort, after=snapshot(cohort, CREATED_FIELDS), centre_id=centre.id)
    return cohort


def update_cohort(cohort: Cohort, details: CohortDetails, *, actor: UserAccount) -> Cohort:
    """Change a cohort's details and record ``cohort.update`` with the state before and after (nothing
    when nothing changed). A new number of seats goes through ``enrollments.services.change_seats``,
    which records ``cohort.seats``, refuses fewer seats than trainees enrolled, and gives new seats to
    the waitlist at once.

    Rules are those of ``create_cohort``, and: the actor manages the cohort's centre; the code and the
    centre never change (so the code keeps starting with its centre's code); the course changes only
    while the cohort is a draft; finished and cancelled cohorts do not change; the status changes only
    through ``change_status``. The seats rule (``check_seat_count``, and ``check_seats`` for a new
    number) is checked when the seats or the mode change. Admission changes to or from a merit list only
    while nobody has applied. Eligibility applies to applications made from now on."""
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can change its cohorts."))
    if cohort.status in ENDED:
        raise NotPossibleNow(
            _("This cohort is %(status)s: it can no longer change.", status=cohort.status.label.lower())
        )
    if details.code and details.code.strip().upper() != cohort.code.upper():
        raise Refusal(_("A cohort's code cannot change once the cohort exists."), "code")
    if details.centre_id is not None and details.centre_id != cohort.centre_id:
        raise Refusal(_("A cohort cannot move to another centre: cancel it and add one there."), "centre_id")
    centre = cohort.centre
    values = _checked(details, centre)
    if values["course_id"] != cohort.course_id and cohort.status is not S.DRAFT:
        raise Refusal(_("The course can change only while the cohort is a draft."), "course_id")
    merit_before, merit_after = cohort.admission is Admission.MERIT, values["admission"] is Admission.MERIT
    if merit_before != merit_after and cohort.applications_count:
        # A merit cohort's places wait for the list and its line is in rank order: neither survives a switch.
        raise Refusal(_("Admission can change to or from a merit list only while nobody has applied."), "admission")
    seats = details.seats if details.seats is not None else cohort.seats
    reserved = _reserved(details, cohort)
    if seats == cohort.seats and values["mode"] is not cohort.mode:
        check_seat_count(seats, mode=values["mode"], centre=centre)  # a new number is change_seats' to check

    before = snapshot(cohort, COHORT_FIELDS)
    # The details change first, so that seats given to the waitlist are checked against the new dates;
    # should change_seats refuse, the savepoint takes the details back with it.
    with db.session.begin_nested():
        for name, value in values.items():
            setattr(cohort, name, value)
        db.session.flush()
        change_capacity(cohort, seats, reserved=reserved, actor=actor)
    # Its tally rows copy the facts reports filter by (first day, kind, women-only, mode, course).
    copy_cohort_facts(cohort.id)
    after = snapshot(cohort, COHORT_FIELDS)
    if after != before:
        record(actor, "cohort.update", cohort, before=before, after=after, centre_id=cohort.centre_id)
    return cohort


# Statuses ------------------------------------------------------------------------------------------


def next_statuses(cohort: Cohort) -> tuple[CohortStatus, ...]:
    """The statuses ``cohort`` may move to by hand from where it is (cancelling apart)."""
    return TRANSITIONS.get(cohort.status, ())


def change_status(cohort: Cohort, to: CohortStatus, *, actor: UserAccount) -> Cohort:
    """Move ``cohort`` to ``to`` and record ``cohort.status``.

    Allowed: draft → open; open → closed; closed → open; open or closed → running; running → finished.
    Anything else raises ``NotPossibleNow`` (cancelling goes through ``enrollments.services.cancel_cohort``),
    as does a status changed by someone else meanwhile; ``NotAllowed`` unless the actor manages the
    cohort. The status is changed with one conditional UPDATE, so two people cannot both move it.

    Finishing decides every enrolled trainee's completion by the rule in the same transaction
    (``enrollments.services.completion.decide_places``: completed with a certificate, or not completed with
    the reason), so only the one who finishes decides."""
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can change its cohorts."))
    to = CohortStatus.parse(to)
    if to is None:
        raise Refusal(_("Choose the status to move the cohort to."), "to")
    db.session.refresh(cohort)
    before = cohort.status
    if to not in TRANSITIONS.get(before, ()):
        if to is S.CANCELLED:
            raise NotPossibleNow(_("Cancelling a cohort has its own page: every trainee with a place is told why."))
        raise NotPossibleNow(
            _(
                "A cohort that is %(now)s cannot become %(to)s.",
                now=before.label.lower(),
                to=to.label.lower(),
            )
        )
    result = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.status == before)
        .values(status=to)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NotPossibleNow(_("Someone changed this cohort's status meanwhile: look again."))
    db.session.expire(cohort, ["status", "updated_at"])
    copy_cohort_facts(cohort.id)  # its tally rows copy the status (before finishing adds to them)
    record(
        actor,
        "cohort.status",
        cohort,
        before={"status": before.value},
        after={"status": to.value},
        centre_id=cohort.centre_id,
    )
    if to is S.RUNNING:
        start_training(cohort)
    if to is S.FINISHED:
        # Completion by rule: every enrolled trainee is decided with the finishing, in its transaction.
        decide_places(cohort, actor=actor)
    # A running cohort keeps its line through its backfill window (``waitlist.promotes``); the wait ends
    # when the window closes (``waitlist.settle_due``) or the cohort finishes.
    if to is S.FINISHED or (to is S.RUNNING and not in_backfill_window(cohort, clock.utcnow())):
        end_waiting(cohort, actor=actor)
    return cohort
