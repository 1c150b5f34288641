"""Tokens and the caller: ``POST /tokens`` (email or mobile number, and password → a bearer token), ``GET /me`` and
``DELETE /tokens/current`` (a program revokes its own token)."""

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from api import bp
from api.auth import bearer_token
from api.schemas import ErrorSchema
from auth.models import ApiToken
from auth.permissions import PUBLIC, SIGNED_IN, allow, staff_centre_ids
from auth.services import authenticate
from auth.throttling import count_failure, throttle_sign_in
from auth.tokens import digest_of, issue_token, revoke_token
from centres.models import Centre
from extensions import db
from refusals import Refusal
from submitting import acting_user, committed


class Unauthenticated(Refusal):
    code, status = "unauthorized", 401


class TokenRequestSchema(Schema):
    email = fields.String(
        validate=validate.Length(min=1, max=254),
        metadata={"description": "The account's email; or give `phone` instead.", "example": "trainee1@markaz.test"},
    )
    phone = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "The account's mobile number, however written (`0300 1234567`, `+92 300 1234567`); "
            "or give `email` instead.",
            "example": "0300 1234567",
        },
    )
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000), load_only=True)
    name = fields.String(load_default="", validate=validate.Length(max=100), metadata={"example": "Punjab IT Board"})

    @validates_schema
    def email_or_phone(self, data: dict, **_kwargs) -> None:
        """One of the two names the account, not both."""
        if "email" in data and "phone" in data:
            raise ValidationError(_("Give email or phone, not both."), "phone")
        if "email" not in data and "phone" not in data:
            raise ValidationError(_("Give the account's email or its mobile number (phone)."), "email")


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "Shown once: keep it secret."})
    expires_at = fields.DateTime(required=True)


class MeSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True, allow_none=True, metadata={"description": "None: signs in by phone."})
    phone = fields.String(required=True, allow_none=True, metadata={"description": "E.164, e.g. +923001234567."})
    full_name = fields.String(required=True)
    role = fields.String(required=True, metadata={"example": "staff"})
    province = fields.String(allow_none=True, metadata={"description": "An overseer's province code (none: nation)."})
    centres = fields.List(fields.String(), required=True, metadata={"description": "Staff: the centres' codes."})
    trainee_id = fields.Integer(allow_none=True, metadata={"description": "A trainee's own record."})


@bp.route("/tokens", methods=["POST"])
@allow(PUBLIC)
@throttle_sign_in
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.alt_response(
    401,
    schema=ErrorSchema,
    description="Wrong email, mobile number or password (or a deactivated account, or one still waiting for the "
    "code sent to its number at sign-up).",
)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="The email or phone (one of them, not both), password or name is missing, too long, or holds a "
    "control character: `fields` says which.",
)
@bp.alt_response(429, schema=ErrorSchema, description="Too many failed attempts (counted with the sign-in page's).")
def create_token(body: dict):
    """Get a token: email or mobile number (`phone`), and password, as on the sign-in page (and throttled
    with it: failures here and there count together, 5 per account and 20 per address in 10 minutes).

    The token lasts `API_TOKEN_DAYS` (30 by default); its owner can list and revoke it on her account's
    API tokens page. An account that signed up with its number gets a token once the number is confirmed
    (by the code sent at sign-up, on the website)."""
    user = authenticate(body.get("email") or body["phone"], body["password"])
    if user is None:
        count_failure()
        raise Unauthenticated(_("Wrong email, mobile number or password."))
    if not user.confirmed:
        raise Unauthenticated(
            _("This account is waiting for the code sent to its mobile number: confirm it on the website first.")
        )
    token, secret = issue_token(user, name=body["name"] or "API", actor=user)
    return committed({"token": secret, "expires_at": token.expires_at})


@bp.route("/me")
@allow(SIGNED_IN)
@bp.response(200, MeSchema)
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one.")
@bp.doc(security=[{"bearer": []}])
def me():
    """Who the token belongs to."""
    user = current_user
    centre_ids = staff_centre_ids(user)
    centres = db.session.scalars(select(Centre.code).where(Centre.id.in_(centre_ids)).order_by(Centre.code))
    return {
        "id": user.id,
        "email": user.email,
        "phone": user.phone,
        "full_name": user.full_name,
        "role": user.role.value,
        "province": user.province.code if user.province is not None else None,
        "centres": list(centres) if centre_ids else [],
        "trainee_id": user.trainee.id if user.trainee is not None else None,
    }


@bp.route("/tokens/current", methods=["DELETE"])
@allow(SIGNED_IN)
@bp.response(204, description="Revoked: this token authenticates nobody from now on.")
@bp.alt_response(401, schema=ErrorSchema, description="No token, or not a valid one (revoked already, expired).")
@bp.doc(security=[{"bearer": []}])
def revoke_current_token():
    """Revoke the token making this request.

    For a program that is done with its token (or fears it has leaked): from now on the token is
    refused with 401. Other tokens of the same account are untouched."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == digest_of(bearer_token())))
    committed(revoke_token(token, actor=acting_user()))
