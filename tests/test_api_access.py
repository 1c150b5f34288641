"""Who may use what in the JSON API (DESIGN.md, "JSON API v1" and "Roles and what each may do"): the
role × operation matrix of every ``api.*`` endpoint, called with bearer tokens (the API never reads the
cookie session), and the object-level checks across centres and provinces.

As in ``test_access_matrix`` (the pages' matrix, which leaves ``api.*`` endpoints to this file), a new
API operation without a row here fails ``test_every_routed_api_endpoint_has_a_row``, and a row for an
operation that does not exist fails ``test_every_api_row_is_a_real_endpoint``.

Every refused request (401, 403, 404) must answer the API's JSON error with the matching code and
write nothing; an admitted one answers its success status or the refusal of a rule further on (409,
422), which shows that the access rule let it through.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from harness import kept_world, password_hash
from pages import session_values

from auth.models import UserAccount
from courses.models import Cohort
from database import utcnow
from enrollments.counters import recount
from enrollments.models import Enrollment, Trainee
from extensions import db, limiter
from tests import test_access_matrix
from tests.api_helpers import api_error, bearer
from tests.test_access_matrix import USERS, World, enrollment_of, routed_methods, row
from vocabulary import CohortStatus, EnrollmentStatus, Shift

world = test_access_matrix.world  # the pages' world (centres A and B, their cohorts, trainees, users)

PASSWORD = "a-long-enough-password"
PASSWORD_HASH = password_hash(PASSWORD)  # scrypt is slow on purpose: hash once for the module
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}
REFUSED = frozenset(ERROR_CODES)


@dataclass
class ApiWorld:
    """The pages' world, and what the API's operations act on besides."""

    base: World
    cohort_a2: Cohort  # a second open cohort at A, later and in the evening: no overlap with cohort A
    draft_a: Cohort  # a draft at A: only A's staff and admins know it exists
    pending: Enrollment  # a pending application at cohort A
    free_trainee: Trainee  # lives in Lahore, no application anywhere
    token_owner: UserAccount  # the spare user, with a password: she gets tokens from POST /tokens
    tokens: dict[str, dict[str, str]]  # by user: headers with a token of hers (none for the anonymous)

    def __getattr__(self, name: str):
        return getattr(self.base, name)


@kept_world
def api_world(world, make_cohort, make_trainee, make_enrollment):
    later = utcnow().date() + timedelta(days=100)
    cohort_a2 = make_cohort(
        centre=world.centre_a,
        course=world.course,
        code="PB-LHR-01-WEB-2",
        starts_on=later,
        applications_open_at=utcnow() - timedelta(days=1),
        shift=Shift.EVENING,
    )
    draft_a = make_cohort(centre=world.centre_a, course=world.course, code="PB-LHR-01-WEB-3", status=CohortStatus.DRAFT)
    pending_trainee = make_trainee(world.lahore, full_name="Pending Trainee")
    pending = make_enrollment(pending_trainee, world.cohort_a, status=EnrollmentStatus.PENDING)
    free_trainee = make_trainee(world.lahore, full_name="Free Trainee")
    recount(fix=True)
    world.spare_user.password_hash = PASSWORD_HASH
    db.session.commit()
    tokens = {name: bearer(person) if person is not None else {} for name, person in world.users.items()}
    return ApiWorld(world, cohort_a2, draft_a, pending, free_trainee, world.spare_user, tokens)


# What each user gets. Users act in the order of USERS on one world, so an admitted state change by
# staff_a (200/201) meets its rule's refusal when the admin tries it next (409).
# fmt: off
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    #                                             anonymous trainee staff_a staff_b overseer punjab admin
    # Tokens and the caller.
    ("POST",   "api.create_token"):           row(201,      201,    201,    201,    201,     201,   201),
    ("GET",    "api.me"):                     row(401,      200,    200,    200,    200,     200,   200),
    ("DELETE", "api.revoke_current_token"):   row(401,      204,    204,    204,    204,     204,   204),
    ("GET",    "api-docs.openapi_json"):      row(200,      200,    200,    200,    200,     200,   200),
    # The catalogue is open to all; cohorts are created and changed by their centre's staff and admins.
    ("GET",    "api.list_centres"):           row(200,      200,    200,    200,    200,     200,   200),
    ("GET",    "api.get_centre"):             row(200,      200,    200,    200,    200,     200,   200),
    ("GET",    "api.list_courses"):           row(200,      200,    200,    200,    200,     200,   200),
    ("GET",    "api.list_cohorts"):           row(200,      200,    200,    200,    200,     200,   200),
    ("GET",    "api.get_cohort"):             row(200,      200,    200,    200,    200,     200,   200),
    ("POST",   "api.create_cohort"):          row(401,      403,    201,    403,    403,     403,   201),
    ("PATCH",  "api.update_cohort"):          row(401,      403,    200,    403,    403,     403,   200),
    # Capacity: staff (own centres), overseers (their scope), admins.
    ("GET",    "api.capacity_report"):        row(401,      403,    200,    200,    200,     200,   200),
    ("GET",    "api.completion_report"):      row(401,      403,    200,    200,    200,     200,   200),
    ("GET",    "api.outcomes_report"):        row(401,      403,    200,    200,    200,     200,   200),
    # Trainee records: any centre's staff and admins create them (each user a different CNIC); trainee A
    # (applied at A, lives in Punjab) is read by A's staff, overseers (masked) and admins.
    ("POST",   "api.create_trainee"):         row(401,      403,    201,    201,    403,     403,   201),
    ("GET",    "api.get_trainee"):            row(401,      403,    200,    403,    200,     200,   200),
    # Correcting trainee A's gender or area: A's staff and admins; overseers read only.
    ("PATCH",  "api.correct_trainee"):        row(401,      403,    200,    403,    403,     403,   200),
    # Enrollments at cohort A2: the trainee applies for herself, staff of A and the admin register others.
    ("POST",   "api.create_enrollment"):      row(401,      201,    201,    403,    403,     403,   201),
    ("GET",    "api.list_enrollments"):       row(401,      403,    200,    403,    403,     403,   200),
    ("GET",    "api.my_enrollments"):         row(401,      200,    403,    403,    403,     403,   403),
    ("GET",    "api.get_enrollment"):         row(401,      403,    200,    403,    403,     403,   200),
    # The trainee withdraws her own place; A's staff and the admin then find it withdrawn.
    ("POST",   "api.withdraw_enrollment"):    row(401,      200,    409,    403,    403,     403,   409),
    # Decisions at cohort A: the pending application (approve, reject), trainee A's place (drop,
    # complete: the cohort has not started, so it cannot be completed yet).
    ("POST",   "api.approve_enrollment"):     row(401,      403,    200,    403,    403,     403,   409),
    ("POST",   "api.reject_enrollment"):      row(401,      403,    200,    403,    403,     403,   409),
    ("POST",   "api.drop_enrollment"):        row(401,      403,    200,    403,    403,     403,   409),
    # The manual "complete" is gone (issue 17): 410 for staff, whichever place (finishing decides).
    ("POST",   "api.complete_enrollment"):    row(401,      403,    410,    410,    403,     403,   410),
    # Marks of cohort A, which is not running: its staff and admins are told so (409).
    ("PUT",    "api.put_marks"):              row(401,      403,    409,    403,    403,     403,   409),
    # Answering a seat offer: trainee A's place is enrolled, not offered, so those who may answer are told
    # there is no open offer (409); the signed-in trainee may not answer another's.
    ("POST",   "api.accept_offer"):           row(401,      403,    409,    403,    403,     403,   409),
    ("POST",   "api.decline_offer"):          row(401,      403,    409,    403,    403,     403,   409),
    # Certificates: anyone verifies a number; the trainee lists her own; A's staff and admins revoke the
    # signed-in trainee's certificate (issued at A): staff_a revokes it, the admin finds it revoked (409).
    ("GET",    "api.get_certificate"):        row(200,      200,    200,    200,    200,     200,   200),
    ("GET",    "api.my_certificates"):        row(401,      200,    403,    403,    403,     403,   403),
    ("POST",   "api.revoke_certificate"):     row(401,      403,    200,    403,    403,     403,   409),
    # Merit lists of cohort A, a first-come cohort: its staff and admins are told it has no scores or list
    # (409); nobody finds a published list (404), whoever asks, since reading one is public.
    ("PUT",    "api.put_scores"):             row(401,      403,    409,    403,    403,     403,   409),
    ("POST",   "api.publish_merit_list"):     row(401,      403,    409,    403,    403,     403,   409),
    ("GET",    "api.get_merit_list"):         row(404,      404,    404,    404,    404,     404,   404),
    # Class days and attendance of cohort A: its staff and admins; it has not started, so no register (409).
    ("GET",    "api.list_class_days"):        row(401,      403,    200,    403,    403,     403,   200),
    ("PUT",    "api.save_attendance"):        row(401,      403,    409,    403,    403,     403,   409),
}
# fmt: on


def path_values(w: ApiWorld) -> dict[str, dict[str, object]]:
    return {
        "api.get_centre": {"code": w.centre_a.code},
        "api.get_cohort": {"cohort_id": w.cohort_a.id},
        "api.update_cohort": {"cohort_id": w.cohort_a.id},
        "api.get_trainee": {"trainee_id": w.trainee_a.id},
        "api.correct_trainee": {"trainee_id": w.trainee_a.id},
        "api.create_enrollment": {"cohort_id": w.cohort_a2.id},
        "api.list_enrollments": {"cohort_id": w.cohort_a.id},
        "api.get_enrollment": {"enrollment_id": enrollment_of(w.trainee_a)},
        "api.withdraw_enrollment": {"enrollment_id": enrollment_of(w.own_trainee)},
        "api.approve_enrollment": {"enrollment_id": w.pending.id},
        "api.reject_enrollment": {"enrollment_id": w.pending.id},
        "api.drop_enrollment": {"enrollment_id": enrollment_of(w.trainee_a)},
        "api.accept_offer": {"enrollment_id": enrollment_of(w.trainee_a)},
        "api.decline_offer": {"enrollment_id": enrollment_of(w.trainee_a)},
        "api.complete_enrollment": {"enrollment_id": enrollment_of(w.trainee_a)},
        "api.get_certificate": {"number": w.certificate_number},
        "api.revoke_certificate": {"number": w.certificate_number},
        "api.put_scores": {"cohort_id": w.cohort_a.id},
        "api.put_marks": {"cohort_id": w.cohort_a.id},
        "api.publish_merit_list": {"cohort_id": w.cohort_a.id},
        "api.get_merit_list": {"cohort_id": w.cohort_a.id},
        "api.list_class_days": {"cohort_id": w.cohort_a.id},
        "api.save_attendance": {"cohort_id": w.cohort_a.id, "day": utcnow().date().isoformat()},
    }


def body_for(w: ApiWorld, endpoint: str, user: str) -> dict | None:
    """A JSON body the operation accepts, so that only the access rule (or a later rule) can refuse it."""
    today = utcnow().date()
    number = USERS.index(user)
    bodies = {
        "api.create_token": {"email": w.token_owner.email, "password": PASSWORD, "name": "matrix"},
        "api.create_cohort": {
            "course": w.course.code,
            "centre": w.centre_a.code,
            "kind": "regular",
            "women_only": False,
            "starts_on": (today + timedelta(days=40)).isoformat(),
            "ends_on": (today + timedelta(days=100)).isoformat(),
            "shift": "afternoon",
            "mode": "on_site",
            "seats": 20,
            "admission": "first_come",
        },
        "api.update_cohort": {"seats": 12},
        "api.correct_trainee": {"area": "rural", "reason": "Her CNIC card gives a village address."},
        "api.create_trainee": {
            "cnic": f"35202-765432{number}-2",
            "full_name": f"Matrix Trainee {'ABCDEFG'[number]}",
            "gender": "female",
            "date_of_birth": "2001-03-04",
            "phone": f"0300 765432{number}",
            "district": w.lahore.id,
            "area": "urban",
            "education": "intermediate",
        },
        # The trainee applies for herself (empty body); staff of A register trainee B (by CNIC: her record is
        # another centre's), the admin another.
        "api.create_enrollment": {}
        if user == "trainee"
        else {"cnic": (w.free_trainee if user == "admin" else w.trainee_b).cnic},
        "api.withdraw_enrollment": {},
        "api.approve_enrollment": {},
        "api.reject_enrollment": {"reason": "The course is full of applicants with more experience."},
        "api.drop_enrollment": {"reason": "Absent for three weeks."},
        "api.complete_enrollment": {},
        "api.accept_offer": {},
        "api.decline_offer": {},
        "api.revoke_certificate": {"reason": "Issued to the wrong trainee."},
        "api.save_attendance": {"absent": [], "late": []},
        "api.put_scores": {"items": [{"enrollment_id": w.pending.id, "test": 61.5, "interview": 70}]},
        "api.put_marks": {"items": [{"enrollment_id": w.pending.id, "mark": 61.5}]},
        "api.publish_merit_list": {},
    }
    return bodies.get(endpoint)


def api_cases() -> list[tuple[str, str]]:
    """Every routed (method, endpoint) of the API (and the rows of other endpoints under /api/v1, such as
    the OpenAPI description). A routed ``api.*`` one without a row fails in
    ``test_every_routed_api_endpoint_has_a_row``; a row without a route fails in
    ``test_every_api_row_is_a_real_endpoint``."""
    routed = routed_methods()
    cases = {
        (method, endpoint) for endpoint, methods in routed.items() if endpoint.startswith("api.") for method in methods
    }
    cases |= {(method, endpoint) for method, endpoint in EXPECTED if method in routed.get(endpoint, ())}
    return sorted(cases)


def request_as(client, app, w: ApiWorld, method: str, endpoint: str, user: str, headers: dict | None = None):
    values = path_values(w).get(endpoint, {})
    path = app.url_map.bind("localhost").build(endpoint, values, method=method)
    body = body_for(w, endpoint, user)
    return path, client.open(path, method=method, headers=headers or {}, json=body)


def auth_headers(w: ApiWorld, user: str) -> dict[str, str]:
    return w.tokens[user]


def check_refusal(response, status: int) -> str | None:
    """Why ``response`` is not the API's refusal with ``status`` (None: it is)."""
    if response.status_code != status:
        return f"got {response.status_code} {response.get_data(as_text=True)[:200]}"
    _, code, message, _ = api_error(response)
    if code != ERROR_CODES[status] or not message:
        return f"error code {code!r}, message {message!r}"
    return None


# 1. Every operation has a row, and every row an operation --------------------------------------------


def test_every_routed_api_endpoint_has_a_row():
    missing = [
        f"{method} {endpoint}"
        for endpoint, methods in sorted(routed_methods().items())
        if endpoint.startswith("api.")
        for method in sorted(methods)
        if (method, endpoint) not in EXPECTED
    ]
    assert not missing, f"decide who may use these API operations and add rows to EXPECTED: {missing}"


def test_every_api_row_is_a_real_endpoint():
    routed = routed_methods()
    phantom = [
        f"{method} {endpoint}" for method, endpoint in sorted(EXPECTED) if method not in routed.get(endpoint, ())
    ]
    assert not phantom, f"EXPECTED lists API operations (or methods) that url_map does not have: {phantom}"


def test_every_api_row_has_the_request_it_needs(app, api_world):
    """Path arguments build a URL for every routed row; every operation that takes a body gets one."""
    adapter = app.url_map.bind("localhost")
    values = path_values(api_world)
    routed = routed_methods()
    for method, endpoint in EXPECTED:
        if method in routed.get(endpoint, ()):
            adapter.build(endpoint, values.get(endpoint, {}), method=method)  # raises if an argument is missing
            if method in ("POST", "PATCH"):
                assert body_for(api_world, endpoint, "admin") is not None, endpoint


def test_the_matrix_lets_overseers_change_nothing():
    """DESIGN.md: overseers read; they get 403 on every state change (they may manage their own tokens)."""
    own_tokens = {("POST", "api.create_token"), ("DELETE", "api.revoke_current_token")}
    wrong = [
        f"{method} {endpoint}: {who} → {answers[who]}"
        for (method, endpoint), answers in EXPECTED.items()
        if method != "GET" and (method, endpoint) not in own_tokens
        for who in ("overseer", "punjab_overseer")
        if answers[who] != 403
    ]
    assert not wrong, wrong


# 2. The role × operation matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "endpoint"), api_cases())
def test_api_access_matrix(app, client, api_world, row_counts, method, endpoint):
    """One operation, called by each of the seven users in turn with a bearer token of their own
    (anonymous: no token), anonymous first and the admin last."""
    assert (method, endpoint) in EXPECTED, f"{method} {endpoint} has no row in EXPECTED: decide who may use it"
    wrong = []
    for user in USERS:
        expected = EXPECTED[(method, endpoint)][user]
        limiter.reset()  # throttles answer 429 whoever asks; here only the access rule may decide
        headers = auth_headers(api_world, user)
        before = row_counts()
        try:
            _, response = request_as(client, app, api_world, method, endpoint, user, headers)
        except Exception as error:  # a crash for one user must not hide the answers for the others
            db.session.rollback()
            wrong.append(f"{user:>16}: expected {expected}, raised {type(error).__name__}: {error}")
            continue
        if expected in REFUSED:
            if (problem := check_refusal(response, expected)) is not None:
                wrong.append(f"{user:>16}: expected {expected}, {problem}")
            elif row_counts() != before:
                wrong.append(f"{user:>16}: refused with {expected} but wrote rows")
        elif response.status_code != expected:
            wrong.append(f"{user:>16}: expected {expected}, got {response.status_code} {response.get_data()[:300]!r}")
    assert not wrong, f"{method} {endpoint}\n" + "\n".join(wrong)


# 3. Bearer tokens only ---------------------------------------------------------------------------------


def signed_in_by_cookie(client, user: UserAccount):
    with client.session_transaction() as session:
        session.update(session_values(user))
    return client


@pytest.mark.parametrize(
    ("method", "endpoint"), [case for case in api_cases() if EXPECTED.get(case, {}).get("anonymous") == 401]
)
def test_a_cookie_session_is_not_a_token(app, client, api_world, row_counts, method, endpoint):
    """A signed-in browser session (here the admin's) does not authenticate API calls: no CSRF to fear."""
    signed_in_by_cookie(client, api_world.users["admin"])
    before = row_counts()
    _, response = request_as(client, app, api_world, method, endpoint, "admin")
    assert check_refusal(response, 401) is None, response.get_data(as_text=True)
    assert row_counts() == before


@pytest.mark.parametrize("header", ["Bearer mkz_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "mkz_bare"])
def test_a_bad_token_is_refused_even_where_none_is_needed(app, client, api_world, row_counts, header):
    """A program with a broken token should find out: 401 on every operation, public ones too."""
    before = row_counts()
    wrong = []
    for method, endpoint in api_cases():
        path, response = request_as(client, app, api_world, method, endpoint, "admin", {"Authorization": header})
        if (problem := check_refusal(response, 401)) is not None:
            wrong.append(f"{method} {path}: {problem}")
        elif response.headers.get("WWW-Authenticate", "").split()[:1] != ["Bearer"]:
            wrong.append(f"{method} {path}: no WWW-Authenticate: Bearer")
    assert not wrong, "\n".join(wrong)
    assert row_counts() == before


def test_a_revoked_token_authenticates_nobody(client, api_world):
    headers = bearer(api_world.users["staff_a"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert check_refusal(client.get("/api/v1/me", headers=headers), 401) is None


def test_a_token_of_a_deactivated_account_authenticates_nobody(client, api_world):
    staff = api_world.users["staff_a"]
    headers = bearer(staff)
    staff.active = False
    db.session.commit()
    assert check_refusal(client.get("/api/v1/me", headers=headers), 401) is None


# 4. Objects of other centres and provinces ------------------------------------------------------------

# (user, method, endpoint, the object in the path, body) → status. The matrix's rows use objects of
# centre A; these try the neighbours. Objects are named by their attribute of the world (enrollment
# operations: the trainee whose one enrollment it is); a number is an id that no row has.
NO_SUCH_ID = 987_654
REJECTION = {"reason": "The waitlist is closed."}
# fmt: off
OBJECT_CASES = [
    # Trainee records: staff see trainees of their own centres only; a provincial overseer her province
    # (trainee C lives in Sindh but applied at A, in Punjab).
    ("staff_a",         "GET",   "api.get_trainee",         "trainee_b",   None,        403),
    ("staff_b",         "GET",   "api.get_trainee",         "trainee_b",   None,        200),
    ("staff_a",         "GET",   "api.get_trainee",         "trainee_c",   None,        200),
    ("punjab_overseer", "GET",   "api.get_trainee",         "trainee_b",   None,        403),
    ("staff_a",         "PATCH", "api.correct_trainee",     "trainee_b",   {"area": "rural", "reason": "Typo."}, 403),
    ("staff_b",         "PATCH", "api.correct_trainee",     "trainee_b",   {"area": "rural", "reason": "Typo."}, 200),
    ("punjab_overseer", "GET",   "api.get_trainee",         "trainee_c",   None,        200),
    ("overseer",        "GET",   "api.get_trainee",         "trainee_b",   None,        200),
    ("trainee",         "GET",   "api.get_trainee",         "own_trainee", None,        200),
    ("staff_a",         "GET",   "api.get_trainee",         NO_SUCH_ID,    None,        404),
    # Enrollments and rosters of cohort B are B's; a trainee's are hers.
    ("staff_a",         "GET",   "api.get_enrollment",      "trainee_b",   None,        403),
    ("staff_b",         "GET",   "api.get_enrollment",      "trainee_b",   None,        200),
    ("trainee",         "GET",   "api.get_enrollment",      "own_trainee", None,        200),
    ("staff_a",         "GET",   "api.get_enrollment",      NO_SUCH_ID,    None,        404),
    ("staff_a",         "GET",   "api.list_enrollments",    "cohort_b",    None,        403),
    ("staff_b",         "GET",   "api.list_enrollments",    "cohort_b",    None,        200),
    ("staff_a",         "POST",  "api.withdraw_enrollment", "trainee_b",   {},          403),
    ("trainee",         "POST",  "api.withdraw_enrollment", "trainee_a",   {},          403),
    ("staff_a",         "POST",  "api.reject_enrollment",   "trainee_b",   REJECTION,   403),
    ("staff_b",         "POST",  "api.reject_enrollment",   "trainee_b",   REJECTION,   200),
    # Cohorts of B: A's staff neither change them nor register trainees in them.
    ("staff_a",         "PATCH", "api.update_cohort",       "cohort_b",    {"seats": 12}, 403),
    ("staff_b",         "PATCH", "api.update_cohort",       "cohort_b",    {"seats": 12}, 200),
    ("staff_a",         "PATCH", "api.update_cohort",       NO_SUCH_ID,    {"seats": 12}, 404),
    ("staff_a",         "POST",  "api.create_enrollment",   "cohort_b",    "free_trainee", 403),
    ("staff_b",         "POST",  "api.create_enrollment",   "cohort_b",    "free_trainee", 201),
    ("anonymous",       "GET",   "api.get_cohort",          NO_SUCH_ID,    None,        404),
    # A draft is hidden from all but its centre's staff and admins: 404, as if it did not exist.
    ("anonymous",       "GET",   "api.get_cohort",          "draft_a",     None,        404),
    ("trainee",         "GET",   "api.get_cohort",          "draft_a",     None,        404),
    ("staff_b",         "GET",   "api.get_cohort",          "draft_a",     None,        404),
    ("overseer",        "GET",   "api.get_cohort",          "draft_a",     None,        404),
    ("staff_a",         "GET",   "api.get_cohort",          "draft_a",     None,        200),
    ("admin",           "GET",   "api.get_cohort",          "draft_a",     None,        200),
    ("staff_b",         "PATCH", "api.update_cohort",       "draft_a",     {"seats": 12}, 404),
    ("staff_b",         "GET",   "api.list_enrollments",    "draft_a",     None,        404),
    ("trainee",         "POST",  "api.create_enrollment",   "draft_a",     {},          404),
    ("anonymous",       "GET",   "api.get_centre",          "XX-NOPE-99",  None,        404),
]
# fmt: on


def object_values(w: ApiWorld, endpoint: str, target: str | int) -> dict[str, object]:
    """The path arguments of ``endpoint`` naming ``target``."""
    argument = next(iter(path_values(w)[endpoint]))
    if isinstance(target, int) or not hasattr(w, target):
        return {argument: target}
    found = getattr(w, target)
    if argument == "enrollment_id":
        return {argument: enrollment_of(found)}
    return {argument: found.code if argument == "code" else found.id}


@pytest.mark.parametrize(
    ("user", "method", "endpoint", "target", "body", "expected"),
    OBJECT_CASES,
    ids=[f"{user}-{endpoint.removeprefix('api.')}-{target}" for user, _, endpoint, target, *_ in OBJECT_CASES],
)
def test_objects_of_other_centres(app, client, api_world, row_counts, user, method, endpoint, target, body, expected):
    assert method in routed_methods().get(endpoint, ()), f"{method} {endpoint} is not routed"
    path = app.url_map.bind("localhost").build(endpoint, object_values(api_world, endpoint, target), method=method)
    if isinstance(body, str):  # a trainee to register, by CNIC (the national record)
        body = {"cnic": getattr(api_world, body).cnic}
    headers = auth_headers(api_world, user)
    before = row_counts()
    response = client.open(path, method=method, headers=headers, json=body)
    if expected in REFUSED:
        assert check_refusal(response, expected) is None, f"{method} {path}: {response.get_data(as_text=True)}"
        assert row_counts() == before
    else:
        assert response.status_code == expected, f"{method} {path}: {response.get_data(as_text=True)}"


@pytest.mark.parametrize("reader", ["overseer", "punjab_overseer"])
def test_overseers_read_trainee_records_masked(client, api_world, reader):
    response = client.get(f"/api/v1/trainees/{api_world.trainee_a.id}", headers=auth_headers(api_world, reader))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert api_world.trainee_a.full_name in text
    assert "1234567" not in text and "9876543" not in text  # the middle of the CNIC, the end of the phone


def test_staff_read_trainee_records_whole(client, api_world):
    response = client.get(f"/api/v1/trainees/{api_world.trainee_a.id}", headers=auth_headers(api_world, "staff_a"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1234567" in text and "9876543" in text


def test_a_method_not_allowed_is_refused_with_what_is(app, client, api_world):
    """405 in the API's error shape, with ``Allow`` naming the methods the path has (RFC 9110)."""
    adapter = app.url_map.bind("localhost")
    values = path_values(api_world)
    allowed: dict[str, set[str]] = {}
    for method, endpoint in api_cases():
        allowed.setdefault(adapter.build(endpoint, values.get(endpoint, {}), method=method), set()).add(method)
    for path, methods in sorted(allowed.items()):
        response = client.open(path, method="TRACE")
        assert api_error(response)[:2] == (405, "method_not_allowed"), path
        assert methods <= set(response.headers["Allow"].split(", ")), path
