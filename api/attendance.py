"""Class days and attendance (issue 17) for labs whose biometric devices or session reports feed Markaz:
``GET /cohorts/<id>/class-days`` lists a cohort's calendar with what was marked, ``PUT
/cohorts/<id>/attendance/<date>`` saves a day's register. The rules, the lock and the audit event are
``attendance.services``'; refusals come out as JSON naming the field (``api.errors``)."""

from datetime import date

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from api import bp
from api.enrollments import BEARER, UNAUTHENTICATED
from api.parsing import MultiLineString
from api.schemas import ErrorSchema
from attendance.calendar import DayOfClass, calendar_of
from attendance.services import MAX_REASON_LENGTH, AttendanceRefused, take_attendance
from auth.permissions import STAFF, allow, get_cohort_by_id_or_404
from listing import LARGEST_ID
from submitting import acting_user, committed

EnrollmentIds = fields.List(
    fields.Integer(validate=validate.Range(min=1, max=LARGEST_ID)),
    load_default=list,
    validate=validate.Length(max=1000),
)


class ClassDaySchema(Schema):
    day = fields.Date(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("scheduled", "added", "cancelled")),
        metadata={"description": "scheduled (the shift's days), added by staff, or cancelled by staff."},
    )
    reason = fields.String(required=True, metadata={"description": "Why staff added or cancelled it (else empty)."})
    marked = fields.Boolean(required=True, metadata={"description": "Whether attendance was taken."})
    marked_count = fields.Integer(required=True, metadata={"description": "Places on the register (0 if unmarked)."})
    present_count = fields.Integer(required=True, metadata={"description": "Of them present or late."})
    absent = fields.List(fields.Integer(), required=True, metadata={"description": "Enrollment ids marked absent."})
    late = fields.List(fields.Integer(), required=True, metadata={"description": "Enrollment ids marked late."})


class ClassDaysSchema(Schema):
    items = fields.List(fields.Nested(ClassDaySchema), required=True)
    total = fields.Integer(required=True)


class AttendanceRequestSchema(Schema):
    absent = EnrollmentIds
    late = EnrollmentIds
    reason = MultiLineString(
        load_default="",
        validate=validate.Length(max=MAX_REASON_LENGTH),
        metadata={"description": "Required to correct a past day that was marked before."},
    )


class AttendanceSchema(Schema):
    day = fields.Date(required=True)
    marked = fields.List(fields.Integer(), required=True, metadata={"description": "Every enrollment id marked."})
    absent = fields.List(fields.Integer(), required=True)
    late = fields.List(fields.Integer(), required=True)
    marked_count = fields.Integer(required=True)
    present_count = fields.Integer(required=True, metadata={"description": "Present or late."})
    corrections = fields.Integer(required=True, metadata={"description": "How often the day was saved again."})


def class_day_answer(entry: DayOfClass) -> dict:
    register = entry.register
    return {
        "day": entry.day,
        "kind": entry.kind,
        "reason": entry.reason,
        "marked": register is not None,
        "marked_count": register.marked_count if register else 0,
        "present_count": register.present_count if register else 0,
        "absent": register.absent if register else [],
        "late": register.late if register else [],
    }


@bp.route("/cohorts/<int:cohort_id>/class-days")
@allow(STAFF)
@bp.response(200, ClassDaysSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort.")
@bp.doc(security=BEARER)
def list_class_days(cohort_id: int):
    """A cohort's class days in order: the days its shift meets from its first day to its last (fixed public
    holidays left out), the days staff added or cancelled, and for each whether attendance was taken."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    items = [class_day_answer(entry) for entry in calendar_of(cohort)]
    return {"items": items, "total": len(items)}


@bp.route("/cohorts/<int:cohort_id>/attendance/<day>", methods=["PUT"])
@allow(STAFF)
@bp.arguments(AttendanceRequestSchema)
@bp.response(200, AttendanceSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: the cohort is not running (nor finished).")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="A day that is not a date, has not come, or is not a class day (`day`); an id not on the day's "
    "register or both absent and late (`absent`, `late`); a correction of a past day without `reason`.",
)
@bp.doc(security=BEARER)
def save_attendance(body: dict, cohort_id: int, day: str):
    """Save the register of `day` (YYYY-MM-DD): everyone enrolled that day is present but the `absent` and the
    `late` (enrollment ids; late counts as present). Saving a day again replaces its marks whole (a correction:
    a past day needs a `reason`). Two saves of one day at once are served in turn; the later wins whole."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise AttendanceRefused(_("Write the day as YYYY-MM-DD, e.g. 2027-01-18."), "day") from None
    register = take_attendance(
        cohort, when, absent=body["absent"], late=body["late"], reason=body["reason"], actor=acting_user()
    )
    return committed(
        {
            "day": register.day,
            "marked": register.marked,
            "absent": register.absent,
            "late": register.late,
            "marked_count": register.marked_count,
            "present_count": register.present_count,
            "corrections": register.corrections,
        }
    )
