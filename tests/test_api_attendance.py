"""Issue 17 through the API: ``GET /cohorts/<id>/class-days`` and ``PUT /cohorts/<id>/attendance/<date>``
(staff of the cohort's centre), on both databases, with refusals that name the field and write nothing."""

from datetime import UTC, date, datetime

import pytest
from api_helpers import api_error, bearer, refused_by_api

import clock
from courses.cohorts import change_status
from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from vocabulary import CohortStatus, Role, Shift

NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)  # Thursday, 11:00 in Pakistan


@pytest.fixture
def world(app, monkeypatch, make_centre, make_cohort, make_trainee, make_user):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    centre = make_centre()
    cohort = make_cohort(
        centre, starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 31), shift=Shift.MORNING, applications_close_at=None
    )
    staff = make_user(Role.STAFF, centres=(centre,))
    before = datetime(2026, 10, 30, tzinfo=UTC)
    places = [services.register(make_trainee(), cohort, actor=staff, now=before).enrollment for _ in range(4)]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    return {"cohort": cohort, "staff": staff, "ids": [place.id for place in places], "headers": bearer(staff)}


def put(client, world, day, body):
    return client.put(f"/api/v1/cohorts/{world['cohort'].id}/attendance/{day}", json=body, headers=world["headers"])


def test_staff_save_a_day_and_read_it_back_in_the_class_days(client, world):
    ids = world["ids"]
    response = put(client, world, "2026-11-19", {"absent": [ids[0]], "late": [ids[1]]})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["marked"] == sorted(ids) and answer["absent"] == [ids[0]] and answer["late"] == [ids[1]]
    assert (answer["marked_count"], answer["present_count"], answer["corrections"]) == (4, 3, 0)
    days = client.get(f"/api/v1/cohorts/{world['cohort'].id}/class-days", headers=world["headers"]).get_json()
    today = next(item for item in days["items"] if item["day"] == "2026-11-19")
    assert today["marked"] and today["absent"] == [ids[0]] and today["kind"] == "scheduled"
    assert "2026-11-09" not in {item["day"] for item in days["items"]}  # Iqbal Day
    assert db.session.get(Enrollment, ids[0]).days_marked == 1


def test_a_correction_of_a_past_day_needs_a_reason(client, world, row_counts):
    put(client, world, "2026-11-18", {"absent": [world["ids"][0]]})
    status, code, _message, fields = refused_by_api(
        client,
        "PUT",
        f"/api/v1/cohorts/{world['cohort'].id}/attendance/2026-11-18",
        world["headers"],
        row_counts,
        json={"absent": []},
    )
    assert (status, code) == (422, "reason_required") and "say why you correct it" in fields["reason"]
    response = put(client, world, "2026-11-18", {"absent": [], "reason": "Wrong row ticked."})
    assert response.get_json()["corrections"] == 1


@pytest.mark.parametrize(
    ("day", "body", "field", "words"),
    [
        ("2026-11-20", {}, "day", "has not come yet"),
        ("2026-11-14", {}, "day", "does not meet on"),
        ("19-11-2026", {}, "day", "YYYY-MM-DD"),
        ("2026-11-19", {"absent": [999999]}, "absent", "is not on this day's register"),
        ("2026-11-19", {"absent": "everyone"}, "absent", "Not a valid list"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, world, row_counts, day, body, field, words):
    status, _, _, fields = refused_by_api(
        client, "PUT", f"/api/v1/cohorts/{world['cohort'].id}/attendance/{day}", world["headers"], row_counts, json=body
    )
    assert status == 422 and words in str(fields[field])


def test_both_absent_and_late_is_refused(client, world, row_counts):
    first = world["ids"][0]
    status, _, _message, fields = refused_by_api(
        client,
        "PUT",
        f"/api/v1/cohorts/{world['cohort'].id}/attendance/2026-11-19",
        world["headers"],
        row_counts,
        json={"absent": [first], "late": [first]},
    )
    assert status == 422 and "both absent and late" in fields["late"]


def test_staff_of_another_centre_are_refused(client, world, make_user, make_centre, row_counts):
    other = bearer(make_user(Role.STAFF, centres=(make_centre(),)))
    status, *_ = refused_by_api(
        client, "PUT", f"/api/v1/cohorts/{world['cohort'].id}/attendance/2026-11-19", other, row_counts, json={}
    )
    assert status == 403
    assert api_error(client.get(f"/api/v1/cohorts/{world['cohort'].id}/class-days", headers=other))[0] == 403
