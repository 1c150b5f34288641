"""Assessment marks (DESIGN.md, "Attendance, assessment and certificates"): staff enter the marks of a running
cohort's enrolled trainees (``PUT /cohorts/<id>/marks``), all or none. The rules are
``enrollments.services.marks``'s (a mark for a trainee below the course's attendance threshold is refused,
naming her); a refusal about several marks names each one as ``items.<i>.<field>``."""

from marshmallow import Schema, fields, validate

from api import bp
from api.schemas import ErrorSchema
from auth.permissions import STAFF, allow, get_cohort_by_id_or_404
from enrollments.services import marks
from submitting import acting_user, committed

BEARER = [{"bearer": []}]
UNAUTHENTICATED = "No token, or not a valid one."


class MarkItemSchema(Schema):
    enrollment_id = fields.Integer(required=True, metadata={"description": "The enrolled place."})
    mark = fields.Float(
        required=True,
        allow_none=True,
        allow_nan=False,
        metadata={"description": "Percent, 0 to 100, two decimals at most; null: not marked (clears a mark)."},
    )


class MarksSchema(Schema):
    items = fields.List(
        fields.Nested(MarkItemSchema),
        required=True,
        validate=validate.Length(min=1, max=marks.MAX_MARKS_AT_ONCE),
        metadata={"description": "All saved, or none (a 422 names every wrong item and field)."},
    )


class MarkedSchema(Schema):
    enrollment_id = fields.Integer(required=True)
    mark = fields.Float(required=True, allow_none=True)


class MarksAnswerSchema(Schema):
    changed = fields.Integer(required=True, metadata={"description": "Places whose mark changed."})
    items = fields.List(fields.Nested(MarkedSchema), required=True)


@bp.route("/cohorts/<int:cohort_id>/marks", methods=["PUT"])
@allow(STAFF)
@bp.arguments(MarksSchema)
@bp.response(200, MarksAnswerSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: the cohort is not running.")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="A wrong item: `fields` names each (`items.3.mark`), e.g. a trainee below the attendance "
    "threshold, who may not sit the assessment.",
)
@bp.doc(security=BEARER)
def put_marks(body: dict, cohort_id: int):
    """Enter or change the assessment marks of a running cohort's enrolled trainees, all or none. When the
    cohort finishes, each is completed (attendance threshold met and mark at or above the pass mark) or not."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    entries = [marks.MarkEntry(item["enrollment_id"], item["mark"]) for item in body["items"]]
    changed = marks.enter_marks(cohort, entries, actor=acting_user())
    items = [
        {"enrollment_id": place.id, "mark": None if place.mark is None else float(place.mark)} for place in changed
    ]
    return committed({"changed": len(changed), "items": items})
