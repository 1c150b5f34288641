"""Reports: ``GET /reports/capacity``, the capacity, inclusion and completion figures of the oversight
area, within the reader's scope (``auth.permissions.oversight_scope``). The query is
``oversight.queries.capacity_report``; this module reads the arguments and shapes the answer."""

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api import bp
from api.catalogue import EARLIEST, LATEST, TOKEN, Code
from api.schemas import ErrorSchema
from auth.permissions import OVERSIGHT, allow, oversight_scope
from centres.models import Province
from extensions import db
from language import place_name
from oversight import queries
from oversight.queries import REPORT_GROUPINGS

RATIO = "A number from 0 to 1; null when its denominator is 0."
DEFINITIONS = (
    "Counted cohorts: open, closed, running or finished (not drafts, not cancelled) whose first day lies "
    "between `from` and `to` (each optional, inclusive). `seats`, `enrolled`, `waitlisted` and `pending` add up "
    "the cohorts' figures; `completed` and `dropped` count places. `utilisation` = (enrolled + completed) / "
    "seats. `women_share` = women among enrolled and completed places; `rural_share` = trainees whose area is "
    "rural among enrolled and completed places. `completion_rate` = in finished cohorts, completed / (completed "
    "+ dropped + still enrolled)."
)


class CapacityArgsSchema(Schema):
    group_by = fields.String(load_default="province", validate=validate.OneOf(REPORT_GROUPINGS))
    province = Code(metadata={"description": "Only this province (by code, e.g. PB)."})
    from_ = fields.Date(
        data_key="from",
        validate=validate.Range(EARLIEST, LATEST),
        metadata={"description": "Cohorts starting on or after this day."},
    )
    to = fields.Date(
        validate=validate.Range(EARLIEST, LATEST), metadata={"description": "Cohorts starting on or before this day."}
    )

    @validates_schema
    def period_ordered(self, data: dict, **_kwargs) -> None:
        if "from_" in data and "to" in data and data["to"] < data["from_"]:
            raise ValidationError(_("The period cannot end before it starts (from)."), "to")


class CapacityRowSchema(Schema):
    key = fields.String(
        required=True,
        metadata={"description": "Province, centre or track code; for districts PROVINCE-DISTRICT, e.g. PB-LHR."},
    )
    name = fields.String(required=True)
    cohorts = fields.Integer(required=True)
    seats = fields.Integer(required=True)
    enrolled = fields.Integer(required=True, metadata={"description": "Holding a seat now (not yet completed)."})
    waitlisted = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    dropped = fields.Integer(required=True)
    utilisation = fields.Float(required=True, allow_none=True, metadata={"description": RATIO})
    women_share = fields.Float(required=True, allow_none=True, metadata={"description": RATIO})
    rural_share = fields.Float(required=True, allow_none=True, metadata={"description": RATIO})
    completion_rate = fields.Float(required=True, allow_none=True, metadata={"description": RATIO})


class CapacityReportSchema(Schema):
    group_by = fields.String(required=True)
    province = fields.String(required=True, allow_none=True)
    from_ = fields.Date(required=True, allow_none=True, data_key="from")
    to = fields.Date(required=True, allow_none=True)
    rows = fields.List(
        fields.Nested(CapacityRowSchema), required=True, metadata={"description": "By key; all rows, not paged."}
    )
    totals = fields.Nested(CapacityRowSchema, required=True, metadata={"description": "All rows together."})


@bp.route("/reports/capacity")
@allow(OVERSIGHT)
@bp.arguments(CapacityArgsSchema, location="query")
@bp.response(200, CapacityReportSchema, description=DEFINITIONS)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not an overseer, staff or admin; or a province outside yours.")
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
@bp.doc(security=TOKEN)
def capacity_report(args: dict):
    """Capacity, inclusion and completion, by province, district, centre or track.

    Overseers see their scope (the nation, or their province: another province is refused), centre
    staff their own centres, admins everything. The rows are not paged: there is one per group (at
    most one per centre)."""
    scope = oversight_scope(current_user)
    province_code = args.get("province")
    if province_code is not None and scope.province_id is not None:
        own = db.session.get(Province, scope.province_id)
        if own.code != province_code:
            abort(403, _("Your reports cover %(name)s (%(code)s) only.", name=place_name(own), code=own.code))
    rows = queries.capacity_report(
        scope,
        args["group_by"],
        province_code=province_code,
        starts_from=args.get("from_"),
        starts_to=args.get("to"),
    )
    return {
        "group_by": args["group_by"],
        "province": province_code,
        "from_": args.get("from_"),
        "to": args.get("to"),
        "rows": rows,
        "totals": queries.report_totals(rows),
    }
