"""Certificates in the JSON API (DESIGN.md: GET /me/certificates, GET /certificates/<number>; and revoking):
the same facts and status as the verification page, the trainee's own list, and staff revoking with a reason;
refusals in the API's error shape, with nothing written."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from api_helpers import api_error, bearer, refused_by_api
from graduation import complete_by_rule

from certificates import services
from certificates.models import Certificate
from certificates.numbers import new_number
from clock import local_today
from enrollments.counters import recount
from extensions import db, limiter
from vocabulary import CohortStatus, Role


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-07", name="Lahore Digital Centre", partner_name="University of the Punjab")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def running(make_cohort, make_course, centre):
    course = make_course(title="Freelancing with WordPress", code="WP-101")
    return make_cohort(
        centre=centre, course=course, status=CohortStatus.RUNNING, starts_on=date.today() - timedelta(days=30)
    )


@pytest.fixture
def graduate(make_user, make_trainee, make_enrollment, running, staff):
    user = make_user(Role.TRAINEE)
    enrollment = make_enrollment(make_trainee(user=user, full_name="Ayesha Bibi", cnic="3520212345672"), running)
    recount(fix=True)
    complete_by_rule(enrollment, actor=staff)
    db.session.commit()
    return user


@pytest.fixture
def certificate(graduate) -> Certificate:
    return db.session.scalar(sa.select(Certificate))


NO_REASON = "Give a reason: it is shown on the verification page and kept in the audit log."


def test_anyone_verifies_a_number(client, certificate, running):
    response = client.get(f"/api/v1/certificates/{certificate.number}")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "number": certificate.number,
        "status": "valid",
        "full_name": "Ayesha Bibi",
        "cnic": "35202-*******-2",
        "course": "Freelancing with WordPress",
        "course_code": "WP-101",
        "track": "software_development",
        "hours": certificate.hours,
        "centre": "Lahore Digital Centre",
        "centre_code": "PB-LHR-07",
        "partner": "University of the Punjab",
        "cohort": running.code,
        "starts_on": running.starts_on.isoformat(),
        "ends_on": running.ends_on.isoformat(),
        "issued_on": local_today().isoformat(),
        "revoked_at": None,
        "revoked_reason": "",
        "replaced_by": None,
        "verify_url": f"http://markaz.test/verify/{certificate.number}",
    }


def test_a_number_typed_another_way_is_read(client, certificate):
    typed = certificate.number.lower().replace("-", "")
    assert client.get(f"/api/v1/certificates/{typed}").get_json()["number"] == certificate.number


@pytest.mark.parametrize("number", [lambda: new_number(), lambda: "MKZ-1", lambda: "x" * 60])
def test_an_unknown_number_is_404(client, certificate, number):
    assert api_error(client.get(f"/api/v1/certificates/{number()}"))[:2] == (404, "not_found")


def test_unknown_numbers_are_throttled(client, certificate):
    limiter.reset()
    try:
        for _ in range(30):
            assert client.get(f"/api/v1/certificates/{new_number()}").status_code == 404
        assert api_error(client.get(f"/api/v1/certificates/{new_number()}"))[:2] == (429, "too_many_requests")
        assert client.get(f"/api/v1/certificates/{certificate.number}").status_code == 429
    finally:
        limiter.reset()


def test_a_replaced_certificate_names_its_successor(client, certificate, staff):
    new = services.reissue(certificate, actor=staff, reason="Misspelt", full_name="Aisha Bibi")
    db.session.commit()
    body = client.get(f"/api/v1/certificates/{certificate.number}").get_json()
    assert (body["status"], body["replaced_by"]) == ("replaced", new.number)


def test_the_trainee_lists_her_certificates(client, graduate, certificate, make_user):
    body = client.get("/api/v1/me/certificates", headers=bearer(graduate)).get_json()
    assert [item["number"] for item in body["items"]] == [certificate.number]
    other = client.get("/api/v1/me/certificates", headers=bearer(make_user(Role.TRAINEE))).get_json()
    assert other == {"items": []}


def test_staff_revoke_with_a_reason(client, staff, certificate):
    response = client.post(
        f"/api/v1/certificates/{certificate.number}/revoke", headers=bearer(staff), json={"reason": "Wrong trainee"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["revoked_reason"]) == ("revoked", "Wrong trainee") and body["revoked_at"]
    assert client.get(f"/api/v1/certificates/{certificate.number}").get_json()["status"] == "revoked"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"reason": "  "},
            (422, "refused", "Give a reason: it is shown on the verification page and kept in the audit log."),
        ),
        ({"reason": "x" * 501}, (422, "refused", "The reason is too long: at most 500 characters.")),
    ],
)
def test_revoking_without_a_good_reason_is_refused(client, staff, certificate, row_counts, body, expected):
    headers = bearer(staff)
    status, code, message, fields = refused_by_api(
        client, "POST", f"/api/v1/certificates/{certificate.number}/revoke", headers, row_counts, json=body
    )
    assert (status, code, message) == expected
    assert fields == {"reason": expected[2]}


def test_a_missing_reason_is_refused_by_the_schema(client, staff, certificate, row_counts):
    status, code, _, fields = refused_by_api(
        client, "POST", f"/api/v1/certificates/{certificate.number}/revoke", bearer(staff), row_counts, json={}
    )
    assert (status, code) == (422, "invalid") and set(fields) == {"reason"}


def test_staff_of_another_centre_and_trainees_cannot_revoke(
    client, certificate, graduate, make_user, make_centre, row_counts
):
    for user in (make_user(Role.STAFF, centres=(make_centre(),)), graduate):
        status, code, _, _ = refused_by_api(
            client,
            "POST",
            f"/api/v1/certificates/{certificate.number}/revoke",
            bearer(user),
            row_counts,
            json={"reason": "No"},
        )
        assert (status, code) == (403, "forbidden")


def test_revoking_a_replaced_certificate_is_a_conflict(client, staff, certificate, row_counts):
    services.reissue(certificate, actor=staff, reason="Misspelt", full_name="Aisha Bibi")
    db.session.commit()
    status, code, message, _ = refused_by_api(
        client,
        "POST",
        f"/api/v1/certificates/{certificate.number}/revoke",
        bearer(staff),
        row_counts,
        json={"reason": "Again"},
    )
    assert (status, code, message) == (
        409,
        "not_valid",
        "This certificate was replaced by a reissue: act on the new one.",
    )
