"""One JSON line per request (request_log.py): its id taken from X-Request-ID when sane, else made, returned
in the response, on every log line of the request and in its audit events; never a CNIC, phone number,
email or password, whatever the request carried."""

import json
import logging

import pytest
from pages import act_as, post

from audit.models import AuditEvent
from extensions import db
from request_log import JsonFormatter
from vocabulary import Role


@pytest.fixture
def log_lines(caplog):
    """``log_lines()``: every record logged so far, as the JSON lines production writes."""
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    return lambda: [formatter.format(record) for record in caplog.records]


def request_lines(lines: list[str]) -> list[dict]:
    return [line for line in map(json.loads, lines) if line["logger"] == "markaz.request"]


def test_each_request_writes_one_json_line_with_its_id(client, log_lines, make_user):
    staff = make_user(Role.STAFF)
    act_as(client, staff)
    response = client.get("/centres/mine", headers={"X-Request-ID": "lb-4f2a9c"})
    assert response.headers["X-Request-ID"] == "lb-4f2a9c"
    [line] = request_lines(log_lines())
    assert line | {"ts": None, "duration_ms": None, "message": None} == {
        "ts": None,
        "level": "info",
        "logger": "markaz.request",
        "message": None,
        "request_id": "lb-4f2a9c",
        "method": "GET",
        "endpoint": "centres.mine",
        "rule": "/centres/mine",
        "status": 200,
        "duration_ms": None,
        "user_id": staff.id,
        "role": "staff",
        "client": "127.0.0.1",
    }
    assert line["duration_ms"] > 0


@pytest.mark.parametrize("given", ["", "x" * 65, "bad id with spaces", "ü-nicode"])
def test_an_insane_request_id_is_replaced(client, log_lines, given):
    response = client.get("/healthz", headers={"X-Request-ID": given} if given else {})
    made = response.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and made.isalnum()
    assert request_lines(log_lines())[-1]["request_id"] == made


def test_every_line_of_a_request_carries_its_id(fresh_app, client, log_lines):
    from auth.permissions import PUBLIC, allow

    @fresh_app.get("/test-logs")
    @allow(PUBLIC)
    def logs_twice():
        logging.getLogger("markaz.test").warning("first")
        logging.getLogger("sqlalchemy.test").warning("second")
        return "ok"

    client.get("/test-logs", headers={"X-Request-ID": "req-77"})
    lines = [json.loads(line) for line in log_lines()]
    assert [line["request_id"] for line in lines if line["logger"] in ("markaz.test", "sqlalchemy.test")] == [
        "req-77",
        "req-77",
    ]


def test_audit_events_keep_the_request_id(client, make_user, make_centre):
    admin = make_user(Role.ADMIN)
    centre = make_centre()
    act_as(client, admin)
    response = post(client, f"/centres/{centre.code}/deactivate", headers={"X-Request-ID": "audit-123"})
    assert response.status_code in (302, 303)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "centre.deactivate"))
    assert event.request_id == "audit-123"


CNIC, PHONE, EMAIL, PASSWORD = "3520212345671", "03001234567", "ayesha.private@example.pk", "S3cret-Passw0rd!"


def test_no_cnic_phone_email_or_password_reaches_the_log(client, log_lines, make_user):
    """Sent in the query string, in forms and in JSON, to pages that fail and pages that succeed."""
    make_user(Role.TRAINEE, email=EMAIL)
    query = f"?q={CNIC}&phone={PHONE}&email={EMAIL}&password={PASSWORD}"
    client.get("/centres/" + query)
    client.get(f"/enrollments/trainees/{CNIC}{query}")
    post(client, "/auth/login" + query, {"email": EMAIL, "password": PASSWORD})
    post(client, "/auth/signup", {"cnic": CNIC, "phone": PHONE, "email": EMAIL, "password": PASSWORD})
    client.post("/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD})
    client.get(f"/api/v1/trainees?cnic={CNIC}", headers={"Authorization": f"Bearer {PASSWORD}"})
    lines = log_lines()
    assert len(request_lines(lines)) == 6
    written = "\n".join(lines)
    for secret in (CNIC, PHONE, "3001234567", EMAIL, PASSWORD):
        assert secret not in written, secret
