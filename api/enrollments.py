"""Places in cohorts: applying and registering, rosters, a trainee's own places, and staff decisions.

Every state change is one call of ``enrollments.services`` (the rules, the locks, the audit event and
the trainee's message are theirs) and one commit; their refusals come out as JSON with their own
status (``api.errors``). Answers:

- ``POST /cohorts/<id>/enrollments`` answers 201 with the new place. A second application for the same
  cohort (by her, or staff registering her again) writes nothing and answers **409** ``already_applied``
  with the existing place's id in ``error.enrollment_id`` (DESIGN.md: "409 duplicate"), whatever that
  place's state; a program that lost the first answer reads its place there.
- Withdrawing or dropping a place that held a seat gives the seat at once to the first eligible trainee
  in line; the answer names her place in ``promoted_enrollment_id`` (null when nobody was promoted).
"""

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from api import bp
from api.errors import error_response
from api.parsing import MultiLineString
from api.schemas import ErrorDetailSchema, ErrorSchema, PageArgsSchema, page_of
from api.trainees import refusal_with
from auth.permissions import (
    SIGNED_IN,
    STAFF,
    TRAINEES,
    TRAINEES_AND_STAFF,
    allow,
    can_manage_cohort,
    can_view_trainee,
    get_cohort_and_places_or_404,
    get_cohort_by_id_or_404,
    get_enrollment_or_404,
)
from courses.models import Cohort
from enrollments import services
from enrollments.identity import checked, normalise_cnic
from enrollments.models import Enrollment, Trainee
from enrollments.trainees import look_up_trainee
from extensions import db
from listing import LARGEST_ID
from refusals import Conflict, Refusal
from submitting import acting_user, committed
from vocabulary import EnrollmentSource, EnrollmentStatus, Mode, Pool, Shift

S = EnrollmentStatus
BEARER = [{"bearer": []}]
UNAUTHENTICATED = "No token, or not a valid one."


class AlreadyApplied(Conflict):
    """The trainee has a place (in any state) in this cohort already: one enrollment per (trainee, cohort)."""

    code = "already_applied"


class UnknownTrainee(Refusal):
    code = "unknown_trainee"


# Schemas -------------------------------------------------------------------------------------------


class EnrollmentRequestSchema(Schema):
    trainee_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "Staff and admins: the trainee to register, one whose record they may see (she applied "
            "or was registered at one of their centres). Trainees apply for themselves: omit it."
        },
    )
    cnic = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={
            "description": "Staff and admins, instead of trainee_id: her CNIC, typed any way (the national "
            "record, as at the walk-in desk; each lookup is kept in the audit trail).",
            "example": "35202-1234567-1",
        },
    )


class EnrollmentSchema(Schema):
    id = fields.Integer(required=True)
    trainee_id = fields.Integer(required=True)
    cohort_id = fields.Integer(required=True)
    status = fields.Enum(S, by_value=True, required=True)
    waitlist_position = fields.Integer(
        allow_none=True, required=True, metadata={"description": "1 = next to get a seat; null unless waitlisted."}
    )
    source = fields.Enum(EnrollmentSource, by_value=True, required=True)
    applied_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    reason = fields.String(required=True, metadata={"description": "A staff decision's reason (empty if none)."})
    pool = fields.Enum(
        Pool,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={"description": "Where her seat came from: open, or reserved for a category (null: never held one)."},
    )
    offer_expires_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "While offered: she answers by then."}
    )


class EnrollmentChangeSchema(EnrollmentSchema):
    promoted_enrollment_id = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "The waitlisted place that got the freed seat (null: none was freed or taken)."},
    )


REASON_REQUIRED = services.ReasonRequired().message


class ReasonSchema(Schema):
    reason = MultiLineString(
        required=True,
        validate=[validate.Regexp(r"^\s*\S", error=REASON_REQUIRED), validate.Length(max=2000)],
        error_messages={"required": REASON_REQUIRED},
        metadata={"description": "Told to the trainee.", "example": "Absent for three weeks without a word."},
    )


class WithdrawSchema(Schema):
    reason = MultiLineString(load_default="", validate=validate.Length(max=2000), metadata={"description": "Optional."})


class RosterArgsSchema(PageArgsSchema):
    status = fields.Enum(S, by_value=True, metadata={"description": "Only places in this state."})


class RosterEntrySchema(Schema):
    id = fields.Integer(required=True)
    trainee_id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    status = fields.Enum(S, by_value=True, required=True)
    source = fields.Enum(EnrollmentSource, by_value=True, required=True)
    applied_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    waitlist_position = fields.Integer(allow_none=True, required=True)


class MyEnrollmentSchema(Schema):
    id = fields.Integer(required=True)
    cohort_id = fields.Integer(required=True)
    cohort_code = fields.String(required=True)
    course_title = fields.String(required=True)
    centre_code = fields.String(required=True)
    centre_name = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    shift = fields.Enum(Shift, by_value=True, required=True)
    mode = fields.Enum(Mode, by_value=True, required=True)
    status = fields.Enum(S, by_value=True, required=True)
    waitlist_position = fields.Integer(allow_none=True, required=True)
    applied_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    reason = fields.String(required=True)


class EnrollmentConflictDetailSchema(ErrorDetailSchema):
    enrollment_id = fields.Integer(metadata={"description": "`already_applied`: the place she has in this cohort."})


class EnrollmentConflictSchema(Schema):
    """A 409 of ``POST /cohorts/<id>/enrollments``: ``error.enrollment_id`` for ``already_applied``."""

    error = fields.Nested(EnrollmentConflictDetailSchema, required=True)


RosterPageSchema = page_of(RosterEntrySchema, "RosterPage")
MyEnrollmentPageSchema = page_of(MyEnrollmentSchema, "MyEnrollmentPage")


# Helpers -------------------------------------------------------------------------------------------


def enrollment_answer(enrollment: Enrollment, *, position: int | None = None) -> dict:
    """The place as the API shows it; ``position``: her place in line when the caller knows it already."""
    return {
        "id": enrollment.id,
        "trainee_id": enrollment.trainee_id,
        "cohort_id": enrollment.cohort_id,
        "status": enrollment.status,
        "waitlist_position": position or services.waitlist_position(enrollment),
        "source": enrollment.source,
        "applied_at": enrollment.applied_at,
        "decided_at": enrollment.decided_at,
        "reason": enrollment.reason or "",
        "pool": enrollment.pool,
        "offer_expires_at": enrollment.offer_expires_at,
    }


def freed_answer(freed: services.FreedPlace) -> dict:
    promoted = freed.promoted.id if freed.promoted is not None else None
    return enrollment_answer(freed.enrollment) | {"promoted_enrollment_id": promoted}


def trainee_to_place(body: dict, cohort: Cohort) -> tuple[Trainee, bool]:
    """Who takes the place, and whether she applies herself (a trainee) or is registered (staff, admins)."""
    user = current_user
    if TRAINEES.admits(user):
        trainee = user.trainee
        if trainee is None:
            abort(403, _("This account has no trainee record: ask your centre to link it."))
        if body["trainee_id"] not in (None, trainee.id) or body["cnic"]:
            abort(403, _("Trainees apply only for their own place: leave out trainee_id and cnic."))
        return trainee, True
    if not can_manage_cohort(user, cohort):  # before any lookup: nothing is found for a cohort not hers
        raise services.NotAllowed(_("Only staff of this centre can register trainees here."))
    if body["cnic"] and body["trainee_id"] is not None:
        raise Refusal(_("Give trainee_id or cnic, not both."), "cnic")
    if body["cnic"]:
        checked("cnic", normalise_cnic, body["cnic"])  # a CNIC that cannot be one is said so, not "not found"
        trainee = look_up_trainee(body["cnic"], actor=user, centre=cohort.centre)
        # The lookup's audit event is kept even when the rules then refuse the registration (which rolls
        # back): what a refusal says about her is still something this caller learnt.
        db.session.commit()
        if trainee is None:
            raise UnknownTrainee(
                _("No trainee has this CNIC: create the trainee's record first (POST /trainees)."), "cnic"
            )
        return trainee, False
    if body["trainee_id"] is None:
        raise Refusal(_("Say which trainee to register: trainee_id or cnic."), "trainee_id")
    trainee = db.session.get(Trainee, body["trainee_id"]) if body["trainee_id"] <= LARGEST_ID else None
    # A record staff may not see is answered like one that does not exist: ids are not to be tried
    # one after another to read other centres' trainees. The national record is found by CNIC.
    if trainee is None or not can_view_trainee(user, trainee):
        raise UnknownTrainee(
            _(
                "There is no trainee with the id %(id)s among your centres' records: "
                "register the trainee by CNIC instead.",
                id=body["trainee_id"],
            ),
            "trainee_id",
        )
    return trainee, False


def already_applied(enrollment: Enrollment, *, herself: bool) -> AlreadyApplied:
    state = enrollment.status.label.lower()
    if herself:
        return AlreadyApplied(_("You have applied to this cohort already: your place is %(state)s.", state=state))
    return AlreadyApplied(_("This trainee is in this cohort already: the place is %(state)s.", state=state))


# Applying and registering --------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/enrollments", methods=["POST"])
@allow(TRAINEES_AND_STAFF)
@bp.arguments(EnrollmentRequestSchema)
@bp.response(201, EnrollmentSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(
    403,
    schema=ErrorSchema,
    description="Overseers; a trainee naming someone else; staff of another centre (`forbidden`).",
)
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort (drafts are visible to their centre only).")
@bp.alt_response(
    409,
    schema=EnrollmentConflictSchema,
    description="`already_applied` (with `error.enrollment_id`), `applications_closed`, `too_many_places`, "
    "`overlapping_place`.",
)
@bp.alt_response(
    422, schema=ErrorSchema, description="`not_eligible` (women-only, age, education), `unknown_trainee`, bad input."
)
@bp.doc(security=BEARER)
def create_enrollment(body: dict, cohort_id: int):
    """Apply (a trainee, for herself: empty body) or register a trainee (staff, admins: `trainee_id`).

    First come: `enrolled` while seats are free, then `waitlisted` at the end of the line
    (`waitlist_position`); reviewed admission: `pending`. Registered places have source `walk_in`."""
    if TRAINEES.admits(current_user) and current_user.trainee is not None:  # her places are read with the cohort
        cohort, places = get_cohort_and_places_or_404(cohort_id, current_user.trainee)
    else:
        cohort, places = get_cohort_by_id_or_404(cohort_id, details=True), None
    trainee, herself = trainee_to_place(body, cohort)
    if herself:
        placement = services.apply(trainee, cohort, actor=acting_user(), places=places)
    else:
        placement = services.register(trainee, cohort, actor=acting_user())
    if not placement.created:
        existing = placement.enrollment
        return refusal_with(already_applied(existing, herself=herself), enrollment_id=existing.id)
    return committed(enrollment_answer(placement.enrollment, position=placement.waitlist_position))


# Reading -------------------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/enrollments")
@allow(STAFF)
@bp.arguments(RosterArgsSchema, location="query")
@bp.response(200, RosterPageSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such cohort.")
@bp.alt_response(422, schema=ErrorSchema, description="A status, page or per_page that is not valid.")
@bp.doc(security=BEARER)
def list_enrollments(args: dict, cohort_id: int):
    """A cohort's roster, in waitlist order (order of application; in a merit cohort, the merit list's
    rank), with each waitlisted place's position in line."""
    cohort = get_cohort_by_id_or_404(cohort_id, manage=True)
    where = [Enrollment.cohort_id == cohort.id]
    if "status" in args:
        where.append(Enrollment.status == args["status"])
    order = services.line_order(cohort)
    # Waitlisted places up to and including each row, in the line's order: the row's position in line.
    in_line = func.sum(case((Enrollment.status == S.WAITLISTED, 1), else_=0)).over(order_by=order)
    total = db.session.scalar(select(func.count()).select_from(Enrollment).where(*where))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.execute(
        select(Enrollment, Trainee.full_name, in_line)
        .join(Trainee, Trainee.id == Enrollment.trainee_id)
        .where(*where)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [
        {
            "id": enrollment.id,
            "trainee_id": enrollment.trainee_id,
            "full_name": full_name,
            "status": enrollment.status,
            "source": enrollment.source,
            "applied_at": enrollment.applied_at,
            "decided_at": enrollment.decided_at,
            "waitlist_position": position if enrollment.status is S.WAITLISTED else None,
        }
        for enrollment, full_name, position in rows
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.route("/me/enrollments")
@allow(TRAINEES)
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, MyEnrollmentPageSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not a trainee's account.")
@bp.alt_response(422, schema=ErrorSchema, description="A page or per_page that is not valid.")
@bp.doc(security=BEARER)
def my_enrollments(args: dict):
    """The caller's own places and applications, latest first, with her place in each waitlist."""
    trainee = current_user.trainee
    page, per_page = args["page"], args["per_page"]
    if trainee is None:
        return {"items": [], "page": page, "per_page": per_page, "total": 0}
    mine = Enrollment.trainee_id == trainee.id
    total = db.session.scalar(select(func.count()).select_from(Enrollment).where(mine))
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(mine)
        .options(
            selectinload(Enrollment.cohort).selectinload(Cohort.course),
            selectinload(Enrollment.cohort).selectinload(Cohort.centre),
        )
        .order_by(Enrollment.applied_at.desc(), Enrollment.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [
        {
            "id": enrollment.id,
            "cohort_id": enrollment.cohort_id,
            "cohort_code": enrollment.cohort.code,
            "course_title": enrollment.cohort.course.title,
            "centre_code": enrollment.cohort.centre.code,
            "centre_name": enrollment.cohort.centre.name,
            "starts_on": enrollment.cohort.starts_on,
            "ends_on": enrollment.cohort.ends_on,
            "shift": enrollment.cohort.shift,
            "mode": enrollment.cohort.mode,
            "status": enrollment.status,
            "waitlist_position": services.waitlist_position(enrollment),
            "applied_at": enrollment.applied_at,
            "decided_at": enrollment.decided_at,
            "reason": enrollment.reason or "",
        }
        for enrollment in enrollments
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.route("/enrollments/<int:enrollment_id>")
@allow(SIGNED_IN)
@bp.response(200, EnrollmentSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Neither her own place nor one of the caller's centres.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.doc(security=BEARER)
def get_enrollment(enrollment_id: int):
    """One place: for its trainee, staff of the cohort's centre and admins."""
    return enrollment_answer(get_enrollment_or_404(enrollment_id, own_allowed=True))


# Changing a place ----------------------------------------------------------------------------------


@bp.route("/enrollments/<int:enrollment_id>/withdraw", methods=["POST"])
@allow(SIGNED_IN)
@bp.arguments(WithdrawSchema)
@bp.response(200, EnrollmentChangeSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Neither her own place nor one of the caller's centres.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: the place has ended already.")
@bp.alt_response(422, schema=ErrorSchema, description="A reason that is not valid.")
@bp.doc(security=BEARER)
def withdraw_enrollment(body: dict, enrollment_id: int):
    """Withdraw a place (the trainee, or staff of its centre; `reason` optional). A freed seat goes at
    once to the first eligible trainee in line: `promoted_enrollment_id`."""
    enrollment = get_enrollment_or_404(enrollment_id, own_allowed=True)
    return committed(freed_answer(services.withdraw_place(enrollment, actor=acting_user(), reason=body["reason"])))


@bp.route("/enrollments/<int:enrollment_id>/accept", methods=["POST"])
@allow(SIGNED_IN)
@bp.response(200, EnrollmentSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Neither her own offer nor one of the caller's centres.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: no open offer (answered, or expired).")
@bp.doc(security=BEARER)
def accept_offer(enrollment_id: int):
    """Accept a seat offered (the trainee, or staff of its centre), before its deadline: `enrolled`."""
    enrollment = get_enrollment_or_404(enrollment_id, own_allowed=True)
    return committed(enrollment_answer(services.accept(enrollment, actor=acting_user())))


@bp.route("/enrollments/<int:enrollment_id>/decline", methods=["POST"])
@allow(SIGNED_IN)
@bp.response(200, EnrollmentChangeSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Neither her own offer nor one of the caller's centres.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: no open offer (answered, or expired).")
@bp.doc(security=BEARER)
def decline_offer(enrollment_id: int):
    """Decline a seat offered (the trainee, or staff of its centre): `declined`; the seat goes at once to
    the next in line who qualifies for it (`promoted_enrollment_id`, offered to her in turn)."""
    enrollment = get_enrollment_or_404(enrollment_id, own_allowed=True)
    promoted = services.decline(enrollment, actor=acting_user())
    return committed(enrollment_answer(enrollment) | {"promoted_enrollment_id": promoted.id if promoted else None})


@bp.route("/enrollments/<int:enrollment_id>/approve", methods=["POST"])
@allow(STAFF)
@bp.response(200, EnrollmentSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: the place is not pending.")
@bp.doc(security=BEARER)
def approve_enrollment(enrollment_id: int):
    """Approve a pending application: `enrolled` if a seat is free, else `waitlisted` in order of
    application."""
    return committed(enrollment_answer(services.approve(get_enrollment_or_404(enrollment_id), actor=acting_user())))


@bp.route("/enrollments/<int:enrollment_id>/reject", methods=["POST"])
@allow(STAFF)
@bp.arguments(ReasonSchema)
@bp.response(200, EnrollmentSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: the place is neither pending nor waitlisted.")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="No reason given (the trainee is told the reason), or one holding a control character.",
)
@bp.doc(security=BEARER)
def reject_enrollment(body: dict, enrollment_id: int):
    """Reject a pending or waitlisted application, with a reason the trainee is told."""
    enrollment = get_enrollment_or_404(enrollment_id)
    return committed(enrollment_answer(services.reject(enrollment, actor=acting_user(), reason=body["reason"])))


@bp.route("/enrollments/<int:enrollment_id>/drop", methods=["POST"])
@allow(STAFF)
@bp.arguments(ReasonSchema)
@bp.response(200, EnrollmentChangeSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the cohort's centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No such enrollment.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_possible`: the trainee is not enrolled.")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="No reason given (the trainee is told the reason), or one holding a control character.",
)
@bp.doc(security=BEARER)
def drop_enrollment(body: dict, enrollment_id: int):
    """Drop an enrolled trainee, with a reason she is told. Her seat goes at once to the first eligible
    trainee in line: `promoted_enrollment_id`."""
    enrollment = get_enrollment_or_404(enrollment_id)
    return committed(freed_answer(services.drop_place(enrollment, actor=acting_user(), reason=body["reason"])))


@bp.route("/enrollments/<int:enrollment_id>/complete", methods=["POST"])
@allow(STAFF)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="Not an enrollment id (the path does not match).")
@bp.alt_response(
    410,
    schema=ErrorSchema,
    description="`gone`: completion is decided by rule when the cohort finishes (`PATCH /cohorts/<id>` with "
    '`{"status": "finished"}`), after marks are entered (`PUT /cohorts/<id>/marks`).',
)
@bp.doc(security=BEARER, deprecated=True)
def complete_enrollment(enrollment_id: int):
    """Gone: a trainee is no longer marked completed by hand. Enter marks (`PUT /cohorts/<id>/marks`) and
    finish the cohort (`PATCH /cohorts/<id>` `{"status": "finished"}`): every enrolled trainee is then
    completed (attendance threshold met and mark at or above the pass mark; her certificate issued) or not
    completed, with the reason. Always answers 410, whatever the enrollment; nothing is changed."""
    return error_response(
        410,
        _(
            "Completing one trainee by hand is no longer possible: enter the marks and finish the cohort, and "
            "every trainee is decided by the rule."
        ),
        code="gone",
    )
