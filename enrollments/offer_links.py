"""The signed link in an offer's SMS and email: whoever holds it can accept or decline that one offer,
signed in or not (many trainees registered at a walk-in desk have no account). The link names the
enrollment and the offer's deadline, signed with the app's secret; it stops working once the offer ends
(answered, expired) because the deadline it names is no longer the offer's."""

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from enrollments.models import Enrollment
from extensions import db
from links import absolute_url
from vocabulary import EnrollmentStatus

SALT = "markaz.offer"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def offer_token(enrollment: Enrollment) -> str:
    """The token of the link to ``enrollment``'s open offer."""
    return _serializer().dumps([enrollment.id, _stamp(enrollment.offer_expires_at)])


def offer_link(enrollment: Enrollment) -> str:
    """The full address of the offer's page, on the public site."""
    return absolute_url("enrollments.offer", token=offer_token(enrollment))


def offer_for_token(token: str) -> Enrollment | None:
    """The enrollment whose open offer ``token`` answers, or None: a forged or damaged token, or one for
    an offer that has ended (its deadline is no longer the offer's: accepted, declined, expired)."""
    try:
        enrollment_id, stamp = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(enrollment_id, int) or not isinstance(stamp, int):
        return None
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.status is not EnrollmentStatus.OFFERED or enrollment.offer_expires_at is None:
        return None
    return enrollment if _stamp(enrollment.offer_expires_at) == stamp else None
