"""The capacity audit pages (``/oversight``) through the client.

A small network is built through the enrollment services (register, approve, withdraw, complete, drop,
the cohort status changes), so that the cohort counters are the ones the services keep; every figure on
every page is then checked against numbers worked out by hand from the story below, at each level of the
drill-down (nation → province → district → centre → cohort) and by track, under each filter; the flags
against the settings; who sees what; the charts' data against the tables beside them; and query strings
nobody should send.
"""

import html
import json
import re
from dataclasses import dataclass, fields
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from harness import kept_world
from pages import shown
from sqlalchemy import event

from courses.cohorts import change_status
from enrollments import services
from enrollments.counters import recount
from extensions import db
from vocabulary import Admission, Area, CohortKind, CohortStatus, Gender, Mode, Role, Track

F, M = Gender.FEMALE, Gender.MALE
RURAL, URBAN = Area.RURAL, Area.URBAN
NO_FIGURE = "– no figure"


# Reading pages -------------------------------------------------------------------------------------------


class TableReader(HTMLParser):
    """Every ``<table id=...>`` of a page: its rows (``data-key``), each row's header text and cells by
    ``data-figure``, with text as a reader gets it (entities decoded, whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.table: list[dict] | None = None
        self.row: dict | None = None
        self.cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self.table = self.tables.setdefault(found["id"], [])
        elif tag == "tr" and self.table is not None:
            self.row = {"key": found.get("data-key"), "cells": [], "figures": {}, "links": []}
        elif tag in ("th", "td") and self.row is not None:
            self.cell = {"figure": found.get("data-figure"), "value": found.get("data-value"), "text": []}
        elif tag == "a" and self.row is not None:
            self.row["links"].append(found.get("href"))

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell["text"].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None:
            text = " ".join(" ".join(self.cell["text"]).split())
            self.row["cells"].append({"text": text, "value": self.cell["value"]})
            if self.cell["figure"]:
                self.row["figures"][self.cell["figure"]] = text
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.table.append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None


def tables_of(page: str) -> dict[str, list[dict]]:
    reader = TableReader()
    reader.feed(page)
    return reader.tables


def audit_rows(page: str) -> dict[str, dict[str, str]]:
    """The audit table's rows by key (``total`` for its total row): figure name → text shown."""
    return {row["key"]: row["figures"] for row in tables_of(page)["audit-table"] if row["key"]}


def row_names(page: str) -> list[str]:
    """The keys of the audit table's rows, in order (without the total)."""
    return [row["key"] for row in tables_of(page)["audit-table"] if row["key"] not in (None, "total")]


def row_links(page: str) -> dict[str, list[str]]:
    return {row["key"]: row["links"] for row in tables_of(page)["audit-table"] if row["key"]}


def get(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.headers.get("Location"))
    return response.get_data(as_text=True)


def problems_shown(page: str) -> str:
    match = re.search(r'<div class="alert alert-warning" role="alert">(.*?)</div>', page, re.S)
    return shown(match.group(1)) if match else ""


def chart_json(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="oversight-chart-data">(.*?)</script>', page, re.S)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


# Hand-computed figures -----------------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return NO_FIGURE if not whole else f"{part / whole * 100:.1f}%"


FLAG_TEXT = {"under_used": "Under-used", "over_subscribed": "Over-subscribed", "women": "Women below target"}


@dataclass(frozen=True)
class Counts:
    """The places of a cohort (or a group of cohorts), as the story below makes them."""

    cohorts: int
    seats: int
    enrolled: int
    waitlisted: int = 0
    pending: int = 0
    completed: int = 0
    dropped: int = 0
    women: int = 0  # among enrolled + completed
    rural: int = 0  # among enrolled + completed
    applications: int = 0
    camp_seats: int = 0  # women-only camps
    camp_filled: int = 0
    finished_places: int = 0  # enrolled + completed + dropped in finished cohorts
    finished_completed: int = 0
    finished_dropped: int = 0
    running_seats: int = 0
    running_filled: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def cells(self, *flags: str) -> dict[str, str]:
        """What a row of the audit table shows for these places, with the flags worked out by hand."""
        trained = self.enrolled + self.completed
        return {
            "cohorts": str(self.cohorts),
            "seats": str(self.seats),
            "enrolled": str(self.enrolled),
            "waitlisted": str(self.waitlisted),
            "pending": str(self.pending),
            "utilisation": pct(trained, self.seats),
            "waitlist_pressure": pct(self.waitlisted, self.seats),
            "women_share": pct(self.women, trained),
            "camp_seats": str(self.camp_seats),
            "camp_fill": pct(self.camp_filled, self.camp_seats),
            "rural_share": pct(self.rural, trained),
            "completion_rate": pct(self.finished_completed, self.finished_places),
            "dropout_rate": pct(self.finished_dropped, self.finished_places),
            "flags": " ".join(FLAG_TEXT[flag] for flag in flags),
        }

    def cohort_cells(self, *flags: str) -> dict[str, str]:
        """A row of a centre's cohort table: the same figures, and applications, completed, dropped."""
        cells = self.cells(*flags)
        del cells["cohorts"]
        return cells | {
            "applications": str(self.applications),
            "completed": str(self.completed),
            "dropped": str(self.dropped),
        }


# The story. Punjab: centre A in Lahore, centre M in Multan; Sindh: centre B in Karachi South.
#
# c1 A  WEB  open      on-site 2031-01-10  4 seats: F-rural, F-urban, M, M enrolled; F, M waitlisted; a
#                                           third on the waitlist withdrew (7 applications)
# c2 A  ADS  running   on-site 2025-09-01 10 seats: F-urban (completed), F-rural, M-urban, M-rural, M-urban
# c3 A  WEB  finished  on-site 2025-03-03  5 seats: F-rural and F-urban completed, F-urban dropped, M-rural
#                                           still enrolled at the end
# c4 M  ADS  open camp, women only, online 2031-02-01  6 seats: F-rural, F-rural, F-urban
# c5 M  WEB  open, reviewed, hybrid        2031-03-01  5 seats: F-urban approved, M pending
# c6 B  WEB  open      hybrid  2031-01-20  8 seats: F-urban, M-urban, M-rural
# and, never counted: a draft at A (30 seats) and a cancelled cohort at B that had one place.
C1 = Counts(1, 4, 4, waitlisted=2, women=2, rural=1, applications=7)
C2 = Counts(1, 10, 4, completed=1, women=2, rural=2, applications=5, running_seats=10, running_filled=5)
C3 = Counts(
    1, 5, 1, completed=2, dropped=1, women=2, rural=2, applications=4,
    finished_places=4, finished_completed=2, finished_dropped=1,
)  # fmt: skip
C4 = Counts(1, 6, 3, women=3, rural=2, applications=3, camp_seats=6, camp_filled=3)
C5 = Counts(1, 5, 1, pending=1, women=1, applications=2)
C6 = Counts(1, 8, 3, women=1, rural=1, applications=3)
CENTRE_A = C1 + C2 + C3
CENTRE_M = C4 + C5
CENTRE_B = C6
PUNJAB = CENTRE_A + CENTRE_M
SINDH = CENTRE_B
TOTAL = PUNJAB + SINDH
SOFTWARE = C1 + C3 + C5 + C6
MARKETING = C2 + C4

# Flags by hand, with the default settings (under-used below 60%, women's share target 50%):
# running cohorts are c2 only, 5 of 10 seats filled → under-used wherever c2 counts; c1's waitlist (2) is
# half its 4 seats → over-subscribed, but no group has a waitlist of half its seats; women's shares below
# 50%: c2 (2 of 5), c6 and so Sindh and centre B (1 of 3). Centre A has exactly 6 of 12: not below.
EXPECTED_ROWS = {
    "province": {"PB": PUNJAB.cells("under_used"), "SD": SINDH.cells("women"), "total": TOTAL.cells("under_used")},
    "district": {"PB-LHR": CENTRE_A.cells("under_used"), "PB-MUL": CENTRE_M.cells()},
    "track": {
        "digital_marketing": MARKETING.cells("under_used"),
        "software_development": SOFTWARE.cells(),
        "total": TOTAL.cells("under_used"),
    },
}


@dataclass
class Network:
    punjab: object
    sindh: object
    centre_a: object
    centre_m: object
    centre_b: object
    cohorts: dict[str, object]
    users: dict[str, object]


@kept_world
def net(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user) -> Network:
    punjab = make_province(code="PB", name="Punjab")
    sindh = make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    multan = make_district(punjab, code="MUL", name="Multan")
    karachi = make_district(sindh, code="KHS", name="Karachi South")
    centre_a = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
    centre_m = make_centre(multan, code="PB-MUL-01", name="Multan Centre")
    centre_b = make_centre(karachi, code="SD-KHS-01", name="Karachi Centre")
    web = make_course(code="WEB-101", title="Web Basics", track=Track.SOFTWARE_DEVELOPMENT)
    ads = make_course(code="ADS-101", title="Online Ads", track=Track.DIGITAL_MARKETING)
    admin = make_user(Role.ADMIN)

    def cohort(code, centre, course, starts_on, seats, **fields):
        # No application window: the services take places whenever the cohort is open.
        return make_cohort(
            centre, course, code=code, starts_on=starts_on, seats=seats,
            applications_open_at=None, applications_close_at=None, **fields,
        )  # fmt: skip

    def register(made, gender, area):
        trainee = make_trainee(lahore, gender=gender, area=area)
        return services.register(trainee, made, actor=admin).enrollment

    c1 = cohort("C1", centre_a, web, date(2031, 1, 10), 4)
    for gender, area in [(F, RURAL), (F, URBAN), (M, URBAN), (M, URBAN), (F, URBAN), (M, URBAN)]:
        register(c1, gender, area)
    services.withdraw(register(c1, F, RURAL), actor=admin)

    c2 = cohort("C2", centre_a, ads, date(2025, 9, 1), 10)
    places = [
        register(c2, gender, area) for gender, area in [(F, URBAN), (F, RURAL), (M, URBAN), (M, RURAL), (M, URBAN)]
    ]
    change_status(c2, CohortStatus.RUNNING, actor=admin)
    services.complete(places[0], actor=admin)

    c3 = cohort("C3", centre_a, web, date(2025, 3, 3), 5)
    places = [register(c3, gender, area) for gender, area in [(F, RURAL), (F, URBAN), (F, URBAN), (M, RURAL)]]
    change_status(c3, CohortStatus.RUNNING, actor=admin)
    services.complete(places[0], actor=admin)
    services.complete(places[1], actor=admin)
    services.drop(places[2], actor=admin, reason="Stopped attending")
    change_status(c3, CohortStatus.FINISHED, actor=admin)

    c4 = cohort("C4", centre_m, ads, date(2031, 2, 1), 6, kind=CohortKind.CAMP, women_only=True, mode=Mode.ONLINE)
    for gender, area in [(F, RURAL), (F, RURAL), (F, URBAN)]:
        register(c4, gender, area)

    c5 = cohort("C5", centre_m, web, date(2031, 3, 1), 5, admission=Admission.REVIEWED, mode=Mode.HYBRID)
    services.approve(register(c5, F, URBAN), actor=admin)
    register(c5, M, URBAN)

    c6 = cohort("C6", centre_b, web, date(2031, 1, 20), 8, mode=Mode.HYBRID)
    for gender, area in [(F, URBAN), (M, URBAN), (M, RURAL)]:
        register(c6, gender, area)

    cohort("DRAFT", centre_a, web, date(2031, 1, 5), 30, status=CohortStatus.DRAFT)
    cancelled = cohort("CANCELLED", centre_b, web, date(2031, 1, 6), 15)
    register(cancelled, F, RURAL)
    services.cancel_cohort(cancelled, actor=admin, reason="No trainer")
    db.session.commit()
    assert recount() == []  # the services kept every counter right

    users = {
        "trainee": make_user(Role.TRAINEE),
        "staff_a": make_user(Role.STAFF, centres=(centre_a,)),
        "staff_am": make_user(Role.STAFF, centres=(centre_a, centre_m)),
        "staff_b": make_user(Role.STAFF, centres=(centre_b,)),
        "staff_none": make_user(Role.STAFF),
        "overseer": make_user(Role.OVERSEER),
        "punjab_overseer": make_user(Role.OVERSEER, province=punjab),
        "admin": admin,
    }
    cohorts = {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6}
    return Network(punjab, sindh, centre_a, centre_m, centre_b, cohorts, users)


@pytest.fixture
def as_user(client, sign_in, net):
    """``as_user("overseer")``: the client, signed in as one of the network's people."""

    def sign(name: str):
        return sign_in(net.users[name])

    return sign


# Each level of the drill-down -----------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["overseer", "admin"])
def test_the_nation_by_province(as_user, reader):
    page = get(as_user(reader), "/oversight/")
    assert audit_rows(page) == EXPECTED_ROWS["province"]
    assert row_names(page) == ["PB", "SD"]
    assert row_links(page)["PB"] == ["/oversight/provinces/PB"]
    assert row_links(page)["SD"] == ["/oversight/provinces/SD"]
    assert "Pakistan" in shown(page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0])


def test_a_province_by_district(as_user):
    page = get(as_user("overseer"), "/oversight/provinces/PB")
    assert audit_rows(page) == EXPECTED_ROWS["district"] | {"total": PUNJAB.cells("under_used")}
    assert row_links(page)["PB-LHR"] == ["/oversight/provinces/PB/districts/LHR"]
    assert row_links(page)["PB-MUL"] == ["/oversight/provinces/PB/districts/MUL"]
    assert breadcrumb(page) == [("Pakistan", "/oversight/"), ("Punjab", None)]


def test_a_district_by_centre(as_user):
    page = get(as_user("overseer"), "/oversight/provinces/PB/districts/LHR")
    assert audit_rows(page) == {"PB-LHR-01": CENTRE_A.cells("under_used"), "total": CENTRE_A.cells("under_used")}
    assert row_links(page)["PB-LHR-01"] == ["/oversight/centres/PB-LHR-01"]
    assert breadcrumb(page) == [("Pakistan", "/oversight/"), ("Punjab", "/oversight/provinces/PB"), ("Lahore", None)]


def test_a_centre_by_cohort(as_user):
    page = get(as_user("overseer"), "/oversight/centres/PB-LHR-01")
    rows = audit_rows(page)
    # Latest first; the draft is not counted, so not listed.
    assert row_names(page) == ["C1", "C2", "C3"]
    assert rows["C1"] == C1.cohort_cells("over_subscribed")
    assert rows["C2"] == C2.cohort_cells("under_used", "women")
    assert rows["C3"] == C3.cohort_cells()
    assert rows["total"] == CENTRE_A.cohort_cells("under_used")
    assert "Total, 3 cohorts" in shown(page)
    assert row_links(page)["C1"] == ["/courses/cohorts/C1"]
    assert breadcrumb(page) == [
        ("Pakistan", "/oversight/"),
        ("Punjab", "/oversight/provinces/PB"),
        ("Lahore", "/oversight/provinces/PB/districts/LHR"),
        ("Lahore Centre", None),
    ]


def test_the_view_by_track(as_user):
    page = get(as_user("overseer"), "/oversight/tracks")
    assert audit_rows(page) == EXPECTED_ROWS["track"]
    sindh = get(as_user("overseer"), "/oversight/tracks?province=sd")
    assert audit_rows(sindh) == {"software_development": C6.cells("women"), "total": C6.cells("women")}
    assert "Sindh by track" in shown(sindh)


def breadcrumb(page: str) -> list[tuple[str, str | None]]:
    nav = page.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    return [
        (shown(item), html.unescape(href[0]) if (href := re.findall(r'href="([^"]+)"', item)) else None)
        for item in re.findall(r"<li[^>]*>(.*?)</li>", nav, re.S)
    ]


# Filters --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # c1 (10 Jan 2031), c6 (20 Jan), c4 (1 Feb) and c5 (1 Mar) start in 2031.
        ("from=2031-01-01",
         {"PB": (C1 + C4 + C5).cells(), "SD": C6.cells("women"), "total": (C1 + C4 + C5 + C6).cells()}),
        # Both bounds are inclusive: c2 (1 Sep 2025) and c3 (3 Mar 2025).
        ("from=2025-03-03&to=2025-09-01",
         {"PB": (C2 + C3).cells("under_used"), "total": (C2 + C3).cells("under_used")}),
        ("to=2025-12-31", {"PB": (C2 + C3).cells("under_used"), "total": (C2 + C3).cells("under_used")}),
        ("camps=1", {"PB": C4.cells(), "total": C4.cells()}),
        ("mode=hybrid", {"PB": C5.cells(), "SD": C6.cells("women"), "total": (C5 + C6).cells()}),  # 2 of 4: 50%
        ("mode=online&camps=on", {"PB": C4.cells(), "total": C4.cells()}),
        ("mode=on_site&from=2031-01-01", {"PB": C1.cells("over_subscribed"), "total": C1.cells("over_subscribed")}),
    ],
)  # fmt: skip
def test_filters_narrow_the_cohorts(as_user, query, expected):
    page = get(as_user("overseer"), f"/oversight/?{query}")
    assert audit_rows(page) == expected
    assert not problems_shown(page)


def test_filters_are_kept_down_the_drill_and_in_the_form(as_user):
    client = as_user("overseer")
    page = get(client, "/oversight/?from=2031-01-01&mode=hybrid&camps=0")
    assert row_links(page)["PB"] == ["/oversight/provinces/PB?from=2031-01-01&mode=hybrid"]
    assert 'name="from" min="2000-01-01" max="2100-12-31" value="2031-01-01"' in page
    assert '<option value="hybrid" selected>' in page
    province = get(client, "/oversight/provinces/PB?from=2031-01-01&mode=hybrid")
    assert audit_rows(province) == {"PB-MUL": C5.cells(), "total": C5.cells()}
    assert row_links(province)["PB-MUL"] == ["/oversight/provinces/PB/districts/MUL?from=2031-01-01&mode=hybrid"]
    centre = get(client, "/oversight/centres/PB-MUL-01?from=2031-01-01&mode=hybrid")
    assert row_names(centre) == ["C5"]
    assert breadcrumb(centre)[1] == ("Punjab", "/oversight/provinces/PB?from=2031-01-01&mode=hybrid")


def test_a_filter_matching_nothing_says_so(as_user):
    page = get(as_user("overseer"), "/oversight/?from=2040-01-01")
    assert "No cohorts to count" in shown(page)
    assert "audit-table" not in page and "oversight-chart-data" not in page
    for path in (
        "/oversight/provinces/SD?camps=1",
        "/oversight/centres/SD-KHS-01?camps=1",
        "/oversight/tracks?camps=1&province=SD",
    ):
        assert "No cohorts to count" in shown(get(as_user("overseer"), path)), path


# Flags and their settings -------------------------------------------------------------------------------


def test_flags_follow_the_settings(app, as_user):
    app.config["UNDERUSED_BELOW"] = 0.5  # c2 fills exactly 50%: no longer below
    app.config["WOMEN_SHARE_TARGET"] = 0.65  # Punjab 10 of 16 (62.5%), the nation 11 of 19 (57.9%)
    page = get(as_user("overseer"), "/oversight/")
    assert audit_rows(page) == {"PB": PUNJAB.cells("women"), "SD": SINDH.cells("women"), "total": TOTAL.cells("women")}
    legend = shown(page.split('aria-label="What the flags mean"')[1].split("</ul>")[0])
    assert "running cohorts fill less than 50% of their seats" in legend
    assert "women hold less than 65% of the enrolled and completed places" in legend
    app.config["UNDERUSED_BELOW"] = 0.51
    app.config["WOMEN_SHARE_TARGET"] = 0.3
    centre = audit_rows(get(as_user("overseer"), "/oversight/centres/PB-LHR-01"))
    assert centre["C2"]["flags"] == "Under-used"
    assert centre["C1"]["flags"] == "Over-subscribed"  # 2 waitlisted for 4 seats: half, whatever the settings


def test_flags_are_words_not_only_colours(as_user):
    page = get(as_user("overseer"), "/oversight/centres/PB-LHR-01").split('id="audit-table"')[1]
    badges = re.findall(r'<span class="badge audit-flag audit-flag-(\w+)" data-flag="\w+">([^<]+)</span>', page)
    assert ("over_subscribed", "Over-subscribed") in badges
    assert ("under_used", "Under-used") in badges
    assert ("women_below_target", "Women below target") in badges


def test_the_settings_have_defaults_and_come_from_the_environment(monkeypatch, tmp_path):
    from config import Config, TestConfig

    monkeypatch.setenv("MARKAZ_INSTANCE_PATH", str(tmp_path))
    for name in ("MARKAZ_UNDERUSED_BELOW", "MARKAZ_WOMEN_SHARE_TARGET", "MARKAZ_ENV"):
        monkeypatch.delenv(name, raising=False)
    assert (Config().UNDERUSED_BELOW, Config().WOMEN_SHARE_TARGET) == (0.6, 0.5)
    monkeypatch.setenv("MARKAZ_UNDERUSED_BELOW", "0.75")
    monkeypatch.setenv("MARKAZ_WOMEN_SHARE_TARGET", "0.4")
    assert (Config().UNDERUSED_BELOW, Config().WOMEN_SHARE_TARGET) == (0.75, 0.4)
    test_config = TestConfig("sqlite://")
    assert (test_config.UNDERUSED_BELOW, test_config.WOMEN_SHARE_TARGET) == (0.6, 0.5)


# Pagination ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("per_page=2", ["C1", "C2"]), ("per_page=2&page=2", ["C3"]), ("per_page=2&page=99", ["C3"]),
     ("per_page=2&page=-1", ["C1", "C2"]), ("per_page=0", ["C1"]), ("per_page=100000", ["C1", "C2", "C3"])],
)  # fmt: skip
def test_a_centres_cohorts_are_paged_with_the_total_of_all(as_user, query, expected):
    page = get(as_user("overseer"), f"/oversight/centres/PB-LHR-01?{query}")
    assert row_names(page) == expected
    assert audit_rows(page)["total"] == CENTRE_A.cohort_cells("under_used")


@pytest.mark.parametrize(
    ("query", "expected"),
    [("per_page=1", ["PB-LHR-01"]), ("per_page=1&page=2", ["PB-MUL-01"]), ("per_page=1&page=7", ["PB-MUL-01"])],
)
def test_centres_are_paged_with_the_total_of_all(as_user, query, expected):
    page = get(as_user("staff_am"), f"/oversight/?{query}")
    assert row_names(page) == expected
    assert audit_rows(page)["total"] == PUNJAB.cells("under_used")
    assert "Showing" in shown(page) and 'aria-label="Pages of centres"' in page


# Who sees what ------------------------------------------------------------------------------------------


def test_a_provincial_overseer_sees_her_province_only(as_user):
    client = as_user("punjab_overseer")
    page = get(client, "/oversight/")
    assert audit_rows(page) == EXPECTED_ROWS["district"] | {"total": PUNJAB.cells("under_used")}
    assert "Karachi" not in page and "Sindh" not in page
    assert breadcrumb(page) == [("Punjab", None)]
    assert audit_rows(get(client, "/oversight/provinces/PB"))["total"] == PUNJAB.cells("under_used")
    assert audit_rows(get(client, "/oversight/tracks"))["total"] == PUNJAB.cells("under_used")
    assert audit_rows(get(client, "/oversight/centres/PB-MUL-01"))["total"] == CENTRE_M.cohort_cells()
    for path in (
        "/oversight/provinces/SD",
        "/oversight/provinces/sd",
        "/oversight/provinces/SD/districts/KHS",
        "/oversight/centres/SD-KHS-01",
        "/oversight/tracks?province=SD",
    ):
        assert "Karachi" not in get(client, path, 403), path


def test_staff_see_the_same_pages_for_their_own_centres(as_user):
    client = as_user("staff_a")
    page = get(client, "/oversight/")
    assert audit_rows(page) == {"PB-LHR-01": CENTRE_A.cells("under_used"), "total": CENTRE_A.cells("under_used")}
    assert breadcrumb(page) == [("Your centres", None)]
    assert audit_rows(get(client, "/oversight/provinces/PB")) == {
        "PB-LHR": CENTRE_A.cells("under_used"),
        "total": CENTRE_A.cells("under_used"),
    }
    assert audit_rows(get(client, "/oversight/tracks"))["total"] == CENTRE_A.cells("under_used")
    assert row_names(get(client, "/oversight/centres/PB-LHR-01")) == ["C1", "C2", "C3"]
    for path in (
        "/oversight/centres/PB-MUL-01",
        "/oversight/provinces/PB/districts/MUL",
        "/oversight/provinces/SD",
        "/oversight/tracks?province=SD",
    ):
        get(client, path, 403)


def test_staff_without_a_centre_see_an_empty_audit(as_user):
    page = get(as_user("staff_none"), "/oversight/")
    assert "No cohorts to count" in shown(page)
    get(as_user("staff_none"), "/oversight/provinces/PB", 403)


@pytest.mark.parametrize(
    "path",
    ["/oversight/", "/oversight/provinces/PB", "/oversight/provinces/PB/districts/LHR", "/oversight/centres/PB-LHR-01",
     "/oversight/tracks"],
)  # fmt: skip
def test_trainees_are_refused_and_visitors_asked_to_sign_in(client, as_user, path):
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login" and parse_qs(location.query)["next"] == [path]
    get(as_user("trainee"), path, 403)


@pytest.mark.parametrize(
    "path",
    ["/oversight/provinces/XX", "/oversight/provinces/PB/districts/KHS", "/oversight/provinces/PB/districts/ZZZ",
     "/oversight/centres/NO-SUCH-01", "/oversight/provinces/P%00B", "/oversight/centres/" + "A" * 300,
     "/oversight/centres/%E2%80%AE%00"],
)  # fmt: skip
def test_places_that_do_not_exist_are_not_found(as_user, path):
    get(as_user("admin"), path, 404)


# Charts --------------------------------------------------------------------------------------------------


def test_the_charts_data_equals_the_tables_beside_them_and_the_hand_count(as_user):
    page = get(as_user("overseer"), "/oversight/")
    data = chart_json(page)
    utilisation = tables_of(page)["table-utilisation"][1:]
    assert data["utilisation"]["labels"] == [row["cells"][0]["text"] for row in utilisation] == ["Punjab", "Sindh"]
    assert data["utilisation"]["values"] == [float(row["cells"][1]["value"]) for row in utilisation]
    assert data["utilisation"]["values"] == [round(16 / 30 * 100, 1), round(3 / 8 * 100, 1)]
    assert [row["cells"][1]["text"] for row in utilisation] == ["53.3%", "37.5%"]

    women = tables_of(page)["table-women"][1:]
    months = ["Mar 2025", "Sep 2025", "Jan 2031", "Feb 2031", "Mar 2031"]
    assert data["women"]["labels"] == [row["cells"][0]["text"] for row in women] == months
    assert data["women"]["values"] == [float(row["cells"][3]["value"]) for row in women]
    # Women among enrolled and completed places of the cohorts starting each month: c3; c2; c1 and c6; c4; c5.
    assert [(row["cells"][1]["text"], row["cells"][2]["text"]) for row in women] == [
        ("2", "3"), ("2", "5"), ("3", "7"), ("3", "3"), ("1", "1"),
    ]  # fmt: skip
    assert data["women"]["values"] == [66.7, 40.0, 42.9, 100.0, 100.0]
    assert data["women"]["target"] == 50.0

    funnel = tables_of(page)["table-funnel"][1:]
    assert data["funnel"]["labels"] == [row["cells"][0]["text"] for row in funnel]
    assert data["funnel"]["labels"] == ["Seats", "Applied", "Enrolled or completed", "Completed"]
    assert data["funnel"]["values"] == [int(row["cells"][1]["value"]) for row in funnel]
    # Seats 38; applications 24 (the withdrawn one too, not the cancelled cohort's); 19 places; 3 completed.
    assert data["funnel"]["values"] == [TOTAL.seats, TOTAL.applications, 19, 3] == [38, 24, 19, 3]


def test_the_charts_follow_the_filters_and_the_scope(as_user):
    data = chart_json(get(as_user("punjab_overseer"), "/oversight/?from=2031-01-01"))
    assert data["utilisation"] == {"label": "Utilisation (%)", "labels": ["Punjab"], "values": [round(8 / 15 * 100, 1)]}
    assert data["women"]["labels"] == ["Jan 2031", "Feb 2031", "Mar 2031"]
    assert data["funnel"]["values"] == [15, 12, 8, 0]


def test_the_charts_are_accessible_and_need_no_inline_script(as_user):
    page = get(as_user("overseer"), "/oversight/")
    canvases = re.findall(r"<canvas ([^>]*)>", page)
    assert len(canvases) == 3
    for canvas in canvases:
        assert 'role="img"' in canvas and re.search(r'aria-label="[^"]{20,}"', canvas), canvas
    assert len(re.findall(r'<table class="table table-sm mt-2 chart-table" id="table-\w+">\s*<caption', page)) == 3
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    for attributes, body in scripts:
        assert 'src="' in attributes or 'type="application/json"' in attributes, attributes
        assert 'src="' not in attributes or not body.strip()
    assert re.search(r'src="/static/vendor/chartjs/chart\.umd\.min\.[0-9a-f]{12}\.js" defer', page)
    assert re.search(r'src="/static/js/oversight-charts\.[0-9a-f]{12}\.js" defer', page)
    # No asset from a CDN. (Not "cdn" anywhere in the page: a random CSRF token may hold those letters.)
    assert not re.search(r'(?:src|href)="[^"]*cdn', page, re.I)


# Downloads ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "csv"),
    [
        ("/oversight/?mode=hybrid", "/oversight/exports/capacity.csv?by=province&mode=hybrid"),
        ("/oversight/provinces/PB", "/oversight/exports/capacity.csv?by=district&province=PB"),
        ("/oversight/provinces/PB/districts/LHR", "/oversight/exports/capacity.csv?by=centre&province=PB&district=LHR"),
        ("/oversight/centres/PB-LHR-01?from=2025-01-01",
         "/oversight/exports/centres/PB-LHR-01/cohorts.csv?from=2025-01-01"),
        ("/oversight/tracks?province=PB", "/oversight/exports/capacity.csv?by=track&province=PB"),
    ],
)  # fmt: skip
def test_each_table_links_to_its_download(as_user, path, csv):
    client = as_user("overseer")
    page = get(client, path)
    links = re.findall(r'<a class="btn btn-sm btn-outline-secondary" href="([^"]+)" download>', page)
    assert [html.unescape(link) for link in links] == [csv, csv.replace(".csv", ".xlsx")]
    download = client.get(html.unescape(links[0]))
    assert download.status_code == 200 and download.mimetype == "text/csv"


# Query strings nobody should send -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=garbage", "Starting from: “garbage” is not a date. Write it as YYYY-MM-DD, e.g. 2031-01-31."),
        ("to=31/01/2031", "Starting until: “31/01/2031” is not a date. Write it as YYYY-MM-DD, e.g. 2031-01-31."),
        ("to=1999-12-31", "Starting until: “1999-12-31” is not between 2000-01-01 and 2100-12-31."),
        ("from=9999-12-31", "Starting from: “9999-12-31” is not between 2000-01-01 and 2100-12-31."),
        ("from=2031-02-01&to=2031-01-01", "Starting until: 2031-01-01 is before the start of the period."),
        ("mode=boat", "Mode: “boat” is not a mode; choose on-site, online or hybrid."),
        ("mode=%3Cscript%3Ealert(1)%3C/script%3E", "Mode: “<script>alert(1)</script>” is not a mode"),
        ("from=2031%00-01-01", "Starting from: “2031-01-01” is not"),  # the NUL is dropped, the date then read
    ],
)
def test_filters_that_cannot_be_used_are_left_out_and_named(as_user, row_counts, query, message):
    before = row_counts()
    page = get(as_user("overseer"), f"/oversight/?{query}")
    if "%00" in query:  # without its NUL the value is a good date: used, nothing to say
        assert not problems_shown(page)
        assert audit_rows(page)["total"] == (C1 + C4 + C5 + C6).cells()
    else:
        assert message in problems_shown(page)
        assert "<script>alert" not in page
    if query.startswith("from=2031-02-01"):  # the period's start stays (c4, c5), its end is left out
        assert audit_rows(page)["total"] == (C4 + C5).cells()
    assert row_counts() == before


@pytest.mark.parametrize(
    "query",
    ["page=-1", "page=abc", "per_page=-5", "page=99999999999999999999", "from=%00", "mode=%00", "camps=%00%01",
     "from=&to=&mode=&camps=", "by=%FF%FE", "from=2031-01-01&from=garbage", "%00=%00", "province=%00"],
)  # fmt: skip
@pytest.mark.parametrize(
    "path", ["/oversight/", "/oversight/provinces/PB", "/oversight/provinces/PB/districts/LHR",
             "/oversight/centres/PB-LHR-01", "/oversight/tracks"],
)  # fmt: skip
def test_hostile_query_strings_give_normal_pages(as_user, path, query):
    page = get(as_user("overseer"), f"{path}?{query}")
    assert "audit-table" in page


def test_the_pages_read_the_cohort_counters_never_the_enrollments(app, as_user):
    """At 3M enrollments a GROUP BY over them takes seconds: the audit adds up cohort rows instead."""
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client = as_user("overseer")
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for path in ("/oversight/", "/oversight/provinces/PB", "/oversight/provinces/PB/districts/LHR",
                     "/oversight/centres/PB-LHR-01", "/oversight/tracks"):  # fmt: skip
            get(client, path)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert any("cohort" in statement for statement in statements)
    assert not [statement for statement in statements if re.search(r"\benrollment\b", statement)]
