"""Centres, courses and cohorts: browsed by anyone, cohorts created and changed by their centre's staff.

Lists are pages (``api.schemas.page_of``) in a stable order. Drafts are cohorts only their managers
see (``auth.permissions.can_view_cohort``): to anyone else a draft does not exist (404, absent from
lists). Creating and changing a cohort go through ``courses.cohorts`` (and, for seats and cancelling,
``enrollments.services``); their refusals come out as JSON errors naming the API's field names.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from api import bp
from api.parsing import MultiLineString
from api.schemas import ErrorSchema, PageArgsSchema, StrictBoolean, page_of
from auth.permissions import PUBLIC, STAFF, allow, get_cohort_by_id_or_404, viewable_cohorts
from centres.models import Centre, District, Province
from centres.queries import centres_select
from courses import cohorts as cohort_services
from courses.cohorts import MAX_OFFER_HOURS, MIN_OFFER_HOURS, CohortDetails
from courses.models import Cohort, Course
from database import utcnow
from enrollments import pools
from enrollments.services import MAX_SEATS, MIN_SEATS, cancel_cohort
from enrollments.services.merit import DEFAULT_TEST_WEIGHT
from enrollments.services.offers import DEFAULT_OFFER_HOURS
from extensions import db
from refusals import Refusal
from submitting import acting_user, committed
from vocabulary import (
    RESERVED_POOLS,
    Admission,
    CohortKind,
    CohortStatus,
    Education,
    Level,
    Mode,
    PartnerType,
    Pool,
    Shift,
    Track,
    WomenOnlyAdmits,
)

# Codes of provinces, districts, centres, courses and cohorts: letters, digits, dashes (PB-LHR-01).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
CODE = re.compile(CODE_PATTERN)
# Dates and times a cohort can have: anything else is a typing mistake (and far years overflow).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
OPTIONAL_TOKEN = [{}, {"bearer": []}]  # public; with a token, staff and admins also see their drafts
TOKEN = [{"bearer": []}]
CODE_MESSAGE = _l("A code has 1 to 32 letters, digits and dashes.")
BAD_TOKEN = "A token was sent, but it is not valid (wrong, revoked or expired)."
# The services name the fields of the pages' forms; the API's are named after the JSON body.
API_FIELD_NAMES = {
    "course_id": "course",
    "centre_id": "centre",
    "to": "status",
    **{f"reserved_{pool.value}": f"reserved.{pool.value}" for pool in RESERVED_POOLS},
}


# Fields --------------------------------------------------------------------------------------------


class Code(fields.String):
    """A code, upper-cased (``pb-lhr-01`` is ``PB-LHR-01``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            validate=validate.Regexp(CODE_PATTERN, error=CODE_MESSAGE),
            metadata={"example": "PB-LHR-01"} | kwargs.pop("metadata", {}),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


class CodeOf(fields.String):
    """The code of an existing row of ``model`` (by its ``code`` column, upper-cased); loads as that row.
    ``unknown`` is what a code of no row is told (its ``%(code)s`` filled in)."""

    def __init__(self, model: type, unknown: LazyString, **kwargs) -> None:
        super().__init__(metadata={"pattern": CODE_PATTERN} | kwargs.pop("metadata", {}), **kwargs)
        self.model, self.unknown = model, unknown

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not CODE.match(code):
            raise ValidationError(str(CODE_MESSAGE))
        row = db.session.scalar(select(self.model).where(self.model.code == code))
        if row is None:
            raise ValidationError(self.unknown % {"code": code})
        return row


class SearchText(fields.String):
    """Free text to search for: control characters dropped (PostgreSQL refuses NUL), space trimmed."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return "".join(char for char in text if char.isprintable() or char == " ").strip()


def enum(vocabulary: type, **kwargs) -> fields.Enum:
    return fields.Enum(vocabulary, by_value=True, **kwargs)


def cohort_date(**kwargs) -> fields.Date:
    return fields.Date(validate=validate.Range(EARLIEST, LATEST), **kwargs)


def window_time(**kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        allow_none=True,
        validate=validate.Range(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, tzinfo=UTC)),
        metadata={"description": "With its time zone, e.g. 2025-03-01T09:00:00+05:00. Null: no limit."},
        **kwargs,
    )


# Schemas -------------------------------------------------------------------------------------------


class PlaceSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class CentreSchema(Schema):
    code = fields.String(required=True, metadata={"example": "PB-LHR-01"})
    name = fields.String(required=True)
    district = fields.Nested(PlaceSchema, required=True)
    province = fields.Nested(PlaceSchema, required=True, attribute="district.province")
    partner_type = enum(PartnerType, required=True)
    partner_name = fields.String(required=True)
    women_only = fields.Boolean(required=True, metadata={"description": "A women-only centre."})
    lab_seats = fields.Integer(required=True)
    address = fields.String(required=True)


class PoolSeatsSchema(Schema):
    reserved = fields.Integer(required=True, metadata={"description": "Seats reserved for this category."})
    held = fields.Integer(required=True, metadata={"description": "Of them, held (enrolled or offered)."})
    free = fields.Integer(required=True, metadata={"description": "Of them, free now (0 once released)."})


class ReservedSeatsSchema(Schema):
    women = fields.Nested(PoolSeatsSchema, required=True)
    rural = fields.Nested(PoolSeatsSchema, required=True)
    district = fields.Nested(
        PoolSeatsSchema, required=True, metadata={"description": "Residents of the centre's district."}
    )
    disability = fields.Nested(PoolSeatsSchema, required=True)


def reserved_seats(cohort: Cohort) -> dict:
    """The cohort's reserved seats per category, as ``ReservedSeatsSchema`` shows them."""
    return {
        pool.value: {
            "reserved": pools.reserved(cohort, pool),
            "held": pools.held(cohort, pool),
            "free": pools.free(cohort, pool),
        }
        for pool in RESERVED_POOLS
    }


class ReservedSeatsField(fields.Nested):
    """A cohort's reserved seats per category, counted from its columns (``reserved_seats``)."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return reserved_seats(obj)


class ReleaseTimeField(fields.DateTime):
    """When a cohort's unfilled reserved seats become open: its own time, or 7 days before it starts."""

    def get_value(self, obj, attr, accessor=None, default=None):
        if not pools.total_reserved(obj):
            return None
        return obj.release_at or pools.default_release_at(obj.starts_on).astimezone(UTC)


class ReservedInputSchema(Schema):
    women = fields.Integer(validate=validate.Range(0, MAX_SEATS))
    rural = fields.Integer(validate=validate.Range(0, MAX_SEATS))
    district = fields.Integer(
        validate=validate.Range(0, MAX_SEATS), metadata={"description": "Residents of the centre's district."}
    )
    disability = fields.Integer(validate=validate.Range(0, MAX_SEATS))


def reserved_input(**kwargs) -> fields.Nested:
    return fields.Nested(
        ReservedInputSchema,
        metadata={
            "description": "Seats reserved per category (together no more than the seats); a category left out: "
            "none reserved (on a change: as it is). Open seats go first; unfilled reserved seats become open at "
            "`release_at`."
        },
        **kwargs,
    )


def release_time(**kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        allow_none=True,
        validate=validate.Range(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, tzinfo=UTC)),
        metadata={
            "description": "When unfilled reserved seats become open, with its time zone. Null: 7 days before the "
            "first day."
        },
        **kwargs,
    )


def offer_hours_field(**kwargs) -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(MIN_OFFER_HOURS, MAX_OFFER_HOURS),
        metadata={"description": "How long an offered seat is held for her answer (72 by default)."},
        **kwargs,
    )


def test_weight_field(**kwargs) -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(0, 100),
        metadata={"description": "Merit admission: the test's percent of the total score (70 by default)."},
        **kwargs,
    )


class CohortSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"example": "PB-LHR-01-C03"})
    course = fields.String(required=True, attribute="course.code", metadata={"description": "The course's code."})
    centre = fields.String(required=True, attribute="centre.code", metadata={"description": "The centre's code."})
    kind = enum(CohortKind, required=True)
    women_only = fields.Boolean(required=True)
    women_only_admits = enum(
        WomenOnlyAdmits,
        required=True,
        metadata={"description": "Who a women-only cohort admits: women, or women and transgender people."},
    )
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    seats = fields.Integer(required=True)
    enrolled = fields.Integer(required=True, attribute="enrolled_count")
    waitlisted = fields.Integer(required=True, attribute="waitlisted_count")
    pending = fields.Integer(required=True, attribute="pending_count", metadata={"description": "Awaiting review."})
    seats_left = fields.Integer(required=True)
    status = enum(CohortStatus, required=True)
    admission = enum(Admission, required=True)
    shift = enum(Shift, required=True)
    mode = enum(Mode, required=True)
    applications_open_at = fields.DateTime(required=True, allow_none=True)
    applications_close_at = fields.DateTime(required=True, allow_none=True)
    venue = fields.String(required=True, metadata={"description": "Where a camp away from the centre meets."})
    offered = fields.Integer(
        required=True, attribute="offered_count", metadata={"description": "Seats offered, held until she answers."}
    )
    reserved = ReservedSeatsField(ReservedSeatsSchema, required=True)
    release_at = ReleaseTimeField(
        required=True,
        allow_none=True,
        metadata={"description": "When unfilled reserved seats become open (null: none reserved)."},
    )
    released_at = fields.DateTime(required=True, allow_none=True)
    offers = fields.Boolean(required=True, metadata={"description": "Seats from the waitlist are offered."})
    offer_hours = fields.Integer(required=True)
    test_weight = fields.Integer(
        required=True, metadata={"description": "Merit admission: the test's percent of the total score."}
    )


class CentreDetailSchema(CentreSchema):
    open_cohorts = fields.List(
        fields.Nested(CohortSchema),
        required=True,
        metadata={"description": "Cohorts taking applications now (open, within their window), soonest first."},
    )


class CourseSchema(Schema):
    code = fields.String(required=True, metadata={"example": "SWD-101"})
    title = fields.String(required=True)
    track = enum(Track, required=True)
    summary = fields.String(required=True)
    weeks = fields.Integer(required=True)
    level = enum(Level, required=True)
    min_age = fields.Integer(required=True, allow_none=True)
    max_age = fields.Integer(required=True, allow_none=True)
    min_education = enum(Education, required=True)
    # The completion rule's numbers (issue 17): a trainee completes when her attendance reaches the threshold
    # (she may sit the assessment) and her mark the pass mark. A number, not a string: the pass mark has two
    # decimals at most.
    pass_mark = fields.Float(
        required=True,
        metadata={"description": "The mark (percent, 0-100, two decimals at most) at or above which she passes."},
    )
    attendance_threshold = fields.Integer(
        required=True,
        metadata={"description": "The share of class days (percent, 0-100) she must attend to sit the assessment."},
    )


class CentreArgsSchema(PageArgsSchema):
    province = Code(metadata={"description": "A province's code, e.g. PB."})
    district = Code(
        metadata={"description": "A district's code, e.g. LHR (a few codes repeat across provinces: add province)."}
    )
    q = SearchText(
        validate=validate.Length(max=100), metadata={"description": "Part of the name, partner, district or code."}
    )


class CourseArgsSchema(PageArgsSchema):
    track = enum(Track)


class CohortArgsSchema(PageArgsSchema):
    centre = Code(metadata={"description": "A centre's code."})
    track = enum(Track)
    province = Code(metadata={"description": "A province's code, e.g. PB."})
    women_only = fields.Boolean()
    status = enum(CohortStatus, metadata={"description": "Drafts: only those of centres you manage."})


class CohortCreateSchema(Schema):
    course = CodeOf(Course, _l("No course has the code %(code)s."), required=True, metadata={"example": "SWD-101"})
    centre = CodeOf(Centre, _l("No centre has the code %(code)s."), required=True)
    code = Code(
        metadata={
            "description": "The cohort's code: the centre's code, a dash and the cohort's own part "
            "(PB-LHR-01-C03 at PB-LHR-01); when absent one is made up (<CENTRE>-C<nn>).",
            "example": "PB-LHR-01-C03",
        }
    )
    kind = enum(CohortKind, required=True)
    women_only = StrictBoolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Null or absent: camps are women-only, regular cohorts open to all."},
    )
    women_only_admits = enum(
        WomenOnlyAdmits,
        load_default=WomenOnlyAdmits.WOMEN,
        metadata={"description": "Who a women-only cohort admits (default: women)."},
    )
    starts_on = cohort_date(required=True)
    ends_on = cohort_date(required=True)
    shift = enum(Shift, required=True)
    mode = enum(Mode, required=True)
    seats = fields.Integer(required=True, validate=validate.Range(MIN_SEATS, MAX_SEATS))
    admission = enum(Admission, load_default=Admission.FIRST_COME)
    applications_open_at = window_time()
    applications_close_at = window_time()
    venue = fields.String(load_default="", validate=validate.Length(max=240))
    reserved = reserved_input()
    release_at = release_time()
    offers = StrictBoolean(
        load_default=False, metadata={"description": "Seats from the line are offered (always, for merit admission)."}
    )
    offer_hours = offer_hours_field(load_default=DEFAULT_OFFER_HOURS)
    test_weight = test_weight_field(load_default=DEFAULT_TEST_WEIGHT)
    status = enum(
        CohortStatus,
        load_default=CohortStatus.DRAFT,
        metadata={"description": "draft (the default: only the centre sees it) or open."},
    )


class CohortUpdateSchema(Schema):
    course = CodeOf(
        Course, _l("No course has the code %(code)s."), metadata={"description": "Only while the cohort is a draft."}
    )
    kind = enum(CohortKind)
    women_only = StrictBoolean()
    women_only_admits = enum(WomenOnlyAdmits)
    starts_on = cohort_date()
    ends_on = cohort_date()
    shift = enum(Shift)
    mode = enum(Mode)
    seats = fields.Integer(
        validate=validate.Range(MIN_SEATS, MAX_SEATS),
        metadata={"description": "Raising seats gives them to the waitlist at once; never below those enrolled."},
    )
    admission = enum(Admission)
    applications_open_at = window_time()
    applications_close_at = window_time()
    venue = fields.String(validate=validate.Length(max=240))
    reserved = reserved_input()
    release_at = release_time()
    offers = StrictBoolean()
    offer_hours = offer_hours_field()
    test_weight = test_weight_field()
    status = enum(
        CohortStatus,
        metadata={
            "description": "draft → open; open → closed or running; closed → open or running; running → finished; "
            "any but finished → cancelled (with a reason)."
        },
    )
    reason = MultiLineString(
        validate=validate.Length(max=1000),
        metadata={"description": "Why the cohort is cancelled (status cancelled): every trainee with a place is told."},
    )

    @validates_schema
    def reason_only_to_cancel(self, data: dict, **_kwargs) -> None:
        if "reason" in data and data.get("status") is not CohortStatus.CANCELLED:
            raise ValidationError(_("A reason goes with cancelling: status cancelled."), "reason")


# Helpers -------------------------------------------------------------------------------------------


def one_page(stmt: Select, args: dict) -> dict:
    """The page ``args`` asks for (``page``, ``per_page``) of ``stmt``, which is in a stable order."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def with_places(stmt: Select) -> Select:
    """``stmt`` on Centre joined to its district and province, loaded with it."""
    return (
        stmt.join(Centre.district)
        .join(District.province)
        .options(contains_eager(Centre.district).contains_eager(District.province))
    )


def cohorts_select() -> Select:
    """Cohorts with their course and centre, loaded in the same query."""
    return (
        select(Cohort)
        .join(Cohort.course)
        .join(Cohort.centre)
        .options(contains_eager(Cohort.course), contains_eager(Cohort.centre))
    )


@contextmanager
def api_field_names() -> Iterator[None]:
    """Refusals of the services, with their field named as in the API's JSON (``course``, not
    ``course_id``); the blueprint's handler turns them into the JSON error."""
    try:
        yield
    except Refusal as refusal:
        refusal.field = API_FIELD_NAMES.get(refusal.field, refusal.field)
        raise


@dataclass(frozen=True)
class CentreWithCohorts:
    """A centre, and the cohorts it is taking applications for (for ``CentreDetailSchema``)."""

    centre: Centre
    open_cohorts: list[Cohort]

    def __getattr__(self, name: str):
        return getattr(self.centre, name)


# Centres and courses -------------------------------------------------------------------------------


@bp.route("/centres")
@allow(PUBLIC)
@bp.arguments(CentreArgsSchema, location="query")
@bp.response(200, page_of(CentreSchema, "CentrePage"))
@bp.alt_response(401, schema=ErrorSchema, description=BAD_TOKEN)
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
def list_centres(args: dict):
    """Active centres, by code: filter by province, district (codes) and text.

    `q` matches part of the centre's name, partner, district or code."""
    stmt = centres_select(
        text=args.get("q", ""), province_code=args.get("province"), district_code=args.get("district")
    ).order_by(Centre.code)
    return one_page(stmt, args)


@bp.route("/centres/<code>")
@allow(PUBLIC)
@bp.response(200, CentreDetailSchema)
@bp.alt_response(401, schema=ErrorSchema, description=BAD_TOKEN)
@bp.alt_response(404, schema=ErrorSchema, description="No active centre has this code.")
def get_centre(code: str):
    """A centre, with the cohorts taking applications now.

    Open cohorts are those open for applications whose application window contains this moment,
    soonest start first."""
    if not CODE.match(code):
        abort(404)
    centre = db.one_or_404(
        with_places(select(Centre)).where(Centre.code == code.strip().upper(), Centre.active.is_(True))
    )
    now = utcnow()
    open_cohorts = db.session.scalars(
        cohorts_select()
        .where(Cohort.centre_id == centre.id, Cohort.taking_applications(now))
        .order_by(Cohort.starts_on, Cohort.code)
    ).all()
    return CentreWithCohorts(centre, list(open_cohorts))


@bp.route("/courses")
@allow(PUBLIC)
@bp.arguments(CourseArgsSchema, location="query")
@bp.response(200, page_of(CourseSchema, "CoursePage"))
@bp.alt_response(401, schema=ErrorSchema, description=BAD_TOKEN)
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
def list_courses(args: dict):
    """The course catalogue, by code: filter by track."""
    stmt = select(Course).order_by(Course.code)
    if "track" in args:
        stmt = stmt.where(Course.track == args["track"])
    return one_page(stmt, args)


# Cohorts -------------------------------------------------------------------------------------------


@bp.route("/cohorts")
@allow(PUBLIC)
@bp.arguments(CohortArgsSchema, location="query")
@bp.response(200, page_of(CohortSchema, "CohortPage"))
@bp.alt_response(401, schema=ErrorSchema, description=BAD_TOKEN)
@bp.alt_response(422, schema=ErrorSchema, description="A query argument is not valid (see fields).")
@bp.doc(security=OPTIONAL_TOKEN)
def list_cohorts(args: dict):
    """Cohorts at active centres, by first day then code: filter by centre, track, province, women-only and status.

    Everyone sees every cohort but drafts (cancelled ones included); with a token, centre staff also see
    their own centres' drafts, and admins every draft."""
    stmt = (
        cohorts_select()
        .join(Centre.district)
        .join(District.province)
        .where(Centre.active.is_(True), viewable_cohorts(current_user))
        .order_by(Cohort.starts_on, Cohort.code)
    )
    if "centre" in args:
        stmt = stmt.where(Centre.code == args["centre"])
    if "track" in args:
        stmt = stmt.where(Course.track == args["track"])
    if "province" in args:
        stmt = stmt.where(Province.code == args["province"])
    if "women_only" in args:
        stmt = stmt.where(Cohort.women_only.is_(args["women_only"]))
    if "status" in args:
        stmt = stmt.where(Cohort.status == args["status"])
    return one_page(stmt, args)


@bp.route("/cohorts/<int:cohort_id>")
@allow(PUBLIC)
@bp.response(200, CohortSchema)
@bp.alt_response(401, schema=ErrorSchema, description=BAD_TOKEN)
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort (or a draft of a centre you do not manage).")
@bp.doc(security=OPTIONAL_TOKEN)
def get_cohort(cohort_id: int):
    """A cohort: its dates, seats and how they are taken."""
    return get_cohort_by_id_or_404(cohort_id)


@bp.route("/cohorts", methods=["POST"])
@allow(STAFF)
@bp.arguments(CohortCreateSchema)
@bp.response(201, CohortSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of this centre (nor an admin).")
@bp.alt_response(409, schema=ErrorSchema, description="The cohort code is taken.")
@bp.alt_response(422, schema=ErrorSchema, description="A value is missing or wrong (see fields).")
@bp.doc(security=TOKEN)
def create_cohort(body: dict):
    """Add a cohort at a centre you run: a draft, or open for applications at once.

    Staff of the centre and admins. The centre must be active; on-site cohorts have no more seats than
    the centre's lab seats; camps are women-only unless `women_only` is false (always, at a women-only
    centre)."""
    details = CohortDetails(
        code=body.get("code", ""),
        course_id=body["course"].id,
        centre_id=body["centre"].id,
        kind=body["kind"],
        women_only=body["women_only"],
        women_only_admits=body["women_only_admits"],
        starts_on=body["starts_on"],
        ends_on=body["ends_on"],
        shift=body["shift"],
        mode=body["mode"],
        seats=body["seats"],
        admission=body["admission"],
        applications_open_at=body.get("applications_open_at"),
        applications_close_at=body.get("applications_close_at"),
        venue=body["venue"],
        status=body["status"],
        reserved={Pool(name): count for name, count in body.get("reserved", {}).items()},
        release_at=body.get("release_at"),
        offers=body["offers"],
        offer_hours=body["offer_hours"],
        test_weight=body["test_weight"],
    )
    with api_field_names():
        return committed(cohort_services.create_cohort(details, actor=acting_user()))


DETAIL_FIELDS = frozenset(CohortUpdateSchema().fields) - {"status", "reason"}


def changed_details(cohort: Cohort, body: dict) -> CohortDetails:
    """``cohort``'s details, with those in ``body`` instead (a partial change: what is absent stays)."""
    given = body.get  # an explicit null (a window bound) is kept: it clears the bound

    return CohortDetails(
        code=cohort.code,
        centre_id=cohort.centre_id,
        course_id=body["course"].id if "course" in body else cohort.course_id,
        kind=given("kind", cohort.kind),
        women_only=given("women_only", cohort.women_only),
        women_only_admits=given("women_only_admits", cohort.women_only_admits),
        starts_on=given("starts_on", cohort.starts_on),
        ends_on=given("ends_on", cohort.ends_on),
        shift=given("shift", cohort.shift),
        mode=given("mode", cohort.mode),
        seats=given("seats", cohort.seats),
        admission=given("admission", cohort.admission),
        applications_open_at=given("applications_open_at", cohort.applications_open_at),
        applications_close_at=given("applications_close_at", cohort.applications_close_at),
        venue=given("venue", cohort.venue),
        eligible_province_id=cohort.eligible_province_id,
        eligible_district_id=cohort.eligible_district_id,
        reserved={Pool(name): count for name, count in body.get("reserved", {}).items()},
        release_at=given("release_at", cohort.release_at),
        offers=given("offers", cohort.offers),
        offer_hours=given("offer_hours", cohort.offer_hours),
        test_weight=given("test_weight", cohort.test_weight),
    )


@bp.route("/cohorts/<int:cohort_id>", methods=["PATCH"])
@allow(STAFF)
@bp.arguments(CohortUpdateSchema, required=False)  # no body: nothing to change, the cohort as it is
@bp.response(200, CohortSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of this cohort's centre (nor an admin).")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort (or a draft of a centre you do not manage).")
@bp.alt_response(
    409, schema=ErrorSchema, description="Not possible now: a finished or cancelled cohort, or a status change."
)
@bp.alt_response(422, schema=ErrorSchema, description="A value is wrong, e.g. fewer seats than trainees enrolled.")
@bp.doc(security=TOKEN)
def update_cohort(body: dict, cohort_id: int):
    """Change a cohort: seats, dates, window, status and its other details; what is not sent stays.

    Raising the seats gives the new seats to the waitlist at once, in order of application; seats never
    go below the trainees enrolled. The status moves draft → open → closed/running → finished (closed
    can open again); `cancelled` with a `reason` cancels the cohort and every place in it. Details change
    first, then the status; all of it, or nothing."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    actor = acting_user()
    with api_field_names():
        if body.keys() & DETAIL_FIELDS:
            cohort_services.update_cohort(cohort, changed_details(cohort, body), actor=actor)
        status = body.get("status")
        if status is CohortStatus.CANCELLED and cohort.status is not CohortStatus.CANCELLED:
            cancel_cohort(cohort, actor=actor, reason=body.get("reason", ""))
        elif status is not None and status is not cohort.status:
            cohort_services.change_status(cohort, status, actor=actor)
    return committed(db.session.get(Cohort, cohort_id))
