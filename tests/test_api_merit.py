"""The merit admission API (DESIGN.md, "JSON API v1"): PUT /cohorts/<id>/scores, POST and GET
/cohorts/<id>/merit-list, and merit cohorts through POST/PATCH /cohorts. Every refusal: its status, code,
message and fields, and nothing written."""

from datetime import timedelta

import pytest
from api_helpers import api_error, bearer, refused_by_api

from database import utcnow
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.services import apply
from extensions import db
from vocabulary import Admission, EnrollmentStatus, Gender, Role

S = EnrollmentStatus


@pytest.fixture
def centre(make_centre):
    return make_centre()


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def cohort(make_cohort, centre):
    return make_cohort(centre=centre, admission=Admission.MERIT, offers=True, seats=1)


@pytest.fixture
def applicants(make_user, make_trainee, cohort):
    """Three applicants to ``cohort``, in order of application."""
    places = []
    for name in ("Ayesha Siddiqa Khan", "Bilal Ahmed", "Sana Iqbal"):
        trainee = make_trainee(user=make_user(Role.TRAINEE), full_name=name, gender=Gender.FEMALE)
        places.append(apply(trainee, cohort, actor=trainee.user).enrollment)
    db.session.commit()
    return places


def scores_body(*rows) -> dict:
    return {
        "items": [{"enrollment_id": place.id, "test": test, "interview": interview} for place, test, interview in rows]
    }


def test_staff_enter_scores_and_publish_and_anyone_reads_the_masked_list(client, cohort, applicants, staff):
    headers = bearer(staff)
    first, second, third = applicants
    response = client.put(
        f"/api/v1/cohorts/{cohort.id}/scores",
        headers=headers,
        json=scores_body((first, 60, 60), (second, 90, 80), (third, 70.5, 70)),
    )
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["changed"] == 3
    assert answer["items"][1] == {
        "enrollment_id": second.id,
        "number": second.number,
        "test": 90.0,
        "interview": 80.0,
        "total": 87.0,
    }
    assert client.get(f"/api/v1/cohorts/{cohort.id}/merit-list").status_code == 404

    cohort.applications_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/api/v1/cohorts/{cohort.id}/merit-list", headers=headers)
    assert response.status_code == 201, response.get_json()
    published = response.get_json()
    assert (published["version"], published["test_weight"], published["latest"]) == (1, 70, True)

    public = client.get(f"/api/v1/cohorts/{cohort.id}/merit-list")
    assert public.status_code == 200
    body = public.get_json()
    assert [
        (row["rank"], row["name"], row["number"], row["total"], row["outcome"], row["waitlist_position"])
        for row in body["rows"]
    ] == [
        (1, "Bilal A.", second.number, 87.0, "offered", None),
        (2, "Sana I.", third.number, 70.35, "waitlisted", 1),
        (3, "Ayesha K.", first.number, 60.0, "waitlisted", 2),
    ]
    text = public.get_data(as_text=True)
    trainee = db.session.get(Enrollment, first.id).trainee
    assert "Siddiqa" not in text and trainee.cnic not in text and trainee.phone not in text
    assert [version["version"] for version in body["versions"]] == [1]
    assert recount() == []


def test_wrong_scores_are_refused_naming_each_item_and_field(client, cohort, applicants, staff, row_counts):
    first, second, _third = applicants
    error = refused_by_api(
        client,
        "PUT",
        f"/api/v1/cohorts/{cohort.id}/scores",
        bearer(staff),
        row_counts,
        json=scores_body((first, 50, 50), (second, 150, 72.125)),
    )
    assert error == (
        422,
        "invalid_scores",
        "2 scores are not right: nothing was saved. Correct them and save again.",
        {
            "items.1.test": "Enter the test score as a number from 0 to 100.",
            "items.1.interview": "An interview score has at most two decimals, e.g. 72.25.",
        },
    )
    error = refused_by_api(
        client,
        "PUT",
        f"/api/v1/cohorts/{cohort.id}/scores",
        bearer(staff),
        row_counts,
        json={"items": [{"enrollment_id": first.id, "test": "abc", "interview": 50}]},
    )
    assert error[:2] == (422, "invalid") and "items.0.test" in error[3]
    error = refused_by_api(
        client,
        "PUT",
        f"/api/v1/cohorts/{cohort.id}/scores",
        bearer(staff),
        row_counts,
        json={"items": [{"enrollment_id": 2**40, "test": 50, "interview": 50}]},
    )
    assert error[3] == {"items.0.enrollment_id": "No application with this number in this cohort."}
    error = refused_by_api(
        client, "PUT", f"/api/v1/cohorts/{cohort.id}/scores", bearer(staff), row_counts, json={"items": []}
    )
    assert error[:2] == (422, "invalid") and "items" in error[3]


def test_only_the_centres_staff_enter_scores_and_publish(
    client, cohort, applicants, make_user, make_centre, row_counts
):
    outsider = make_user(Role.STAFF, centres=(make_centre(),))
    trainee = db.session.get(Enrollment, applicants[0].id).trainee.user
    for user in (outsider, trainee):
        for method, path, body in (
            ("PUT", f"/api/v1/cohorts/{cohort.id}/scores", scores_body((applicants[0], 1, 1))),
            ("POST", f"/api/v1/cohorts/{cohort.id}/merit-list", {}),
        ):
            status, *_rest = refused_by_api(client, method, path, bearer(user), row_counts, json=body)
            assert status == 403
    status, *_rest = refused_by_api(
        client, "PUT", f"/api/v1/cohorts/{cohort.id}/scores", {}, row_counts, json=scores_body((applicants[0], 1, 1))
    )
    assert status == 401


def test_publishing_is_refused_while_open_or_unscored_and_a_correction_needs_a_reason(
    client, cohort, applicants, staff, row_counts
):
    headers = bearer(staff)
    path = f"/api/v1/cohorts/{cohort.id}/merit-list"
    status, code, message, _fields = refused_by_api(client, "POST", path, headers, row_counts)
    assert (status, code) == (409, "not_possible") and message.startswith("Applications are open until")
    cohort.applications_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    status, code, message, _fields = refused_by_api(client, "POST", path, headers, row_counts)
    assert (status, code) == (409, "not_possible")
    assert message.startswith("3 applicants have no scores yet (applications ")
    client.put(
        f"/api/v1/cohorts/{cohort.id}/scores",
        headers=headers,
        json=scores_body(*((place, 50 + index, 50) for index, place in enumerate(applicants))),
    )
    assert client.post(path, headers=headers, json={}).status_code == 201
    error = refused_by_api(client, "POST", path, headers, row_counts, json={"reason": "  "})
    assert error == (
        422,
        "reason_required",
        "A published merit list is corrected only with a reason: it is shown with the new version.",
        {"reason": "A published merit list is corrected only with a reason: it is shown with the new version."},
    )
    response = client.post(path, headers=headers, json={"reason": "A test paper was marked twice"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["version"], body["reason"]) == (2, "A test paper was marked twice")
    old = client.get(f"{path}?version=1").get_json()
    assert (old["version"], old["latest"]) == (1, False)
    assert client.get(f"{path}?version=3").status_code == 404


def test_merit_cohorts_through_the_cohort_api(client, centre, staff, make_course):
    course = make_course()
    starts = (utcnow() + timedelta(days=40)).date()
    body = {
        "course": course.code,
        "centre": centre.code,
        "kind": "regular",
        "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=30)).isoformat(),
        "shift": "morning",
        "mode": "on_site",
        "seats": 5,
        "admission": "merit",
        "test_weight": 60,
    }
    response = client.post("/api/v1/cohorts", headers=bearer(staff), json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (created["admission"], created["offers"], created["test_weight"]) == ("merit", True, 60)
    response = client.patch(f"/api/v1/cohorts/{created['id']}", headers=bearer(staff), json={"test_weight": 101})
    assert api_error(response)[0] == 422 and "test_weight" in api_error(response)[3]
    response = client.patch(f"/api/v1/cohorts/{created['id']}", headers=bearer(staff), json={"test_weight": 50})
    assert response.get_json()["test_weight"] == 50


def test_approve_is_refused_through_the_api_in_a_merit_cohort(client, applicants, staff, row_counts):
    error = refused_by_api(client, "POST", f"/api/v1/enrollments/{applicants[0].id}/approve", bearer(staff), row_counts)
    assert error[:2] == (409, "not_possible")
    assert db.session.get(Enrollment, applicants[0].id).status is S.PENDING
