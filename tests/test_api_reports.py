"""The capacity report through the JSON API: ``GET /api/v1/reports/capacity``.

Every figure is checked against numbers worked out by hand from a small network (below), per province,
district, centre and track, within a period, and within each reader's scope: staff see their own
centres, a provincial overseer her province (never a row of another), national overseers and admins
everything; trainees and anonymous callers nothing."""

from datetime import date

import pytest
from harness import kept_world
from pytest import approx

from enrollments.counters import mark_firsts_and_training, recount
from extensions import db
from tests.api_helpers import FORBIDDEN, UNAUTHORIZED, api_error, bearer
from vocabulary import Area, CohortStatus, EnrollmentStatus, Gender, Role, Track

INVALID = "Some values are not valid: see fields."
CONTROL_CHARACTER = "This holds an invisible control character (such as NUL) that text cannot have: type it again."
E = EnrollmentStatus
F, M = Gender.FEMALE, Gender.MALE
RURAL, URBAN = Area.RURAL, Area.URBAN
ROLES = ("anonymous", "trainee", "staff_a", "staff_b", "overseer", "punjab_overseer", "admin")


class Network:
    """Punjab: centre A in Lahore, centre M in Multan; Sindh: centre B in Karachi.

    ============  ======  ===========  ========  =====  ===========================================
    cohort        centre  course       status    seats  places (gender, area)
    ============  ======  ===========  ========  =====  ===========================================
    c1 2031-01-10 A       WEB (swd)    open      10     enrolled F-rural, F-urban, M-urban; waitlisted
                                                        F; pending F; withdrawn F-rural
    c2 2030-06-01 A       ADS (mkt)    finished  5      completed F-rural, M-urban; dropped F-urban;
                                                        enrolled M-urban; cancelled F-rural
    c3 2030-12-01 M       WEB (swd)    running   8      enrolled F-rural, F-urban; completed M-rural
    c4 2031-02-01 B       ADS (mkt)    open      20     enrolled F-urban, M-urban x3; waitlisted M x2
    c5 2031-01-05 A       WEB          draft     30     enrolled F (not counted: a draft)
    c6 2031-01-06 B       WEB          cancelled 15     cancelled F (not counted: cancelled)
    c7 2031-03-01 M       ADS (mkt)    closed    6      none
    ============  ======  ===========  ========  =====  ===========================================
    """

    def __init__(
        self,
        make_province,
        make_district,
        make_centre,
        make_course,
        make_cohort,
        make_trainee,
        make_enrollment,
        make_user,
    ):
        self.punjab = make_province(code="PB", name="Punjab")
        self.sindh = make_province(code="SD", name="Sindh")
        lahore = make_district(self.punjab, code="LHR", name="Lahore")
        multan = make_district(self.punjab, code="MUL", name="Multan")
        karachi = make_district(self.sindh, code="KHS", name="Karachi South")
        self.centre_a = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
        self.centre_m = make_centre(multan, code="PB-MUL-01", name="Multan Centre")
        self.centre_b = make_centre(karachi, code="SD-KHS-01", name="Karachi Centre")
        web = make_course(code="WEB-101", track=Track.SOFTWARE_DEVELOPMENT)
        ads = make_course(code="MKT-101", track=Track.DIGITAL_MARKETING)

        def cohort(centre, course, starts_on, status, seats, places):
            made = make_cohort(centre, course, starts_on=starts_on, status=status, seats=seats)
            for status_, gender, area in places:
                # A place dropped from a running or finished cohort had started training.
                started = status_ is E.DROPPED
                trainee = make_trainee(lahore, gender=gender, area=area)
                make_enrollment(trainee, made, status=status_, started_training=started)
            return made

        cohort(self.centre_a, web, date(2031, 1, 10), CohortStatus.OPEN, 10, [
            (E.ENROLLED, F, RURAL), (E.ENROLLED, F, URBAN), (E.ENROLLED, M, URBAN),
            (E.WAITLISTED, F, URBAN), (E.PENDING, F, URBAN), (E.WITHDRAWN, F, RURAL),
        ])  # fmt: skip
        cohort(self.centre_a, ads, date(2030, 6, 1), CohortStatus.FINISHED, 5, [
            (E.COMPLETED, F, RURAL), (E.COMPLETED, M, URBAN), (E.DROPPED, F, URBAN),
            (E.ENROLLED, M, URBAN), (E.CANCELLED, F, RURAL),
        ])  # fmt: skip
        cohort(self.centre_m, web, date(2030, 12, 1), CohortStatus.RUNNING, 8, [
            (E.ENROLLED, F, RURAL), (E.ENROLLED, F, URBAN), (E.COMPLETED, M, RURAL),
        ])  # fmt: skip
        cohort(self.centre_b, ads, date(2031, 2, 1), CohortStatus.OPEN, 20, [
            (E.ENROLLED, F, URBAN), (E.ENROLLED, M, URBAN), (E.ENROLLED, M, URBAN), (E.ENROLLED, M, URBAN),
            (E.WAITLISTED, M, URBAN), (E.WAITLISTED, M, URBAN),
        ])  # fmt: skip
        cohort(self.centre_a, web, date(2031, 1, 5), CohortStatus.DRAFT, 30, [(E.ENROLLED, F, RURAL)])
        cohort(self.centre_b, web, date(2031, 1, 6), CohortStatus.CANCELLED, 15, [(E.CANCELLED, F, RURAL)])
        cohort(self.centre_m, ads, date(2031, 3, 1), CohortStatus.CLOSED, 6, [])
        # make_enrollment writes rows directly: mark first places and the start of training as the data
        # migration does, and give the cohorts their true counters.
        mark_firsts_and_training()
        recount(fix=True)
        db.session.commit()
        self.users = {
            "anonymous": None,
            "trainee": make_user(Role.TRAINEE),
            "staff_a": make_user(Role.STAFF, centres=(self.centre_a,)),
            "staff_b": make_user(Role.STAFF, centres=(self.centre_b,)),
            "overseer": make_user(Role.OVERSEER),
            "punjab_overseer": make_user(Role.OVERSEER, province=self.punjab),
            "admin": make_user(Role.ADMIN),
        }
        self.tokens = {role: bearer(user) if user is not None else {} for role, user in self.users.items()}

    def headers(self, role: str) -> dict[str, str]:
        """Headers with a token of ``role``'s user (made with the network), none for the anonymous."""
        return self.tokens[role]


@kept_world
def net(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment, make_user):
    return Network(
        make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment, make_user
    )


def figures(key, name, cohorts, seats, enrolled, waitlisted, pending, completed, dropped, ratios) -> dict:
    utilisation, women, rural, completion = ratios
    return {
        "key": key,
        "name": name,
        "cohorts": cohorts,
        "seats": seats,
        "enrolled": enrolled,
        "waitlisted": waitlisted,
        "pending": pending,
        "completed": completed,
        "dropped": dropped,
        "utilisation": utilisation,
        "women_share": women,
        "rural_share": rural,
        "completion_rate": completion,
    }


# Worked out by hand from the table in ``Network``. Seats used = (enrolled + completed) / seats over running
# and finished cohorts only (c2: 3 of 5; c3: 3 of 8); women and rural shares over enrolled + completed
# places; completion over the places of finished cohorts (c2 only) that started training: completed 2 /
# (2 completed + 1 dropped + 1 still enrolled). Cancelled c6 is counted apart (not in cohorts or seats).
C1 = figures("c1", "", 1, 10, 3, 1, 1, 0, 0, (None, 2 / 3, 1 / 3, None))
C2 = figures("c2", "", 1, 5, 1, 0, 0, 2, 1, (3 / 5, 1 / 3, 1 / 3, 2 / 4))
PUNJAB = figures("PB", "Punjab", 4, 29, 6, 1, 1, 3, 1, (6 / 13, 5 / 9, 4 / 9, 2 / 4))
SINDH = figures("SD", "Sindh", 1, 20, 4, 2, 0, 0, 0, (None, 1 / 4, 0 / 4, None))
LAHORE = figures("PB-LHR", "Lahore", 2, 15, 4, 1, 1, 2, 1, (3 / 5, 3 / 6, 2 / 6, 2 / 4))
MULTAN = figures("PB-MUL", "Multan", 2, 14, 2, 0, 0, 1, 0, (3 / 8, 2 / 3, 2 / 3, None))
KARACHI = figures("SD-KHS", "Karachi South", 1, 20, 4, 2, 0, 0, 0, (None, 1 / 4, 0 / 4, None))
CENTRE_A = LAHORE | {"key": "PB-LHR-01", "name": "Lahore Centre"}
CENTRE_M = MULTAN | {"key": "PB-MUL-01", "name": "Multan Centre"}
CENTRE_B = KARACHI | {"key": "SD-KHS-01", "name": "Karachi Centre"}
SOFTWARE = figures("software_development", "Software development", 2, 18, 5, 1, 1, 1, 0, (3 / 8, 4 / 6, 3 / 6, None))
MARKETING = figures("digital_marketing", "Digital marketing", 3, 31, 5, 2, 0, 2, 1, (3 / 5, 2 / 7, 1 / 7, 2 / 4))
TOTAL = figures("total", "Total", 5, 49, 10, 3, 1, 3, 1, (6 / 13, 6 / 13, 4 / 13, 2 / 4))
PUNJAB_TOTAL = PUNJAB | {"key": "total", "name": "Total"}


# The figures these tests count by hand (tests/test_figures.py checks the others, one definition each).
CHECKED = tuple(figures("", "", 0, 0, 0, 0, 0, 0, 0, (None,) * 4))


def trimmed(row: dict) -> dict:
    return {name: row[name] for name in CHECKED}


def report(client, net: Network, role: str = "admin", query: str = ""):
    response = client.get(f"/api/v1/reports/capacity{query}", headers=net.headers(role))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body | {"rows": [trimmed(row) for row in body["rows"]], "totals": trimmed(body["totals"])}


def rows(body: dict) -> list[dict]:
    return body["rows"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [PUNJAB, SINDH]),
        ("?group_by=province", [PUNJAB, SINDH]),
        ("?group_by=district", [LAHORE, MULTAN, KARACHI]),
        ("?group_by=centre", [CENTRE_A, CENTRE_M, CENTRE_B]),
        ("?group_by=track", [MARKETING, SOFTWARE]),
    ],
)
def test_the_figures_match_the_hand_count(client, net, query, expected):
    body = report(client, net, query=query)
    assert body["rows"] == [approx(row) for row in expected]
    assert body["totals"] == approx(TOTAL)
    assert (body["province"], body["from"], body["to"]) == (None, None, None)
    assert body["group_by"] == (query.partition("=")[2] or "province")


@pytest.mark.parametrize(
    ("query", "expected", "total"),
    [
        # c1 (10 Jan 2031), c4 (1 Feb 2031) and c7 (1 Mar 2031) start from 2031.
        ("?from=2031-01-01&group_by=centre", [
            figures("PB-LHR-01", "Lahore Centre", 1, 10, 3, 1, 1, 0, 0, (None, 2 / 3, 1 / 3, None)),
            figures("PB-MUL-01", "Multan Centre", 1, 6, 0, 0, 0, 0, 0, (None, None, None, None)),
            CENTRE_B,
        ], (3, 36, 7, 3, 1, 0, 0, (None, 3 / 7, 1 / 7, None))),
        # Both bounds are inclusive: c2 (1 Jun 2030) and c3 (1 Dec 2030).
        ("?from=2030-06-01&to=2030-12-01&group_by=track", [
            figures("digital_marketing", "Digital marketing", 1, 5, 1, 0, 0, 2, 1, (3 / 5, 1 / 3, 1 / 3, 2 / 4)),
            figures("software_development", "Software development", 1, 8, 2, 0, 0, 1, 0, (3 / 8, 2 / 3, 2 / 3, None)),
        ], (2, 13, 3, 0, 0, 3, 1, (6 / 13, 3 / 6, 3 / 6, 2 / 4))),
        ("?to=2030-06-01", [C2 | {"key": "PB", "name": "Punjab"}], (1, 5, 1, 0, 0, 2, 1, (3 / 5, 1 / 3, 1 / 3, 2 / 4))),
        ("?from=2031-01-10&to=2031-01-10&group_by=district", [C1 | {"key": "PB-LHR", "name": "Lahore"}],
         (1, 10, 3, 1, 1, 0, 0, (None, 2 / 3, 1 / 3, None))),
        ("?from=2040-01-01", [], (0, 0, 0, 0, 0, 0, 0, (None, None, None, None))),
        ("?province=SD&group_by=centre", [CENTRE_B], (1, 20, 4, 2, 0, 0, 0, (None, 1 / 4, 0.0, None))),
        # Sindh's only cohort before February is the cancelled c6: a row of its own, counted apart.
        ("?province=sd&to=2031-01-31", [figures("SD", "Sindh", 0, 0, 0, 0, 0, 0, 0, (None, None, None, None))],
         (0, 0, 0, 0, 0, 0, 0, (None, None, None, None))),
        ("?province=XX", [], (0, 0, 0, 0, 0, 0, 0, (None, None, None, None))),
    ],
)  # fmt: skip
def test_a_period_and_a_province_narrow_the_cohorts(client, net, query, expected, total):
    body = report(client, net, query=query)
    assert body["rows"] == [approx(row) for row in expected]
    assert body["totals"] == approx(figures("total", "Total", *total))


def test_the_answer_repeats_the_question(client, net):
    body = report(client, net, query="?group_by=district&province=pb&from=2030-01-01&to=2031-12-31")
    assert (body["group_by"], body["province"], body["from"], body["to"]) == (
        "district",
        "PB",
        "2030-01-01",
        "2031-12-31",
    )
    assert body["rows"] == [approx(LAHORE), approx(MULTAN)]


# Who sees what -------------------------------------------------------------------------------------------

IN_SCOPE = {  # group_by=centre, then group_by=province
    "staff_a": ([CENTRE_A], [LAHORE | {"key": "PB", "name": "Punjab"}]),
    "staff_b": ([CENTRE_B], [SINDH]),
    "overseer": ([CENTRE_A, CENTRE_M, CENTRE_B], [PUNJAB, SINDH]),
    "punjab_overseer": ([CENTRE_A, CENTRE_M], [PUNJAB]),
    "admin": ([CENTRE_A, CENTRE_M, CENTRE_B], [PUNJAB, SINDH]),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_reader_sees_her_scope(client, net, row_counts, role):
    headers = net.headers(role)
    before = row_counts()
    response = client.get("/api/v1/reports/capacity?group_by=centre", headers=headers)
    if role not in IN_SCOPE:
        assert api_error(response) == {"anonymous": UNAUTHORIZED, "trainee": FORBIDDEN}[role]
        return
    by_centre, by_province = IN_SCOPE[role]
    assert response.status_code == 200
    assert [trimmed(row) for row in response.get_json()["rows"]] == [approx(row) for row in by_centre]
    assert rows(report(client, net, role, "?group_by=province")) == [approx(row) for row in by_province]
    assert row_counts() == before  # a report writes nothing


@pytest.mark.parametrize("group_by", ["province", "district", "centre", "track"])
@pytest.mark.parametrize("query", ["", "&province=PB", "&from=2030-01-01"])
def test_a_provincial_overseer_never_sees_another_province(client, net, group_by, query):
    punjab_only = report(client, net, "punjab_overseer", f"?group_by={group_by}{query}")
    assert not any(row["key"].startswith("SD") for row in punjab_only["rows"])
    punjab_for_admin = report(
        client, net, "admin", f"?group_by={group_by}&province=PB{query.replace('&province=PB', '')}"
    )
    assert punjab_only == punjab_for_admin | {"province": punjab_only["province"]}
    if not query:
        assert punjab_only["totals"] == approx(PUNJAB_TOTAL)


def test_a_provincial_overseer_asking_for_another_province_is_refused(client, net):
    message = "Your reports cover Punjab (PB) only."
    response = client.get("/api/v1/reports/capacity?province=SD", headers=net.headers("punjab_overseer"))
    assert api_error(response) == (403, "forbidden", message, None)


def test_staff_asking_for_another_province_get_nothing_of_it(client, net):
    body = report(client, net, "staff_a", "?province=SD&group_by=centre")
    assert body["rows"] == []
    assert body["totals"] == approx(figures("total", "Total", 0, 0, 0, 0, 0, 0, 0, (None, None, None, None)))


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("group_by=partner", {"group_by": "Must be one of: province, district, centre, track."}),
        ("from=2031-02-01&to=2031-01-31", {"to": "The period cannot end before it starts (from)."}),
        ("from=31/01/2031", {"from": "Not a valid date."}),
        ("to=1999-12-31", {"to": "Must be greater than or equal to 2000-01-01 and less than or equal to 2100-12-31."}),
        ("province=P%00B", {"province": CONTROL_CHARACTER}),
    ],
)
def test_wrong_arguments_are_refused(client, net, row_counts, query, fields):
    headers = net.headers("admin")
    before = row_counts()
    response = client.get(f"/api/v1/reports/capacity?{query}", headers=headers)
    assert api_error(response) == (422, "invalid", INVALID, fields)
    assert row_counts() == before


def test_an_empty_network_has_no_rows_and_no_ratios(client, make_user):
    admin = make_user(Role.ADMIN)
    response = client.get("/api/v1/reports/capacity", headers=bearer(admin))
    assert response.get_json()["rows"] == []
    totals = figures("total", "Total", 0, 0, 0, 0, 0, 0, 0, (None, None, None, None))
    assert trimmed(response.get_json()["totals"]) == totals


def test_the_definitions_are_in_the_openapi_description(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/capacity"]["get"]
    described = operation["responses"]["200"]["description"]
    for term in ("utilisation", "women_share", "rural_share", "completion_rate", "finished"):
        assert term in described
    row = spec["components"]["schemas"]["CapacityRow"]["properties"]
    assert row["women_share"]["nullable"] is True


@pytest.mark.parametrize("query", ["?group_by=centre", "?group_by=track&from=2020-01-01&to=2040-12-31&mode=on_site"])
def test_the_answer_is_what_its_described_schema_would_give(client, net, query):
    """The view writes its JSON directly (faster than dumping 500 rows field by field): the answer must
    still be exactly what the OpenAPI schema describes, a load and a dump through it changing nothing."""
    from api.reports import CapacityReportSchema

    response = client.get(f"/api/v1/reports/capacity{query}", headers=net.headers("admin"))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    schema = CapacityReportSchema()
    assert schema.dump(schema.load(answer)) == answer
    assert answer["rows"] and answer["totals"]["key"] is not None
