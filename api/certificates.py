"""Certificates: anyone verifies a number (the verification page's facts and status, as JSON); a trainee lists
her own; staff of the issuing centre revoke one with a reason (``certificates.services``).

``GET /certificates/<number>`` answers from one indexed query, like the page, and throttles numbers that find
nothing per address (``certificates.routes.UNKNOWN_NUMBER_LIMIT``)."""

from flask import abort
from flask_login import current_user
from marshmallow import Schema, fields, validate

from api import bp
from api.parsing import MultiLineString
from api.schemas import ErrorSchema
from auth.permissions import PUBLIC, STAFF, TRAINEES, allow, get_certificate_or_404
from certificates import services
from certificates.models import Certificate
from certificates.numbers import NotANumber, normalise_number
from certificates.pdf import verification_url
from certificates.routes import unknown_numbers_throttled
from submitting import acting_user, committed
from vocabulary import CertificateStatus, Track

BEARER = [{"bearer": []}]
UNAUTHENTICATED = "No token, or not a valid one."
BAD_TOKEN = "A token was sent that is not valid (a public operation needs none)."


class CertificateSchema(Schema):
    number = fields.String(required=True, metadata={"example": "MKZ-7Q2MX-K9DHT-R"})
    status = fields.Enum(
        CertificateStatus,
        by_value=True,
        required=True,
        metadata={"description": "`valid`, `revoked` (see revoked_reason) or `replaced` (see replaced_by)."},
    )
    full_name = fields.String(required=True, metadata={"description": "Her name as printed."})
    cnic = fields.String(required=True, metadata={"description": "Masked, as printed.", "example": "35202-*******-1"})
    course = fields.String(required=True, metadata={"description": "The course's title, as printed."})
    course_code = fields.String(required=True)
    track = fields.Enum(Track, by_value=True, required=True)
    hours = fields.Integer(required=True)
    centre = fields.String(required=True, metadata={"description": "The centre's name, as printed."})
    centre_code = fields.String(required=True)
    partner = fields.String(required=True)
    cohort = fields.String(required=True, metadata={"description": "The cohort's code."})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    issued_on = fields.Date(required=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    revoked_reason = fields.String(required=True, metadata={"description": "Empty unless revoked."})
    replaced_by = fields.String(
        required=True, allow_none=True, metadata={"description": "The number of the reissued certificate."}
    )
    verify_url = fields.String(required=True, metadata={"description": "The public page the QR code opens."})


class CertificateListSchema(Schema):
    items = fields.List(fields.Nested(CertificateSchema), required=True)


class RevokeSchema(Schema):
    reason = MultiLineString(
        required=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Shown on the verification page.", "example": "Issued to the wrong trainee."},
    )


def certificate_answer(certificate: Certificate, replaced_by: str | None) -> dict:
    return {
        "number": certificate.number,
        "status": certificate.status,
        "full_name": certificate.full_name,
        "cnic": certificate.cnic_masked,
        "course": certificate.course_title,
        "course_code": certificate.course_code,
        "track": certificate.track,
        "hours": certificate.hours,
        "centre": certificate.centre_name,
        "centre_code": certificate.centre_code,
        "partner": certificate.partner_name,
        "cohort": certificate.cohort_code,
        "starts_on": certificate.starts_on,
        "ends_on": certificate.ends_on,
        "issued_on": certificate.issued_on,
        "revoked_at": certificate.revoked_at,
        "revoked_reason": certificate.revoked_reason,
        "replaced_by": replaced_by,
        "verify_url": verification_url(certificate),
    }


@bp.route("/certificates/<number>")
@allow(PUBLIC)
@unknown_numbers_throttled
@bp.response(200, CertificateSchema)
@bp.alt_response(401, schema=ErrorSchema, description=BAD_TOKEN)
@bp.alt_response(404, schema=ErrorSchema, description="No certificate has this number.")
@bp.alt_response(429, schema=ErrorSchema, description="Too many numbers that find nothing, from this address.")
def get_certificate(number: str):
    """Verify a certificate: the facts it printed and whether it is valid, revoked or replaced (anyone).

    The number may be typed any way (case, spaces, dashes)."""
    try:
        found = services.verification(normalise_number(number))
    except NotANumber:
        found = None
    if found is None:
        abort(404)
    return certificate_answer(found.certificate, found.replaced_by_number)


@bp.route("/me/certificates")
@allow(TRAINEES)
@bp.response(200, CertificateListSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not a trainee's account.")
@bp.doc(security=BEARER)
def my_certificates():
    """The caller's own certificates, newest first (valid and revoked; replaced ones are left out)."""
    trainee = current_user.trainee
    mine = services.certificates_of_trainee(trainee) if trainee is not None else []
    return {"items": [certificate_answer(certificate, None) for certificate in mine]}


@bp.route("/certificates/<number>/revoke", methods=["POST"])
@allow(STAFF)
@bp.arguments(RevokeSchema)
@bp.response(200, CertificateSchema)
@bp.alt_response(401, schema=ErrorSchema, description=UNAUTHENTICATED)
@bp.alt_response(403, schema=ErrorSchema, description="Not staff of the issuing centre, nor an admin.")
@bp.alt_response(404, schema=ErrorSchema, description="No certificate has this number.")
@bp.alt_response(409, schema=ErrorSchema, description="`not_valid`: revoked or replaced already.")
@bp.alt_response(422, schema=ErrorSchema, description="No reason, or one over 500 characters.")
@bp.doc(security=BEARER)
def revoke_certificate(body: dict, number: str):
    """Revoke a valid certificate with a reason, shown on its verification page (staff of the issuing
    centre, admins)."""
    certificate = get_certificate_or_404(number, manage=True)
    revoked = services.revoke(certificate, actor=acting_user(), reason=body["reason"])
    return committed(certificate_answer(revoked, None))
