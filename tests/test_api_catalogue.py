"""Centres, courses and cohorts through the JSON API: ``/api/v1/centres``, ``/courses``, ``/cohorts``.

What each of the seven kinds of caller sees (drafts only by those who manage them), the filters, the
pages (size, total, stable order, the 100-item limit), the exact answers, and creating and changing
cohorts: each refusal with its exact JSON error and nothing written, seats raised filling seats from
the waitlist at once, several changes in one request being all or nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from harness import kept_world
from pages import audit_actions

from courses.models import Cohort
from database import utcnow
from enrollments.counters import recount
from enrollments.models import Enrollment
from extensions import db
from tests.api_helpers import FORBIDDEN, UNAUTHORIZED, api_error, bearer
from vocabulary import (
    Admission,
    CohortKind,
    CohortStatus,
    Education,
    EnrollmentStatus,
    Mode,
    PartnerType,
    Role,
    Shift,
    Track,
)

ROLES = ("anonymous", "trainee", "staff_a", "staff_b", "overseer", "punjab_overseer", "admin")
TODAY = utcnow().date()
NOT_FOUND = (404, "not_found", "There is nothing here.", None)
INVALID = "Some values are not valid: see fields."
CONTROL_CHARACTER = "This holds an invisible control character (such as NUL) that text cannot have: type it again."


# The world -----------------------------------------------------------------------------------------------


class World:
    """Punjab (Lahore, Multan) and Sindh (Karachi); centre A in Lahore, B in Karachi, a women-only centre
    in Multan and an inactive one in Lahore; two courses; cohorts in every status at A, some at B."""

    def __init__(self, make_province, make_district, make_centre, make_course, make_cohort, make_user, make_trainee):
        self.punjab = make_province(code="PB", name="Punjab")
        self.sindh = make_province(code="SD", name="Sindh")
        self.lahore = make_district(self.punjab, code="LHR", name="Lahore")
        self.multan = make_district(self.punjab, code="MUL", name="Multan")
        self.karachi = make_district(self.sindh, code="KHS", name="Karachi South")
        self.centre_a = make_centre(
            self.lahore,
            code="PB-LHR-01",
            name="Arfa Tower Digital Centre",
            partner_type=PartnerType.IT_BOARD,
            partner_name="Punjab IT Board",
            address="Ferozepur Road, Lahore",
            lab_seats=30,
        )
        self.centre_b = make_centre(self.karachi, code="SD-KHS-01", name="Karachi 100% Skills Centre")
        self.women_centre = make_centre(self.multan, code="PB-MUL-01", name="Multan Women's Centre", women_only=True)
        self.inactive = make_centre(self.lahore, code="PB-LHR-09", name="Closed Lahore Centre", active=False)
        self.web = make_course(code="WEB-101", title="Web Development Foundations", track=Track.SOFTWARE_DEVELOPMENT)
        self.ads = make_course(code="MKT-101", title="Digital Marketing Basics", track=Track.DIGITAL_MARKETING)
        day = TODAY + timedelta(days=20)
        self.a_open = make_cohort(self.centre_a, self.web, code="PB-LHR-01-C01", starts_on=day, venue="Lab 2")
        self.a_draft = make_cohort(
            self.centre_a, self.ads, code="PB-LHR-01-C02", starts_on=day, status=CohortStatus.DRAFT
        )
        self.a_closed = make_cohort(
            self.centre_a, self.web, code="PB-LHR-01-C03", starts_on=day - timedelta(days=5), status=CohortStatus.CLOSED
        )
        self.a_cancelled = make_cohort(
            self.centre_a,
            self.web,
            code="PB-LHR-01-C04",
            starts_on=day + timedelta(days=9),
            status=CohortStatus.CANCELLED,
        )
        self.a_later = make_cohort(  # open, but applications open only next month
            self.centre_a,
            self.ads,
            code="PB-LHR-01-C05",
            starts_on=day + timedelta(days=60),
            applications_open_at=utcnow() + timedelta(days=30),
        )
        self.a_finished = make_cohort(
            self.centre_a,
            self.web,
            code="PB-LHR-01-C06",
            starts_on=TODAY - timedelta(days=100),
            status=CohortStatus.FINISHED,
        )
        self.b_camp = make_cohort(
            self.centre_b,
            self.ads,
            code="SD-KHS-01-K01",
            kind=CohortKind.CAMP,
            women_only=True,
            starts_on=day + timedelta(days=1),
        )
        self.b_draft = make_cohort(
            self.centre_b, self.web, code="SD-KHS-01-C01", starts_on=day + timedelta(days=2), status=CohortStatus.DRAFT
        )
        self.gone = make_cohort(self.inactive, self.web, code="PB-LHR-09-C01", starts_on=day)
        trainee_user = make_user(Role.TRAINEE)
        make_trainee(self.lahore, user=trainee_user)
        self.users = {
            "anonymous": None,
            "trainee": trainee_user,
            "staff_a": make_user(Role.STAFF, centres=(self.centre_a,)),
            "staff_b": make_user(Role.STAFF, centres=(self.centre_b,)),
            "overseer": make_user(Role.OVERSEER),
            "punjab_overseer": make_user(Role.OVERSEER, province=self.punjab),
            "admin": make_user(Role.ADMIN),
        }
        self.tokens = {role: bearer(user) if user is not None else {} for role, user in self.users.items()}

    def headers(self, role: str) -> dict[str, str]:
        """Headers with a token of ``role``'s user (made with the world), none for the anonymous."""
        return self.tokens[role]


@kept_world
def w(make_province, make_district, make_centre, make_course, make_cohort, make_user, make_trainee) -> World:
    return World(make_province, make_district, make_centre, make_course, make_cohort, make_user, make_trainee)


def codes(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["code"] for item in response.get_json()["items"]]


def actions_but_tokens() -> list[str]:
    """The audit trail, but for the tokens the tests make."""
    return [action for action in audit_actions() if not action.startswith("token.")]


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def cohort_json(cohort: Cohort) -> dict:
    """What the API answers for ``cohort``, from the database."""
    db.session.refresh(cohort)
    return {
        "id": cohort.id,
        "code": cohort.code,
        "course": cohort.course.code,
        "centre": cohort.centre.code,
        "kind": cohort.kind.value,
        "women_only": cohort.women_only,
        "women_only_admits": cohort.women_only_admits.value,
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "seats": cohort.seats,
        "enrolled": cohort.enrolled_count,
        "waitlisted": cohort.waitlisted_count,
        "pending": cohort.pending_count,
        "seats_left": cohort.seats_left,
        "status": cohort.status.value,
        "admission": cohort.admission.value,
        "shift": cohort.shift.value,
        "mode": cohort.mode.value,
        "applications_open_at": iso(cohort.applications_open_at),
        "applications_close_at": iso(cohort.applications_close_at),
        "venue": cohort.venue,
        "offered": cohort.offered_count,
        "reserved": {
            pool: {
                "reserved": getattr(cohort, f"reserved_{pool}"),
                "held": getattr(cohort, f"held_{pool}"),
                "free": 0
                if cohort.released_at
                else getattr(cohort, f"reserved_{pool}") - getattr(cohort, f"held_{pool}"),
            }
            for pool in ("women", "rural", "district", "disability")
        },
        "release_at": None
        if not any(getattr(cohort, f"reserved_{pool}") for pool in ("women", "rural", "district", "disability"))
        else iso(cohort.release_at),
        "released_at": iso(cohort.released_at),
        "offers": cohort.offers,
        "offer_hours": cohort.offer_hours,
        "test_weight": cohort.test_weight,
    }


# Centres -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_the_active_centres_by_code(client, w, role):
    response = client.get("/api/v1/centres", headers=w.headers(role))
    assert codes(response) == ["PB-LHR-01", "PB-MUL-01", "SD-KHS-01"]
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 3)


def test_a_centre_in_the_list_says_where_it_is_and_who_runs_it(client, w):
    item = client.get("/api/v1/centres?q=arfa").get_json()["items"]
    assert item == [
        {
            "code": "PB-LHR-01",
            "name": "Arfa Tower Digital Centre",
            "district": {"code": "LHR", "name": "Lahore"},
            "province": {"code": "PB", "name": "Punjab"},
            "partner_type": "it_board",
            "partner_name": "Punjab IT Board",
            "women_only": False,
            "lab_seats": 30,
            "address": "Ferozepur Road, Lahore",
        }
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("province=PB", ["PB-LHR-01", "PB-MUL-01"]),
        ("province=pb", ["PB-LHR-01", "PB-MUL-01"]),  # codes are read in capitals
        ("province=SD", ["SD-KHS-01"]),
        ("province=XX", []),
        ("district=MUL", ["PB-MUL-01"]),
        ("district=LHR&province=SD", []),
        ("district=KHS&province=SD", ["SD-KHS-01"]),
        ("q=karachi", ["SD-KHS-01"]),  # district name
        ("q=IT%20Board", ["PB-LHR-01"]),  # partner
        ("q=mul-01", ["PB-MUL-01"]),  # code
        ("q=100%25", ["SD-KHS-01"]),  # % is a character, not a wildcard
        ("q=%25", ["SD-KHS-01"]),
        ("q=_", []),
        ("q=Closed", []),  # inactive centres are not listed
        ("q=&province=", None),
    ],
)
def test_centres_are_filtered(client, w, query, expected):
    response = client.get(f"/api/v1/centres?{query}")
    if expected is None:  # an empty province is not a code
        status, code, message, fields = api_error(response)
        assert (status, code, message) == (422, "invalid", INVALID)
        assert fields == {"province": "A code has 1 to 32 letters, digits and dashes."}
    else:
        assert codes(response) == expected
        assert response.get_json()["total"] == len(expected)


def test_a_search_with_control_characters_is_refused(client, w):
    """PostgreSQL refuses NUL in text: every control character in a request is refused (``api.parsing``)."""
    response = client.get("/api/v1/centres?q=%00lahore%07")
    assert api_error(response) == (422, "invalid", INVALID, {"q": CONTROL_CHARACTER})


def test_a_centre_with_the_cohorts_taking_applications_now(client, w):
    response = client.get("/api/v1/centres/PB-LHR-01")
    assert response.status_code == 200
    body = response.get_json()
    # Not the draft, the closed, cancelled or finished ones, nor the one whose window opens next month.
    assert body.pop("open_cohorts") == [cohort_json(w.a_open)]
    assert body == client.get("/api/v1/centres?q=arfa").get_json()["items"][0]
    assert client.get("/api/v1/centres/pb-lhr-01").get_json()["code"] == "PB-LHR-01"


@pytest.mark.parametrize("code", ["XX-XXX-99", "PB-LHR-09", "%00", "a%20b", "-PB", "A" * 40])
def test_an_unknown_or_inactive_centre_is_not_found(client, w, code):
    assert api_error(client.get(f"/api/v1/centres/{code}")) == NOT_FOUND


def test_centres_come_in_pages_of_a_stable_order(client, w, make_centre):
    for number in range(2, 9):
        make_centre(w.lahore, code=f"PB-LHR-{number:02d}")
    every = codes(client.get("/api/v1/centres?per_page=100"))
    assert every == sorted(every) and len(every) == 10
    pages = [client.get(f"/api/v1/centres?per_page=4&page={page}").get_json() for page in (1, 2, 3, 4)]
    assert [len(page["items"]) for page in pages] == [4, 4, 2, 0]
    assert {(page["page"], page["per_page"], page["total"]) for page in pages} == {
        (1, 4, 10),
        (2, 4, 10),
        (3, 4, 10),
        (4, 4, 10),
    }
    assert [item["code"] for page in pages for item in page["items"]] == every


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("per_page=101", {"per_page": "Must be greater than or equal to 1 and less than or equal to 100."}),
        ("per_page=0", {"per_page": "Must be greater than or equal to 1 and less than or equal to 100."}),
        ("page=0", {"page": "Must be greater than or equal to 1 and less than or equal to 1000000."}),
        ("page=two", {"page": "Not a valid integer."}),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/centres", "/api/v1/courses", "/api/v1/cohorts"])
def test_a_page_beyond_the_limits_is_refused(client, w, path, query, fields):
    assert api_error(client.get(f"{path}?{query}")) == (422, "invalid", INVALID, fields)


# Courses -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_the_courses_by_code(client, w, role):
    response = client.get("/api/v1/courses", headers=w.headers(role))
    assert codes(response) == ["MKT-101", "WEB-101"]


def test_courses_are_filtered_by_track_and_say_who_is_eligible(client, w, make_course):
    make_course(code="WEB-201", title="Web Apps", track=Track.SOFTWARE_DEVELOPMENT, min_age=None, max_age=None)
    response = client.get("/api/v1/courses?track=software_development&per_page=1&page=2")
    assert response.get_json() == {
        "items": [
            {
                "code": "WEB-201",
                "title": "Web Apps",
                "track": "software_development",
                "summary": "A course for tests.",
                "weeks": 8,
                "level": "beginner",
                "min_age": None,
                "max_age": None,
                "min_education": Education.MATRIC.value,
                "pass_mark": 50.0,
                "attendance_threshold": 70,
            }
        ],
        "page": 2,
        "per_page": 1,
        "total": 2,
    }
    assert codes(client.get("/api/v1/courses?track=software_development")) == ["WEB-101", "WEB-201"]
    assert codes(client.get("/api/v1/courses?track=online_tutoring")) == []


def test_a_course_shows_its_completion_rule(client, w, make_course):
    course = make_course(code="DM-301", title="Ads", track=Track.DIGITAL_MARKETING)
    course.pass_mark, course.attendance_threshold = Decimal("62.5"), 80
    db.session.commit()
    listed = {item["code"]: item for item in client.get("/api/v1/courses").get_json()["items"]}
    assert (listed["DM-301"]["pass_mark"], listed["DM-301"]["attendance_threshold"]) == (62.5, 80)
    assert (listed["WEB-101"]["pass_mark"], listed["WEB-101"]["attendance_threshold"]) == (50.0, 70)


def test_an_unknown_track_is_refused(client, w):
    status, code, message, fields = api_error(client.get("/api/v1/courses?track=cooking"))
    assert (status, code, message) == (422, "invalid", INVALID)
    assert fields == {"track": "Must be one of: " + ", ".join(track.value for track in Track) + "."}


# Cohorts: who sees what ----------------------------------------------------------------------------------

PUBLIC_COHORTS = [  # by first day, then code; never a draft; cohorts of inactive centres are not listed
    "PB-LHR-01-C06",
    "PB-LHR-01-C03",
    "PB-LHR-01-C01",
    "SD-KHS-01-K01",
    "PB-LHR-01-C04",
    "PB-LHR-01-C05",
]
VISIBLE_COHORTS = {
    "anonymous": PUBLIC_COHORTS,
    "trainee": PUBLIC_COHORTS,
    "overseer": PUBLIC_COHORTS,
    "punjab_overseer": PUBLIC_COHORTS,
    "staff_a": [*PUBLIC_COHORTS[:3], "PB-LHR-01-C02", *PUBLIC_COHORTS[3:]],
    "staff_b": [*PUBLIC_COHORTS[:4], "SD-KHS-01-C01", *PUBLIC_COHORTS[4:]],
    "admin": [*PUBLIC_COHORTS[:3], "PB-LHR-01-C02", PUBLIC_COHORTS[3], "SD-KHS-01-C01", *PUBLIC_COHORTS[4:]],
}


@pytest.mark.parametrize("role", ROLES)
def test_drafts_are_listed_only_for_those_who_manage_them(client, w, role):
    response = client.get("/api/v1/cohorts", headers=w.headers(role))
    assert codes(response) == VISIBLE_COHORTS[role]
    assert response.get_json()["total"] == len(VISIBLE_COHORTS[role])
    drafts = codes(client.get("/api/v1/cohorts?status=draft", headers=w.headers(role)))
    assert drafts == [code for code in VISIBLE_COHORTS[role] if code in ("PB-LHR-01-C02", "SD-KHS-01-C01")]


DRAFT_SEEN_BY = {"staff_a": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_found_only_by_those_who_manage_it(client, w, role):
    response = client.get(f"/api/v1/cohorts/{w.a_draft.id}", headers=w.headers(role))
    if DRAFT_SEEN_BY.get(role) == 200:
        assert response.status_code == 200
        assert response.get_json() == cohort_json(w.a_draft)
    else:
        assert api_error(response) == NOT_FOUND


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_a_public_cohort(client, w, role, make_trainee, make_enrollment):
    for status in (EnrollmentStatus.ENROLLED, EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED):
        make_enrollment(make_trainee(w.lahore), w.b_camp, status=status)
    make_enrollment(make_trainee(w.lahore), w.b_camp, status=EnrollmentStatus.PENDING)
    recount(fix=True)
    db.session.commit()
    response = client.get(f"/api/v1/cohorts/{w.b_camp.id}", headers=w.headers(role))
    assert response.status_code == 200
    starts = w.b_camp.starts_on
    window_opens = datetime.combine(starts, datetime.min.time(), tzinfo=UTC) - timedelta(days=28)
    assert response.get_json() == {
        "id": w.b_camp.id,
        "code": "SD-KHS-01-K01",
        "course": "MKT-101",
        "centre": "SD-KHS-01",
        "kind": "camp",
        "women_only": True,
        "women_only_admits": "women",
        "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=55)).isoformat(),
        "seats": 10,
        "enrolled": 2,
        "waitlisted": 1,
        "pending": 1,
        "seats_left": 8,
        "status": "open",
        "admission": "first_come",
        "shift": "morning",
        "mode": "on_site",
        "applications_open_at": window_opens.isoformat(),
        "applications_close_at": (window_opens + timedelta(days=28)).isoformat(),
        "venue": "",
        "offered": 0,
        "reserved": {
            pool: {"reserved": 0, "held": 0, "free": 0} for pool in ("women", "rural", "district", "disability")
        },
        "release_at": None,
        "released_at": None,
        "offers": False,
        "offer_hours": 72,
        "test_weight": 70,
    }


@pytest.mark.parametrize("cohort_id", [0, 999_999, 2**31, 10**30])
def test_an_unknown_cohort_is_not_found(client, w, cohort_id):
    assert api_error(client.get(f"/api/v1/cohorts/{cohort_id}", headers=w.headers("admin"))) == NOT_FOUND


def test_a_cancelled_cohort_is_still_readable(client, w):
    assert client.get(f"/api/v1/cohorts/{w.a_cancelled.id}").get_json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("centre=PB-LHR-01", ["PB-LHR-01-C06", "PB-LHR-01-C03", "PB-LHR-01-C01", "PB-LHR-01-C04", "PB-LHR-01-C05"]),
        ("centre=sd-khs-01", ["SD-KHS-01-K01"]),
        ("centre=PB-LHR-09", []),  # an inactive centre's cohorts are not listed
        ("track=digital_marketing", ["SD-KHS-01-K01", "PB-LHR-01-C05"]),
        ("province=SD", ["SD-KHS-01-K01"]),
        ("province=PB&track=software_development&status=open", ["PB-LHR-01-C01"]),
        ("women_only=true", ["SD-KHS-01-K01"]),
        ("women_only=false", [code for code in PUBLIC_COHORTS if code != "SD-KHS-01-K01"]),
        ("status=cancelled", ["PB-LHR-01-C04"]),
        ("status=finished", ["PB-LHR-01-C06"]),
        ("status=draft", []),
        ("status=open&per_page=2&page=2", ["PB-LHR-01-C05"]),
    ],
)
def test_cohorts_are_filtered(client, w, query, expected):
    response = client.get(f"/api/v1/cohorts?{query}")
    assert codes(response) == expected


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("women_only=perhaps", {"women_only": "Not a valid boolean."}),
        ("status=paused", {"status": "Must be one of: " + ", ".join(s.value for s in CohortStatus) + "."}),
        ("centre=PB%00LHR", {"centre": CONTROL_CHARACTER}),
    ],
)
def test_a_wrong_cohort_filter_is_refused(client, w, query, fields):
    assert api_error(client.get(f"/api/v1/cohorts?{query}")) == (422, "invalid", INVALID, fields)


def test_cohort_pages_are_stable_when_first_days_are_equal(client, w, make_cohort):
    day = TODAY + timedelta(days=200)
    for number in (5, 3, 9, 1, 7):
        make_cohort(w.centre_b, w.web, code=f"SD-KHS-01-C9{number}", starts_on=day)
    seen = []
    for page in (1, 2, 3, 4, 5, 6):
        seen += codes(client.get(f"/api/v1/cohorts?centre=SD-KHS-01&per_page=2&page={page}"))
    assert seen == ["SD-KHS-01-K01", *(f"SD-KHS-01-C9{number}" for number in (1, 3, 5, 7, 9))]


# Creating a cohort ---------------------------------------------------------------------------------------


def new_cohort(w: World, **changes) -> dict:
    body = {
        "course": "WEB-101",
        "centre": "PB-LHR-01",
        "kind": "regular",
        "women_only": False,
        "starts_on": (TODAY + timedelta(days=40)).isoformat(),
        "ends_on": (TODAY + timedelta(days=95)).isoformat(),
        "shift": "evening",
        "mode": "on_site",
        "seats": 25,
        "admission": "reviewed",
    } | changes
    return {name: value for name, value in body.items() if value is not None}


CREATE_ANSWERS = {
    "anonymous": UNAUTHORIZED,
    "trainee": FORBIDDEN,
    "staff_b": (
        403,
        "forbidden",
        "Only staff of PB-LHR-01 can add cohorts there.",
        {"centre": "Only staff of PB-LHR-01 can add cohorts there."},
    ),
    "overseer": FORBIDDEN,
    "punjab_overseer": FORBIDDEN,
}


@pytest.mark.parametrize("role", ROLES)
def test_staff_of_the_centre_and_admins_create_cohorts(client, w, row_counts, role):
    headers = w.headers(role)
    before = row_counts()
    response = client.post("/api/v1/cohorts", json=new_cohort(w), headers=headers)
    if role in CREATE_ANSWERS:
        assert api_error(response) == CREATE_ANSWERS[role]
        assert row_counts() == before
        return
    assert response.status_code == 201, response.get_data(as_text=True)
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.code == "PB-LHR-01-C07"))  # the next free code
    assert response.get_json() == cohort_json(cohort)
    assert (cohort.status, cohort.admission, cohort.shift, cohort.seats) == (
        CohortStatus.DRAFT,
        Admission.REVIEWED,
        Shift.EVENING,
        25,
    )
    assert cohort.applications_open_at is None and cohort.applications_close_at is None
    assert actions_but_tokens() == ["cohort.create"]
    assert row_counts() == before | {"cohort": before["cohort"] + 1, "audit_event": before["audit_event"] + 1}


def test_a_cohort_is_created_open_with_its_window_and_code(client, w):
    body = new_cohort(
        w,
        centre="pb-mul-01",
        course="mkt-101",
        code="pb-mul-01-k07",
        kind="camp",
        women_only=None,
        mode="hybrid",
        seats=60,
        applications_open_at=f"{TODAY + timedelta(days=1)}T09:00:00+05:00",
        applications_close_at=(TODAY + timedelta(days=39)).isoformat() + "T17:00:00+05:00",
        status="open",
        venue="  Bahauddin Zakariya University ",
    )
    response = client.post("/api/v1/cohorts", json=body, headers=w.headers("admin"))
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert {key: answer[key] for key in ("code", "centre", "course", "kind", "women_only", "status", "venue")} == {
        "code": "PB-MUL-01-K07",
        "centre": "PB-MUL-01",
        "course": "MKT-101",
        "kind": "camp",
        "women_only": True,  # a camp, and a women-only centre
        "status": "open",
        "venue": "Bahauddin Zakariya University",
    }
    assert answer["applications_open_at"] == f"{TODAY + timedelta(days=1)}T04:00:00+00:00"
    assert client.get(f"/api/v1/cohorts/{answer['id']}").get_json() == answer  # open: public


@pytest.mark.parametrize(
    ("changes", "answer"),
    [
        (
            {"course": "NOPE-1", "centre": "XX-XXX-01"},
            (
                422,
                "invalid",
                INVALID,
                {"course": "No course has the code NOPE-1.", "centre": "No centre has the code XX-XXX-01."},
            ),
        ),
        (
            {"course": None, "seats": None, "kind": "bootcamp", "starts_on": "01/02/2030"},
            (
                422,
                "invalid",
                INVALID,
                {
                    "course": "Missing data for required field.",
                    "seats": "Missing data for required field.",
                    "kind": "Must be one of: regular, camp.",
                    "starts_on": "Not a valid date.",
                },
            ),
        ),
        (
            {"seats": 1001, "applications_open_at": "2030-01-01T09:00:00"},
            (
                422,
                "invalid",
                INVALID,
                {
                    "seats": "Must be greater than or equal to 1 and less than or equal to 1000.",
                    "applications_open_at": "Not a valid aware datetime.",
                },
            ),
        ),
        (
            {"women_only": 0},  # JSON true or false only
            (422, "invalid", INVALID, {"women_only": "Not a valid boolean."}),
        ),
        (
            {"seats": 31},
            (422, "refused", "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30.", "seats"),
        ),
        (
            {"ends_on": (TODAY + timedelta(days=39)).isoformat()},
            (
                422,
                "refused",
                f"The last day cannot be before the first day ({TODAY + timedelta(days=40):%d %b %Y}).",
                "ends_on",
            ),
        ),
        (
            {
                "applications_open_at": f"{TODAY + timedelta(days=2)}T09:00:00+05:00",
                "applications_close_at": f"{TODAY + timedelta(days=1)}T09:00:00+05:00",
            },
            (422, "refused", "Applications cannot close before they open.", "applications_close_at"),
        ),
        ({"status": "running"}, (422, "refused", "A new cohort is a draft or open for applications.", "status")),
        ({"centre": "PB-LHR-09"}, (422, "refused", "PB-LHR-09 is inactive: it cannot run new cohorts.", "centre")),
        (
            {"code": "PB-LHR-01-C01"},
            (
                409,
                "conflict",
                "The code PB-LHR-01-C01 belongs to another cohort already (Web Development Foundations).",
                "code",
            ),
        ),
        (
            {"venue": "Hall\u0007 B"},
            (422, "invalid", INVALID, {"venue": CONTROL_CHARACTER}),
        ),
        (
            {"code": "SD-KHS-01-C99"},
            (
                422,
                "refused",
                "A cohort's code starts with the code of its centre, PB-LHR-01, e.g. PB-LHR-01-C01; leave it empty "
                "for one to be made up.",
                "code",
            ),
        ),
    ],
)
def test_a_wrong_new_cohort_is_refused_and_nothing_is_written(client, w, row_counts, changes, answer):
    headers = w.headers("admin")
    before = row_counts()
    response = client.post("/api/v1/cohorts", json=new_cohort(w, **changes), headers=headers)
    status, code, message, fields = answer
    if isinstance(fields, str):  # a service's refusal names one field
        fields = {fields: message}
    assert api_error(response) == (status, code, message, fields)
    assert row_counts() == before


def test_staff_cannot_give_their_cohort_another_centres_code(client, w, row_counts):
    """The review's case: staff of PB-LHR-01 made a cohort coded like one of Sindh's."""
    headers = w.headers("staff_a")
    before = row_counts()
    response = client.post("/api/v1/cohorts", json=new_cohort(w, code="SD-HYD-01-C99"), headers=headers)
    message = (
        "A cohort's code starts with the code of its centre, PB-LHR-01, e.g. PB-LHR-01-C01; leave it empty for one "
        "to be made up."
    )
    assert api_error(response) == (422, "refused", message, {"code": message})
    assert row_counts() == before


def test_a_body_that_is_not_json_is_refused(client, w, row_counts):
    headers = w.headers("staff_a")
    before = row_counts()
    response = client.post("/api/v1/cohorts", data="course=WEB-101", headers=headers)
    status, code, _message, _fields = api_error(response)
    assert (status, code) == (422, "invalid")
    assert row_counts() == before


# Changing a cohort ---------------------------------------------------------------------------------------


def patch(client, w: World, cohort: Cohort, body: dict, role: str = "staff_a"):
    return client.patch(f"/api/v1/cohorts/{cohort.id}", json=body, headers=w.headers(role))


UPDATE_ANSWERS = {
    "anonymous": UNAUTHORIZED,
    "trainee": FORBIDDEN,
    "staff_b": FORBIDDEN,
    "overseer": FORBIDDEN,
    "punjab_overseer": FORBIDDEN,
}


@pytest.mark.parametrize("role", ROLES)
def test_staff_of_the_centre_and_admins_change_cohorts(client, w, row_counts, role):
    headers = w.headers(role)
    before = row_counts()
    response = client.patch(f"/api/v1/cohorts/{w.a_open.id}", json={"seats": 14}, headers=headers)
    if role in UPDATE_ANSWERS:
        assert api_error(response) == UPDATE_ANSWERS[role]
        assert row_counts() == before
        assert cohort_json(w.a_open)["seats"] == 10
        return
    assert response.status_code == 200
    assert response.get_json() == cohort_json(w.a_open) | {"seats": 14, "seats_left": 14}
    assert actions_but_tokens() == ["cohort.seats"]


@pytest.mark.parametrize(("role", "answer"), [("staff_b", NOT_FOUND), ("staff_a", None), ("overseer", FORBIDDEN)])
def test_another_centres_draft_does_not_exist_for_its_staff(client, w, row_counts, role, answer):
    headers = w.headers(role)
    before = row_counts()
    response = client.patch(f"/api/v1/cohorts/{w.a_draft.id}", json={"status": "open"}, headers=headers)
    if answer is None:
        assert response.get_json()["status"] == "open"
    else:
        assert api_error(response) == answer
        assert row_counts() == before


def test_a_change_keeps_what_was_not_sent(client, w):
    before = cohort_json(w.a_open)
    starts = TODAY + timedelta(days=25)
    response = patch(client, w, w.a_open, {"starts_on": starts.isoformat(), "applications_close_at": None})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == before | {"starts_on": starts.isoformat(), "applications_close_at": None}
    assert response.get_json() == cohort_json(w.a_open)
    assert actions_but_tokens() == ["cohort.update"]


def test_raising_seats_gives_them_to_the_waitlist_in_order(client, w, make_trainee, make_enrollment):
    now = utcnow()
    people = [make_trainee(w.lahore) for _ in range(5)]
    for index, person in enumerate(people):
        status = EnrollmentStatus.ENROLLED if index < 2 else EnrollmentStatus.WAITLISTED
        make_enrollment(person, w.a_open, status=status, applied_at=now - timedelta(hours=10 - index))
    w.a_open.seats = 2
    recount(fix=True)
    db.session.commit()

    response = patch(client, w, w.a_open, {"seats": 4})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {key: response.get_json()[key] for key in ("seats", "enrolled", "waitlisted", "seats_left")} == {
        "seats": 4,
        "enrolled": 4,
        "waitlisted": 1,
        "seats_left": 0,
    }
    statuses = {
        enrollment.trainee_id: enrollment.status
        for enrollment in db.session.scalars(sa.select(Enrollment).where(Enrollment.cohort_id == w.a_open.id))
    }
    assert [statuses[person.id] for person in people] == [EnrollmentStatus.ENROLLED] * 4 + [EnrollmentStatus.WAITLISTED]
    assert actions_but_tokens() == ["cohort.seats", "enrollment.promote", "enrollment.promote"]
    assert recount() == []  # the counters agree with the enrollments


def test_seats_cannot_go_below_the_trainees_enrolled(client, w, row_counts, make_trainee, make_enrollment):
    for _ in range(3):
        make_enrollment(make_trainee(w.lahore), w.a_open)
    recount(fix=True)
    db.session.commit()
    headers = w.headers("staff_a")
    before = row_counts()
    response = client.patch(f"/api/v1/cohorts/{w.a_open.id}", json={"seats": 2}, headers=headers)
    message = "3 trainees are enrolled: seats cannot go below that. Withdraw or drop places first."
    assert api_error(response) == (422, "refused", message, {"seats": message})
    assert row_counts() == before
    assert cohort_json(w.a_open)["seats"] == 10


def test_the_status_moves_through_its_steps(client, w):
    assert patch(client, w, w.a_draft, {"status": "open"}).get_json()["status"] == "open"
    assert patch(client, w, w.a_draft, {"status": "open"}).get_json()["status"] == "open"  # already: no change
    assert patch(client, w, w.a_draft, {"status": "closed"}).get_json()["status"] == "closed"
    assert patch(client, w, w.a_draft, {"status": "open", "seats": 12}).get_json()["seats"] == 12
    assert actions_but_tokens() == ["cohort.status", "cohort.status", "cohort.seats", "cohort.status"]


@pytest.mark.parametrize(
    ("cohort", "body", "answer"),
    [
        (
            "a_open",
            {"status": "finished"},
            (409, "not_possible", "A cohort that is open cannot become finished.", None),
        ),
        ("a_open", {"status": "draft"}, (409, "not_possible", "A cohort that is open cannot become draft.", None)),
        (
            "a_open",
            {"status": "cancelled"},
            (422, "reason_required", "Give a reason: every trainee with a place will be told it.", "reason"),
        ),
        (
            "a_open",
            {"reason": "No trainer."},
            (422, "invalid", INVALID, {"reason": "A reason goes with cancelling: status cancelled."}),
        ),
        ("a_finished", {"seats": 12}, (409, "not_possible", "This cohort is finished: it can no longer change.", None)),
        ("a_cancelled", {"status": "cancelled", "reason": "Again."}, None),  # already cancelled: nothing to do
        (
            "a_open",
            {"course": "MKT-101"},
            (422, "refused", "The course can change only while the cohort is a draft.", "course"),
        ),
        ("a_open", {"course": "NOPE-1"}, (422, "invalid", INVALID, {"course": "No course has the code NOPE-1."})),
        (
            "a_open",
            {"seats": 0},
            (422, "invalid", INVALID, {"seats": "Must be greater than or equal to 1 and less than or equal to 1000."}),
        ),
        (
            "a_open",
            {"seats": 31},
            (422, "refused", "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30.", "seats"),
        ),
        (
            "a_open",
            {"starts_on": "1999-12-31"},
            (
                422,
                "invalid",
                INVALID,
                {"starts_on": "Must be greater than or equal to 2000-01-01 and less than or equal to 2100-12-31."},
            ),
        ),
        ("a_open", {"women_only": None}, (422, "invalid", INVALID, {"women_only": "Field may not be null."})),
    ],
)
def test_a_wrong_change_is_refused_and_nothing_is_written(client, w, row_counts, cohort, body, answer):
    cohort = getattr(w, cohort)
    headers = w.headers("staff_a")
    unchanged = cohort_json(cohort)
    before = row_counts()
    response = client.patch(f"/api/v1/cohorts/{cohort.id}", json=body, headers=headers)
    if answer is None:
        assert response.get_json() == unchanged
    else:
        status, code, message, fields = answer
        if isinstance(fields, str):
            fields = {fields: message}
        assert api_error(response) == (status, code, message, fields)
    assert row_counts() == before
    assert cohort_json(cohort) == unchanged


def test_a_refused_status_takes_the_other_changes_back_with_it(client, w, row_counts, make_trainee, make_enrollment):
    make_enrollment(make_trainee(w.lahore), w.a_open, status=EnrollmentStatus.WAITLISTED)
    w.a_open.seats = 1
    make_enrollment(make_trainee(w.lahore), w.a_open)
    recount(fix=True)
    db.session.commit()
    unchanged = cohort_json(w.a_open)
    headers = w.headers("staff_a")
    before = row_counts()
    response = client.patch(
        f"/api/v1/cohorts/{w.a_open.id}", json={"seats": 5, "venue": "Lab 9", "status": "finished"}, headers=headers
    )
    assert api_error(response) == (409, "not_possible", "A cohort that is open cannot become finished.", None)
    assert row_counts() == before
    assert cohort_json(w.a_open) == unchanged  # seats, venue and the promotion all undone
    assert db.session.scalar(sa.select(sa.func.count()).where(Enrollment.status == EnrollmentStatus.WAITLISTED)) == 1


def test_cancelling_with_a_reason_cancels_every_place(client, w, make_trainee, make_enrollment):
    make_enrollment(make_trainee(w.lahore), w.a_open)
    make_enrollment(make_trainee(w.lahore), w.a_open, status=EnrollmentStatus.WAITLISTED)
    recount(fix=True)
    db.session.commit()
    response = patch(client, w, w.a_open, {"status": "cancelled", "reason": "The trainer left."})
    assert response.status_code == 200
    assert {key: response.get_json()[key] for key in ("status", "enrolled", "waitlisted")} == {
        "status": "cancelled",
        "enrolled": 0,
        "waitlisted": 0,
    }
    places = db.session.scalars(sa.select(Enrollment.status).where(Enrollment.cohort_id == w.a_open.id)).all()
    assert places == [EnrollmentStatus.CANCELLED, EnrollmentStatus.CANCELLED]


def test_an_unknown_cohort_cannot_be_changed(client, w, row_counts):
    headers = w.headers("admin")
    before = row_counts()
    assert api_error(client.patch("/api/v1/cohorts/987654", json={"seats": 5}, headers=headers)) == NOT_FOUND
    assert row_counts() == before


def test_an_empty_change_changes_nothing(client, w, row_counts):
    headers = w.headers("staff_a")
    before = row_counts()
    response = client.patch(f"/api/v1/cohorts/{w.a_open.id}", json={}, headers=headers)
    assert response.get_json() == cohort_json(w.a_open)
    assert row_counts() == before


def test_the_window_moves_in_any_time_zone_and_is_answered_in_utc(client, w):
    body = {
        "applications_open_at": f"{TODAY + timedelta(days=1)}T00:30:00+05:00",
        "mode": Mode.ONLINE.value,
        "seats": 200,
    }
    response = patch(client, w, w.a_open, body, role="admin")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    opens = f"{TODAY}T19:30:00+00:00"
    assert (answer["applications_open_at"], answer["mode"], answer["seats"]) == (opens, "online", 200)
    assert answer["applications_close_at"] == iso(w.a_open.applications_close_at)


def test_the_first_wrong_detail_is_named_and_nothing_changes(client, w, row_counts):
    headers = w.headers("staff_a")
    unchanged = cohort_json(w.a_open)
    before = row_counts()
    body = {"mode": "online", "seats": 31, "status": "running", "ends_on": "2000-01-01"}
    response = client.patch(f"/api/v1/cohorts/{w.a_open.id}", json=body, headers=headers)
    message = f"The last day cannot be before the first day ({w.a_open.starts_on:%d %b %Y})."
    assert api_error(response) == (422, "refused", message, {"ends_on": message})
    assert row_counts() == before
    assert cohort_json(w.a_open) == unchanged


def test_a_drafts_course_can_change(client, w):
    response = patch(client, w, w.a_draft, {"course": "web-101", "venue": " Lab 3 "})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["course"], response.get_json()["venue"]) == ("WEB-101", "Lab 3")
    assert response.get_json() == cohort_json(w.a_draft)
    assert actions_but_tokens() == ["cohort.update"]
