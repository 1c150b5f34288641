"""Demo data: a national network of centres, a course catalogue, cohorts in every phase, trainees
with realistic names, enrollments in every state, and the demo accounts.

The whole data set is planned in memory from a fixed random seed, then only the rows that are missing
(matched by natural key: codes, CNICs, emails) are inserted. Running it twice therefore changes
nothing. Dates are relative to the day of the first run, so a fresh install always has cohorts open
for applications.

Enrollments obey the enrollment rules of DESIGN.md: seats are never overbooked, a trainee holds at
most ``MAX_ACTIVE_PLACES`` active places and never two whose dates and shift overlap, women-only
cohorts take women only, and age and education requirements hold on the first day.

Selection (issue 16; ``show_selection``): some cohorts reserve seats per category, held by people who
qualify, released seven days before the start once that has passed; some offer seats from their line,
with offers accepted, declined, expired and one still open in each cohort still filling. One cohort admits
by merit list (``show_merit``): its applicants registered, scored and the list published through the
services, as staff would.
"""

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import cycle

from flask import current_app
from sqlalchemy import func, select

from auth.models import CentreMembership, UserAccount
from auth.services import hash_password
from centres.models import Centre, District, Province
from certificates.services import issue, valid_certificate_of
from clock import local_date
from courses.models import Cohort, Course
from database import utcnow
from enrollments.counters import mark_firsts_and_training, recount
from enrollments.models import Enrollment, Trainee
from enrollments.pools import default_release_at
from enrollments.tallies import recount_tallies
from extensions import db
from outcomes.seeding import seed_outcomes
from seed.reference import load_json, load_reference_data
from vocabulary import (
    ACTIVE_ENROLLMENT_STATUSES,
    RESERVED_POOLS,
    Admission,
    Area,
    CohortKind,
    CohortStatus,
    Education,
    EnrollmentSource,
    EnrollmentStatus,
    Gender,
    Level,
    Mode,
    OfferState,
    PartnerType,
    Pool,
    Role,
    Shift,
    Track,
)

S = EnrollmentStatus
DEMO_PASSWORD = "markaz-demo"
RANDOM_SEED = 2026
TRAINEE_COUNT = 2000
TRAINEE_ACCOUNTS = 20
MAX_ACTIVE_PLACES = 2

# Centres run with partner institutions, per region, plus outreach centres that rural support
# programmes run in rural districts.
PARTNER_CENTRES = {"PB": 20, "SD": 13, "KP": 12, "BL": 8, "IC": 4, "GB": 5, "AJK": 5}
OUTREACH_CENTRES = {"PB": 4, "SD": 3, "KP": 3, "BL": 3, "IC": 0, "GB": 2, "AJK": 2}
# The first digit of a CNIC tells the region that issued it.
CNIC_REGION_DIGIT = {"KP": "1", "PB": "3", "SD": "4", "BL": "5", "IC": "6", "GB": "7", "AJK": "8"}
# Cohort phases relative to today, and how often each occurs.
PHASES = (
    ["finished"] * 30
    + ["running"] * 16
    + ["open"] * 30
    + ["closed"] * 5
    + ["upcoming"] * 12
    + ["cancelled"] * 3
    + ["draft"] * 4
)
EDUCATION_WEIGHTS = {
    Education.PRIMARY: 3,
    Education.MIDDLE: 8,
    Education.MATRIC: 27,
    Education.INTERMEDIATE: 30,
    Education.BACHELOR: 24,
    Education.MASTER: 8,
}
# Mobile network codes in use: Jazz 300-309 and 320-329, Zong 310-318, Ufone 330-337, Telenor 340-349.
MOBILE_PREFIXES = [str(code) for code in (*range(300, 319), *range(320, 338), *range(340, 350))]
REJECTION_REASONS = [
    "Did not attend the aptitude test.",
    "Education documents were not provided.",
    "Applied for a more advanced course than the assessment showed.",
]
DROP_REASONS = ["Missed more than a third of the classes.", "Did not return after the mid-course break."]
WITHDRAW_REASONS = ["", "", "Found a job.", "Family moved to another city.", "Timing clashes with studies."]
CAMP_VENUES = [
    "Government Girls High School, {district}",
    "Community Hall, {district}",
    "Union Council Women's Centre, {district}",
    "Government Girls Degree College, {district}",
]


@dataclass
class TraineePlan:
    cnic: str
    full_name: str
    gender: Gender
    date_of_birth: date
    phone: str
    email: str | None
    province: str
    district: str
    area: Area
    education: Education
    disability: bool
    # Active places taken by the plan: (starts_on, ends_on, shift) each.
    active: list[tuple[date, date, Shift]] = field(default_factory=list)


@dataclass
class EnrollmentPlan:
    cnic: str
    status: EnrollmentStatus
    source: EnrollmentSource
    applied_at: datetime
    decided_at: datetime | None
    reason: str
    # Selection (``show_selection``): the pool of the seat it held, its seat offer and the offer's deadline.
    pool: Pool | None = None
    offer: OfferState | None = None
    offer_expires_at: datetime | None = None


@dataclass
class CohortPlan:
    code: str
    course: dict
    centre_code: str
    province: str
    kind: CohortKind
    women_only: bool
    starts_on: date
    ends_on: date
    shift: Shift
    mode: Mode
    seats: int
    applications_open_at: datetime | None
    applications_close_at: datetime | None
    admission: Admission
    status: CohortStatus
    phase: str
    venue: str = ""
    venue_district: str | None = None  # the district code of a venue away from the centre's district
    enrollments: list[EnrollmentPlan] = field(default_factory=list)


@dataclass
class CentrePlan:
    code: str
    name: str
    province: str
    district: str
    district_name: str
    address: str
    partner_type: PartnerType
    partner_name: str
    lab_seats: int
    women_only: bool


@dataclass
class DemoPlan:
    centres: list[CentrePlan]
    courses: list[dict]
    cohorts: list[CohortPlan]
    trainees: list[TraineePlan]


@dataclass
class SeedReport:
    """What a run added, and the accounts people can sign in with."""

    added: dict[str, int]
    accounts: list[tuple[str, str]]


def slug(text: str) -> str:
    return re.sub(r"[^a-z]+", "", text.lower())


class Planner:
    """Builds the whole demo data set from one random generator, without touching the database."""

    def __init__(self, today: date, now: datetime) -> None:
        self.rng = random.Random(RANDOM_SEED)
        self.today = today
        self.now = now
        self.geo = load_json("pakistan.json")["provinces"]
        self.people = load_json("people.json")
        self.courses = load_json("courses.json")["courses"]
        self.districts = {
            province["code"]: {district["code"]: district for district in province["districts"]}
            for province in self.geo
        }

    # Centres -------------------------------------------------------------------------------
    def centres(self) -> list[CentrePlan]:
        plans: list[CentrePlan] = []
        per_district: dict[tuple[str, str], int] = {}

        def add(province: str, district: str, partner_type: PartnerType, partner: str, name: str, address: str):
            number = per_district.get((province, district), 0) + 1
            per_district[(province, district)] = number
            district_name = self.districts[province][district]["name"]
            women_only = partner_type is PartnerType.COLLEGE and re.search(r"women|girls", partner, re.I) is not None
            plans.append(
                CentrePlan(
                    code=f"{province}-{district}-{number:02d}",
                    name=name,
                    province=province,
                    district=district,
                    district_name=district_name,
                    address=address,
                    partner_type=partner_type,
                    partner_name=partner,
                    lab_seats=self.rng.choice([20, 24, 25, 30, 30, 35, 40]),
                    women_only=women_only,
                )
            )

        partners = self.people["partners"]
        for province, count in PARTNER_CENTRES.items():
            for partner_type, partner in self.partner_mix(province, count):
                district_name = self.districts[province][partner["district"]]["name"]
                add(
                    province,
                    partner["district"],
                    partner_type,
                    partner["name"],
                    f"Digital Skills Centre, {partner['name']}",
                    f"{partner['name']}, {district_name}",
                )
        for province, count in OUTREACH_CENTRES.items():
            used = {plan.district for plan in plans if plan.province == province}
            rural = [code for code, d in self.districts[province].items() if d["rural"] and code not in used]
            ngos = [p for p in partners["ngo"] if p["province"] == province] or [
                p for p in partners["ngo"] if p["province"] == "IC"
            ]
            for district, ngo in zip(self.rng.sample(sorted(rural), count), cycle(ngos), strict=False):
                district_name = self.districts[province][district]["name"]
                add(
                    province,
                    district,
                    PartnerType.NGO,
                    ngo["name"],
                    f"{district_name} Community Digital Skills Centre",
                    f"Near the District Council office, {district_name}",
                )
        return plans

    def partner_mix(self, province: str, count: int) -> list[tuple[PartnerType, dict]]:
        """``count`` partners of ``province``, alternating partner types and spreading districts."""
        queues = {}
        for partner_type in PartnerType:
            found = [p for p in self.people["partners"][partner_type.value] if p["province"] == province]
            # Round-robin over districts so that one city does not take every centre.
            by_district: dict[str, list[dict]] = {}
            for partner in found:
                by_district.setdefault(partner["district"], []).append(partner)
            spread = []
            while any(by_district.values()):
                for district in sorted(by_district):
                    if by_district[district]:
                        spread.append(by_district[district].pop(0))
            queues[partner_type] = spread
        chosen: list[tuple[PartnerType, dict]] = []
        order = [
            PartnerType.UNIVERSITY,
            PartnerType.COLLEGE,
            PartnerType.UNIVERSITY,
            PartnerType.NGO,
            PartnerType.IT_BOARD,
            PartnerType.UNIVERSITY,
            PartnerType.PRIVATE,
        ]
        while len(chosen) < count and any(queues.values()):
            for partner_type in order:
                if queues[partner_type] and len(chosen) < count:
                    chosen.append((partner_type, queues[partner_type].pop(0)))
        return chosen

    # Cohorts -------------------------------------------------------------------------------
    def cohorts(self, centres: list[CentrePlan]) -> list[CohortPlan]:
        plans: list[CohortPlan] = []
        short_courses = [c for c in self.courses if c["weeks"] <= 8 and c["min_education"] != "bachelor"]
        for index, centre in enumerate(centres):
            holds_camp = centre.women_only or centre.partner_type is PartnerType.NGO or index % 4 == 0
            count = 5 if centre.lab_seats < 30 else 6
            for number in range(1, count + 1):
                phase = self.rng.choice(PHASES)
                camp = holds_camp and number == count
                course = self.rng.choice(short_courses if camp else self.courses)
                plans.append(self.cohort(centre, number, course, phase, camp))
        return plans

    def cohort(self, centre: CentrePlan, number: int, course: dict, phase: str, camp: bool) -> CohortPlan:
        rng = self.rng
        weeks = rng.choice([2, 3, 4]) if camp else course["weeks"]
        length = timedelta(days=weeks * 7 - 1)
        if phase == "finished":
            starts = self.today - timedelta(days=rng.randint(length.days + 30, 420))
        elif phase == "running":
            starts = self.today - timedelta(days=rng.randint(3, max(4, length.days - 3)))
        elif phase == "open":
            starts = self.today + timedelta(days=rng.randint(10, 50))
        elif phase == "closed":
            starts = self.today + timedelta(days=rng.randint(3, 9))
        elif phase == "cancelled":
            starts = self.today + timedelta(days=rng.randint(5, 40))
        else:  # upcoming and draft
            starts = self.today + timedelta(days=rng.randint(45, 120))
        first_day = datetime.combine(starts, time(4, 0), tzinfo=UTC)  # 09:00 in Pakistan
        if phase == "open":
            opens = self.now - timedelta(days=rng.randint(2, 25), hours=rng.randint(0, 12))
        elif phase == "upcoming":
            opens = self.now + timedelta(days=rng.randint(3, 20))
        elif phase == "closed":
            opens = first_day - timedelta(days=40)
        else:
            opens = first_day - timedelta(days=45)
        closes = self.now - timedelta(days=1) if phase == "closed" else first_day - timedelta(days=3)
        status = {
            "finished": CohortStatus.FINISHED,
            "running": CohortStatus.RUNNING,
            "open": CohortStatus.OPEN,
            "upcoming": CohortStatus.OPEN,
            "closed": CohortStatus.CLOSED,
            "cancelled": CohortStatus.CANCELLED,
            "draft": CohortStatus.DRAFT,
        }[phase]
        if camp:
            mode, shift = Mode.ON_SITE, Shift.MORNING
            seats = rng.choice([15, 20, 25, 30])
            rural = [d for d in self.districts[centre.province].values() if d["rural"]]
            away = rural and rng.random() < 0.6
            venue, venue_district = "", None
            if away:
                venue_text, meets_in = rng.choice(CAMP_VENUES), rng.choice(rural)
                venue = venue_text.format(district=meets_in["name"])
                venue_district = meets_in["code"] if meets_in["code"] != centre.district else None
        else:
            mode = rng.choices([Mode.ON_SITE, Mode.ONLINE, Mode.HYBRID], weights=[75, 12, 13])[0]
            shift = rng.choices(list(Shift), weights=[35, 30, 20, 15])[0]
            seats = (
                min(centre.lab_seats, rng.choice([20, 25, 30, 35]))
                if mode is not Mode.ONLINE
                else rng.choice([40, 50, 60])
            )
            venue, venue_district = "", None
        return CohortPlan(
            code=f"{centre.code}-{'K' if camp else 'C'}{number:02d}",
            course=course,
            centre_code=centre.code,
            province=centre.province,
            kind=CohortKind.CAMP if camp else CohortKind.REGULAR,
            women_only=camp or centre.women_only,
            starts_on=starts,
            ends_on=starts + length,
            shift=shift,
            mode=mode,
            seats=seats,
            applications_open_at=opens,
            applications_close_at=closes,
            admission=Admission.REVIEWED if rng.random() < 0.3 else Admission.FIRST_COME,
            status=status,
            phase=phase,
            venue=venue,
            venue_district=venue_district,
        )

    # Trainees ------------------------------------------------------------------------------
    def trainees(self, centres: list[CentrePlan]) -> list[TraineePlan]:
        rng = self.rng
        centre_weight = dict.fromkeys(PARTNER_CENTRES, 0)
        centre_districts: dict[str, list[str]] = {code: [] for code in PARTNER_CENTRES}
        for centre in centres:
            centre_weight[centre.province] += 1
            centre_districts[centre.province].append(centre.district)
        provinces = list(centre_weight)
        cnics: set[str] = set()
        phones: set[str] = set()
        plans: list[TraineePlan] = []
        for index in range(TRAINEE_COUNT):
            province = rng.choices(provinces, weights=[centre_weight[p] for p in provinces])[0]
            if rng.random() < 0.75:
                district = rng.choice(centre_districts[province])
            else:
                district = rng.choice(sorted(self.districts[province]))
            gender = rng.choices(list(Gender), weights=[56, 42, 2])[0]
            if index == 0:  # trainee1@markaz.test: a young woman in Lahore, the demo's main character
                province, district, gender = "PB", "LHR", Gender.FEMALE
            plans.append(self.trainee(index, province, district, gender, cnics, phones))
        return plans

    def trainee(self, index: int, province: str, district: str, gender: Gender, cnics: set, phones: set) -> TraineePlan:
        rng = self.rng
        given_pool = self.people["male_given"] if gender is Gender.MALE else self.people["female_given"]
        given, given_ur = rng.choice(given_pool)
        family, family_ur = rng.choice(self.people["family"])
        urdu = rng.random() < 0.12 and index >= TRAINEE_ACCOUNTS
        full_name = f"{given_ur} {family_ur}" if urdu else f"{given} {family}"
        age_days = rng.randint(17 * 365, 38 * 365) if index else 22 * 365 + 40
        while True:
            parity = rng.choice("02468") if gender is Gender.FEMALE else rng.choice("13579")
            cnic = f"{CNIC_REGION_DIGIT[province]}{rng.randint(1000, 9999)}{rng.randint(0, 9_999_999):07d}{parity}"
            if cnic not in cnics:
                cnics.add(cnic)
                break
        while True:
            phone = f"+92{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
            if phone not in phones:
                phones.add(phone)
                break
        rural = self.districts[province][district]["rural"]
        area_weights = [5, 30, 65] if rural else [70, 25, 5]
        if index < TRAINEE_ACCOUNTS:
            email = f"trainee{index + 1}@markaz.test"
        elif rng.random() < 0.45:
            email = f"{slug(given)}.{slug(family)}{index}@example.com"
        else:
            email = None
        education = rng.choices(list(EDUCATION_WEIGHTS), weights=list(EDUCATION_WEIGHTS.values()))[0]
        return TraineePlan(
            cnic=cnic,
            full_name=full_name,
            gender=gender,
            date_of_birth=self.today - timedelta(days=age_days),
            phone=phone,
            email=email,
            province=province,
            district=district,
            area=Area.URBAN if index == 0 else rng.choices(list(Area), weights=area_weights)[0],
            education=Education.INTERMEDIATE if index == 0 else education,
            disability=rng.random() < 0.03,
        )

    # Enrollments ---------------------------------------------------------------------------
    def enrollments(self, cohorts: list[CohortPlan], trainees: list[TraineePlan]) -> None:
        """Fill each cohort's ``enrollments`` with applicants who meet every rule."""
        by_province: dict[str, list[TraineePlan]] = {}
        for trainee in trainees:
            by_province.setdefault(trainee.province, []).append(trainee)
        taken: set[tuple[str, str]] = set()
        for cohort in sorted(cohorts, key=lambda c: (c.starts_on, c.code)):
            statuses = self.statuses_for(cohort)
            if not statuses:
                continue
            pool = list(trainees if cohort.mode is Mode.ONLINE else by_province[cohort.province])
            self.rng.shuffle(pool)
            chosen = []
            for trainee in pool:
                if len(chosen) == len(statuses):
                    break
                status = statuses[len(chosen)]
                if (trainee.cnic, cohort.code) in taken or not self.eligible(trainee, cohort, status):
                    continue
                taken.add((trainee.cnic, cohort.code))
                chosen.append(trainee)
                if status in ACTIVE_ENROLLMENT_STATUSES:
                    trainee.active.append((cohort.starts_on, cohort.ends_on, cohort.shift))
            self.timeline(cohort, chosen, statuses[: len(chosen)])

    def statuses_for(self, cohort: CohortPlan) -> list[EnrollmentStatus]:
        """The statuses of a cohort's applicants in application order (the waitlist comes last)."""
        rng, seats, S = self.rng, cohort.seats, EnrollmentStatus
        if cohort.phase == "finished":
            started = round(seats * rng.uniform(0.8, 1.0))
            return rng.choices([S.COMPLETED, S.DROPPED, S.WITHDRAWN], weights=[80, 12, 8], k=started)
        if cohort.phase == "running":
            enrolled = round(seats * rng.uniform(0.85, 1.0))
            return [S.ENROLLED] * enrolled + rng.choices([S.DROPPED, S.WITHDRAWN], k=rng.randint(0, 4))
        if cohort.phase == "cancelled":
            return [S.CANCELLED] * round(seats * rng.uniform(0.3, 0.7))
        if cohort.phase in ("open", "closed"):
            fill = 1.0 if cohort.phase == "closed" or rng.random() < 0.25 else rng.uniform(0.2, 0.9)
            enrolled = min(seats, round(seats * fill))
            others = rng.choices([S.WITHDRAWN, S.REJECTED], k=rng.randint(0, 3))
            waitlist = [S.WAITLISTED] * rng.randint(3, 15) if enrolled == seats else []
            if cohort.admission is Admission.REVIEWED:
                pending = [S.PENDING] * rng.randint(2, 8) if cohort.phase == "open" else []
                return [S.ENROLLED] * enrolled + others + pending + waitlist
            return [S.ENROLLED] * enrolled + [s for s in others if s is S.WITHDRAWN] + waitlist
        return []

    def eligible(self, trainee: TraineePlan, cohort: CohortPlan, status: EnrollmentStatus) -> bool:
        course = cohort.course
        if cohort.women_only and trainee.gender is not Gender.FEMALE:
            return False
        start, dob = cohort.starts_on, trainee.date_of_birth
        age = start.year - dob.year - ((start.month, start.day) < (dob.month, dob.day))
        if not course["min_age"] <= age <= course["max_age"]:
            return False
        if trainee.education.rank < Education(course["min_education"]).rank:
            return False
        if status in ACTIVE_ENROLLMENT_STATUSES:
            if len(trainee.active) >= MAX_ACTIVE_PLACES:
                return False
            for starts, ends, shift in trainee.active:
                if shift == cohort.shift and starts <= cohort.ends_on and cohort.starts_on <= ends:
                    return False
        return True

    def timeline(self, cohort: CohortPlan, trainees: list[TraineePlan], statuses: list[EnrollmentStatus]) -> None:
        """Give applications increasing times inside the window, and decisions after them."""
        opens = cohort.applications_open_at
        last = min(cohort.applications_close_at, self.now - timedelta(hours=1))
        span = max((last - opens).total_seconds(), 3600)
        step = span / (len(trainees) + 1)
        for position, (trainee, status) in enumerate(zip(trainees, statuses, strict=True), start=1):
            applied = opens + timedelta(seconds=round(step * position))
            decided = None
            reason = ""
            if status not in (EnrollmentStatus.PENDING, EnrollmentStatus.WAITLISTED):
                decided = min(applied + timedelta(hours=self.rng.randint(1, 72)), self.now)
            if status is EnrollmentStatus.REJECTED:
                reason = self.rng.choice(REJECTION_REASONS)
            elif status is EnrollmentStatus.DROPPED:
                reason = self.rng.choice(DROP_REASONS)
            elif status is EnrollmentStatus.WITHDRAWN:
                reason = self.rng.choice(WITHDRAW_REASONS)
            elif status is EnrollmentStatus.CANCELLED:
                reason = "The cohort was cancelled by the centre."
            source = self.rng.choices(list(EnrollmentSource), weights=[70, 20, 10])[0]
            cohort.enrollments.append(EnrollmentPlan(trainee.cnic, status, source, applied, decided, reason))

    def plan(self) -> DemoPlan:
        centres = self.centres()
        cohorts = self.cohorts(centres)
        trainees = self.trainees(centres)
        self.enrollments(cohorts, trainees)
        return DemoPlan(centres, self.courses, cohorts, trainees)


# Places that hold (or held) a seat, and where its pool is kept.
SEATED = (S.ENROLLED, S.OFFERED, S.COMPLETED, S.DROPPED)
# Reserved seats wanted per pool, as a share of the seats (disability: one seat in cohorts of 20 or more).
RESERVE_SHARES = {Pool.WOMEN: 0.2, Pool.RURAL: 0.1, Pool.DISTRICT: 0.1}
OFFERING_COHORTS = 3


def show_selection(plan: DemoPlan, cohorts: dict, new_codes: set[str], now: datetime) -> None:
    """Reserved seats and seat offers in the cohorts being created (issue 16), on their planned places:
    ``offer_seats`` in the first few open first-come cohorts with places enrolled and withdrawn (and one
    running), ``reserve_seats`` in every fifth first-come cohort that has places; then each cohort's
    ``full_at`` (when its last seat went)."""
    trainees = {trainee.cnic: trainee for trainee in plan.trainees}
    centres = {centre.code: centre for centre in plan.centres}
    offering = running_offers = 0
    first_come = [
        item
        for item in plan.cohorts
        if item.code in new_codes and item.admission is Admission.FIRST_COME and item.enrollments
    ]
    for index, item in enumerate(first_come):
        cohort = cohorts[item.code]
        enrolled = [place for place in item.enrollments if place.status is S.ENROLLED]
        withdrawn = [place for place in item.enrollments if place.status is S.WITHDRAWN]
        if item.status is CohortStatus.OPEN and offering < OFFERING_COHORTS and len(enrolled) >= 3 and withdrawn:
            offer_seats(cohort, enrolled, withdrawn, now, still_filling=True)
            offering += 1
        elif item.status is CohortStatus.RUNNING and not running_offers and len(enrolled) >= 2 and withdrawn:
            offer_seats(cohort, enrolled, withdrawn, now, still_filling=False)
            running_offers += 1
        if index % 5 == 0:
            reserve_seats(cohort, item, trainees, centres[item.centre_code], now)
    for item in plan.cohorts:
        if item.code in new_codes:
            seated = sorted(
                (place for place in item.enrollments if place.status in SEATED),
                key=lambda place: (place.decided_at or place.applied_at, place.applied_at),
            )
            if len(seated) >= item.seats > 0:
                cohorts[item.code].full_at = seated[item.seats - 1].decided_at or seated[item.seats - 1].applied_at


def offer_seats(cohort: Cohort, enrolled: list, withdrawn: list, now: datetime, *, still_filling: bool) -> None:
    """``cohort`` offers seats from its line: its last two seats went by offers she accepted (in a cohort
    still filling, the very last is an offer still open: held until the day after tomorrow); of those
    who withdrew, the first declined an offer and the second let one expire."""
    cohort.offers = True
    given = enrolled[-2:]
    if still_filling:
        given[-1].status, given[-1].offer = S.OFFERED, OfferState.OPEN
        given[-1].decided_at = max(given[-1].applied_at, now - timedelta(days=1))
        given[-1].offer_expires_at = now + timedelta(days=2)
        given = given[:-1]
    for place in given:
        place.offer, place.offer_expires_at = OfferState.ACCEPTED, (place.decided_at or now) + timedelta(days=1)
    for place, outcome in zip(withdrawn, (OfferState.DECLINED, OfferState.EXPIRED), strict=False):
        place.status, place.offer, place.pool = S.DECLINED, outcome, Pool.OPEN
        decided = place.decided_at or now
        if outcome is OfferState.EXPIRED:
            place.offer_expires_at, place.reason = decided, "The offer expired without an answer."
        else:
            place.offer_expires_at, place.reason = decided + timedelta(days=1), ""


def reserve_seats(cohort: Cohort, item: CohortPlan, trainees: dict, centre: CentrePlan, now: datetime) -> None:
    """``cohort`` reserves seats per pool (``RESERVE_SHARES``; one for disability in cohorts of 20 seats or
    more), held by the latest seated places whose trainee qualifies (open seats went first), each place
    in one pool. A pool reserves what its holders hold plus, in a cohort not full, some of its free seats,
    so that open seats never hold more than the seats not reserved. Released at the default time (seven
    days before the start) once that has passed, keeping what each pool held then."""
    qualifies = {
        Pool.WOMEN: lambda trainee: trainee.gender is Gender.FEMALE,
        Pool.RURAL: lambda trainee: trainee.area is Area.RURAL,
        Pool.DISTRICT: lambda trainee: (trainee.province, trainee.district) == (centre.province, centre.district),
        Pool.DISABILITY: lambda trainee: trainee.disability,
    }
    wanted = {pool: round(item.seats * share) for pool, share in RESERVE_SHARES.items()}
    wanted[Pool.DISABILITY] = 1 if item.seats >= 20 else 0
    if item.women_only:
        wanted[Pool.WOMEN] = 0
    seated = [place for place in item.enrollments if place.status in SEATED]
    free = max(item.seats - len(seated), 0)
    for pool in RESERVED_POOLS:
        holders = [place for place in reversed(seated) if place.pool is None and qualifies[pool](trainees[place.cnic])][
            : wanted[pool]
        ]
        for place in holders:
            place.pool = pool
        extra = min(wanted[pool] - len(holders), free)
        free -= extra
        setattr(cohort, f"reserved_{pool.value}", len(holders) + extra)
    for place in seated:
        place.pool = place.pool or Pool.OPEN
    release_at = default_release_at(item.starts_on)
    if release_at <= now and item.status is not CohortStatus.CANCELLED:
        cohort.released_at = release_at
        for pool in RESERVED_POOLS:
            held = sum(1 for place in seated if place.pool is pool)
            setattr(cohort, f"released_held_{pool.value}", held)


def seed_demo() -> SeedReport:
    """Insert whatever part of the demo data set is missing. Flushes; the caller commits."""
    load_reference_data()
    now = utcnow()
    plan = Planner(local_date(now), now).plan()
    added = {"centres": 0, "courses": 0, "cohorts": 0, "trainees": 0, "enrollments": 0, "accounts": 0}

    districts = {
        (district.province.code, district.code): district
        for district in db.session.scalars(select(District).join(District.province))
    }
    centres = {centre.code: centre for centre in db.session.scalars(select(Centre))}
    for item in plan.centres:
        if item.code not in centres:
            centres[item.code] = Centre(
                code=item.code,
                name=item.name,
                district=districts[(item.province, item.district)],
                address=item.address,
                partner_type=item.partner_type,
                partner_name=item.partner_name,
                lab_seats=item.lab_seats,
                women_only=item.women_only,
                active=True,
            )
            db.session.add(centres[item.code])
            added["centres"] += 1

    courses = {course.code: course for course in db.session.scalars(select(Course))}
    for item in plan.courses:
        if item["code"] not in courses:
            courses[item["code"]] = Course(
                code=item["code"],
                title=item["title"],
                track=Track(item["track"]),
                summary=item["summary"],
                weeks=item["weeks"],
                level=Level(item["level"]),
                min_age=item["min_age"],
                max_age=item["max_age"],
                min_education=Education(item["min_education"]),
            )
            db.session.add(courses[item["code"]])
            added["courses"] += 1
    db.session.flush()

    cohorts = {cohort.code: cohort for cohort in db.session.scalars(select(Cohort))}
    new_codes = {item.code for item in plan.cohorts if item.code not in cohorts}
    for item in plan.cohorts:
        if item.code not in cohorts:
            cohorts[item.code] = Cohort(
                code=item.code,
                course=courses[item.course["code"]],
                centre=centres[item.centre_code],
                kind=item.kind,
                women_only=item.women_only,
                starts_on=item.starts_on,
                ends_on=item.ends_on,
                shift=item.shift,
                mode=item.mode,
                seats=item.seats,
                applications_open_at=item.applications_open_at,
                applications_close_at=item.applications_close_at,
                admission=item.admission,
                status=item.status,
                venue=item.venue,
                venue_district=districts[(item.province, item.venue_district)] if item.venue_district else None,
            )
            db.session.add(cohorts[item.code])
            added["cohorts"] += 1

    trainees = {trainee.cnic: trainee for trainee in db.session.scalars(select(Trainee))}
    for item in plan.trainees:
        if item.cnic not in trainees:
            trainees[item.cnic] = Trainee(
                cnic=item.cnic,
                full_name=item.full_name,
                gender=item.gender,
                date_of_birth=item.date_of_birth,
                phone=item.phone,
                email=item.email,
                district=districts[(item.province, item.district)],
                area=item.area,
                education=item.education,
                disability=item.disability,
            )
            db.session.add(trainees[item.cnic])
            added["trainees"] += 1
    db.session.flush()

    show_selection(plan, cohorts, new_codes, now)
    existing = {
        (trainee_id, cohort_id)
        for trainee_id, cohort_id in db.session.execute(select(Enrollment.trainee_id, Enrollment.cohort_id))
    }
    for cohort_plan in plan.cohorts:
        cohort = cohorts[cohort_plan.code]
        for item in cohort_plan.enrollments:
            trainee = trainees[item.cnic]
            if (trainee.id, cohort.id) in existing:
                continue
            db.session.add(
                Enrollment(
                    trainee_id=trainee.id,
                    cohort_id=cohort.id,
                    status=item.status,
                    source=item.source,
                    applied_at=item.applied_at,
                    decided_at=item.decided_at,
                    reason=item.reason,
                    pool=item.pool or (Pool.OPEN if item.status in SEATED else None),
                    offer=item.offer,
                    offer_expires_at=item.offer_expires_at,
                )
            )
            added["enrollments"] += 1
    db.session.flush()
    mark_firsts_and_training()
    recount(fix=True)
    seed_attendance(now)
    decide_finished_results()
    added["certificates"] = issue_certificates(now)

    accounts = seed_accounts(plan, centres, trainees, added)
    added["cohorts"] += show_merit(plan, centres, courses, trainees, now)
    added["outcome answers"] = seed_outcomes(now)
    # The registers were loaded in bulk, not saved by staff: the oversight tallies are counted from the tables.
    recount_tallies(fix=True)
    return SeedReport(added, accounts)


def issue_certificates(now: datetime) -> int:
    """Issue the certificate of every completed place that has none (as the completion does, by the system),
    dated the cohort's last day when that has passed: the demo's graduates can download and verify theirs."""
    completed = db.session.scalars(select(Enrollment).where(Enrollment.status == EnrollmentStatus.COMPLETED))
    issued = 0
    for place in completed:
        if valid_certificate_of(place) is None:
            last_day = datetime.combine(place.cohort.ends_on, time(12), tzinfo=UTC)
            issue(place, actor=None, now=min(now, last_day))
            issued += 1
    return issued


# In the demo's finished cohorts: the share of graduates who stayed away from class (absent on most days: below
# the attendance threshold), and the marks of the others (some below the pass mark).
STAYED_AWAY_SHARE, FAILED_SHARE = 0.06, 0.08


def decide_finished_results(seed: int = 2026) -> None:
    """The finished cohorts' results by the completion rule (``enrollments.services.completion.decision``), once:
    every place planned as completed that has no mark yet gets one (a few below the pass mark), a few of them
    are marked absent on most class days (their registers changed, the counters recounted from them), and the
    rule then decides each: completed, or not completed for attendance or marks. The cohorts' counters are
    recounted; certificates follow (``issue_certificates``). The demo shows both reasons."""
    from attendance.models import AttendanceRegister
    from attendance.services import recount_places
    from enrollments.services.completion import decision

    rng = random.Random(seed + 31)
    places = db.session.scalars(
        select(Enrollment)
        .join(Enrollment.cohort)
        .where(
            Cohort.status == CohortStatus.FINISHED,
            Enrollment.status == EnrollmentStatus.COMPLETED,
            Enrollment.mark.is_(None),
        )
        .order_by(Enrollment.id)
    ).all()
    away_by_cohort: dict[int, set[int]] = {}
    for place in places:
        failed = rng.random() < FAILED_SHARE
        place.mark = Decimal(rng.randint(2000, 4900) if failed else rng.randint(5000, 9800)) / 100
        place.marked_at = datetime.combine(place.cohort.ends_on, time(9), tzinfo=UTC)
        if rng.random() < STAYED_AWAY_SHARE:
            away_by_cohort.setdefault(place.cohort_id, set()).add(place.id)
    for cohort_id, away in away_by_cohort.items():
        registers = db.session.scalars(
            select(AttendanceRegister).where(AttendanceRegister.cohort_id == cohort_id).order_by(AttendanceRegister.day)
        ).all()
        absences = 0
        for number, register in enumerate(registers):
            if number % 3 == 0:  # present one day in three: about 33%
                continue
            newly = [place for place in away if place in register.marked and place not in register.absent]
            if newly:
                register.absent = [*register.absent, *newly]
                register.late = [place for place in register.late if place not in newly]
                register.present_count -= len(newly)
                absences += len(newly)
        cohort = db.session.get(Cohort, cohort_id)
        cohort.attendance_present -= absences
        db.session.flush()
        recount_places(cohort, away, now=utcnow())
    for place in places:
        status, reason = decision(place, place.cohort.course)
        if status is EnrollmentStatus.NOT_COMPLETED:
            place.status, place.not_completed_reason = status, reason
    db.session.flush()
    recount(fix=True)


def seed_attendance(now: datetime) -> None:
    """Registers for the running and finished cohorts' class days so far, once (``attendance.seeding``):
    staff see marked days, counters and a trainee at risk."""
    from attendance.models import AttendanceRegister
    from attendance.seeding import seed_registers
    from seed.scale import BulkWriter  # the scale seed builds on this module

    if db.session.scalar(select(func.count(AttendanceRegister.id))):
        return
    connection = db.session.connection()
    writer = BulkWriter(connection, lambda _line: None)
    seed_registers(
        connection,
        writer,
        today=local_date(now),
        now=now,
        seed=2026,
        threshold=current_app.config.get("AT_RISK_ABSENCES", 3),
    )
    db.session.expire_all()


# The merit cohort of the demo: its seats (one reserved for women) and how many apply.
MERIT_SEATS, MERIT_APPLICANTS = 5, 12


def show_merit(plan: DemoPlan, centres: dict, courses: dict, trainees: dict, now: datetime) -> int:
    """A merit cohort with a published list (issue 16, item 2), made once (returns 1 if made now): at the
    first centre, evenings, starting in three weeks; its staff register twelve demo trainees who may take it,
    enter test and interview scores, close applications and publish the list, so that the demo shows offers
    by rank, a seat reserved for women given by rank among women, and a line in rank order."""
    from enrollments.services import register
    from enrollments.services.merit import ScoreEntry, enter_scores, publish
    from refusals import Refusal

    centre = centres[plan.centres[0].code]
    code = f"{centre.code}-M01"
    if db.session.scalar(select(Cohort.id).where(Cohort.code == code)) is not None:
        return 0
    staff = db.session.scalar(
        select(UserAccount).where(UserAccount.email == f"staff.{centre.code.lower()}@markaz.test")
    )
    course = min(
        (
            course
            for course in courses.values()
            if course.min_education in (Education.NONE, Education.PRIMARY, Education.MIDDLE, Education.MATRIC)
        ),
        key=lambda course: course.code,
    )
    starts = local_date(now) + timedelta(days=21)
    cohort = Cohort(
        code=code,
        course=course,
        centre=centre,
        kind=CohortKind.REGULAR,
        women_only=False,
        starts_on=starts,
        ends_on=starts + timedelta(weeks=course.weeks) - timedelta(days=1),
        shift=Shift.EVENING,
        mode=Mode.ON_SITE,
        seats=MERIT_SEATS,
        reserved_women=1,
        applications_open_at=now - timedelta(days=14),
        admission=Admission.MERIT,
        offers=True,
        status=CohortStatus.OPEN,
    )
    db.session.add(cohort)
    db.session.flush()
    rng = random.Random(f"merit-{code}")
    places = []
    for item in sorted(plan.trainees, key=lambda item: item.cnic):
        if len(places) == MERIT_APPLICANTS:
            break
        try:
            with db.session.begin_nested():
                places.append(register(trainees[item.cnic], cohort, actor=staff).enrollment)
        except Refusal:  # not eligible, or her places stop her: the next one
            continue
    scores = [ScoreEntry(place.id, rng.randint(8, 20) * 5, rng.randint(8, 20) * 5) for place in places]
    enter_scores(cohort, scores, actor=staff)
    cohort.applications_close_at = now - timedelta(hours=1)
    db.session.flush()
    publish(cohort, actor=staff)
    return 1


def seed_accounts(plan: DemoPlan, centres: dict, trainees: dict, added: dict) -> list[tuple[str, str]]:
    """The demo accounts of DESIGN.md; returns (email, what it is) for each. Trainee accounts have their
    record's mobile number too, to sign in with."""
    # One hash for every demo account: they share the published demo password anyway, and hashing it
    # a hundred times would make the seed slow for nothing.
    password_hash = hash_password(DEMO_PASSWORD)
    punjab = db.session.scalar(select(Province).where(Province.code == "PB"))
    wanted: list[tuple[str, str, dict]] = [
        ("admin@markaz.test", "admin", {"role": Role.ADMIN, "full_name": "Markaz Administrator"}),
        ("overseer@markaz.test", "national overseer", {"role": Role.OVERSEER, "full_name": "Ministry Overseer"}),
        (
            "punjab.overseer@markaz.test",
            "overseer, Punjab",
            {"role": Role.OVERSEER, "full_name": "Punjab IT Board Overseer", "province": punjab},
        ),
        (
            "caller@markaz.test",
            "caller, Punjab (outcome answers by phone)",
            {"role": Role.CALLER, "full_name": "Punjab Call Centre", "province": punjab},
        ),
    ]
    people = load_json("people.json")
    for item in plan.centres:
        # A name of their own, drawn from a generator seeded by the centre code so that the rest of the
        # demo data does not depend on it.
        names = random.Random(f"staff-{item.code}")
        given, _ = names.choice(people["female_given"] + people["male_given"])
        family, _ = names.choice(people["family"])
        wanted.append(
            (
                f"staff.{item.code.lower()}@markaz.test",
                f"staff, {item.code}",
                {"role": Role.STAFF, "full_name": f"{given} {family}", "centre": centres[item.code]},
            )
        )
    for item in plan.trainees[:TRAINEE_ACCOUNTS]:
        trainee = trainees[item.cnic]
        wanted.append(
            (
                item.email,
                f"trainee, {trainee.full_name}",
                {"role": Role.TRAINEE, "full_name": trainee.full_name, "trainee": trainee},
            )
        )

    existing = {user.email for user in db.session.scalars(select(UserAccount))}
    numbers_taken = set(db.session.scalars(select(UserAccount.phone).where(UserAccount.phone.is_not(None))))
    for email, _, fields in wanted:
        if email in existing:
            continue
        centre = fields.pop("centre", None)
        trainee = fields.pop("trainee", None)
        user = UserAccount(email=email, password_hash=password_hash, active=True, **fields)
        # A demo trainee signs in with her email or her mobile number (one account per number).
        if trainee is not None and trainee.phone not in numbers_taken:
            user.phone = trainee.phone
            numbers_taken.add(trainee.phone)
        db.session.add(user)
        if centre is not None:
            user.memberships.append(CentreMembership(centre=centre))
        if trainee is not None:
            trainee.user = user
        added["accounts"] += 1
    db.session.flush()
    return [(email, description) for email, description, _ in wanted]
