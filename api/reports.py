"""Reports: ``GET /reports/outcomes`` (graduates' outcomes per wave, ``oversight.queries.outcomes``),
``GET /reports/capacity``, the capacity, inclusion and completion figures of the oversight area, and
``GET /reports/completion``, attendance, completion by rule and certificates split by gender and area
(``oversight.queries.completion_report``), within the reader's scope (``auth.permissions.oversight_scope``).
This module reads the arguments and shapes the answers."""

from datetime import date

from flask import abort, current_app, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from api import bp
from api.catalogue import EARLIEST, LATEST, TOKEN, Code
from api.schemas import ErrorSchema
from auth.permissions import OVERSIGHT, allow, oversight_scope
from centres.models import Province
from extensions import db
from language import place_name
from oversight import queries
from oversight.completion_figures import (
    COMPLETION_FIGURES,
    COMPLETION_KEYS,
    CompletionFigure,
    completion_definitions_for_api,
)
from oversight.figures import FIGURE_KEYS, FIGURES, Figure, definitions_for_api
from oversight.outcome_figures import OUTCOME_FIGURE_KEYS, OUTCOME_FIGURES, OutcomeFigure, outcome_definitions_for_api
from oversight.queries import REPORT_GROUPINGS, Thresholds
from oversight.queries.outcomes import (
    OUTCOME_GROUPINGS,
    SUPPRESS_BELOW,
    WAVES,
    OutcomeRow,
    headline,
)
from oversight.queries.outcomes import outcomes_report as report_outcomes
from vocabulary import Area, Gender, Mode

# The definitions of ``oversight.figures`` (the pages' "How each figure is worked out"), with the flags'
# default thresholds (``UNDERUSED_BELOW``, ``WOMEN_SHARE_TARGET``: a deployment may set others).
DEFINITIONS = (
    "Selected cohorts: open, closed, running or finished, and (counted apart) cancelled, whose first day lies "
    "between `from` and `to` (each optional, inclusive), narrowed by `mode`, `camps` (training camps, "
    "whatever their rule) and `women_only` (women-only cohorts, whatever their kind). The same filters and "
    "figures as the audit pages; an argument not listed here is refused (422), never ignored.\n\n"
    + definitions_for_api(0.6, 0.5)
    + "\n\n(Flags with the default settings: under-used below 60%, women's share target 50%.)"
)
RATIO = "A number from 0 to 1; null when its denominator is 0."
DAYS = "Days, to one decimal; null when no cohort filled."
# What a query string's yes and no may be (anything else is refused, not read as no).
TRUE, FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


class CapacityArgsSchema(Schema):
    class Meta:
        unknown = RAISE  # an argument the report does not read must not look as if it had been applied

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

    mode = fields.Enum(Mode, by_value=True, metadata={"description": "Only cohorts of this mode."})
    camps = fields.Boolean(
        truthy=TRUE, falsy=FALSE, metadata={"description": "true: training camps only (women-only or not)."}
    )
    women_only = fields.Boolean(
        truthy=TRUE, falsy=FALSE, metadata={"description": "true: women-only cohorts only (camps or not)."}
    )

    @validates_schema
    def period_ordered(self, data: dict, **_kwargs) -> None:
        if "from_" in data and "to" in data and data["to"] < data["from_"]:
            raise ValidationError(_("The period cannot end before it starts (from)."), "to")


def figure_field(figure: Figure) -> fields.Field:
    """The field of one figure, described by its definition."""
    if figure.share:
        return fields.Float(required=True, allow_none=True, metadata={"description": f"{figure.definition} {RATIO}"})
    if figure.days:
        return fields.Float(required=True, allow_none=True, metadata={"description": f"{figure.definition} {DAYS}"})
    return fields.Integer(required=True, metadata={"description": figure.definition})


CapacityRowSchema = Schema.from_dict(
    {
        "key": fields.String(
            required=True,
            metadata={"description": "Province, centre or track code; for districts PROVINCE-DISTRICT, e.g. PB-LHR."},
        ),
        "name": fields.String(required=True),
        **{figure.key: figure_field(figure) for figure in FIGURES},
        "dropped": fields.Integer(required=True, metadata={"description": "Places dropped by staff."}),
        "flags": fields.List(
            fields.String(),
            required=True,
            metadata={"description": "under_used, over_subscribed, women_below_target, outcome_missing."},
        ),
    },
    name="CapacityRow",
)


class FilteredReportSchema(Schema):
    """The arguments a report by cohorts (capacity, completion) was asked with, as it echoes them."""

    group_by = fields.String(required=True)
    province = fields.String(required=True, allow_none=True)
    from_ = fields.Date(required=True, allow_none=True, data_key="from")
    to = fields.Date(required=True, allow_none=True)
    mode = fields.String(required=True, allow_none=True)
    camps = fields.Boolean(required=True)
    women_only = fields.Boolean(required=True)


class CapacityReportSchema(FilteredReportSchema):
    rows = fields.List(
        fields.Nested(CapacityRowSchema), required=True, metadata={"description": "By key; all rows, not paged."}
    )
    totals = fields.Nested(CapacityRowSchema, required=True, metadata={"description": "All rows together."})


@bp.route("/reports/capacity")
@allow(OVERSIGHT)
@bp.arguments(CapacityArgsSchema, location="query", unknown=RAISE)
@bp.response(200, CapacityReportSchema, description=DEFINITIONS)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not an overseer, staff or admin; or a province outside yours.")
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
@bp.doc(security=TOKEN)
def capacity_report(args: dict):
    """Capacity, demand, inclusion and completion, by province, district, centre or track.

    Overseers see their scope (the nation, or their province: another province is refused), centre
    staff their own centres, admins everything. The rows are not paged: there is one per group (at
    most one per centre)."""
    scope = oversight_scope(current_user)
    province_code = report_province(scope, args)
    rows = queries.capacity_report(scope, args["group_by"], province_code=province_code, **cohort_filters(args))
    limits = Thresholds(
        underused_below=current_app.config["UNDERUSED_BELOW"],
        women_share_target=current_app.config["WOMEN_SHARE_TARGET"],
    )
    # Built as JSON directly rather than dumped through ``CapacityReportSchema`` (which still describes it):
    # dumping 500 centre rows of 40 figures field by field took half of the request's time
    # (bench/scale_reports.py). tests/test_api_reports.py checks the answer equals the schema's dump.
    return jsonify(
        {
            **echoed_arguments(args, province_code),
            "rows": [answer_row(row, limits) for row in rows],
            "totals": answer_row(queries.report_totals(rows), limits),
        }
    )


def cohort_filters(args: dict) -> dict:
    """The arguments narrowing the cohorts a report by cohorts counts, as its query takes them."""
    return {
        "starts_from": args.get("from_"),
        "starts_to": args.get("to"),
        "mode": args.get("mode"),
        "camps": args.get("camps", False),
        "women_only": args.get("women_only", False),
    }


def echoed_arguments(args: dict, province_code: str | None) -> dict:
    """The arguments a report by cohorts was asked with, as its answer repeats them (``FilteredReportSchema``)."""
    return {
        "group_by": args["group_by"],
        "province": province_code,
        "from": iso_day(args.get("from_")),
        "to": iso_day(args.get("to")),
        "mode": args["mode"].value if args.get("mode") else None,
        "camps": args.get("camps", False),
        "women_only": args.get("women_only", False),
    }


def iso_day(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def answer_row(row: queries.CapacityReportRow, limits: Thresholds) -> dict:
    """A report row as the API gives it: its figures (``oversight.figures``), dropped places and flags."""
    return {
        "key": row.key,
        "name": row.name,
        **{key: getattr(row, key) for key in FIGURE_KEYS},
        "dropped": row.dropped,
        "flags": [flag.value for flag in queries.flags_of(row, limits)],
    }


# The outcomes report (issue 18) ------------------------------------------------------------------------------

OUTCOME_DEFINITIONS = (
    "Per wave (3, 6 or 12 months after the cohort ended), what the graduates who answered reported, grouped by "
    "`group_by`, within the reader's scope (`province` narrows it to one province). The same figures as the "
    "outcomes page; an argument not listed here is refused (422), never ignored.\n\n" + outcome_definitions_for_api()
)


class OutcomesArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = fields.Integer(
        load_default=3,
        validate=validate.OneOf(WAVES),
        metadata={"description": "The wave: 3, 6 or 12 months after the cohort ended (default 3)."},
    )
    group_by = fields.String(load_default="province", validate=validate.OneOf(OUTCOME_GROUPINGS))
    province = Code(metadata={"description": "Only this province (by code, e.g. PB)."})


def outcome_field(figure: OutcomeFigure) -> fields.Field:
    """The field of one outcome figure, described by its definition; null when suppressed."""
    described = {"description": f"{figure.definition} Null when suppressed (fewer than {SUPPRESS_BELOW})."}
    if figure.kind == "count":
        if figure.key == "waves":
            return fields.Integer(required=True, metadata={"description": figure.definition})
        return fields.Integer(required=True, allow_none=True, metadata=described)
    if figure.kind == "pkr":
        return fields.Float(required=True, allow_none=True, metadata=described)
    return fields.Float(required=True, allow_none=True, metadata=described)


OutcomeRowSchema = Schema.from_dict(
    {
        "key": fields.String(
            required=True,
            metadata={
                "description": "Province, centre, course or track code; PROVINCE-DISTRICT for districts; "
                "female/male/transgender; urban/semi_urban/rural; the partner type; YYYY-MM for months."
            },
        ),
        "name": fields.String(required=True),
        **{figure.key: outcome_field(figure) for figure in OUTCOME_FIGURES},
    },
    name="OutcomeRow",
)


class OutcomeHeadlineSchema(Schema):
    monthly_pkr = fields.Float(
        required=True, allow_none=True, metadata={"description": "Reported monthly earnings in total (PKR)."}
    )
    yearly_pkr = fields.Float(required=True, allow_none=True, metadata={"description": "The same × 12."})
    answers = fields.Integer(required=True, allow_none=True)
    waves = fields.Integer(required=True)
    response_rate = fields.Float(required=True, allow_none=True)


class OutcomesReportSchema(Schema):
    wave = fields.Integer(required=True)
    group_by = fields.String(required=True)
    province = fields.String(required=True, allow_none=True)
    headline = fields.Nested(
        OutcomeHeadlineSchema,
        required=True,
        metadata={"description": "Graduates who answered report PKR N a month in total, from M of K graduates."},
    )
    rows = fields.List(fields.Nested(OutcomeRowSchema), required=True, metadata={"description": "By key; not paged."})
    totals = fields.Nested(OutcomeRowSchema, required=True, metadata={"description": "All rows together."})


@bp.route("/reports/outcomes")
@allow(OVERSIGHT)
@bp.arguments(OutcomesArgsSchema, location="query", unknown=RAISE)
@bp.response(200, OutcomesReportSchema, description=OUTCOME_DEFINITIONS)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not an overseer, staff or admin; or a province outside yours.")
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
@bp.doc(security=TOKEN)
def outcomes_report(args: dict):
    """Graduates' outcomes per wave: response, work, earnings quartiles, women's and rural gaps.

    Overseers see their scope (the nation, or their province: another province is refused), centre staff their
    own centres, admins everything. Figures resting on fewer than 5 answers are null."""
    scope = oversight_scope(current_user)
    province_code = report_province(scope, args)
    report = report_outcomes(scope, args["wave"], args["group_by"], province_code=province_code)
    rows, total = report.rows, report.total
    return jsonify(
        {
            "wave": args["wave"],
            "group_by": args["group_by"],
            "province": province_code,
            "headline": vars(headline(total)),
            "rows": [outcome_row(row) for row in rows],
            "totals": outcome_row(total),
        }
    )


def outcome_row(row: OutcomeRow) -> dict:
    return {"key": row.key, "name": row.name, **{key: getattr(row, key) for key in OUTCOME_FIGURE_KEYS}}


def report_province(scope, args: dict) -> str | None:
    """The ``province`` argument, refused (403) when it lies outside a provincial overseer's province."""
    province_code = args.get("province")
    if province_code is not None and scope.province_id is not None:
        own = db.session.get(Province, scope.province_id)
        if own.code != province_code:
            abort(403, _("Your reports cover %(name)s (%(code)s) only.", name=place_name(own), code=own.code))
    return province_code


# The completion report ---------------------------------------------------------------------------------

COMPLETION_DEFINITIONS = (
    "The cohorts are selected as for `GET /reports/capacity` (same arguments, same scope); an argument not "
    "listed here is refused (422), never ignored.\n\n" + completion_definitions_for_api()
)


def completion_field(figure: CompletionFigure) -> fields.Field:
    if figure.share:
        return fields.Float(
            required=True,
            allow_none=True,
            metadata={"description": f"{figure.definition} {RATIO} Its sample size is `{figure.sample}`."},
        )
    return fields.Integer(required=True, metadata={"description": figure.definition})


CompletionFiguresSchema = Schema.from_dict(
    {figure.key: completion_field(figure) for figure in COMPLETION_FIGURES}, name="CompletionFigures"
)
ByGenderSchema = Schema.from_dict(
    {gender.value: fields.Nested(CompletionFiguresSchema, required=True) for gender in Gender}, name="ByGender"
)
ByAreaSchema = Schema.from_dict(
    {area.value: fields.Nested(CompletionFiguresSchema, required=True) for area in Area}, name="ByArea"
)
CompletionRowSchema = Schema.from_dict(
    {
        "key": fields.String(
            required=True,
            metadata={"description": "Province, centre or track code; for districts PROVINCE-DISTRICT, e.g. PB-LHR."},
        ),
        "name": fields.String(required=True),
        **{figure.key: completion_field(figure) for figure in COMPLETION_FIGURES},
        "by_gender": fields.Nested(
            ByGenderSchema, required=True, metadata={"description": "The same figures for each gender."}
        ),
        "by_area": fields.Nested(ByAreaSchema, required=True, metadata={"description": "The same figures by area."}),
    },
    name="CompletionRow",
)


class CompletionReportSchema(FilteredReportSchema):
    rows = fields.List(
        fields.Nested(CompletionRowSchema),
        required=True,
        metadata={"description": "By key; all rows, not paged. Groups with nothing tallied are absent."},
    )
    totals = fields.Nested(CompletionRowSchema, required=True, metadata={"description": "All rows together."})


@bp.route("/reports/completion")
@allow(OVERSIGHT)
@bp.arguments(CapacityArgsSchema, location="query", unknown=RAISE)
@bp.response(200, CompletionReportSchema, description=COMPLETION_DEFINITIONS)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not an overseer, staff or admin; or a province outside yours.")
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
@bp.doc(security=TOKEN)
def completion_report(args: dict):
    """Attendance, assessment, completion by rule, certificates, at risk and backfilled seats, by province,
    district, centre or track, each split by gender and by area.

    The same scope as the capacity report: overseers see the nation or their province (another province is
    refused), centre staff their own centres, admins everything."""
    scope = oversight_scope(current_user)
    province_code = report_province(scope, args)
    rows = queries.completion_report(scope, args["group_by"], province_code=province_code, **cohort_filters(args))
    return jsonify(
        {
            **echoed_arguments(args, province_code),
            "rows": [completion_row(row) for row in rows],
            "totals": completion_row(queries.completion_totals(rows)),
        }
    )


def completion_figures(figures: queries.CompletionFigures) -> dict:
    return {key: getattr(figures, key) for key in COMPLETION_KEYS}


def completion_row(row: queries.CompletionRow) -> dict:
    """A completion row as the API gives it: its figures, then the same by gender and by area."""
    return {
        "key": row.key,
        "name": row.name,
        **completion_figures(row.figures),
        "by_gender": {gender.value: completion_figures(figures) for gender, figures in row.by_gender.items()},
        "by_area": {area.value: completion_figures(figures) for area, figures in row.by_area.items()},
    }
