"""The OpenAPI description (``GET /api/v1/openapi.json``) is valid OpenAPI 3, complete enough for an
integrator (and schemathesis, see ``.ci/schemathesis``) to rely on, and holds DESIGN.md's contract:
every path, its query parameters, the fields of its bodies and answers.

The description is generated from the code, so these tests read it as a client would, over HTTP. No
database is needed."""

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator, validate

from app import create_app
from auth.permissions import PUBLIC, SIGNED_IN, rule_for
from config import TestConfig
from extensions import db

PREFIX = "/api/v1"
BODY_METHODS = ("post", "put", "patch")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def served():
    """The app (no database behind it: the description does not need one) and its description."""
    app = create_app(TestConfig("sqlite://"))
    response = app.test_client().get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    yield app, response.get_json()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def spec(served):
    return served[1]


def operations(spec: dict):
    """(METHOD, path, operation) of every operation in the description."""
    for path, item in sorted(spec["paths"].items()):
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(spec: dict, node: dict) -> dict:
    """``node`` with its ``$ref`` followed (responses, schemas)."""
    while "$ref" in node:
        _, _, name = node["$ref"].partition("#/")
        found = spec
        for part in name.split("/"):
            found = found[part]
        node = found
    return node


def json_schema(spec: dict, node: dict) -> dict | None:
    """The JSON schema of a response or request body (None: it has none)."""
    content = resolve(spec, node).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return resolve(spec, schema) if schema is not None else None


def properties(spec: dict, schema: dict) -> set[str]:
    return set(resolve(spec, schema).get("properties", {}))


def endpoint_of(app, method: str, path: str) -> str:
    """The ``api.*`` endpoint that serves ``method path`` of the description."""
    flask_path = path.replace("{", "<").replace("}", ">")
    found = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and method in rule.methods and rule.rule.replace("<int:", "<") == flask_path
    ]
    assert len(found) == 1, f"{method} {path}: served by {found}"
    return found[0]


def success(spec: dict, operation: dict) -> tuple[str, dict | None]:
    statuses = sorted(status for status in operation["responses"] if status.startswith("2"))
    assert len(statuses) == 1, statuses
    return statuses[0], json_schema(spec, operation["responses"][statuses[0]])


def operation(spec: dict, method: str, path: str) -> dict:
    item = spec["paths"].get(PREFIX + path)
    assert item is not None and method.lower() in item, f"{method} {path} is not in the description"
    return item[method.lower()]


# 1. Valid OpenAPI 3 --------------------------------------------------------------------------------


def test_the_description_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.0")
    validate(spec, cls=OpenAPIV30SpecValidator)  # raises, naming what is wrong


def test_the_description_says_how_to_authenticate(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["info"]["title"] and spec["info"]["version"] == "v1"


# 2. Every operation is described completely --------------------------------------------------------


def test_every_operation_has_a_summary_and_a_success_answer_with_a_schema(spec):
    wrong = []
    for method, path, op in operations(spec):
        if not op.get("summary", "").strip():
            wrong.append(f"{method} {path}: no summary (the view's docstring)")
        if op.get("deprecated"):
            # An operation that is gone (issue 17: the manual "complete") answers only 410, saying what to do.
            if "410" not in op["responses"] or any(status.startswith("2") for status in op["responses"]):
                wrong.append(f"{method} {path}: deprecated, but it does not answer only 410 Gone")
            continue
        status, schema = success(spec, op)
        if status != "204" and not (schema and (schema.get("properties") or schema.get("items"))):
            wrong.append(f"{method} {path}: the {status} answer has no schema")
    assert not wrong, "\n".join(wrong)


def test_every_error_answer_is_described_in_the_errors_shape(spec):
    """Each operation lists error answers, every one ``{"error": {"code", "message", ...}}``."""
    wrong = []
    for method, path, op in operations(spec):
        errors = {status: answer for status, answer in op["responses"].items() if not status.startswith("2")}
        if not any(status.startswith("4") for status in errors):
            wrong.append(f"{method} {path}: no 4xx answer described")
        for status, answer in errors.items():
            schema = json_schema(spec, answer)
            if schema is None or "error" not in schema.get("required", ()):
                wrong.append(f"{method} {path}: {status} has no error schema")
                continue
            detail = resolve(spec, schema["properties"]["error"])
            if not {"code", "message"} <= set(detail.get("required", ())):
                wrong.append(f"{method} {path}: {status}'s error lacks a required code and message")
    assert not wrong, "\n".join(wrong)


def test_every_operation_documents_the_errors_it_can_give(served, spec):
    """401 where a token is needed, 403 where a role or an object is checked, 404 for a path naming an
    object, 422 for arguments that can be wrong: the statuses schemathesis will meet must be described."""
    app, _ = served
    wrong = []
    for method, path, op in operations(spec):
        documented = set(op["responses"])
        with app.app_context():
            rule = rule_for(endpoint_of(app, method, path))
        needed = set()
        if rule is not PUBLIC:
            needed.add("401")
        if rule not in (PUBLIC, SIGNED_IN):
            needed.add("403")
        if "{" in path:
            needed.add("404")
        if "requestBody" in op or any(parameter["in"] == "query" for parameter in op.get("parameters", ())):
            needed.add("422")
        if missing := needed - documented:
            wrong.append(f"{method} {path}: {sorted(missing)} not described")
    assert not wrong, "\n".join(wrong)


def test_operations_need_a_token_exactly_when_their_rule_is_not_public(served, spec):
    app, _ = served
    with app.app_context():
        for method, path, op in operations(spec):
            endpoint = endpoint_of(app, method, path)
            needs_token = op.get("security") == [{"bearer": []}]
            assert needs_token == (rule_for(endpoint) is not PUBLIC), f"{method} {path} ({endpoint})"


def test_every_request_body_has_a_json_schema(spec):
    for method, path, op in operations(spec):
        if "requestBody" in op:
            schema = json_schema(spec, op["requestBody"])
            assert schema is not None and schema.get("properties"), f"{method} {path}"


# 3. DESIGN.md's contract ---------------------------------------------------------------------------

# Every operation of DESIGN.md's table (and of the brief's endpoint list), and whether it takes a JSON body.
DESIGN_OPERATIONS = [
    ("POST", "/tokens", True),
    ("GET", "/me", False),
    ("DELETE", "/tokens/current", False),
    ("GET", "/centres", False),
    ("GET", "/centres/{code}", False),
    ("GET", "/courses", False),
    ("GET", "/cohorts", False),
    ("GET", "/cohorts/{cohort_id}", False),
    ("POST", "/cohorts", True),
    ("PATCH", "/cohorts/{cohort_id}", True),
    ("POST", "/trainees", True),
    ("GET", "/trainees/{trainee_id}", False),
    ("PATCH", "/trainees/{trainee_id}", True),  # issue 15: correcting her gender or area, with a reason
    ("POST", "/cohorts/{cohort_id}/enrollments", True),
    ("GET", "/cohorts/{cohort_id}/enrollments", False),
    ("GET", "/me/enrollments", False),
    ("GET", "/enrollments/{enrollment_id}", False),
    ("POST", "/enrollments/{enrollment_id}/withdraw", None),  # None: a body is optional
    ("POST", "/enrollments/{enrollment_id}/approve", None),
    ("POST", "/enrollments/{enrollment_id}/reject", True),
    ("POST", "/enrollments/{enrollment_id}/drop", True),
    ("POST", "/enrollments/{enrollment_id}/complete", None),  # gone (issue 17): 410, finishing decides
    ("POST", "/enrollments/{enrollment_id}/accept", None),  # issue 16: her answer to a seat offer
    ("POST", "/enrollments/{enrollment_id}/decline", None),
    # Issue 16, merit admission: scores, publishing (a correction's reason in the body) and the public list.
    ("PUT", "/cohorts/{cohort_id}/scores", True),
    ("POST", "/cohorts/{cohort_id}/merit-list", None),
    ("GET", "/cohorts/{cohort_id}/merit-list", False),
    ("GET", "/reports/capacity", False),
    # Issue 17, item 6 (DESIGN.md: "either new fields on capacity or a new GET /reports/completion").
    ("GET", "/reports/completion", False),
    ("GET", "/reports/outcomes", False),  # issue 18: graduates' outcomes per wave
    ("GET", "/me/certificates", False),  # issue 17, item 5: certificates anyone can verify
    ("GET", "/certificates/{number}", False),
    ("POST", "/certificates/{number}/revoke", True),
    ("GET", "/cohorts/{cohort_id}/class-days", False),  # issue 17: class days and a day's attendance
    ("PUT", "/cohorts/{cohort_id}/attendance/{day}", True),
    ("PUT", "/cohorts/{cohort_id}/marks", True),  # issue 17: assessment marks
]


@pytest.mark.parametrize(("method", "path", "takes_body"), DESIGN_OPERATIONS)
def test_every_design_operation_is_described(spec, method, path, takes_body):
    op = operation(spec, method, path)
    if takes_body is True:
        assert "requestBody" in op, f"{method} {path} takes a JSON body, but none is described"
    elif takes_body is False:
        assert "requestBody" not in op, f"{method} {path} describes a body it does not take"


def test_the_description_has_no_operation_design_does_not_list(spec):
    listed = {(method, PREFIX + path) for method, path, _ in DESIGN_OPERATIONS}
    extra = [f"{method} {path}" for method, path, _ in operations(spec) if (method, path) not in listed]
    assert not extra, f"add these to DESIGN.md's table (and to DESIGN_OPERATIONS): {extra}"


# Query parameters of DESIGN.md's lists; every list is paged with page and per_page.
DESIGN_QUERIES = {
    "/centres": {"province", "district", "page", "per_page"},
    "/courses": {"track", "page", "per_page"},
    "/cohorts": {"centre", "track", "province", "women_only", "status", "page", "per_page"},
    "/cohorts/{cohort_id}/enrollments": {"status", "page", "per_page"},
    "/me/enrollments": {"page", "per_page"},
    "/reports/capacity": {"group_by", "province", "from", "to"},
    "/reports/completion": {"group_by", "province", "from", "to"},
    "/reports/outcomes": {"wave", "group_by"},
}
PAGED = [path for path, names in DESIGN_QUERIES.items() if "page" in names]


@pytest.mark.parametrize("path", sorted(DESIGN_QUERIES))
def test_lists_take_designs_query_parameters(spec, path):
    parameters = {p["name"] for p in operation(spec, "GET", path).get("parameters", ()) if p["in"] == "query"}
    assert DESIGN_QUERIES[path] <= parameters, f"GET {path}: missing {DESIGN_QUERIES[path] - parameters}"


@pytest.mark.parametrize("path", PAGED)
def test_lists_answer_a_page(spec, path):
    _, schema = success(spec, operation(spec, "GET", path))
    assert {"items", "page", "per_page", "total"} <= set(schema["required"]), f"GET {path}"
    assert schema["properties"]["items"]["type"] == "array"


def test_capacity_rows_have_designs_figures(spec):
    _, schema = success(spec, operation(spec, "GET", "/reports/capacity"))
    figures = {"seats", "enrolled", "waitlisted", "pending", "utilisation", "women_share", "rural_share"}
    rows = properties(spec, schema["properties"]["rows"]["items"])
    assert figures | {"completion_rate"} <= rows


# The fields DESIGN.md names: (method, path) → fields of the success answer, fields of the body.
DESIGN_FIELDS = {
    ("POST", "/tokens"): ({"token", "expires_at"}, {"email", "password"}),
    ("GET", "/cohorts/{cohort_id}"): (
        {"id", "code", "course", "centre", "kind", "women_only", "starts_on", "ends_on", "seats", "enrolled"}
        | {"waitlisted", "pending", "seats_left", "status", "admission"},
        set(),
    ),
    ("POST", "/cohorts"): (
        {"id", "code", "status"},
        {"course", "centre", "kind", "women_only", "starts_on", "ends_on", "shift", "mode", "seats", "admission"}
        | {"applications_open_at", "applications_close_at", "status"},
    ),
    ("PATCH", "/cohorts/{cohort_id}"): ({"id", "seats", "status"}, {"seats", "starts_on", "ends_on", "status"}),
    ("POST", "/trainees"): (
        {"id", "cnic", "full_name"},
        {"cnic", "full_name", "gender", "date_of_birth", "phone", "email", "district", "area", "education"},
    ),
    ("POST", "/cohorts/{cohort_id}/enrollments"): ({"id", "status", "waitlist_position"}, {"trainee_id"}),
    ("GET", "/enrollments/{enrollment_id}"): ({"id", "trainee_id", "cohort_id", "status", "waitlist_position"}, set()),
    ("POST", "/enrollments/{enrollment_id}/reject"): ({"id", "status"}, {"reason"}),
    ("POST", "/enrollments/{enrollment_id}/drop"): ({"id", "status"}, {"reason"}),
    ("POST", "/enrollments/{enrollment_id}/withdraw"): ({"id", "status"}, set()),
    ("GET", "/me"): ({"id", "email", "role", "trainee_id"}, set()),
    ("GET", "/certificates/{number}"): ({"number", "status", "course", "centre", "issued_on"}, set()),
    ("POST", "/certificates/{number}/revoke"): ({"number", "status"}, {"reason"}),
    ("PUT", "/cohorts/{cohort_id}/attendance/{day}"): ({"day", "absent", "late"}, {"absent", "late"}),
}


@pytest.mark.parametrize(("method", "path"), sorted(DESIGN_FIELDS))
def test_bodies_and_answers_have_designs_fields(spec, method, path):
    answer_fields, body_fields = DESIGN_FIELDS[(method, path)]
    op = operation(spec, method, path)
    _, schema = success(spec, op)
    assert answer_fields <= set(schema["properties"]), f"answer lacks {answer_fields - set(schema['properties'])}"
    if body_fields:
        body = properties(spec, json_schema(spec, op["requestBody"]))
        assert body_fields <= body, f"body lacks {body_fields - body}"


def test_a_trainee_that_exists_is_answered_409_with_her_id(spec):
    """DESIGN.md: POST /trainees → 409 if the CNIC exists, with its id."""
    answer = operation(spec, "POST", "/trainees")["responses"]["409"]
    schema = json_schema(spec, answer)
    assert "trainee_id" in properties(spec, schema["properties"]["error"])


def test_the_token_operation_describes_its_throttle(spec):
    assert "429" in operation(spec, "POST", "/tokens")["responses"]
