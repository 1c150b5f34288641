"""``flask seed scale``: a database the size the programme is designed for (DESIGN.md, "Scale it must hold"):
by default 500 centres, 5,000 cohorts over three years, 1,000,000 trainees and 3,000,000 enrollments.

Everything is generated from one random seed (the same seed on the same day gives the same rows: dates
are relative to today) and written with the driver's bulk paths inside one transaction, so that a
failure leaves nothing behind: ``executemany`` of 50,000 rows at a time on SQLite (with ``PRAGMA
synchronous=OFF`` for the load only), ``COPY`` on PostgreSQL. Rows never go through the ORM one by one.

The data obeys the same rules as data the services write (DESIGN.md, "Enrollment rules"):

- one enrollment per (trainee, cohort); applicants meet the cohort's requirements (women-only cohorts
  take women, age on the first day, education);
- seats are never overbooked; in first-come cohorts seats go in order of application and the waitlist
  holds the later applicants, in order; reviewed cohorts have decided applications and pending ones;
- a trainee holds at most ``MAX_ACTIVE_PLACES`` (the setting) active places (pending, waitlisted,
  enrolled), never two with the same shift on overlapping dates;
- cohorts that have started hold no one waiting (pending and waitlisted places were withdrawn, or
  cancelled when the cohort started: ``enrollments.services.end_waiting``); in finished cohorts every
  place that held a seat is completed or dropped; cancelled cohorts hold no active place; drafts none;
- attendance (``attendance.seeding``): a register for every class day up to yesterday of each running and
  finished cohort (one row a day: README, "Attendance at scale"), with each place's counters and a few
  trainees at risk;
- assessment, completion by rule and certificates (``seed.completion``): every finished cohort's places
  marked and judged by the rule (some not completed, for attendance or marks, a few overridden), a few seats
  backfilled, a certificate for each completed place (a few revoked), and the oversight tallies;
- outcomes (``seed.scale_outcomes``): every 3-, 6- and 12-month wave due by today for each completed place, a
  synthetic answer for some (response biased toward earners), and the outcomes report's tallies;
- selection (DESIGN.md, "Selection"; ``plan_selection``): some first-come cohorts reserve seats for women
  and rural applicants, given open seats first, then to those who qualify (``SeatGiver``), released seven
  days before the start once that has passed (the seats each pool held then are kept); some offer seats
  from their line: the later seats went by offers she accepted, some offers were declined or expired, and
  a cohort still filling holds its last seat as an offer still open. ``full_at`` is the application that
  took the last seat.

The cohort counters (``enrollments.counters``) are tallied while the enrollments are generated and
written in one pass at the end, so ``flask oversight recount`` finds no drift. No audit events or
messages are written: nobody did anything, the rows were loaded (as the demo seed does).

The database must hold no centres, cohorts, trainees or enrollments: a scaled load mixed into real data
would falsify every report. Provinces, districts and the course catalogue are added when missing; so
are an admin, two overseers and one staff account per centre (the demo password).
"""

import random
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from itertools import count as counting
from itertools import islice

from flask import current_app
from sqlalchemy import Connection, func, select

from attendance.seeding import seed_registers
from auth.models import CentreMembership, UserAccount
from auth.services import hash_password
from centres.models import Centre, District, Province
from clock import local_date
from courses.models import Cohort, Course
from database import utcnow
from enrollments.counters import COUNTER_NAMES, mark_firsts_and_training
from enrollments.models import Enrollment, Trainee
from enrollments.pools import default_release_at
from extensions import db
from outcomes.rollups import recount_rollups
from seed.completion import seed_completion
from seed.demo import (
    CAMP_VENUES,
    CNIC_REGION_DIGIT,
    DEMO_PASSWORD,
    DROP_REASONS,
    EDUCATION_WEIGHTS,
    MOBILE_PREFIXES,
    REJECTION_REASONS,
    WITHDRAW_REASONS,
    slug,
)
from seed.reference import load_json, load_reference_data
from seed.scale_outcomes import seed_outcomes
from vocabulary import (
    Admission,
    Area,
    CohortKind,
    CohortStatus,
    Education,
    EnrollmentSource,
    EnrollmentStatus,
    Gender,
    Mode,
    OfferState,
    PartnerType,
    Pool,
    Role,
    Shift,
)

DEFAULT_SEED = 2026
COHORTS_PER_CENTRE = 10
YEARS = 3
BATCH_ROWS = 50_000
PROGRESS_EVERY = 250_000
# Share of centres per province: roughly the population, with a floor for the smaller regions.
PROVINCE_WEIGHTS = {"PB": 46, "SD": 20, "KP": 15, "BL": 7, "IC": 3, "GB": 4, "AJK": 5}
PARTNER_WEIGHTS = {
    PartnerType.UNIVERSITY: 30,
    PartnerType.COLLEGE: 20,
    PartnerType.NGO: 22,
    PartnerType.IT_BOARD: 13,
    PartnerType.PRIVATE: 15,
}
GENDER_WEIGHTS = {Gender.FEMALE: 56, Gender.MALE: 42, Gender.TRANSGENDER: 2}
SOURCE_WEIGHTS = {EnrollmentSource.ONLINE: 70, EnrollmentSource.WALK_IN: 20, EnrollmentSource.IMPORT: 10}
# Multipliers coprime to the number of CNIC digits strings (10**11 between the region digit and the last)
# and of mobile numbers: trainee number n maps one to one onto (n * step) mod spread, so CNICs and phone
# numbers are unique without remembering the ones given, and look scattered.
CNIC_SPREAD = 10**11
CNIC_STEP = 7_919_000_003
PHONE_SPREAD = len(MOBILE_PREFIXES) * 10**7
PHONE_STEP = 1_000_003
STARTED_WAITING_REASON = "The course started before a seat became free."
CANCELLED_REASON = "The cohort was cancelled by the centre."
EXPIRED_REASON = "The offer expired without an answer."
# Selection (``plan_selection``): the share of first-come cohorts reserving seats and offering them, the
# share of seats reserved per pool, the share of seats given first (later ones went by offers), and of
# offers not accepted, those that expired.
RESERVING, OFFERING = 0.35, 0.3
WOMEN_SHARE, RURAL_SHARE = 0.2, 0.1
GIVEN_FIRST = 0.8
EXPIRED_SHARE = 0.4

S = EnrollmentStatus
ACTIVE = frozenset({S.PENDING, S.WAITLISTED, S.ENROLLED})
GENDERS = list(Gender)
AREAS = list(Area)
SHIFTS = list(Shift)
RURAL = AREAS.index(Area.RURAL)
# The cohort counters, as ``enrollments.counters`` names them; ``tally`` adds one enrollment to them.
COUNTERS = COUNTER_NAMES


class DatabaseNotEmpty(RuntimeError):
    """The scale seed fills an empty database only."""


@dataclass(frozen=True)
class ScaleSize:
    centres: int = 500
    trainees: int = 1_000_000
    enrollments: int = 3_000_000


@dataclass
class ScaleReport:
    """What was written (rows per table), and how long each part took (seconds)."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    shortfall: int = 0  # enrollments asked for that no eligible trainee could fill (tiny worlds only)


# Plans ---------------------------------------------------------------------------------------------


@dataclass
class CentreSpec:
    id: int
    code: str
    province: str
    district_id: int
    district_rural: bool
    district_name: str
    lab_seats: int
    women_only: bool


@dataclass
class CohortSpec:
    """A cohort as generated, with its counters tallied as its enrollments are made."""

    id: int
    code: str
    centre: CentreSpec
    course: dict
    kind: CohortKind
    women_only: bool
    starts_on: date
    ends_on: date
    shift: Shift
    mode: Mode
    seats: int
    opens: datetime
    closes: datetime
    admission: Admission
    status: CohortStatus
    venue: str
    demand: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    # Selection: seats reserved per pool, whether seats from the line are offered, when the reserved seats
    # were released and how many each pool held then; when the last seat was taken.
    reserved: dict[Pool, int] = field(default_factory=dict)
    reserved_found: float = 1.0  # the share of its reserved seats people who qualify came for before release
    offers: bool = False
    released_at: datetime | None = None
    held_at_release: dict[Pool, int] = field(default_factory=dict)
    full_at: datetime | None = None

    def has_applicants(self, now: datetime) -> bool:
        """Whether anyone can have applied by ``now``: its window has opened and it is not a draft."""
        return self.status is not CohortStatus.DRAFT and self.opens <= now


def largest_remainder(weights: dict, total: int) -> dict:
    """``total`` split in proportion to ``weights``, in whole numbers that add up to ``total``."""
    whole = sum(weights.values())
    shares = {key: total * weight / whole for key, weight in weights.items()}
    counts = {key: int(share) for key, share in shares.items()}
    for key in sorted(shares, key=lambda key: counts[key] - shares[key])[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


# Writing -------------------------------------------------------------------------------------------


class BulkWriter:
    """Writes rows of a table through the driver on one connection: ``executemany`` (SQLite) or
    ``COPY`` (PostgreSQL), printing progress as it goes."""

    def __init__(self, connection: Connection, echo: Callable[[str], None]) -> None:
        self.connection = connection
        self.driver = connection.connection.driver_connection
        self.postgresql = connection.dialect.name == "postgresql"
        self.echo = echo

    # Values as each driver takes them: SQLite stores naive UTC timestamps as SQLAlchemy writes them.
    def stamp(self, moment: datetime | None):
        if moment is None or self.postgresql:
            return moment
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    def day(self, value: date):
        return value if self.postgresql else value.isoformat()

    def write(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple], *, expected: int = 0) -> int:
        """Write ``rows`` (tuples in the order of ``columns``); with ``expected`` (the number of rows
        coming), print progress every so many rows and at the end."""
        started = time.perf_counter()
        written = 0
        next_report = PROGRESS_EVERY

        def progress(final: bool = False) -> None:
            if expected:
                rate = written / max(time.perf_counter() - started, 1e-9)
                done = " (done)" if final else ""
                self.echo(f"  {table}: {written:,} of {expected:,} rows, {rate:,.0f} rows/s{done}")

        if self.postgresql:
            with (
                self.driver.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    written += 1
                    if written >= next_report:
                        progress()
                        next_report += PROGRESS_EVERY
        else:
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            cursor = self.driver.cursor()
            iterator = iter(rows)
            while batch := list(islice(iterator, BATCH_ROWS)):
                cursor.executemany(statement, batch)
                written += len(batch)
                if written >= next_report:
                    progress()
                    next_report += PROGRESS_EVERY
            cursor.close()
        progress(final=True)
        return written


# Generating ----------------------------------------------------------------------------------------


class ScaleSeeder:
    """Plans and writes the scaled data set; see the module docstring for its rules."""

    def __init__(
        self, connection: Connection, size: ScaleSize, seed: int, echo: Callable[[str], None], now: datetime
    ) -> None:
        self.connection = connection
        self.size = size
        self.rng = random.Random(seed)
        self.selection_rng = random.Random(seed + 16)  # issue 16: drawn apart, the rest stays as it was
        self.echo = echo
        self.writer = BulkWriter(connection, echo)
        self.now = now
        self.today = local_date(self.now)  # the day in Pakistan, as the pages count days
        self.people = load_json("people.json")
        self.catalogue = load_json("courses.json")["courses"]
        self.report = ScaleReport()

    # Reference data and the catalogue ---------------------------------------------------------------

    def load_places(self) -> None:
        """Provinces and districts as the database has them (``flask seed reference`` loaded them)."""
        rows = self.connection.execute(
            select(District.id, District.code, District.name, District.rural, Province.code).join(District.province)
        ).all()
        self.districts: dict[str, list] = {}
        for district_id, code, name, rural, province in rows:
            self.districts.setdefault(province, []).append((district_id, code, name, bool(rural)))
        for items in self.districts.values():
            items.sort(key=lambda item: item[1])
        self.district_rural = {item[0]: item[3] for items in self.districts.values() for item in items}
        self.province_ids = dict(self.connection.execute(select(Province.code, Province.id)).all())

    def load_courses(self) -> None:
        """The catalogue's courses, added when missing (matched by code)."""
        existing = dict(self.connection.execute(select(Course.code, Course.id)).all())
        next_id = (self.connection.scalar(select(func.max(Course.id))) or 0) + 1
        rows = []
        for course in self.catalogue:
            if course["code"] not in existing:
                existing[course["code"]] = next_id
                rows.append(
                    (
                        next_id,
                        course["code"],
                        course["title"],
                        course["track"],
                        course["summary"],
                        course["weeks"],
                        course["level"],
                        course["min_age"],
                        course["max_age"],
                        course["min_education"],
                    )
                )
                next_id += 1
        columns = ("id", "code", "title", "track", "summary", "weeks", "level", "min_age", "max_age", "min_education")
        self.report.rows["courses"] = self.writer.write("course", columns, rows) if rows else 0
        for course in self.catalogue:
            course["id"] = existing[course["code"]]
            course["min_rank"] = Education(course["min_education"]).rank

    # Centres ----------------------------------------------------------------------------------------

    def plan_centres(self) -> list[CentreSpec]:
        rng = self.rng
        weights = {code: weight for code, weight in PROVINCE_WEIGHTS.items() if code in self.districts}
        if self.size.centres < len(weights):  # a tiny world: the largest provinces only
            weights = dict(sorted(weights.items(), key=lambda item: -item[1])[: self.size.centres])
        per_province = largest_remainder(weights, self.size.centres)
        centres: list[CentreSpec] = []
        self.centre_rows = []
        for province, count in per_province.items():
            districts = self.districts[province]
            # A city district gets about four times the centres of a rural one.
            district_weights = {item: (1 if item[3] else 4) for item in districts}
            per_district = largest_remainder(district_weights, count)
            for (district_id, district_code, district_name, rural), number in per_district.items():
                partners = {
                    partner_type: [
                        p
                        for p in self.people["partners"][partner_type.value]
                        if p["province"] == province and p["district"] == district_code
                    ]
                    for partner_type in PartnerType
                }
                for serial in range(1, number + 1):
                    partner_type = rng.choices(list(PARTNER_WEIGHTS), weights=list(PARTNER_WEIGHTS.values()))[0]
                    known = partners[partner_type]
                    if known:
                        partner = known[(serial - 1) % len(known)]["name"]
                        name = f"Digital Skills Centre, {partner}"
                        address = f"{partner}, {district_name}"
                    else:
                        partner = {
                            PartnerType.UNIVERSITY: f"University of {district_name}",
                            PartnerType.COLLEGE: f"Government Degree College, {district_name}",
                            PartnerType.NGO: "National Rural Support Programme",
                            PartnerType.IT_BOARD: "Provincial Information Technology Board",
                            PartnerType.PRIVATE: f"{district_name} Technology Park",
                        }[partner_type]
                        name = f"{district_name} Digital Skills Centre {serial}"
                        address = f"Near the District Council office, {district_name}"
                    women_only = partner_type is PartnerType.COLLEGE and rng.random() < 0.25
                    if women_only:
                        partner = f"Government Girls Degree College, {district_name}"
                        name = f"Digital Skills Centre, {partner}"
                    spec = CentreSpec(
                        id=len(centres) + 1,
                        code=f"{province}-{district_code}-{serial:02d}",
                        province=province,
                        district_id=district_id,
                        district_rural=rural,
                        district_name=district_name,
                        lab_seats=rng.choice([20, 24, 25, 30, 30, 35, 40]),
                        women_only=women_only,
                    )
                    centres.append(spec)
                    self.centre_rows.append(
                        (
                            spec.id,
                            spec.code,
                            name,
                            district_id,
                            address,
                            partner_type.value,
                            partner,
                            spec.lab_seats,
                            women_only,
                            True,
                        )
                    )
        return centres

    # Cohorts ----------------------------------------------------------------------------------------

    def plan_cohorts(self, centres: list[CentreSpec]) -> list[CohortSpec]:
        """Ten cohorts per centre, spread over three years up to four months ahead; their status follows
        from their dates (and a few cancelled, and drafts among those not yet open)."""
        rng = self.rng
        short_courses = [c for c in self.catalogue if c["weeks"] <= 8 and c["min_education"] != "bachelor"]
        first = self.today - timedelta(days=YEARS * 365)
        span = YEARS * 365 + 120
        cohorts: list[CohortSpec] = []
        for centre in centres:
            holds_camps = centre.women_only or centre.district_rural or rng.random() < 0.3
            for number in range(1, COHORTS_PER_CENTRE + 1):
                camp = holds_camps and rng.random() < 0.2
                course = rng.choice(short_courses if camp else self.catalogue)
                weeks = rng.choice([2, 3, 4]) if camp else course["weeks"]
                starts = first + timedelta(days=int((number - 1 + rng.random()) * span / COHORTS_PER_CENTRE))
                ends = starts + timedelta(days=weeks * 7 - 1)
                first_day = datetime.combine(starts, clock(4, 0), tzinfo=UTC)  # 09:00 in Pakistan
                opens = first_day - timedelta(days=45)
                closes = first_day - timedelta(days=3)
                status = self.status_for(starts, ends, opens, closes)
                if camp:
                    mode, shift = Mode.ON_SITE, Shift.MORNING
                    seats = min(centre.lab_seats, rng.choice([15, 20, 25, 30]))
                    away = centre.district_rural and rng.random() < 0.6
                    venue = rng.choice(CAMP_VENUES).format(district=centre.district_name) if away else ""
                else:
                    mode = rng.choices([Mode.ON_SITE, Mode.ONLINE, Mode.HYBRID], weights=[75, 12, 13])[0]
                    shift = rng.choices(SHIFTS, weights=[35, 30, 20, 15])[0]
                    seats = (
                        min(centre.lab_seats, rng.choice([20, 25, 30, 35]))
                        if mode is not Mode.ONLINE
                        else rng.choice([40, 50, 60])
                    )
                    venue = ""
                cohort = CohortSpec(
                    id=len(cohorts) + 1,
                    code=f"{centre.code}-{'K' if camp else 'C'}{number:02d}",
                    centre=centre,
                    course=course,
                    kind=CohortKind.CAMP if camp else CohortKind.REGULAR,
                    women_only=camp or centre.women_only,
                    starts_on=starts,
                    ends_on=ends,
                    shift=shift,
                    mode=mode,
                    seats=seats,
                    opens=opens,
                    closes=closes,
                    admission=Admission.REVIEWED if rng.random() < 0.3 else Admission.FIRST_COME,
                    status=status,
                    venue=venue,
                )
                # Demand: applicants per seat vary a lot; cities draw more than rural districts.
                if cohort.has_applicants(self.now):
                    cohort.demand = seats * rng.lognormvariate(0, 0.6) * (0.8 if centre.district_rural else 1.2)
                    self.plan_selection(cohort)
                cohorts.append(cohort)
        return cohorts

    def plan_selection(self, cohort: CohortSpec) -> None:
        """Reserved seats and seat offers for some first-come cohorts that take applications (not cancelled
        ones): ``RESERVING`` of them reserve a fifth of their seats for women (unless women-only) and a tenth
        for rural applicants (in rural districts), released at the default time once it has passed;
        in a third of those, people who qualify come for only part of them (``reserved_found``: the rest is
        released early, open to the line); ``OFFERING`` of them offer seats from their line."""
        rng = self.selection_rng
        if cohort.admission is not Admission.FIRST_COME or cohort.status is CohortStatus.CANCELLED:
            return
        if rng.random() < RESERVING:
            women = 0 if cohort.women_only else round(cohort.seats * WOMEN_SHARE)
            rural = round(cohort.seats * RURAL_SHARE) if cohort.centre.district_rural else 0
            cohort.reserved = {pool: seats for pool, seats in ((Pool.WOMEN, women), (Pool.RURAL, rural)) if seats}
            cohort.reserved_found = rng.choice([1.0, 1.0, rng.uniform(0.4, 1.0)])
            release_at = default_release_at(cohort.starts_on)
            if cohort.reserved and release_at <= self.now:
                cohort.released_at = release_at
        cohort.offers = rng.random() < OFFERING

    def status_for(self, starts: date, ends: date, opens: datetime, closes: datetime) -> CohortStatus:
        rng = self.rng
        if rng.random() < 0.03:
            return CohortStatus.CANCELLED
        if ends < self.today:
            return CohortStatus.FINISHED
        if starts <= self.today:
            return CohortStatus.RUNNING
        if self.now < opens:
            return CohortStatus.DRAFT if rng.random() < 0.4 else CohortStatus.OPEN
        return CohortStatus.OPEN if self.now <= closes else CohortStatus.CLOSED

    def cohort_rows(self, cohorts: list[CohortSpec]) -> Iterator[tuple]:
        w = self.writer
        now = w.stamp(self.now)
        for c in cohorts:
            yield (
                c.id,
                c.code,
                c.course["id"],
                c.centre.id,
                c.kind.value,
                c.women_only,
                w.day(c.starts_on),
                w.day(c.ends_on),
                c.shift.value,
                c.mode.value,
                c.seats,
                w.stamp(c.opens),
                w.stamp(c.closes),
                c.admission.value,
                c.status.value,
                c.venue,
                *(0 for _ in COUNTERS),  # set at the end, once tallied (``write_counters``)
                now,
                now,
            )

    COHORT_COLUMNS = (
        "id",
        "code",
        "course_id",
        "centre_id",
        "kind",
        "women_only",
        "starts_on",
        "ends_on",
        "shift",
        "mode",
        "seats",
        "applications_open_at",
        "applications_close_at",
        "admission",
        "status",
        "venue",
        *COUNTERS,
        "created_at",
        "updated_at",
    )

    # Trainees ---------------------------------------------------------------------------------------

    def trainee_rows(self, centres: list[CentreSpec]) -> Iterator[tuple]:
        """Trainees where the centres are (three in four live in a district with a centre), about 56%
        women; rural districts are mostly rural areas. Their attributes are kept in arrays for the
        enrollments that follow."""
        rng, w = self.rng, self.writer
        count = self.size.trainees
        centre_districts: dict[str, list[int]] = {}
        for centre in centres:
            centre_districts.setdefault(centre.province, []).append(centre.district_id)
        provinces = sorted(centre_districts)
        province_weights = [len(centre_districts[p]) for p in provinces]
        all_districts = {p: [item[0] for item in self.districts[p]] for p in provinces}
        self.gender = bytearray(count + 1)
        self.area = bytearray(count + 1)
        self.education = bytearray(count + 1)
        self.born = array("i", bytes(4 * (count + 1)))  # YYYYMMDD
        self.active = [array("i", [-1]) * (count + 1) for _ in range(current_app.config["MAX_ACTIVE_PLACES"])]
        self.province_pool: dict[str, array] = {p: array("i") for p in provinces}
        self.district_pool: dict[int, array] = {}
        female = self.people["female_given"]
        male = self.people["male_given"]
        family = self.people["family"]
        educations = list(EDUCATION_WEIGHTS)
        education_weights = list(EDUCATION_WEIGHTS.values())
        genders, gender_weights = list(GENDER_WEIGHTS), list(GENDER_WEIGHTS.values())
        youngest, oldest = 17 * 365, 38 * 365
        now = w.stamp(self.now)
        # Draw the per-trainee choices in bulk (much faster than one call per trainee).
        province_of = rng.choices(provinces, weights=province_weights, k=count)
        gender_of = rng.choices(genders, weights=gender_weights, k=count)
        education_of = rng.choices(educations, weights=education_weights, k=count)
        for number in range(1, count + 1):
            province = province_of[number - 1]
            gender = gender_of[number - 1]
            if rng.random() < 0.75:
                district_id = rng.choice(centre_districts[province])
            else:
                district_id = rng.choice(all_districts[province])
            rural = self.district_rural[district_id]
            roll = rng.random()
            if rural:
                area = Area.URBAN if roll < 0.05 else Area.SEMI_URBAN if roll < 0.35 else Area.RURAL
            else:
                area = Area.URBAN if roll < 0.70 else Area.SEMI_URBAN if roll < 0.95 else Area.RURAL
            given, given_ur = rng.choice(male if gender is Gender.MALE else female)
            surname, surname_ur = rng.choice(family)
            full_name = f"{given_ur} {surname_ur}" if rng.random() < 0.12 else f"{given} {surname}"
            born = self.today - timedelta(days=rng.randint(youngest, oldest))
            education = education_of[number - 1]
            spread = (number * CNIC_STEP) % CNIC_SPREAD
            parity = (spread % 5) * 2 + (gender is not Gender.FEMALE)  # NADRA: even for women, odd for men
            cnic = f"{CNIC_REGION_DIGIT[province]}{spread:011d}{parity}"
            phone_number = (number * PHONE_STEP) % PHONE_SPREAD
            phone = f"+92{MOBILE_PREFIXES[phone_number // 10**7]}{phone_number % 10**7:07d}"
            email = f"{slug(given)}.{slug(surname)}{number}@example.com" if rng.random() < 0.45 else None
            self.gender[number] = GENDERS.index(gender)
            self.area[number] = AREAS.index(area)
            self.education[number] = education.rank
            self.born[number] = born.year * 10000 + born.month * 100 + born.day
            self.province_pool[province].append(number)
            self.district_pool.setdefault(district_id, array("i")).append(number)
            yield (
                number,
                cnic,
                full_name,
                gender.value,
                w.day(born),
                phone,
                email,
                district_id,
                area.value,
                education.value,
                rng.random() < 0.03,
                now,
                now,
            )

    TRAINEE_COLUMNS = (
        "id",
        "cnic",
        "full_name",
        "gender",
        "date_of_birth",
        "phone",
        "email",
        "district_id",
        "area",
        "education",
        "disability",
        "created_at",
        "updated_at",
    )

    # Enrollments ------------------------------------------------------------------------------------

    def allot(self, cohorts: list[CohortSpec]) -> dict[int, int]:
        """How many applications each cohort gets: ``size.enrollments`` in proportion to demand."""
        demand = {cohort.id: cohort.demand for cohort in cohorts if cohort.demand > 0}
        return largest_remainder(demand, self.size.enrollments) if demand else {}

    def enrollment_rows(self, cohorts: list[CohortSpec]) -> Iterator[tuple]:
        """Each cohort's applications, cohorts in order of their first day, applications in order of
        time. What becomes of each follows the cohort's admission and how far it has got."""
        allotted = self.allot(cohorts)
        self.enrollment_id = 0
        carry = 0  # applications a cohort could not find eligible applicants for, passed on
        for cohort in sorted(cohorts, key=lambda c: (c.starts_on, c.id)):
            wanted = allotted.get(cohort.id, 0)
            if not wanted:
                continue
            wanted += carry
            made = yield from self.applications(cohort, wanted)
            carry = wanted - made
        self.report.shortfall = carry

    def statuses(self, cohort: CohortSpec, count: int) -> Iterator[tuple[EnrollmentStatus, bool]]:
        """What becomes of the applications of ``cohort`` (about ``count`` of them), in application
        order, and whether each took a seat when it came. The caller says through ``send`` whether each
        was placed (only placed ones take seats)."""
        rng = self.rng
        seats_taken = 0
        reviewed_share = rng.uniform(0.4, 1.0) if cohort.status is CohortStatus.OPEN else 1.0
        for index in counting():
            roll = rng.random()
            # While applications were open: seats in order, then the waitlist (first come); reviewed:
            # decisions in order, the latest applications still pending while the cohort is open.
            if roll < 0.05:
                status = S.WITHDRAWN
            elif cohort.admission is Admission.REVIEWED and index >= count * reviewed_share:
                status = S.PENDING
            elif cohort.admission is Admission.REVIEWED and roll < 0.25:
                status = S.REJECTED
            elif seats_taken < cohort.seats:
                status = S.ENROLLED
            else:
                status = S.WAITLISTED
            # What happened since.
            started = cohort.status in (CohortStatus.RUNNING, CohortStatus.FINISHED)
            if status in ACTIVE and cohort.status is CohortStatus.CANCELLED:
                final = S.CANCELLED  # cancel_cohort
            elif status in (S.PENDING, S.WAITLISTED) and started:
                # Some gave up waiting and withdrew; end_waiting cancelled the rest when it started.
                final = S.WITHDRAWN if rng.random() < 0.2 else S.CANCELLED
            elif cohort.status is CohortStatus.RUNNING and status is S.ENROLLED:
                final = S.DROPPED if rng.random() < 0.07 else S.ENROLLED
            elif cohort.status is CohortStatus.FINISHED and status is S.ENROLLED:
                final = S.DROPPED if rng.random() < 0.14 else S.COMPLETED
            else:
                final = status
            placed = yield final, status is S.ENROLLED
            if placed and status is S.ENROLLED:
                seats_taken += 1

    def eligible(self, number: int, cohort: CohortSpec, start: int, min_rank: int) -> bool:
        if cohort.women_only and self.gender[number] != 0:
            return False
        age = (start - self.born[number]) // 10000
        course = cohort.course
        return course["min_age"] <= age <= course["max_age"] and self.education[number] >= min_rank

    def clashes(self, number: int, cohort: CohortSpec) -> bool:
        """Whether she may not take one more active place in ``cohort``: she holds the most anyone may,
        or one with the same shift on overlapping dates."""
        held = [places[number] for places in self.active if places[number] >= 0]
        if len(held) >= len(self.active):
            return True
        for index in held:
            other = self.cohort_list[index]
            if other.shift is cohort.shift and other.starts_on <= cohort.ends_on and cohort.starts_on <= other.ends_on:
                return True
        return False

    def hold(self, number: int, cohort_index: int) -> None:
        for places in self.active:
            if places[number] < 0:
                places[number] = cohort_index
                return
        raise AssertionError("a trainee was given more active places than allowed")

    def applications(self, cohort: CohortSpec, count: int):
        """Yield the enrollment rows of ``cohort`` (up to ``count``); return how many were made."""
        rng, w = self.rng, self.writer
        if cohort.mode is Mode.ONLINE:
            people = [self.all_trainees]
        else:
            people = [self.district_pool.get(cohort.centre.district_id), self.province_pool[cohort.centre.province]]
            people = [trainees for trainees in people if trainees]
        if not people:
            return 0
        start = cohort.starts_on.year * 10000 + cohort.starts_on.month * 100 + cohort.starts_on.day
        min_rank = cohort.course["min_rank"]
        taken: set[int] = set()
        cohort_index = cohort.id - 1
        opens = cohort.opens
        last = min(cohort.closes, self.now - timedelta(hours=1))
        step = max((last - opens).total_seconds(), 60) / (count + 1)
        counts = dict.fromkeys(COUNTERS, 0)
        made = 0
        outcomes = self.statuses(cohort, count)
        status, seat = next(outcomes)
        sources = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()), k=count)
        misses = 0
        giver = SeatGiver(cohort)
        while True:
            active = status in ACTIVE
            # Only reserved seats are free: the seat goes to someone who qualifies for one of them, unless
            # as many came for them as ever will: the centre then released them early (the line moves).
            reserved_only = seat and giver.reserved_only
            if reserved_only and giver.reserved_held >= cohort.reserved_found * sum(cohort.reserved.values()):
                giver.release(opens + timedelta(seconds=step * (made + 1)))
                reserved_only = False
            number = 0
            for _attempt in range(60):
                trainees = people[0] if len(people) == 1 or rng.random() < 0.6 else people[1]
                candidate = trainees[rng.randrange(len(trainees))]
                if candidate in taken or not self.eligible(candidate, cohort, start, min_rank):
                    continue
                if active and self.clashes(candidate, cohort):
                    continue
                if reserved_only and giver.pool_for(*self.categories(candidate)) is None:
                    continue
                number = candidate
                break
            if not number and reserved_only:
                # Nobody within reach qualifies: the centre released the reserved seats early (the line moves).
                giver.release(opens + timedelta(seconds=step * (made + 1)))
                continue
            if number:
                misses = 0
                taken.add(number)
                made += 1
                if active:
                    self.hold(number, cohort_index)
                self.enrollment_id += 1
                applied = opens + timedelta(seconds=step * made)
                decided = None
                reason = ""
                pool, offer, status = self.selection(giver, cohort, status, seat, number, applied)
                if status is S.COMPLETED:
                    decided = datetime.combine(cohort.ends_on, clock(11, 0), tzinfo=UTC)
                elif status is S.DROPPED:
                    decided = datetime.combine(
                        cohort.starts_on + (cohort.ends_on - cohort.starts_on) / 2, clock(11, 0), tzinfo=UTC
                    )
                    reason = rng.choice(DROP_REASONS)
                elif status is S.CANCELLED:
                    if cohort.status is CohortStatus.CANCELLED:
                        decided, reason = min(cohort.closes, self.now), CANCELLED_REASON
                    else:
                        decided = datetime.combine(cohort.starts_on, clock(4, 0), tzinfo=UTC)
                        reason = STARTED_WAITING_REASON
                elif status is S.OFFERED:  # offered a day ago, open for two more
                    decided = max(applied, self.now - timedelta(days=1))
                elif status not in (S.PENDING, S.WAITLISTED):
                    decided = applied + timedelta(hours=rng.randint(1, 72))
                    if status is S.REJECTED:
                        reason = rng.choice(REJECTION_REASONS)
                    elif status is S.WITHDRAWN:
                        reason = rng.choice(WITHDRAW_REASONS)
                if decided is not None and decided > self.now:
                    decided = self.now
                expires = None
                if offer is OfferState.OPEN:
                    expires = self.now + timedelta(days=2)
                elif offer is OfferState.EXPIRED:
                    expires, reason = decided, EXPIRED_REASON
                elif offer is not None:
                    expires = (decided or applied) + timedelta(days=1)
                tally(counts, status, GENDERS[self.gender[number]], self.area[number] == RURAL, pool)
                yield (
                    self.enrollment_id,
                    number,
                    cohort.id,
                    status.value,
                    sources[made - 1].value,
                    w.stamp(applied),
                    w.stamp(decided),
                    reason,
                    pool.value if pool else None,
                    offer.value if offer else None,
                    w.stamp(expires),
                    w.stamp(decided or applied),
                )
                if made == count:
                    break
            else:
                misses += 1
                if misses > 50:  # the pool has no one left who may apply: stop
                    break
            status, seat = outcomes.send(bool(number))
        if cohort.released_at is not None and not cohort.held_at_release:
            cohort.held_at_release = dict(giver.held)  # released on time: what each pool held then
        cohort.counts = counts
        return made

    def categories(self, number: int) -> tuple[bool, bool]:
        """Whether trainee ``number`` is a woman, and rural: the reserved pools the seed uses."""
        return self.gender[number] == 0, self.area[number] == RURAL

    def selection(
        self, giver: "SeatGiver", cohort: CohortSpec, status: EnrollmentStatus, seat: bool, number: int, applied
    ) -> tuple[Pool | None, OfferState | None, EnrollmentStatus]:
        """The pool of the seat a place takes (``seat``: it took one when it came), and, in a cohort that
        offers seats, its offer: the seats after the first ``GIVEN_FIRST`` went by offers she accepted, the
        last one of a cohort still filling is an offer still open; a withdrawal once the first seats had
        gone was an offer declined or let expire. Returns the pool, the offer and the status."""
        if seat:
            pool = giver.take(*self.categories(number))
            if giver.taken == cohort.seats:
                cohort.full_at = applied
            if not cohort.offers or giver.taken <= GIVEN_FIRST * cohort.seats:
                return pool, None, status
            if status is S.ENROLLED and giver.taken == cohort.seats and cohort.status in FILLING:
                return pool, OfferState.OPEN, S.OFFERED
            giver.offers_accepted += 1
            return pool, OfferState.ACCEPTED, status
        # About one offer in three is not accepted: a withdrawal once seats went by offers was one.
        refusals_due = giver.offers_refused < giver.offers_accepted // 2 + 1
        if cohort.offers and status is S.WITHDRAWN and giver.taken >= GIVEN_FIRST * cohort.seats and refusals_due:
            giver.offers_refused += 1
            expired = self.selection_rng.random() < EXPIRED_SHARE
            return Pool.OPEN, OfferState.EXPIRED if expired else OfferState.DECLINED, S.DECLINED
        return None, None, status

    ENROLLMENT_COLUMNS = (
        "id",
        "trainee_id",
        "cohort_id",
        "status",
        "source",
        "applied_at",
        "decided_at",
        "reason",
        "pool",
        "offer",
        "offer_expires_at",
        "updated_at",
    )

    # Accounts ---------------------------------------------------------------------------------------

    def accounts(self, centres: list[CentreSpec]) -> None:
        """An admin, a national and a Punjab overseer, and one staff account per centre (demo password),
        for the emails not taken yet."""
        w = self.writer
        taken = set(self.connection.scalars(select(UserAccount.email)))
        next_id = (self.connection.scalar(select(func.max(UserAccount.id))) or 0) + 1
        password_hash = hash_password(DEMO_PASSWORD)
        now = w.stamp(self.now)
        wanted = [
            ("admin@markaz.test", "Markaz Administrator", Role.ADMIN, None, None),
            ("overseer@markaz.test", "Ministry Overseer", Role.OVERSEER, None, None),
            (
                "punjab.overseer@markaz.test",
                "Punjab IT Board Overseer",
                Role.OVERSEER,
                self.province_ids.get("PB"),
                None,
            ),
            *(
                (f"staff.{centre.code.lower()}@markaz.test", f"Staff of {centre.code}", Role.STAFF, None, centre.id)
                for centre in centres
            ),
        ]
        users, memberships = [], []
        for email, name, role, province_id, centre_id in wanted:
            if email in taken:
                continue
            users.append((next_id, email, password_hash, name, role.value, True, province_id, now))
            if centre_id is not None:
                memberships.append((next_id, centre_id, now))
            next_id += 1
        columns = ("id", "email", "password_hash", "full_name", "role", "active", "province_id", "created_at")
        self.report.rows["accounts"] = w.write(UserAccount.__tablename__, columns, users) if users else 0
        if memberships:
            w.write(CentreMembership.__tablename__, ("user_id", "centre_id", "created_at"), memberships)

    # The whole load ---------------------------------------------------------------------------------

    def run(self) -> ScaleReport:
        self.load_places()
        with timed(self.report, "courses"):
            self.load_courses()
        centres = self.plan_centres()
        with timed(self.report, "centres"):
            self.report.rows["centres"] = self.writer.write(
                Centre.__tablename__,
                (
                    "id",
                    "code",
                    "name",
                    "district_id",
                    "address",
                    "partner_type",
                    "partner_name",
                    "lab_seats",
                    "women_only",
                    "active",
                ),
                self.centre_rows,
            )
        with timed(self.report, "accounts"):
            self.accounts(centres)
        cohorts = self.plan_cohorts(centres)
        self.cohort_list = cohorts
        with timed(self.report, "cohorts"):
            self.report.rows["cohorts"] = self.writer.write(
                Cohort.__tablename__, self.COHORT_COLUMNS, self.cohort_rows(cohorts), expected=len(cohorts)
            )
        with timed(self.report, "trainees"):
            self.report.rows["trainees"] = self.writer.write(
                Trainee.__tablename__, self.TRAINEE_COLUMNS, self.trainee_rows(centres), expected=self.size.trainees
            )
        self.all_trainees = array("i", range(1, self.size.trainees + 1))
        with timed(self.report, "enrollments"):
            self.report.rows["enrollments"] = self.writer.write(
                Enrollment.__tablename__,
                self.ENROLLMENT_COLUMNS,
                self.enrollment_rows(cohorts),
                expected=self.size.enrollments,
            )
        with timed(self.report, "counters"):
            self.write_counters(cohorts)
            # Firsts, the start of training and the counters that follow them, set-based from the rows.
            mark_firsts_and_training(self.connection)
        with timed(self.report, "attendance"):
            seeded = seed_registers(
                self.connection,
                self.writer,
                today=self.today,
                now=self.now,
                seed=self.rng.randrange(1 << 30),
                threshold=current_app.config.get("AT_RISK_ABSENCES", 3),
            )
            self.report.rows["attendance registers"] = seeded.registers
            self.report.rows["attendance marks"] = seeded.marks
        with timed(self.report, "completion"):
            done = seed_completion(self.connection, self.writer, now=self.now)
            self.report.rows["places marked"] = done.marked
            self.report.rows["places not completed"] = done.not_completed
            self.report.rows["certificates"] = done.certificates
            self.report.rows["tallies"] = done.tallies
        with timed(self.report, "outcomes"):
            outcomes = seed_outcomes(self.connection, self.writer, today=self.today, seed=self.rng.randrange(1 << 30))
            self.report.rows["outcome waves"] = outcomes.waves
            self.report.rows["outcome answers"] = outcomes.answers
            self.report.rows["outcome tallies"] = outcomes.tallies
            # The report's roll-ups, summed from those tallies (set-based: one pass per grouping).
            self.report.rows["outcome roll-ups"] = len(recount_rollups(fix=True, connection=self.connection))
        if self.writer.postgresql:
            for table in (
                "course",
                "centre",
                "cohort",
                "trainee",
                "enrollment",
                "user_account",
                "outcome_wave",
                "outcome_answer",
                "outcome_tally",
                "outcome_tally_bucket",
                "outcome_rollup",
            ):
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        return self.report

    def write_counters(self, cohorts: list[CohortSpec]) -> None:
        """Every cohort's counters, as tallied, and its selection (``SELECTION_COLUMNS``), in one pass (one
        statement run for all cohorts)."""
        marker = "%s" if self.writer.postgresql else "?"
        columns = (*COUNTERS, *SELECTION_COLUMNS)
        statement = f"UPDATE cohort SET {', '.join(f'{name} = {marker}' for name in columns)} WHERE id = {marker}"
        w = self.writer
        rows = [
            (
                *(cohort.counts.get(name, 0) for name in COUNTERS),
                *(cohort.reserved.get(pool, 0) for pool in SEED_POOLS),
                cohort.offers,
                w.stamp(cohort.released_at),
                *((cohort.held_at_release.get(pool, 0) if cohort.released_at else None) for pool in SEED_POOLS),
                w.stamp(cohort.full_at),
                cohort.id,
            )
            for cohort in cohorts
            if cohort.counts
        ]
        if rows:
            cursor = self.writer.driver.cursor()
            cursor.executemany(statement, rows)
            cursor.close()


# The reserved pools the seed uses, and the cohort columns its selection sets (with ``write_counters``).
SEED_POOLS = (Pool.WOMEN, Pool.RURAL)
SELECTION_COLUMNS = (
    *(f"reserved_{pool.value}" for pool in SEED_POOLS),
    "offers",
    "released_at",
    *(f"released_held_{pool.value}" for pool in SEED_POOLS),
    "full_at",
)
FILLING = (CohortStatus.OPEN, CohortStatus.CLOSED)


class SeatGiver:
    """A cohort's seats given as the services give them (``enrollments.pools``): open seats first, then a
    reserved pool she qualifies for (the one with the most free seats), counted as they go."""

    def __init__(self, cohort: CohortSpec) -> None:
        self.cohort = cohort
        self.open_left = cohort.seats - sum(cohort.reserved.values())
        self.left = dict(cohort.reserved)
        self.held = dict.fromkeys(cohort.reserved, 0)
        self.taken = 0
        self.offers_accepted = self.offers_refused = 0

    @property
    def reserved_held(self) -> int:
        return sum(self.held.values())

    @property
    def reserved_only(self) -> bool:
        """Whether the only free seats are reserved ones."""
        return self.open_left <= 0 and any(self.left.values())

    def pool_for(self, woman: bool, rural: bool) -> Pool | None:
        if self.open_left > 0:
            return Pool.OPEN
        qualifies = {Pool.WOMEN: woman, Pool.RURAL: rural}
        choices = [pool for pool, left in self.left.items() if left > 0 and qualifies[pool]]
        return max(choices, key=lambda pool: (self.left[pool], -SEED_POOLS.index(pool))) if choices else None

    def take(self, woman: bool, rural: bool) -> Pool:
        """Take the seat she gets (the caller made sure there is one for her): its pool."""
        pool = self.pool_for(woman, rural) or Pool.OPEN  # past the seats: as the generator counts them
        if pool is Pool.OPEN:
            self.open_left -= 1
        else:
            self.left[pool] -= 1
            self.held[pool] += 1
        self.taken += 1
        return pool

    def release(self, at: datetime) -> None:
        """Release the reserved seats now (their free seats become open): what each pool holds is kept."""
        if self.cohort.released_at is None or self.cohort.released_at > at:
            self.cohort.released_at = at
        self.cohort.held_at_release = dict(self.held)
        self.open_left += sum(self.left.values())
        self.left = dict.fromkeys(self.left, 0)


BY_STATUS = {
    S.OFFERED: "offered_count",
    S.ENROLLED: "enrolled_count",
    S.WAITLISTED: "waitlisted_count",
    S.PENDING: "pending_count",
    S.COMPLETED: "completed_count",
    S.DROPPED: "dropped_count",
    S.CANCELLED: "cancelled_count",
}
GENDER_COUNTERS = {Gender.FEMALE: "women_count", Gender.MALE: "men_count", Gender.TRANSGENDER: "transgender_count"}


def tally(counts: dict[str, int], status: EnrollmentStatus, gender: Gender, rural: bool, pool: Pool | None) -> None:
    """Add one enrollment to a cohort's counters, as ``enrollments.counters.COUNTERS`` and ``POOL_COUNTERS``
    define them (the others, ``MARKED_COUNTERS``, are set afterwards from the rows' marks)."""
    counts["applications_count"] += 1
    if pool is not None and pool is not Pool.OPEN and status in (S.ENROLLED, S.OFFERED):
        counts[f"held_{pool.value}"] += 1
    if (name := BY_STATUS.get(status)) is not None:
        counts[name] += 1
    if status is S.ENROLLED or status is S.COMPLETED:
        counts[GENDER_COUNTERS[gender]] += 1
        counts["rural_count"] += rural


@contextmanager
def timed(report: ScaleReport, part: str) -> Iterator[None]:
    """Add the seconds the block takes to ``report.seconds[part]``."""
    started = time.perf_counter()
    yield
    report.seconds[part] = time.perf_counter() - started


def training_rows() -> dict[str, int]:
    """How many centres, cohorts, trainees and enrollments the database holds."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Centre, Cohort, Trainee, Enrollment)
    }


def seed_scale(
    size: ScaleSize,
    *,
    seed: int = DEFAULT_SEED,
    echo: Callable[[str], None] = print,
    now: datetime | None = None,
) -> ScaleReport:
    """Fill an empty database with ``size`` (see the module docstring). Dates are relative to ``now``
    (default: the present), so the same seed and the same ``now`` give the same rows. Commits once, at
    the end; on any error nothing is written. Raises ``DatabaseNotEmpty`` when there are centres,
    cohorts, trainees or enrollments already."""
    if size.centres < 1 or size.trainees < 1 or size.enrollments < 0:
        raise ValueError("centres and trainees must be at least 1, enrollments at least 0")
    found = {table: count for table, count in training_rows().items() if count}
    if found:
        db.session.rollback()
        raise DatabaseNotEmpty(
            "The database already holds "
            + ", ".join(f"{count:,} rows in {table}" for table, count in found.items())
            + ": the scale seed fills an empty database only (point DATABASE_URL at a new one)."
        )
    started = time.perf_counter()
    load_reference_data()  # provinces and districts: reference data every install has anyway
    db.session.commit()
    engine = db.engine
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # For the load only (this connection): no fsync per write, a large page cache.
            synchronous = driver.execute("PRAGMA synchronous").fetchone()[0]
            driver.execute("PRAGMA synchronous=OFF")
            driver.execute("PRAGMA cache_size=-400000")  # 400 MB
            driver.execute("PRAGMA journal_mode=WAL")
        try:
            with connection.begin():
                report = ScaleSeeder(connection, size, seed, echo, now or utcnow()).run()
            with timed(report, "analyze"):
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        finally:
            if sqlite:
                driver.execute(f"PRAGMA synchronous={int(synchronous)}")
                driver.execute("PRAGMA cache_size=-2000")
    report.seconds["total"] = time.perf_counter() - started
    return report


def describe(report: ScaleReport) -> str:
    """The report as a few lines for the command line."""
    rows = ", ".join(f"{count:,} {name}" for name, count in report.rows.items())
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.seconds.items() if name != "total")
    text = f"Added {rows}.\nTimes: {parts}.\nTotal: {report.seconds['total']:.1f} s."
    if report.shortfall:
        text += f"\n{report.shortfall:,} enrollments could not be made: too few eligible trainees for the cohorts."
    return text
