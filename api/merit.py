"""Merit admission (DESIGN.md, "Selection"): staff enter scores (``PUT /cohorts/<id>/scores``) and publish
the merit list (``POST /cohorts/<id>/merit-list``); anyone reads the published list, names masked
(``GET /cohorts/<id>/merit-list``). The rules are ``enrollments.services.merit``'s; a refusal about several
scores names each one as ``items.<i>.<field>``, the way the API names nested fields."""

from flask import abort
from marshmallow import Schema, fields, validate

from api import bp
from api.parsing import MultiLineString
from api.schemas import ErrorSchema
from auth.permissions import PUBLIC, STAFF, allow, get_cohort_by_id_or_404
from enrollments.models import application_number
from enrollments.services import merit
from submitting import acting_user, committed
from vocabulary import EnrollmentStatus, Pool

BEARER = [{"bearer": []}]
UNAUTHENTICATED = "No token, or not a valid one."


class ScoreItemSchema(Schema):
    enrollment_id = fields.Integer(required=True, metadata={"description": "The place (its application number)."})
    test = fields.Float(required=True, allow_nan=False, metadata={"description": "0 to 100, two decimals at most."})
    interview = fields.Float(
        required=True, allow_nan=False, metadata={"description": "0 to 100, two decimals at most."}
    )


class ScoresSchema(Schema):
    items = fields.List(
        fields.Nested(ScoreItemSchema),
        required=True,
        validate=validate.Length(min=1, max=merit.MAX_SCORES_AT_ONCE),
        metadata={"description": "All saved, or none (a 422 names every wrong item and field)."},
    )


class ScoredSchema(Schema):
    enrollment_id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "The application number.", "example": "000123"})
    test = fields.Float(required=True)
    interview = fields.Float(required=True)
    total = fields.Float(required=True, metadata={"description": "test × w + interview × (1 − w), two decimals."})


class ScoresAnswerSchema(Schema):
    changed = fields.Integer(required=True, metadata={"description": "Places whose scores changed."})
    items = fields.List(fields.Nested(ScoredSchema), required=True)


class PublishSchema(Schema):
    reason = MultiLineString(
        load_default="",
        validate=validate.Length(max=merit.MAX_REASON_LENGTH),
        metadata={"description": "Required for a correction (the list published already): shown with it."},
    )


class MeritListArgsSchema(Schema):
    version = fields.Integer(
        validate=validate.Range(min=1, max=1_000_000), metadata={"description": "An older version (default: latest)."}
    )


class MeritRowSchema(Schema):
    rank = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "The application number.", "example": "000123"})
    name = fields.String(
        required=True, metadata={"description": "First name and initial only.", "example": "Ayesha K."}
    )
    test = fields.Float(required=True)
    interview = fields.Float(required=True)
    total = fields.Float(required=True)
    outcome = fields.Enum(
        EnrollmentStatus,
        by_value=True,
        required=True,
        metadata={"description": "Where she stands now (latest version) or stood when published (older ones)."},
    )
    pool = fields.Enum(
        Pool, by_value=True, required=True, allow_none=True, metadata={"description": "The pool of her seat."}
    )
    waitlist_position = fields.Integer(required=True, allow_none=True)


class MeritVersionSchema(Schema):
    version = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    reason = fields.String(required=True, metadata={"description": "Why a correction was made (empty for 1)."})


class MeritListSchema(MeritVersionSchema):
    cohort_id = fields.Integer(required=True)
    latest = fields.Boolean(required=True)
    test_weight = fields.Integer(required=True, metadata={"description": "Percent of the total; interview: the rest."})
    rows = fields.List(fields.Nested(MeritRowSchema), required=True)
    versions = fields.List(fields.Nested(MeritVersionSchema), required=True, metadata={"description": "Latest first."})


def merit_list_answer(cohort, version: int | None = None) -> dict:
    versions = merit.list_versions(cohort)
    if not versions:
        abort(404, "No merit list has been published for this cohort yet.")
    chosen = versions[0] if version is None else next((each for each in versions if each.version == version), None)
    if chosen is None:
        abort(404, "This cohort's merit list has no such version.")
    latest = chosen is versions[0]
    return {
        "cohort_id": cohort.id,
        "version": chosen.version,
        "published_at": chosen.published_at,
        "reason": chosen.reason,
        "latest": latest,
        "test_weight": chosen.test_weight,
        "rows": [vars(row) for row in merit.public_rows(chosen, live=latest)],
        "versions": versions,
    }


@bp.route("/cohorts/<int:cohort_id>/scores", methods=["PUT"])
@allow(STAFF)
@bp.arguments(ScoresSchema)
@bp.response(200, ScoresAnswerSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: not a merit cohort, or it has started.")
@bp.alt_response(422, schema=ErrorSchema, description="A wrong item: `fields` names each (`items.3.test`).")
@bp.doc(security=BEARER)
def put_scores(body: dict, cohort_id: int):
    """Enter or change applicants' test and interview scores (merit cohorts), all or none: before the list
    is published, for pending places; afterwards for ranked places, counting from the next correction."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    entries = [merit.ScoreEntry(item["enrollment_id"], item["test"], item["interview"]) for item in body["items"]]
    changed = merit.enter_scores(cohort, entries, actor=acting_user())
    weight = cohort.test_weight
    items = [
        {
            "enrollment_id": entry.enrollment_id,
            "number": application_number(entry.enrollment_id),
            "test": entry.test,
            "interview": entry.interview,
            "total": float(merit.total_score(entry.test, entry.interview, weight)),
        }
        for entry in entries
    ]
    return committed({"changed": len(changed), "items": items})


@bp.route("/cohorts/<int:cohort_id>/merit-list", methods=["POST"])
@allow(STAFF)
@bp.arguments(PublishSchema, required=False)
@bp.response(201, MeritListSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort.")
@bp.alt_response(
    409,
    schema=ErrorSchema,
    description="`not_possible`: not a merit cohort, applications still open, started, nobody waiting, or "
    "applicants without scores (listed).",
)
@bp.alt_response(422, schema=ErrorSchema, description="`reason_required`: a correction without a reason.")
@bp.doc(security=BEARER)
def publish_merit_list(body: dict | None, cohort_id: int):
    """Publish the merit list: rank by total score (ties: earlier application), offer the open seats by rank,
    then each reserved pool's by rank among those who qualify; the rest wait in line by rank. Publishing
    again is a correction (a new version; `reason` required); nobody holding a seat loses it."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    merit.publish(cohort, actor=acting_user(), reason=(body or {}).get("reason", ""))
    return committed(merit_list_answer(cohort))


@bp.route("/cohorts/<int:cohort_id>/merit-list")
@allow(PUBLIC)
@bp.arguments(MeritListArgsSchema, location="query")
@bp.response(200, MeritListSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort, or no list published yet.")
def get_merit_list(args: dict, cohort_id: int):
    """A cohort's published merit list (the latest version, or `version`), names masked: rank, application
    number, first name and initial, scores, total and where each stands now."""
    return merit_list_answer(get_cohort_by_id_or_404(cohort_id), args.get("version"))
