"""Trainee records: ``POST /trainees`` (staff register a national record), ``GET /trainees/<id>`` and
``PATCH /trainees/<id>`` (correcting her gender or area, with a reason).

Values are normalised by ``enrollments.trainees`` exactly as on the walk-in desk (a CNIC typed with
dashes or spaces, a phone number in any Pakistani format, names in Urdu or English script); its
refusals name the field. A district is given by id or by name, read by the import's ``DistrictIndex``
(a name held by districts of several provinces means the one in the registering centre's province).
"""

from flask import Response, abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from api import bp
from api.errors import refusal
from api.schemas import ErrorDetailSchema, ErrorSchema, StrictBoolean
from auth.models import UserAccount
from auth.permissions import (
    SIGNED_IN,
    STAFF,
    allow,
    can_manage_centre,
    get_trainee_or_404,
    is_admin,
    masks_identity,
)
from centres.models import Centre, District
from database import utcnow
from enrollments import trainees as records
from enrollments.identity import checked, format_cnic, mask_cnic, mask_phone
from enrollments.imports.districts import DistrictIndex
from enrollments.models import Trainee
from extensions import db
from listing import LARGEST_ID
from outcomes.services import set_outcome_consent
from refusals import Refusal
from submitting import acting_user, committed
from vocabulary import Area, Education, Gender

# Schemas -------------------------------------------------------------------------------------------


class DistrictField(fields.Field):
    """A district given by its id (a JSON number) or its name (a string, English or Urdu script,
    ``"Hyderabad, Sindh"`` when the name alone is ambiguous). Checked against the districts by the view."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(_("Give the district's id (a number) or its name."))
        if isinstance(value, str) and not value.strip():
            raise ValidationError(_("Enter the district."))
        if isinstance(value, str) and len(value) > 120:
            raise ValidationError(_("A district's name is at most 120 characters."))
        return value


class TraineeCreateSchema(Schema):
    cnic = fields.String(
        required=True,
        validate=validate.Length(max=40),
        metadata={"example": "35202-1234567-1", "description": "13 digits, with or without dashes or spaces."},
    )
    full_name = fields.String(
        required=True,
        validate=validate.Length(max=400),
        metadata={"example": "Ayesha Bibi", "description": "As on the CNIC, in any script."},
    )
    gender = fields.Enum(Gender, by_value=True, required=True)
    date_of_birth = fields.Date(required=True, metadata={"example": "2001-04-23"})
    phone = fields.String(
        required=True,
        validate=validate.Length(max=40),
        metadata={"example": "0300 1234567", "description": "Any Pakistani format, or +<country code> ..."},
    )
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    district = DistrictField(
        required=True,
        metadata={
            "oneOf": [{"type": "integer"}, {"type": "string"}],
            "example": "Lahore",
            "description": "The district's id, or its name; a name found in several provinces means the one "
            "in the registering centre's province, or write the province too: `Hyderabad, Sindh`.",
        },
    )
    area = fields.Enum(Area, by_value=True, required=True)
    education = fields.Enum(Education, by_value=True, load_default=None, metadata={"description": "Default: matric."})
    disability = StrictBoolean(load_default=False)
    outcome_consent = StrictBoolean(
        load_default=True,
        metadata={
            "description": "Whether she may be asked by SMS, 3, 6 and 12 months after a course, what work she does "
            "(read her the sentence; default true: she can say no at any time)."
        },
    )
    centre = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=16),
        metadata={
            "example": "PB-LHR-01",
            "description": "The registering centre's code (its staff may then see the record). Default: the "
            "staff member's only centre; required for staff of several centres; optional for admins.",
        },
    )


class TraineeCorrectionSchema(Schema):
    gender = fields.Enum(Gender, by_value=True, metadata={"description": "Her gender as it should be."})
    area = fields.Enum(Area, by_value=True, metadata={"description": "The area she lives in, as it should be."})
    reason = fields.String(
        validate=validate.Length(max=records.MAX_REASON_LENGTH),
        metadata={"description": "Why gender or area is corrected (kept in the audit log). Required with them."},
    )
    outcome_consent = StrictBoolean(
        metadata={
            "description": "Her answer when asked whether she may be asked about her work after a course (no reason "
            "needed: it is hers to give)."
        }
    )


class TraineeDistrictSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    province = fields.String(required=True, metadata={"description": "The province's code."})


class TraineeSchema(Schema):
    id = fields.Integer(required=True)
    cnic = fields.String(
        required=True,
        metadata={"example": "35202-1234567-1", "description": "As printed on the card; masked for overseers."},
    )
    full_name = fields.String(required=True)
    gender = fields.Enum(Gender, by_value=True, required=True)
    date_of_birth = fields.Date(required=True)
    phone = fields.String(
        required=True, metadata={"example": "+923001234567", "description": "E.164; masked for overseers."}
    )
    email = fields.String(allow_none=True)
    district = fields.Nested(TraineeDistrictSchema, required=True)
    area = fields.Enum(Area, by_value=True, required=True)
    education = fields.Enum(Education, by_value=True, required=True)
    disability = fields.Boolean(required=True)
    outcome_consent = fields.Boolean(
        required=True, metadata={"description": "She may be asked about her work 3, 6 and 12 months after a course."}
    )


class TraineeExistsDetailSchema(ErrorDetailSchema):
    trainee_id = fields.Integer(required=True, metadata={"description": "The record that has this CNIC."})


class TraineeExistsErrorSchema(Schema):
    """``{"error": {"code": "trainee_exists", "message", "fields": {"cnic": ...}, "trainee_id"}}``."""

    error = fields.Nested(TraineeExistsDetailSchema, required=True)


# Helpers -------------------------------------------------------------------------------------------


def refusal_with(error: Refusal, **ids: int) -> Response:
    """The API's answer to ``error`` (``api.errors.refusal``: rolled back, the error JSON) with ``ids``
    added to its ``error`` object: the record a conflict is about, so a program can go on with it."""
    body = refusal(error).get_json()
    body["error"].update(ids)
    response = jsonify(body)
    response.status_code = error.status
    return response


def trainee_answer(trainee: Trainee, *, masked: bool) -> dict:
    """A trainee as the API shows her: CNIC as printed on the card, and CNIC and phone masked for
    overseers (``masked``)."""
    district = trainee.district
    return {
        "id": trainee.id,
        "cnic": mask_cnic(trainee.cnic) if masked else format_cnic(trainee.cnic),
        "full_name": trainee.full_name,
        "gender": trainee.gender,
        "date_of_birth": trainee.date_of_birth,
        "phone": mask_phone(trainee.phone) if masked else trainee.phone,
        "email": trainee.email,
        "district": {
            "id": district.id,
            "code": district.code,
            "name": district.name,
            "province": district.province.code,
        },
        "area": trainee.area,
        "education": trainee.education,
        "disability": trainee.disability,
        "outcome_consent": trainee.outcome_consent,
    }


def registering_centre(code: str | None, user: UserAccount) -> Centre | None:
    """The centre a new record is registered at: the one named (403 unless the user manages it), else
    a staff member's only centre; admins may name none."""
    if code:
        centre = db.session.scalar(db.select(Centre).where(Centre.code == code.strip().upper()))
        if centre is None:
            raise Refusal(_("There is no centre with the code %(code)s.", code=code.strip()), "centre")
        if not can_manage_centre(user, centre):
            abort(403, _("You can register trainees only at your own centres."))
        return centre
    if is_admin(user):
        return None
    centres = [membership.centre for membership in user.memberships]
    if not centres:
        abort(403, _("You work at no centre: an admin must add you to one before you can register trainees."))
    if len(centres) > 1:
        codes = ", ".join(sorted(centre.code for centre in centres))
        raise Refusal(
            _("You work at several centres (%(codes)s): say which one registers the trainee.", codes=codes), "centre"
        )
    return centres[0]


def find_district(value: int | str, centre: Centre | None) -> District:
    """The district given by id or by name (``DistrictIndex``: the centre's province settles a name
    that several provinces have). Refused, naming the field ``district``, when there is none."""
    if isinstance(value, int):
        district = db.session.get(District, value) if 0 < value <= LARGEST_ID else None
        if district is None:
            raise Refusal(_("There is no district with the id %(id)s.", id=value), "district")
        return district
    index = DistrictIndex(centre.district.province_id if centre is not None else None)
    return checked("district", index.find, value)


# Operations ----------------------------------------------------------------------------------------


@bp.route("/trainees", methods=["POST"])
@allow(STAFF)
@bp.arguments(TraineeCreateSchema)
@bp.response(201, TraineeSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(
    403, schema=ErrorSchema, description="Not staff or an admin, or the centre named is not one of the caller's."
)
@bp.alt_response(
    409,
    schema=TraineeExistsErrorSchema,
    description="A trainee with this CNIC is registered already: `error.trainee_id` is her record "
    "(register her into a cohort with it).",
)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="A value is wrong (CNIC, name, phone, date of birth, email, an unknown or ambiguous district, "
    "an unknown centre, no centre named by staff of several, or text holding a control character such as NUL): "
    "`fields` says which and why.",
)
@bp.doc(security=[{"bearer": []}])
def create_trainee(body: dict):
    """Register a trainee: her national record, one per CNIC.

    CNIC and phone are accepted as people type them and stored normalised. The record is registered at
    `centre` (its staff may then see it). A CNIC on record already is answered 409 with the existing
    record's id in `error.trainee_id` (and, like a registration by CNIC, the lookup is kept in the audit
    trail: `trainee.lookup`)."""
    user = acting_user()
    centre = registering_centre(body["centre"], user)
    details = records.TraineeDetails(
        cnic=body["cnic"],
        full_name=body["full_name"],
        gender=body["gender"],
        date_of_birth=body["date_of_birth"],
        phone=body["phone"],
        district_id=find_district(body["district"], centre).id,
        area=body["area"],
        education=body["education"] or Education.MATRIC,
        email=body["email"],
        disability=body["disability"],
        outcome_consent=body["outcome_consent"],
    )
    try:
        trainee = records.create_trainee(details, actor=user, centre=centre)
    except records.TraineeExists as error:
        db.session.rollback()
        # Her id is shown, so the lookup is kept in the audit trail, as for a registration by CNIC.
        existing = records.look_up_trainee(body["cnic"], actor=user, centre=centre)
        db.session.commit()
        if existing is None:  # removed meanwhile
            return refusal(error)
        return refusal_with(error, trainee_id=existing.id)
    return committed(trainee_answer(trainee, masked=False))


@bp.route("/trainees/<int:trainee_id>")
@allow(SIGNED_IN)
@bp.response(200, TraineeSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(
    403,
    schema=ErrorSchema,
    description="Not hers, not a trainee of the caller's centres, and not in an overseer's scope.",
)
@bp.alt_response(404, schema=ErrorSchema, description="No trainee has this id.")
@bp.doc(security=[{"bearer": []}])
def get_trainee(trainee_id: int):
    """A trainee record: for the trainee herself, staff of her centres, overseers (CNIC and phone masked)
    and admins."""
    trainee = get_trainee_or_404(trainee_id)
    return trainee_answer(trainee, masked=masks_identity(current_user))


@bp.route("/trainees/<int:trainee_id>", methods=["PATCH"])
@allow(STAFF)
@bp.arguments(TraineeCorrectionSchema)
@bp.response(200, TraineeSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.alt_response(403, schema=ErrorSchema, description="Not an admin, and not staff of a centre where she applied.")
@bp.alt_response(404, schema=ErrorSchema, description="No trainee has this id.")
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="No reason, neither gender, area nor outcome_consent given, a value not among the choices, or "
    "another field (only gender, area, reason and outcome_consent can be changed here): `fields` says which and why.",
)
@bp.doc(security=[{"bearer": []}])
def correct_trainee(body: dict, trainee_id: int):
    """Correct a trainee's gender or area, with a reason, or record her consent to outcome follow-ups
    (`outcome_consent`, audited as `trainee.outcome_consent`): staff of the centres where she applied (or was
    registered) and admins.

    The figures of her cohorts (women, men, transgender and rural among places and people) follow at once;
    one `trainee.correct` audit event keeps what changed and why. Values that are hers already change
    nothing."""
    trainee = get_trainee_or_404(trainee_id)
    if "outcome_consent" in body:
        set_outcome_consent(trainee, body["outcome_consent"], actor=acting_user(), now=utcnow())
    if "outcome_consent" not in body or any(name in body for name in ("gender", "area", "reason")):
        records.correct_trainee(
            trainee,
            actor=acting_user(),
            reason=body.get("reason", ""),
            gender=body.get("gender"),
            area=body.get("area"),
        )
    return committed(trainee_answer(trainee, masked=False))
