"""The audit log viewer (``/oversight/audit/``) and its download: scope per role, every filter, pagination
newest first, a readable before/after, CNIC and phone masked for overseers, query strings anyone can type,
and the filtered log as CSV and XLSX (streamed, audited, neutralised)."""

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness import kept_world
from openpyxl import load_workbook
from pages import csv_rows, export_events

from audit.models import AuditEvent
from auth.permissions import viewable_audit_events
from extensions import db
from oversight import audit_log as audit_log_module
from oversight import export_files
from oversight.audit_log import changes, changes_text, masked
from oversight.queries import KNOWN_ACTIONS, AuditLogFilters, audit_log
from vocabulary import Role

ROOT = Path(__file__).resolve().parent.parent
FORMULA_REASON = "=cmd|' /C calc'!A0"


class Log:
    """Punjab: centre A (Lahore). Sindh: centre B (Karachi). Six events (times in UTC):

    ====  ===================  =======  ======  ===================================================
    name  action               actor    centre  when
    ====  ===================  =======  ======  ===================================================
    e1    cohort.create        staff_a  A       2026-11-01 10:00
    e2    enrollment.approve   staff_a  A       2026-11-10 20:00 (2026-11-11 01:00 in Pakistan)
    e3    trainee.create       staff_a  A       2026-11-12 09:00 (CNIC and phone in "after")
    e4    enrollment.dropped   staff_b  B       2026-11-13 09:00 (a reason that looks like a formula)
    e5    account.create       admin    none    2026-11-14 09:00
    e6    cohort.seats         staff_b  B       2026-11-15 09:00
    ====  ===================  =======  ======  ===================================================
    """

    def __init__(self, make_province, make_district, make_centre, make_user):
        punjab = make_province(code="PB", name="Punjab")
        sindh = make_province(code="SD", name="Sindh")
        self.centre_a = make_centre(make_district(punjab, code="LHR", name="Lahore"), code="PB-LHR-01")
        self.centre_b = make_centre(make_district(sindh, code="KHS", name="Karachi South"), code="SD-KHS-01")
        self.users = {
            "anonymous": None,
            "trainee": make_user(Role.TRAINEE),
            "staff_a": make_user(Role.STAFF, centres=(self.centre_a,), email="staff.a@markaz.test"),
            "staff_b": make_user(Role.STAFF, centres=(self.centre_b,), email="staff.b@markaz.test"),
            "overseer": make_user(Role.OVERSEER),
            "punjab_overseer": make_user(Role.OVERSEER, province=punjab),
            "admin": make_user(Role.ADMIN, email="chief.admin@markaz.test"),
        }
        a, b = self.centre_a.id, self.centre_b.id
        self.e1 = self.add("staff_a", "cohort.create", "cohort", 11, a, (2026, 11, 1, 10), after={"seats": 10})
        self.e2 = self.add(
            "staff_a",
            "enrollment.approve",
            "enrollment",
            21,
            a,
            (2026, 11, 10, 20),
            before={"status": "pending"},
            after={"status": "enrolled", "cohort": "PB-WEB-1", "trainee_id": 31},
        )
        self.e3 = self.add(
            "staff_a",
            "trainee.create",
            "trainee",
            31,
            a,
            (2026, 11, 12, 9),
            after={"cnic": "3520212345671", "phone": "+923009876543", "full_name": "Ayesha Punjab"},
        )
        self.e4 = self.add(
            "staff_b",
            "enrollment.dropped",
            "enrollment",
            22,
            b,
            (2026, 11, 13, 9),
            before={"status": "enrolled"},
            after={"status": "dropped"},
            reason=FORMULA_REASON,
        )
        self.e5 = self.add(
            "admin", "account.create", "user_account", 41, None, (2026, 11, 14, 9), after={"role": "staff"}
        )
        self.e6 = self.add(
            "staff_b", "cohort.seats", "cohort", 12, b, (2026, 11, 15, 9), before={"seats": 10}, after={"seats": 12}
        )
        db.session.commit()

    def add(self, actor, action, object_type, object_id, centre_id, when, *, before=None, after=None, reason=""):
        event = AuditEvent(
            actor_id=self.users[actor].id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            centre_id=centre_id,
            before=before,
            after=after,
            reason=reason,
            occurred_at=datetime(*when, tzinfo=UTC),
        )
        db.session.add(event)
        db.session.flush()
        return event


@kept_world
def log(make_province, make_district, make_centre, make_user):
    return Log(make_province, make_district, make_centre, make_user)


@pytest.fixture
def get_as(client, sign_in):
    def get(user, path: str):
        if user is None:
            with client.session_transaction() as session:
                session.clear()
            return client.get(path)
        return sign_in(user).get(path)

    return get


EVENT_ROW = re.compile(r'<tr data-event="(\d+)">')


def listed(response) -> list[int]:
    """The ids of the events on a page, top to bottom."""
    return [int(found) for found in EVENT_ROW.findall(response.get_data(as_text=True))]


def ids(*events) -> list[int]:
    return [event.id for event in events]


# Scope --------------------------------------------------------------------------------------------------

SCOPE = {
    "admin": ("e6", "e5", "e4", "e3", "e2", "e1"),
    "overseer": ("e6", "e5", "e4", "e3", "e2", "e1"),
    "punjab_overseer": ("e3", "e2", "e1"),
    "staff_a": ("e3", "e2", "e1"),
    "staff_b": ("e6", "e4"),
}


@pytest.mark.parametrize("role", SCOPE)
def test_each_reader_sees_her_scope_newest_first(log, get_as, role):
    response = get_as(log.users[role], "/oversight/audit/")
    assert response.status_code == 200
    assert listed(response) == [getattr(log, name).id for name in SCOPE[role]]


@pytest.mark.parametrize("role", SCOPE)
def test_the_scope_rule_as_a_query_matches_the_pages(log, role):
    shown = db.session.scalars(audit_log(viewable_audit_events(log.users[role]), AuditLogFilters())).all()
    assert [event.id for event in shown] == [getattr(log, name).id for name in SCOPE[role]]


def test_trainees_and_anonymous_readers_have_no_audit_log(log, get_as):
    for path in ("/oversight/audit/", "/oversight/audit/export.csv", "/oversight/audit/export.xlsx"):
        assert get_as(log.users["trainee"], path).status_code == 403
        response = get_as(None, path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert export_events() == []


def test_a_centre_outside_the_readers_scope_is_refused(log, get_as):
    response = get_as(log.users["staff_a"], "/oversight/audit/?centre=SD-KHS-01")
    assert response.status_code == 403
    assert "SD-KHS-01" in response.get_data(as_text=True)
    assert get_as(log.users["punjab_overseer"], "/oversight/audit/export.csv?centre=SD-KHS-01").status_code == 403
    assert export_events() == []


# Filters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=staff.a", ("e3", "e2", "e1")),
        ("actor=STAFF.A%40MARKAZ.TEST", ("e3", "e2", "e1")),  # a whole email: found by the unique index
        ("actor=CHIEF.ADMIN%40markaz", ("e5",)),
        ("actor=nobody", ()),
        ("actor=%25", ()),  # a % is a character, not a wildcard: no email has one
        ("actor=_", ()),  # nobody's email has an underscore: "_" matches only itself
        ("centre=pb-lhr-01", ("e3", "e2", "e1")),
        ("centre=SD-KHS-01", ("e6", "e4")),
        ("action=enrollment.approve", ("e2",)),
        ("action=enrollment.*", ("e4", "e2")),
        ("action=cohort.*&centre=SD-KHS-01", ("e6",)),
        ("object_type=cohort", ("e6", "e1")),
        ("object_type=cohort&object_id=11", ("e1",)),
        ("object_id=31", ("e3",)),
        ("from=2026-11-11&to=2026-11-11", ("e2",)),  # 20:00 UTC on the 10th is the 11th in Pakistan
        ("from=2026-11-14", ("e6", "e5")),
        ("to=2026-11-10", ("e1",)),
        ("actor=staff&action=enrollment.*&from=2026-11-12", ("e4",)),
    ],
)
def test_filters(log, get_as, query, expected):
    response = get_as(log.users["admin"], f"/oversight/audit/?{query}")
    assert response.status_code == 200
    assert listed(response) == [getattr(log, name).id for name in expected]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=garbage", "from", "is not a date"),
        ("to=2026-13-01", "to", "is not a date"),
        ("from=1999-01-01", "from", "is not between"),
        ("from=2026-11-12&to=2026-11-11", "to", "cannot end before it starts"),
        ("action=enrollment.teleport", "action", "is not an action"),
        ("action=nothing.*", "action", "is not an action"),
        ("object_type=province", "object_type", "is not a kind of object"),
        ("object_id=abc", "object_id", "is not an object number"),
        ("object_id=-4", "object_id", "is not an object number"),
        ("object_id=99999999999", "object_id", "is not an object number"),
        ("centre=NO-SUCH-1", "centre", "There is no centre"),
        ("centre=%27%3B--", "centre", "There is no centre"),
    ],
)
def test_a_filter_that_cannot_be_used_is_named_and_nothing_is_listed(log, get_as, row_counts, query, field, message):
    before = row_counts()
    response = get_as(log.users["admin"], f"/oversight/audit/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="log-{field}-problem"' in page and message in page
    assert 'aria-invalid="true"' in page
    assert listed(response) == []
    download = get_as(log.users["admin"], f"/oversight/audit/export.csv?{query}")
    assert download.status_code == 400
    assert f"The download was not made: {field}: " in download.get_data(as_text=True)
    assert row_counts() == before


def test_an_actor_filter_matching_too_many_accounts_asks_for_more_of_the_email(log, get_as, monkeypatch):
    monkeypatch.setattr(audit_log_module, "ACTOR_MATCHES", 2)
    response = get_as(log.users["admin"], "/oversight/audit/?actor=markaz")
    assert response.status_code == 400
    assert "More than 2 accounts match “markaz”: type more of the email." in response.get_data(as_text=True)
    assert listed(get_as(log.users["admin"], "/oversight/audit/?actor=staff.b")) == ids(log.e6, log.e4)


@pytest.mark.parametrize(
    "query",
    ["actor=%00staff.a", "page=-1", "page=abc", "per_page=0", "per_page=100000", "unknown=1", "actor=" + "x" * 5000],
)
def test_hostile_query_strings_give_a_normal_page(log, get_as, query):
    response = get_as(log.users["admin"], f"/oversight/audit/?{query}")
    assert response.status_code == 200


def test_the_form_keeps_what_was_typed(log, get_as):
    page = get_as(log.users["admin"], "/oversight/audit/?actor=staff&action=cohort.*&from=2026-11-01").get_data(
        as_text=True
    )
    assert 'name="actor" type="search" value="staff"' in page
    assert '<option value="cohort.*" selected>' in page
    assert 'name="from" type="date" min="2000-01-01" max="2100-12-31" value="2026-11-01"' in page
    assert 'href="/oversight/audit/export.csv?actor=staff&amp;action=cohort.*&amp;from=2026-11-01"' in page


# Pagination ---------------------------------------------------------------------------------------------


def test_pages_of_events_newest_first(log, get_as):
    start = datetime(2026, 12, 1, tzinfo=UTC)
    made = [
        log.add("staff_a", "cohort.update", "cohort", 11, log.centre_a.id, (2026, 12, 1, 0)) for _ in range(3)
    ]  # three at the same instant: the newest id first
    for hour in range(1, 23):
        made.append(log.add("staff_a", "cohort.update", "cohort", 11, log.centre_a.id, (2026, 12, 1, hour)))
    db.session.commit()
    newest_first = sorted(made, key=lambda event: (event.occurred_at, event.id), reverse=True)
    assert newest_first[0].occurred_at == start + timedelta(hours=22)
    query = "/oversight/audit/?action=cohort.update&per_page=10"
    admin = log.users["admin"]
    pages = [listed(get_as(admin, f"{query}&page={page}")) for page in (1, 2, 3)]
    assert pages[0] + pages[1] + pages[2] == [event.id for event in newest_first]
    assert [len(page) for page in pages] == [10, 10, 5]
    first = get_as(admin, f"{query}&page=1").get_data(as_text=True)
    assert "Showing 1–10 of 25 events" in first and 'rel="next"' in first
    assert listed(get_as(admin, f"{query}&page=-3")) == pages[0]
    beyond = get_as(admin, f"{query}&page=99")
    assert beyond.status_code == 200 and listed(beyond) == []
    assert "No more events on this page" in beyond.get_data(as_text=True)
    assert len(listed(get_as(admin, "/oversight/audit/?per_page=100000"))) == 31  # 6 + 25, within 100


def test_no_events_and_no_match_are_said_plainly(log, get_as):
    page = get_as(log.users["admin"], "/oversight/audit/?actor=nobody").get_data(as_text=True)
    assert "No events match" in page
    assert "Download CSV" not in page


# What an event shows ---------------------------------------------------------------------------------


def test_an_event_shows_who_when_what_where_why_and_the_change(log, get_as):
    page = get_as(log.users["admin"], "/oversight/audit/?centre=SD-KHS-01").get_data(as_text=True)
    assert "staff.b@markaz.test" in page
    assert "<code>enrollment.dropped</code>" in page
    assert "enrollment #22" in page
    assert "SD-KHS-01" in page
    assert "=cmd|&#39; /C calc&#39;!A0" in page  # the reason, escaped as any text
    assert "13 Nov 2026, 2:00" in page  # 09:00 UTC shown in Pakistan time
    assert "<del>enrolled</del>" in page and "<ins>dropped</ins>" in page
    assert "<del>10</del>" in page and "<ins>12</ins>" in page


def test_a_trainee_event_links_to_her_record_and_a_system_event_says_so(log, get_as):
    system = AuditEvent(action="cohort.status", object_type="cohort", object_id=11, centre_id=log.centre_a.id)
    db.session.add(system)
    db.session.commit()
    page = get_as(log.users["admin"], "/oversight/audit/?centre=PB-LHR-01").get_data(as_text=True)
    assert 'href="/enrollments/trainees/31"' in page
    assert ">System<" in page


@pytest.mark.parametrize("role", ["overseer", "punjab_overseer"])
def test_overseers_see_cnic_and_phone_masked_in_the_log(log, get_as, role):
    page = get_as(log.users[role], "/oversight/audit/?action=trainee.create").get_data(as_text=True)
    assert "35202-*******-1" in page and "0*** ****543" in page
    assert "3520212345671" not in page and "9876543" not in page
    assert "Ayesha Punjab" in page
    assert "CNIC and phone numbers are masked for oversight." in page


@pytest.mark.parametrize("role", ["staff_a", "admin"])
def test_staff_and_admins_see_them_whole(log, get_as, role):
    page = get_as(log.users[role], "/oversight/audit/?action=trainee.create").get_data(as_text=True)
    assert "3520212345671" in page and "+923009876543" in page
    assert "*******" not in page


def test_changes_side_by_side():
    assert [
        (c.field, c.before, c.after, c.changed) for c in changes({"a": 1, "b": "x"}, {"b": "y", "c": [1]}, False)
    ] == [
        ("a", "1", "", True),
        ("b", "x", "y", True),
        ("c", "", "[1]", True),
    ]
    assert changes(None, None, False) == []
    assert [(c.field, c.after) for c in changes(None, "plain", False)] == [("value", "plain")]
    assert changes_text({"status": "pending"}, {"status": "enrolled", "cohort": "X"}, False) == (
        "status: pending → enrolled; cohort: X"
    )


def test_masking_reaches_nested_states():
    state = {"rows": [{"cnic": "3520212345671", "phone": "+923009876543"}], "cnic": None, "phone": 5}
    assert masked(state, True) == {
        "rows": [{"cnic": "35202-*******-1", "phone": "0*** ****543"}],
        "cnic": None,
        "phone": 5,
    }
    assert masked(state, False) is state


# The download -------------------------------------------------------------------------------------------


def test_the_filtered_log_as_csv(log, get_as):
    response = get_as(log.users["admin"], "/oversight/audit/export.csv?centre=SD-KHS-01")
    assert response.status_code == 200 and response.is_streamed
    rows = csv_rows(response)
    assert rows[0] == [
        "Event",
        "Occurred (UTC)",
        "Actor",
        "Action",
        "Object type",
        "Object ID",
        "Centre",
        "Reason",
        "Changes",
        "Before (JSON)",
        "After (JSON)",
    ]
    assert [row[0] for row in rows[1:]] == [str(log.e6.id), str(log.e4.id)]
    dropped = rows[2]
    assert dropped[1:8] == [
        "2026-11-13 09:00:00",
        "staff.b@markaz.test",
        "enrollment.dropped",
        "enrollment",
        "22",
        "SD-KHS-01",
        "'" + FORMULA_REASON,
    ]
    assert dropped[8:] == ["status: enrolled → dropped", '{"status": "enrolled"}', '{"status": "dropped"}']
    (recorded,) = export_events()
    assert recorded.action == "export.audit_log" and recorded.action in KNOWN_ACTIONS
    assert recorded.after == {"format": "csv", "filters": {"centre": "SD-KHS-01"}, "rows": 2}
    today = export_files.local_today().isoformat()
    assert response.headers["Content-Disposition"] == f"attachment; filename=markaz-audit-log-{today}.csv"


def test_the_log_as_xlsx_masked_for_an_overseer(log, get_as):
    response = get_as(log.users["punjab_overseer"], "/oversight/audit/export.xlsx")
    assert response.status_code == 200 and response.is_streamed
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    assert [row[0] for row in rows[1:]] == ids(log.e3, log.e2, log.e1)
    assert rows[1][1] == datetime(2026, 11, 12, 9)
    assert "35202-*******-1" in rows[1][8] and "3520212345671" not in str(rows)
    assert "9876543" not in str(rows)
    (recorded,) = export_events()
    assert recorded.after["rows"] == 3 and recorded.after["format"] == "xlsx"


def test_the_download_reads_pages_without_losing_events_that_share_an_instant(log, get_as, monkeypatch):
    same = [log.add("staff_a", "cohort.update", "cohort", 11, log.centre_a.id, (2026, 12, 1, 0)) for _ in range(5)]
    db.session.commit()
    monkeypatch.setattr(export_files, "PAGE_ROWS", 2)
    rows = csv_rows(get_as(log.users["admin"], "/oversight/audit/export.csv?action=cohort.update"))
    assert [int(row[0]) for row in rows[1:]] == sorted((event.id for event in same), reverse=True)
    rows = csv_rows(get_as(log.users["admin"], "/oversight/audit/export.csv"))
    # The six events of the log, the five above and the first download; not this download's own event,
    # committed after the rows were counted (the count recorded is the count sent).
    assert len(rows) == 1 + 6 + 5 + 1 and len({row[0] for row in rows[1:]}) == 12
    downloads = [row for row in rows[1:] if row[3] == "export.audit_log"]
    assert [row[8] for row in downloads] == [
        'format: csv; filters: {"action": "cohort.update"}; rows: 5',
    ]


# The list of actions --------------------------------------------------------------------------------------

ACTION_KINDS = (
    "account|token|centre|course|cohort|trainee|enrollment|certificate|import|export|merit_list|outcome_answer"
    "|exchange_rate|outbox"
)
ACTION_LITERAL = re.compile(rf'"((?:{ACTION_KINDS})\.[a-z_]+)"')
COLUMN_NAMES = {"id", "code"}  # "cohort.id" in a ForeignKey is a column, not an action
ACTION_LIST = ROOT / "oversight" / "queries" / "audit_log.py"  # where the filter's list (``AUDIT_ACTIONS``) lives


def test_every_action_the_code_records_can_be_filtered_for():
    """Every action literal in the application's code is in the filter's list, and every listed action is
    recorded somewhere (withdrawn and dropped come from ``f"enrollment.{to.value}"``; the exports name
    themselves ``export.<what>`` and are checked by their own tests)."""
    assert ACTION_LIST.is_file()  # skipped below: it names every action
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "migrations", "bench"} or path == ACTION_LIST:
            continue
        found |= {
            action for action in ACTION_LITERAL.findall(path.read_text()) if action.split(".")[1] not in COLUMN_NAMES
        }
    assert found - KNOWN_ACTIONS == set()
    from_status = {"enrollment.withdrawn", "enrollment.dropped"}
    exports = {action for action in KNOWN_ACTIONS if action.startswith("export.")}
    assert KNOWN_ACTIONS - found - from_status - exports == set()
