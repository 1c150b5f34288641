"""Issue 17, item 6: the completion report (attendance, completion by rule, certificates, at risk, backfilled
seats) kept as tallies per cohort, gender and area (``enrollments.tallies``), read by the query, the page
``/oversight/completion``, its downloads and ``GET /api/v1/reports/completion``; on SQLite and PostgreSQL.

The network, built through the services (registers saved, places dropped and completed, certificates issued,
revoked and reissued, a record corrected), with figures worked out by hand:

- Punjab, Lahore Centre, cohort LHR (running since Monday 2 November 2026, morning): Ayesha (woman, rural),
  Bushra (woman, urban), Chand (man, rural), Danish (man, urban), Eman (transgender, semi-urban). Registers
  of 2–6 November: Ayesha absent on the 3rd; Bushra absent on the 4th, 5th and 6th (at risk); Chand late
  on the 6th (present). So 25 marks, 21 present; everyone attended. Chand and Danish completed (two
  certificates); Danish's revoked; Chand's reissued under a corrected name. Ayesha dropped on the 19th.
- Sindh, Karachi Centre, cohort KHI (running since 2 November): Fatima (woman, rural), Ghazala (woman,
  rural). One register (2 November): Ghazala absent. 2 marks, 1 present; Fatima attended.
"""

from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from harness import kept_world
from pages import csv_notes, csv_rows, export_events, text
from sqlalchemy import func, select, update

import clock
from api.catalogue import changed_details
from attendance.services import take_attendance
from auth.permissions import oversight_scope
from certificates.models import Certificate
from certificates.services import issue, reissue, revoke
from courses.cohorts import change_status, update_cohort
from courses.models import Cohort
from enrollments import services
from enrollments.services.changes import move
from enrollments.tallies import TALLY_NAMES, CohortTally, actual_tallies, keep_tallies, recount_tallies
from enrollments.trainees import correct_trainee
from extensions import db
from oversight.completion_figures import COMPLETION_FIGURES, COMPLETION_KEYS
from oversight.queries import CompletionFigures, completion_report, completion_totals
from oversight.queries.capacity import _report_keys, reported_cohorts
from oversight.queries.completion import CompletionRow
from tests.api_helpers import api_error, bearer
from vocabulary import Area, CohortStatus, EnrollmentStatus, Gender, Mode, Role, Shift, Track

S = EnrollmentStatus
FIRST = date(2026, 11, 2)
FIRST_MORNING = datetime(2026, 10, 30, 6, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
DAYS = [date(2026, 11, day) for day in (2, 3, 4, 5, 6)]
F, M, T = Gender.FEMALE, Gender.MALE, Gender.TRANSGENDER


class Network:
    def __init__(self, make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user):
        self.punjab = make_province(code="PB", name="Punjab")
        self.sindh = make_province(code="SD", name="Sindh")
        lahore = make_district(self.punjab, code="LHR", name="Lahore")
        karachi = make_district(self.sindh, code="KHS", name="Karachi South")
        self.centre_a = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
        self.centre_b = make_centre(karachi, code="SD-KHS-01", name="Karachi Centre")
        web = make_course(code="WEB-101", track=Track.SOFTWARE_DEVELOPMENT)
        self.staff_a = make_user(Role.STAFF, centres=(self.centre_a,))
        self.staff_b = make_user(Role.STAFF, centres=(self.centre_b,))
        self.users = {
            "trainee": make_user(Role.TRAINEE),
            "staff_a": self.staff_a,
            "staff_b": self.staff_b,
            "overseer": make_user(Role.OVERSEER),
            "punjab_overseer": make_user(Role.OVERSEER, province=self.punjab),
            "admin": make_user(Role.ADMIN),
        }

        def running(centre, code, staff, people):
            cohort = make_cohort(
                centre, web, code=code, starts_on=FIRST, ends_on=date(2026, 12, 31), shift=Shift.MORNING, seats=10,
                applications_close_at=None,
            )  # fmt: skip
            places = {}
            for name, gender, area in people:
                trainee = make_trainee(lahore, full_name=name, gender=gender, area=area)
                places[name] = services.register(trainee, cohort, actor=staff, now=FIRST_MORNING).enrollment
            change_status(cohort, CohortStatus.RUNNING, actor=staff)
            return cohort, places

        self.lhr, a = running(self.centre_a, "LHR-1", self.staff_a, [
            ("Ayesha", F, Area.RURAL), ("Bushra", F, Area.URBAN), ("Chand", M, Area.RURAL),
            ("Danish", M, Area.URBAN), ("Eman", T, Area.SEMI_URBAN),
        ])  # fmt: skip
        self.khi, b = running(
            self.centre_b, "KHI-1", self.staff_b, [("Fatima", F, Area.RURAL), ("Ghazala", F, Area.RURAL)]
        )
        self.places = a | b
        absent = {DAYS[1]: ["Ayesha"], DAYS[2]: ["Bushra"], DAYS[3]: ["Bushra"], DAYS[4]: ["Bushra"]}
        for day in DAYS:
            take_attendance(
                self.lhr, day, absent=[a[name].id for name in absent.get(day, [])],
                late=[a["Chand"].id] if day == DAYS[4] else [], actor=self.staff_a, now=NOW,
            )  # fmt: skip
        take_attendance(self.khi, DAYS[0], absent=[b["Ghazala"].id], actor=self.staff_b, now=NOW)
        for name in ("Chand", "Danish"):
            completed_while_running(a[name], actor=self.staff_a)
        certificates = {c.enrollment_id: c for c in db.session.scalars(select(Certificate))}
        revoke(certificates[a["Danish"].id], actor=self.staff_a, reason="Issued in error", now=NOW)
        reissue(certificates[a["Chand"].id], actor=self.staff_a, reason="Name misspelt", full_name="Chand Bibi")
        services.drop(a["Ayesha"], actor=self.staff_a, reason="Moved away", now=NOW)
        db.session.commit()
        self.tokens = {role: bearer(user) for role, user in self.users.items()}


def completed_while_running(place, *, actor) -> None:
    """Complete ``place`` as finishing her cohort would (``move`` keeps the counters and tallies; the certificate
    issued as the rule issues it), while her cohort still runs: the rule reaches this state only when a cohort
    finishes, but the report must count completed, at-risk and enrolled places side by side in one cohort."""
    move(place, EnrollmentStatus.COMPLETED, now=NOW)
    issue(place, actor=actor, now=NOW)


@kept_world
def net(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user):
    return Network(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    return NOW


def by_key(rows):
    return {row.key: row for row in rows}


# The tallies against the tables -----------------------------------------------------------------------------


def test_the_tallies_equal_a_recount_after_every_kind_of_change(net):
    assert recount_tallies() == []


def counted_report(scope, group_by: str, **filters) -> list[CompletionRow]:
    """The report counted the long way: the tallies recounted from the enrollment and certificate tables
    (``actual_tallies``) over the cohorts the capacity report selects from the cohort table
    (``reported_cohorts``), grouped here. What the report reads from the tally rows' copies must equal it."""
    keys, name = _report_keys(group_by)
    labels = [*keys, *([name] if name is not None else [])]
    period = [filters.pop(argument, None) for argument in ("province_code", "starts_from", "starts_to")]
    selected = reported_cohorts(select(Cohort.id, *labels).select_from(Cohort), scope, *period, **filters)
    groups = {row[0]: row[1:] for row in db.session.execute(selected)}
    rows: dict[str, CompletionRow] = {}
    for (cohort_id, gender, area), values in actual_tallies().items():
        if cohort_id not in groups:
            continue
        group = groups[cohort_id]
        key = "-".join(str(value.value if isinstance(value, Track) else value) for value in group[: len(keys)])
        label = group[len(keys)] if name is not None else Track(group[0]).plain_label
        row = rows.setdefault(key, CompletionRow(key, label))
        for figures in (row.figures, row.by_gender[gender], row.by_area[area]):
            figures.add(CompletionFigures(**values))
    return [rows[key] for key in sorted(rows)]


REPORT_FILTERS = [
    {},
    {"province_code": "SD"},
    {"starts_from": date(2026, 11, 3)},
    {"starts_to": date(2026, 11, 2)},
    {"mode": Mode.ONLINE},
    {"women_only": True},
    {"camps": True},
]


def assert_the_report_is_the_count(net) -> None:
    for role in ("admin", "punjab_overseer", "staff_b"):
        scope = oversight_scope(net.users[role])
        for group_by in ("province", "district", "centre", "track"):
            for filters in REPORT_FILTERS:
                expected = counted_report(scope, group_by, **dict(filters))
                assert completion_report(scope, group_by, **filters) == expected, (role, group_by, filters)


def test_the_report_equals_one_counted_from_the_tables_whatever_its_cohorts_become(net):
    """The report reads the cohort's facts from the tally rows' copies: every change of a cohort that the
    report filters by moves them (``copy_cohort_facts``), checked against a count from the tables each time."""
    admin = oversight_scope(net.users["admin"])
    assert_the_report_is_the_count(net)
    assert completion_report(admin, "province", mode=Mode.ONLINE) == []

    # Karachi's cohort goes online, women-only and a day later (the facts the filters read).
    khi = net.khi
    later = {"mode": Mode.ONLINE, "women_only": True, "starts_on": date(2026, 11, 3)}
    update_cohort(khi, changed_details(khi, later), actor=net.staff_b)
    db.session.commit()
    assert recount_tallies() == []
    for filters in ({"mode": Mode.ONLINE}, {"women_only": True}, {"starts_from": date(2026, 11, 3)}):
        assert [row.key for row in completion_report(admin, "province", **filters)] == ["SD"]
    assert_the_report_is_the_count(net)

    # Lahore's finishes (the rule decides, certificates are issued); Karachi's is cancelled.
    change_status(net.lhr, CohortStatus.FINISHED, actor=net.staff_a)
    services.cancel_cohort(khi, actor=net.staff_b, reason="The lab flooded")
    db.session.commit()
    statuses = dict(db.session.execute(select(CohortTally.cohort_id, CohortTally.status).distinct()).all())
    assert statuses == {net.lhr.id: CohortStatus.FINISHED, khi.id: CohortStatus.CANCELLED}
    assert recount_tallies() == []
    assert_the_report_is_the_count(net)


def test_a_copied_fact_that_drifts_is_found_and_fixed_by_the_recount(net):
    db.session.execute(update(CohortTally).where(CohortTally.cohort_id == net.khi.id).values(mode=Mode.HYBRID))
    drifts = recount_tallies()
    assert [(d.cohort_code, d.counter, d.stored, d.actual) for d in drifts] == [
        ("KHI-1", "tally female/rural mode", Mode.HYBRID, Mode.ON_SITE)
    ]
    assert recount_tallies(fix=True) and recount_tallies() == []


def test_the_figures_are_the_hand_count(net):
    rows = by_key(completion_report(oversight_scope(net.users["overseer"]), "province"))
    punjab, sindh = rows["PB"].figures, rows["SD"].figures
    assert (punjab.marks_held, punjab.marks_present, punjab.attendance_rate) == (25, 21, 21 / 25)
    assert (punjab.attended, punjab.at_risk) == (5, 1)  # Bushra: absent on the last 3 class days, enrolled
    assert (punjab.finished, punjab.completed, punjab.completion_rate) == (2, 2, 1.0)
    # Two issued, Chand's reissued: three numbered; Danish's revoked; Chand's reissue is the one valid.
    assert (punjab.certificates_issued, punjab.certificates_revoked, punjab.certified) == (3, 1, 1)
    assert (punjab.assessed, punjab.passed, punjab.pass_rate) == (0, 0, None)
    assert (sindh.marks_held, sindh.marks_present, sindh.attended, sindh.at_risk) == (2, 1, 1, 0)
    women, men, transgender = (rows["PB"].by_gender[gender] for gender in (F, M, T))
    assert (women.marks_held, women.marks_present, women.at_risk) == (10, 6, 1)
    assert (men.marks_held, men.marks_present, men.completed, men.certified) == (10, 10, 2, 1)
    assert (transgender.marks_held, transgender.marks_present) == (5, 5)
    rural = rows["PB"].by_area[Area.RURAL]
    assert (rural.marks_held, rural.marks_present, rural.completed) == (10, 9, 1)


def test_the_parts_of_every_split_add_up_to_the_row(net):
    for group_by in ("province", "district", "centre", "track"):
        rows = completion_report(oversight_scope(net.users["admin"]), group_by)
        for row in [*rows, completion_totals(rows)]:
            for split in ("gender", "area"):
                for key in ("marks_held", "marks_present", "at_risk", "completed", "certified"):
                    assert sum(getattr(part, key) for _, part in row.split(split)) == getattr(row.figures, key)
    total = completion_totals(completion_report(oversight_scope(net.users["admin"]), "track")).figures
    assert (total.marks_held, total.certified) == (27, 1)


@pytest.mark.parametrize(
    ("role", "keys"),
    [("overseer", ["PB-LHR-01", "SD-KHS-01"]), ("punjab_overseer", ["PB-LHR-01"]), ("staff_b", ["SD-KHS-01"]),
     ("admin", ["PB-LHR-01", "SD-KHS-01"])],
)  # fmt: skip
def test_each_reader_sees_her_scope_only(net, role, keys):
    assert [row.key for row in completion_report(oversight_scope(net.users[role]), "centre")] == keys


def test_a_corrected_record_moves_her_figures_and_a_recount_finds_a_tampered_tally(net):
    eman = net.places["Eman"].trainee
    correct_trainee(eman, actor=net.staff_a, reason="Typed wrong at the desk", gender=F, area=Area.URBAN)
    db.session.commit()
    assert recount_tallies() == []
    rows = by_key(completion_report(oversight_scope(net.users["admin"]), "province"))
    assert rows["PB"].by_gender[T].marks_held == 0 and rows["PB"].by_gender[F].marks_held == 15
    assert rows["PB"].by_area[Area.URBAN].marks_held == 15

    db.session.execute(
        update(CohortTally)
        .where(CohortTally.cohort_id == net.lhr.id, CohortTally.gender == M, CohortTally.area == Area.RURAL)
        .values(completed=CohortTally.completed + 4)
    )
    drifts = recount_tallies()
    assert [(d.cohort_code, d.counter, d.stored, d.actual) for d in drifts] == [
        ("LHR-1", "tally male/rural completed", 5, 1)
    ]
    assert recount_tallies(fix=True) and recount_tallies() == []


def test_a_mark_or_a_reason_set_just_before_the_change_that_counts_it_is_counted(net):
    chand, danish = net.places["Chand"], net.places["Danish"]
    for place, mark in ((chand, Decimal("72.50")), (danish, Decimal("31"))):
        place.mark = mark
        keep_tallies(place)  # right after the change, before the next: the marks service's way
    # An outcome's written reason set just before the move (the override's way): counted with the move.
    with db.session.no_autoflush:
        danish.completion_override_reason = "Completed on the re-sit"
        move(danish, S.COMPLETED, now=NOW)
    db.session.commit()
    assert recount_tallies() == []
    punjab = by_key(completion_report(oversight_scope(net.users["admin"]), "province"))["PB"].figures
    assert (punjab.assessed, punjab.passed, punjab.pass_rate, punjab.overridden) == (2, 1, 0.5, 1)


def test_the_recount_command_reports_and_fixes_drift(net, app):
    db.session.execute(update(CohortTally).where(CohortTally.cohort_id == net.khi.id).values(attended=9))
    db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(args=["oversight", "recount"])
    assert found.exit_code == 1 and "KHI-1: tally female/rural attended stored 9, actual 1" in found.output
    fixed = runner.invoke(args=["oversight", "recount", "--fix"])
    assert fixed.exit_code == 0 and "Fixed" in fixed.output
    assert runner.invoke(args=["oversight", "recount"]).output.strip().endswith("No drift.")


# A backfilled seat ------------------------------------------------------------------------------------------


def test_a_seat_freed_in_the_backfill_window_and_filled_from_the_line_is_counted(
    app, make_centre, make_cohort, make_trainee, make_user
):
    centre = make_centre()
    cohort = make_cohort(centre, starts_on=clock.local_today(), seats=2, applications_close_at=None)
    staff = make_user(Role.STAFF, centres=(centre,))
    places = [services.register(make_trainee(gender=F), cohort, actor=staff).enrollment for _ in range(3)]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    services.drop(places[0], actor=staff, reason="Never came")
    db.session.commit()
    assert places[2].status is S.ENROLLED and places[2].backfilled
    total = completion_totals(completion_report(oversight_scope(make_user(Role.ADMIN)), "centre")).figures
    assert total.backfilled == 1
    assert recount_tallies() == []


# The page ------------------------------------------------------------------------------------------------


def test_the_page_shows_the_figures_their_definitions_and_sample_sizes(net, client, sign_in):
    sign_in(net.users["overseer"])
    page = text(client.get("/oversight/completion?split=gender"))
    assert 'data-key="PB"' in page and 'data-key="SD"' in page
    assert 'data-part="female"' in page and 'data-part="transgender"' in page
    for figure in COMPLETION_FIGURES:
        assert f'data-definition="{figure.key}"' in page
    assert "Sample size here: 27." in page  # the class-day marks held, everywhere
    assert 'id="oversight-chart-data"' in page and 'data-stage="certified"' in page


def test_the_page_follows_the_grouping_and_the_reader_scope(net, client, sign_in):
    sign_in(net.users["punjab_overseer"])
    page = text(client.get("/oversight/completion"))
    assert 'data-key="PB-LHR"' in page and "SD" not in page.split('id="completion-table"')[1].split("</table>")[0]
    assert client.get("/oversight/completion?province=SD").status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [("by=village", "by “village” must be province, district, centre or track."),
     ("split=caste", "split “caste” must be gender or area.")],
)  # fmt: skip
def test_a_grouping_or_split_it_does_not_know_is_refused(net, client, sign_in, query, message):
    sign_in(net.users["admin"])
    response = client.get(f"/oversight/completion?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_filter_it_cannot_use_is_shown_as_left_out(net, client, sign_in):
    sign_in(net.users["admin"])
    page = text(client.get("/oversight/completion?from=yesterday&province=ZZ"))
    assert "“yesterday” is not a date" in page and "no province with the code “ZZ”" in page


def test_trainees_cannot_read_it(net, client, sign_in):
    sign_in(net.users["trainee"])
    assert client.get("/oversight/completion").status_code == 403
    assert client.get("/oversight/exports/completion.csv").status_code == 403


# The downloads --------------------------------------------------------------------------------------------


def test_the_download_has_every_split_and_the_definitions(net, client, sign_in):
    sign_in(net.users["overseer"])
    response = client.get("/oversight/exports/completion.csv?by=province")
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0][:3] == ["Key", "Province", "Part"]
    parts = [row[:3] for row in rows[1:] if row and row[0] == "PB"]
    assert [part[2] for part in parts] == ["all", "female", "male", "transgender", "urban", "semi_urban", "rural"]
    punjab = dict(zip(rows[0], next(row for row in rows if row[:3] == ["PB", "Punjab", "all"]), strict=True))
    assert (punjab["Class-day marks held"], punjab["Certified (places)"]) == ("25", "1")
    assert "Completion by rule" in csv_notes(response)
    assert [event.action for event in export_events()] == ["export.completion"]
    assert client.get("/oversight/exports/completion.xlsx?by=track&split=area").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [("by=village", "by “village” must be province, district, centre or track."),
     ("from=2026-13-01", "from “2026-13-01” is not a date"),
     ("province=ZZ", "province “ZZ” is not the code of a province.")],
)  # fmt: skip
def test_a_download_it_cannot_make_as_asked_is_refused_and_not_recorded(net, client, sign_in, query, message):
    sign_in(net.users["admin"])
    response = client.get(f"/oversight/exports/completion.csv?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert export_events() == []


# The API ----------------------------------------------------------------------------------------------------


def test_the_api_gives_the_figures_with_every_split(net, client):
    answer = client.get("/api/v1/reports/completion?group_by=province", headers=net.tokens["overseer"]).get_json()
    rows = {row["key"]: row for row in answer["rows"]}
    assert set(rows) == {"PB", "SD"}
    punjab = rows["PB"]
    assert set(COMPLETION_KEYS) <= set(punjab)
    assert (punjab["marks_held"], punjab["attendance_rate"], punjab["certified"]) == (25, 0.84, 1)
    assert punjab["by_gender"]["female"]["at_risk"] == 1 and punjab["by_area"]["rural"]["marks_present"] == 9
    assert answer["totals"]["marks_held"] == 27


def test_the_api_keeps_to_the_reader_scope_and_refuses_what_it_does_not_know(net, client):
    punjab = client.get("/api/v1/reports/completion?group_by=centre", headers=net.tokens["punjab_overseer"])
    assert [row["key"] for row in punjab.get_json()["rows"]] == ["PB-LHR-01"]
    other = client.get("/api/v1/reports/completion?province=SD", headers=net.tokens["punjab_overseer"])
    assert api_error(other)[0] == 403
    unknown = client.get("/api/v1/reports/completion?split=gender", headers=net.tokens["admin"])
    assert api_error(unknown)[:2] == (422, "invalid") and "split" in api_error(unknown)[3]
    wrong = client.get("/api/v1/reports/completion?group_by=village", headers=net.tokens["admin"])
    assert api_error(wrong)[0] == 422 and "group_by" in api_error(wrong)[3]
    assert client.get("/api/v1/reports/completion", headers=net.tokens["trainee"]).status_code == 403


def test_the_answer_is_what_its_described_schema_would_give(net, client):
    from api.reports import CompletionReportSchema

    answer = client.get("/api/v1/reports/completion?group_by=track", headers=net.tokens["admin"]).get_json()
    schema = CompletionReportSchema()
    assert schema.dump(schema.load(answer)) == answer


def test_the_figures_fields_are_the_tallies_in_order():
    # ``as_figures`` builds them positionally from the query's sums, which follow ``TALLY_NAMES``.
    assert tuple(field.name for field in fields(CompletionFigures)) == TALLY_NAMES


def test_the_counts_need_no_enrollment_scan(net):
    # The report reads the tallies: no more rows than cohorts × 9 exist, whatever the enrollments.
    assert db.session.scalar(select(func.count()).select_from(CohortTally)) <= 2 * 9
