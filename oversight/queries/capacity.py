"""Capacity: the seats of cohorts and the places (and people) in them, summed from the cohort counters (kept in
step with the enrollment table by the enrollment services): a centre's summary for its staff, and the capacity
report (``GET /api/v1/reports/capacity``, the downloads and the audit pages) by province, district,
centre or track, within a reader's scope."""

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import Select, and_, case, func, select

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Cohort, Course
from database import seconds_between
from extensions import db
from vocabulary import RESERVED_POOLS, CohortKind, CohortStatus, Mode, Track

# Cohorts whose seats count as capacity now: open, closed (about to start) or running. The audit pages show
# the same figure as "seats now" (``CapacityReportRow.seats_now``), under the same label.
CURRENT_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING)


@dataclass(frozen=True)
class CentreSummary:
    """A centre's current cohorts (open, closed or running): how many, their seats, and their places."""

    cohorts: int
    seats: int
    enrolled: int
    waitlisted: int
    pending: int


def centre_summaries(centre_ids: list[int]) -> dict[int, CentreSummary]:
    """Per centre of ``centre_ids`` with current cohorts (the others are absent): those cohorts, their
    seats, and their enrolled, waitlisted and pending places, summed from the cohort counters."""
    if not centre_ids:
        return {}
    stmt = (
        select(
            Cohort.centre_id,
            func.count(Cohort.id),
            func.sum(Cohort.seats),
            func.sum(Cohort.enrolled_count),
            func.sum(Cohort.waitlisted_count),
            func.sum(Cohort.pending_count),
        )
        .where(Cohort.centre_id.in_(centre_ids), Cohort.status.in_(CURRENT_STATUSES))
        .group_by(Cohort.centre_id)
    )
    return {row[0]: CentreSummary(*(int(value or 0) for value in row[1:])) for row in db.session.execute(stmt)}


def scoped(stmt: Select, scope: OversightScope) -> Select:
    """``stmt`` (joined to Centre and District) restricted to ``scope``."""
    if scope.province_id is not None:
        stmt = stmt.where(District.province_id == scope.province_id)
    if scope.centre_ids is not None:
        stmt = stmt.where(Centre.id.in_(scope.centre_ids or [-1]))
    return stmt


# The capacity report (API: GET /reports/capacity) -------------------------------------------------------

# Cohorts a report counts: those offered to trainees, by stage (``oversight.figures`` says what each figure
# takes from which stage). Drafts are not offered yet. Cancelled cohorts are counted apart (their cohorts,
# seats and applications), but what happened in them before (completions) stays in the history.
FILLING_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED)
REPORTED_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING, CohortStatus.FINISHED)
SELECTED_STATUSES = (*REPORTED_STATUSES, CohortStatus.CANCELLED)
REPORT_GROUPINGS = ("province", "district", "centre", "track")


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when ``whole`` is 0 (no denominator: no figure, rather than a false 0)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class CapacityReportRow:
    """One group of cohorts in the capacity report: sums of its cohorts' counters (seats, places by
    status and stage, people, and the numerators and denominators of the shares). The ratios are
    properties, so that a total computes them from sums. What each means: ``oversight.figures``."""

    key: str
    name: str
    cohorts: int = 0  # not cancelled
    seats: int = 0  # not cancelled
    enrolled: int = 0
    waitlisted: int = 0
    pending: int = 0
    completed: int = 0  # every cohort, cancelled ones included (history does not change)
    dropped: int = 0
    trained: int = 0  # enrolled + completed places (every cohort)
    women: int = 0  # of ``trained``, by gender and area
    men: int = 0
    transgender: int = 0
    rural: int = 0
    mixed_trained: int = 0  # ``trained`` in cohorts open to everyone (not women-only)
    mixed_women: int = 0
    filling_seats: int = 0  # by stage: seats, and enrolled (+ completed) places
    filling_filled: int = 0
    filling_waitlisted: int = 0
    running_seats: int = 0
    running_filled: int = 0
    finished_seats: int = 0
    finished_filled: int = 0
    unmet_at_start: int = 0  # places cancelled in running and finished cohorts: still waiting at the start
    finished_started: int = 0  # places of finished cohorts that started training, and how they ended
    finished_completed: int = 0
    finished_not_completed: int = 0  # decided by the rule: attendance or marks not met (issue 17)
    finished_left: int = 0
    finished_open: int = 0
    camp_seats: int = 0  # training camps, women-only or not
    camp_filled: int = 0
    women_only_seats: int = 0  # women-only cohorts, camps or not
    women_only_filled: int = 0
    applications: int = 0  # every application ever made (``applications_count``), not cancelled cohorts
    applicants: int = 0  # people, at their first application (cancelled cohorts included)
    reached: int = 0  # people, at their first place, and women and rural among them
    reached_women: int = 0
    reached_rural: int = 0
    cancelled_cohorts: int = 0
    cancelled_applications: int = 0
    # Selection (issue 16): per reserved pool, the seats reserved and those filled by someone who qualified
    # (held now, or at the release once released), in cohorts not cancelled; seat offers made in every
    # cohort and how they ended; and the cohorts that filled, with the seconds each took from its opening.
    reserved_women: int = 0
    filled_women: int = 0
    reserved_rural: int = 0
    filled_rural: int = 0
    reserved_district: int = 0
    filled_district: int = 0
    reserved_disability: int = 0
    filled_disability: int = 0
    offers_made: int = 0
    offers_accepted: int = 0
    offers_declined: int = 0
    offers_expired: int = 0
    offers_open: int = 0
    cohorts_full: int = 0
    seconds_to_full: int = 0

    @property
    def seats_now(self) -> int:
        """Seats of cohorts filling or running: the centre dashboard's "seats now" (``centre_summaries``)."""
        return self.filling_seats + self.running_seats

    @property
    def utilisation(self) -> float | None:
        """Seats used: (enrolled + completed) ÷ seats over running and finished cohorts."""
        return ratio(self.running_filled + self.finished_filled, self.running_seats + self.finished_seats)

    @property
    def utilisation_filling(self) -> float | None:
        return ratio(self.filling_filled, self.filling_seats)

    @property
    def utilisation_running(self) -> float | None:
        return ratio(self.running_filled, self.running_seats)

    @property
    def utilisation_finished(self) -> float | None:
        return ratio(self.finished_filled, self.finished_seats)

    @property
    def waitlist_pressure(self) -> float | None:
        """Waitlisted ÷ seats over cohorts still filling (lines of started cohorts were closed)."""
        return ratio(self.filling_waitlisted, self.filling_seats)

    @property
    def women_share(self) -> float | None:
        return ratio(self.women, self.trained)

    @property
    def men_share(self) -> float | None:
        return ratio(self.men, self.trained)

    @property
    def transgender_share(self) -> float | None:
        return ratio(self.transgender, self.trained)

    @property
    def women_share_mixed(self) -> float | None:
        return ratio(self.mixed_women, self.mixed_trained)

    @property
    def rural_share(self) -> float | None:
        return ratio(self.rural, self.trained)

    @property
    def women_share_people(self) -> float | None:
        return ratio(self.reached_women, self.reached)

    @property
    def rural_share_people(self) -> float | None:
        return ratio(self.reached_rural, self.reached)

    @property
    def completion_rate(self) -> float | None:
        """Finished cohorts: completed ÷ places that started training. With ``not_completed_rate``,
        ``dropout_rate`` and ``outcome_missing_rate`` it adds up to 1: every place that started ends in exactly
        one of them."""
        return ratio(self.finished_completed, self.finished_started)

    @property
    def not_completed_rate(self) -> float | None:
        """Finished cohorts: places not completed by the rule (attendance or marks) ÷ places that started."""
        return ratio(self.finished_not_completed, self.finished_started)

    @property
    def dropout_rate(self) -> float | None:
        return ratio(self.finished_left, self.finished_started)

    @property
    def outcome_missing_rate(self) -> float | None:
        return ratio(self.finished_open, self.finished_started)

    @property
    def reserved_seats(self) -> int:
        return sum(getattr(self, f"reserved_{pool.value}") for pool in RESERVED_POOLS)

    @property
    def reserved_filled(self) -> float | None:
        """Reserved seats filled by those who qualify ÷ reserved seats, every category together."""
        return ratio(sum(getattr(self, f"filled_{pool.value}") for pool in RESERVED_POOLS), self.reserved_seats)

    @property
    def women_reserved_filled(self) -> float | None:
        return ratio(self.filled_women, self.reserved_women)

    @property
    def rural_reserved_filled(self) -> float | None:
        return ratio(self.filled_rural, self.reserved_rural)

    @property
    def district_reserved_filled(self) -> float | None:
        return ratio(self.filled_district, self.reserved_district)

    @property
    def disability_reserved_filled(self) -> float | None:
        return ratio(self.filled_disability, self.reserved_disability)

    @property
    def offers_ended(self) -> int:
        """Offers answered or expired: the denominator of ``acceptance_rate``."""
        return self.offers_accepted + self.offers_declined + self.offers_expired

    @property
    def acceptance_rate(self) -> float | None:
        return ratio(self.offers_accepted, self.offers_ended)

    @property
    def days_to_full(self) -> float | None:
        """The average days from opening to full over the cohorts that filled (None: none did)."""
        return None if not self.cohorts_full else round(self.seconds_to_full / 86400 / self.cohorts_full, 1)

    @property
    def camp_fill(self) -> float | None:
        return ratio(self.camp_filled, self.camp_seats)

    @property
    def women_only_fill(self) -> float | None:
        return ratio(self.women_only_filled, self.women_only_seats)


COUNTED_FIELDS = tuple(field.name for field in fields(CapacityReportRow))[2:]


def _report_keys(group_by: str) -> tuple[list, object]:
    """The columns a group is keyed by, and its name column (None for tracks, named from the vocabulary)."""
    if group_by == "centre":
        return [Centre.code], Centre.name
    if group_by == "district":  # district codes repeat across provinces: the key is PROVINCE-DISTRICT
        return [Province.code, District.code], District.name
    if group_by == "track":
        return [Course.track], None
    return [Province.code], Province.name


def reported_cohorts(
    stmt: Select,
    scope: OversightScope,
    province_code: str | None,
    starts_from: date | None,
    starts_to: date | None,
    *,
    district_id: int | None = None,
    centre_id: int | None = None,
    camps: bool = False,
    women_only: bool = False,
    mode: Mode | None = None,
) -> Select:
    """``stmt`` (with ``Cohort`` in its FROM) joined to the cohort's course, centre, district and province,
    limited to the cohorts of ``scope`` a report selects (``SELECTED_STATUSES``: reported and cancelled), of
    ``province_code`` and starting within the period; and, when given, of one district or centre (by id),
    training camps only (whatever their rule), women-only cohorts only (whatever their kind), or one mode."""
    stmt = stmt.join(Cohort.course).join(Cohort.centre).join(Centre.district).join(District.province)
    return narrowed_to(
        stmt,
        Cohort,
        scope,
        province_code,
        starts_from,
        starts_to,
        district_id=district_id,
        centre_id=centre_id,
        camps=camps,
        women_only=women_only,
        mode=mode,
    )


def narrowed_to(
    stmt: Select,
    facts,
    scope: OversightScope,
    province_code: str | None,
    starts_from: date | None,
    starts_to: date | None,
    *,
    district_id: int | None,
    centre_id: int | None,
    camps: bool,
    women_only: bool,
    mode: Mode | None,
) -> Select:
    """``stmt`` (joined to District and Province) limited as ``reported_cohorts`` says, reading the cohort's
    facts from ``facts``: ``Cohort`` itself, or a row that copies them (``CohortTally``: the same names)."""
    stmt = stmt.where(facts.status.in_(SELECTED_STATUSES))
    if province_code is not None:
        stmt = stmt.where(Province.code == province_code)
    if starts_from is not None:
        stmt = stmt.where(facts.starts_on >= starts_from)
    if starts_to is not None:
        stmt = stmt.where(facts.starts_on <= starts_to)
    if district_id is not None:
        stmt = stmt.where(District.id == district_id)
    if centre_id is not None:
        stmt = stmt.where(facts.centre_id == centre_id)
    if camps:
        stmt = stmt.where(facts.kind == CohortKind.CAMP)
    if women_only:
        stmt = stmt.where(facts.women_only.is_(True))
    if mode is not None:
        stmt = stmt.where(facts.mode == mode)
    return scoped(stmt, scope)


def figure_columns() -> list:
    """The sums behind a ``CapacityReportRow``, in the order of ``COUNTED_FIELDS``: each adds up one
    cohort counter (or the seats), over all the group's cohorts or only those of one stage or kind."""
    # Places that trained: still enrolled, or decided at the end (completed or not: both held the seat).
    trained = Cohort.enrolled_count + Cohort.completed_count + Cohort.not_completed_count

    def only(condition, column) -> object:
        return func.sum(case((condition, column), else_=0))

    offered = Cohort.status != CohortStatus.CANCELLED
    filling = Cohort.status.in_(FILLING_STATUSES)
    running = Cohort.status == CohortStatus.RUNNING
    finished = Cohort.status == CohortStatus.FINISHED
    started = Cohort.status.in_((CohortStatus.RUNNING, CohortStatus.FINISHED))
    cancelled = Cohort.status == CohortStatus.CANCELLED
    mixed = Cohort.women_only.is_(False)
    camp = Cohort.kind == CohortKind.CAMP
    women_only = Cohort.women_only.is_(True)
    # Opening: when applications opened, or, for a cohort taking them whenever it is open, its creation.
    # A cohort that filled before its window opened (walk-ins registered early) took no time: 0
    # (``seconds_between`` never goes below 0).
    to_full = seconds_between(func.coalesce(Cohort.applications_open_at, Cohort.created_at), Cohort.full_at)
    full = and_(offered, Cohort.full_at.is_not(None))
    columns = {
        "cohorts": only(offered, 1),
        "seats": only(offered, Cohort.seats),
        "enrolled": func.sum(Cohort.enrolled_count),
        "waitlisted": func.sum(Cohort.waitlisted_count),
        "pending": func.sum(Cohort.pending_count),
        "completed": func.sum(Cohort.completed_count),
        "dropped": func.sum(Cohort.dropped_count),
        "trained": func.sum(trained),
        "women": func.sum(Cohort.women_count),
        "men": func.sum(Cohort.men_count),
        "transgender": func.sum(Cohort.transgender_count),
        "rural": func.sum(Cohort.rural_count),
        "mixed_trained": only(mixed, trained),
        "mixed_women": only(mixed, Cohort.women_count),
        "filling_seats": only(filling, Cohort.seats),
        "filling_filled": only(filling, trained),
        "filling_waitlisted": only(filling, Cohort.waitlisted_count),
        "running_seats": only(running, Cohort.seats),
        "running_filled": only(running, trained),
        "finished_seats": only(finished, Cohort.seats),
        "finished_filled": only(finished, trained),
        "unmet_at_start": only(started, Cohort.cancelled_count),
        "finished_started": only(finished, Cohort.started_count),
        "finished_completed": only(finished, Cohort.completed_count),
        "finished_not_completed": only(finished, Cohort.not_completed_count),
        "finished_left": only(finished, Cohort.left_count),
        "finished_open": only(finished, Cohort.enrolled_count),
        "camp_seats": only(and_(camp, offered), Cohort.seats),
        "camp_filled": only(and_(camp, offered), trained),
        "women_only_seats": only(and_(women_only, offered), Cohort.seats),
        "women_only_filled": only(and_(women_only, offered), trained),
        "applications": only(offered, Cohort.applications_count),
        "applicants": func.sum(Cohort.applicants_count),
        "reached": func.sum(Cohort.reached_count),
        "reached_women": func.sum(Cohort.reached_women_count),
        "reached_rural": func.sum(Cohort.reached_rural_count),
        "cancelled_cohorts": only(cancelled, 1),
        "cancelled_applications": only(cancelled, Cohort.applications_count),
        **{
            column: only(offered, value)
            for pool in RESERVED_POOLS
            for column, value in (
                (f"reserved_{pool.value}", getattr(Cohort, f"reserved_{pool.value}")),
                (f"filled_{pool.value}", filled_reserved(pool)),
            )
        },
        "offers_made": func.sum(Cohort.offers_made_count),
        "offers_accepted": func.sum(Cohort.offers_accepted_count),
        "offers_declined": func.sum(Cohort.offers_declined_count),
        "offers_expired": func.sum(Cohort.offers_expired_count),
        "offers_open": func.sum(Cohort.offered_count),
        "cohorts_full": only(full, 1),
        "seconds_to_full": only(full, to_full),
    }
    return [columns[name] for name in COUNTED_FIELDS]


def filled_reserved(pool) -> object:
    """A cohort's seats of a reserved ``pool`` filled by someone who qualified: those held now until the
    release; after it, those held at the release (``released_held_<pool>``, set then and null before: a
    later withdrawal does not rewrite history)."""
    return func.coalesce(getattr(Cohort, f"released_held_{pool.value}"), getattr(Cohort, f"held_{pool.value}"))


def figures_of(values) -> dict[str, int]:
    return {name: int(value or 0) for name, value in zip(COUNTED_FIELDS, values, strict=True)}


def capacity_report(
    scope: OversightScope,
    group_by: str = "province",
    *,
    province_code: str | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
    district_id: int | None = None,
    centre_id: int | None = None,
    camps: bool = False,
    women_only: bool = False,
    mode: Mode | None = None,
) -> list[CapacityReportRow]:
    """Capacity, inclusion and completion per province, district (key ``PROVINCE-DISTRICT``), centre or
    track, within ``scope``, ordered by key; groups without a reported cohort are absent.

    Selected cohorts: open, closed, running, finished and (counted apart) cancelled (``SELECTED_STATUSES``),
    of the province with ``province_code`` when given, whose first day lies in [``starts_from``,
    ``starts_to``] (either bound optional); narrowed further, when asked, to a district or a centre (by id),
    to training camps, to women-only cohorts, or to one mode. What each figure means: ``oversight.figures``.
    Every figure is a sum of the cohorts' counters (``enrollments.counters``), kept by the
    enrollment services: one pass over the cohort table, never over the enrollments."""
    keys, name = _report_keys(group_by)
    labels = [*keys, *([name] if name is not None else [])]
    stmt = reported_cohorts(
        select(*labels, *figure_columns()).select_from(Cohort),
        scope,
        province_code,
        starts_from,
        starts_to,
        district_id=district_id,
        centre_id=centre_id,
        camps=camps,
        women_only=women_only,
        mode=mode,
    ).group_by(*labels)

    def key_of(values: tuple) -> str:
        return "-".join(str(value.value if isinstance(value, Track) else value) for value in values)

    width = len(keys)
    rows = []
    first_figure = len(labels)
    # Executed on the connection (Core), not through the session: the columns need no ORM processing, which
    # took a quarter of the query's time for 500 centre rows (bench/scale_reports.py).
    for row in db.session.connection().execute(stmt):
        # A track's name in English, like every name here (the API and the downloads are data); the audit
        # pages show the track's label in the reader's language instead.
        label = row[width] if name is not None else Track(row[0]).plain_label
        figures = [int(value or 0) for value in row[first_figure:]]
        rows.append(CapacityReportRow(key_of(row[:width]), label, *figures))
    return sorted(rows, key=lambda row: row.key)


def report_totals(rows: list[CapacityReportRow]) -> CapacityReportRow:
    """The sum of ``rows`` as one row (key ``total``); its ratios are computed from the sums."""
    return CapacityReportRow("total", "Total", *(sum(getattr(row, field) for row in rows) for field in COUNTED_FIELDS))


def report_places(group_by: str, keys: list[str]) -> dict[str, Province | District]:
    """The provinces (``group_by`` province) or districts (district) behind a report's group keys, by key,
    so that pages name them in the reader's language (``language.place_name``: the reference data's Urdu
    names). Other groupings have no places (centres keep their own names; tracks are named from the
    vocabulary): an empty dict."""
    if not keys:
        return {}
    if group_by == "province":
        return {place.code: place for place in db.session.scalars(select(Province).where(Province.code.in_(keys)))}
    if group_by == "district":
        rows = db.session.execute(
            select(Province.code, District)
            .join(District, District.province_id == Province.id)
            .where(Province.code.in_({key.split("-", 1)[0] for key in keys}))
        )
        wanted = set(keys)
        return {f"{code}-{place.code}": place for code, place in rows if f"{code}-{place.code}" in wanted}
    return {}
