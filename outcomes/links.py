"""The signed links in outcome messages, which work without signing in (many graduates registered at a
walk-in desk have no account): the link to one wave's form, and the opt-out link that stops every outcome
message to her.

A wave's link names the wave and its trainee, signed with the app's secret (its own salt): it opens that wave
only, and the form refuses answers once the wave has closed (the page says so). An opt-out link names the
trainee and only ever turns her consent off (``services.set_outcome_consent(by_link=True)``)."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from enrollments.models import Trainee
from extensions import db
from links import absolute_url
from outcomes.models import OutcomeWave

WAVE_SALT = "markaz.outcome-wave"
OPT_OUT_SALT = "markaz.outcome-opt-out"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _ids(token: str, salt: str, count: int) -> list[int] | None:
    try:
        ids = _serializer(salt).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(ids, list) or len(ids) != count or not all(type(item) is int for item in ids):
        return None
    return ids


def wave_token(wave: OutcomeWave) -> str:
    return _serializer(WAVE_SALT).dumps([wave.id, wave.trainee_id])


def wave_link(wave: OutcomeWave) -> str:
    """The full address of the wave's form, on the public site."""
    return absolute_url("outcomes.answer", token=wave_token(wave))


def wave_for_token(token: str) -> OutcomeWave | None:
    """The wave ``token`` opens, or None for a forged or damaged token (open or closed: the page says which)."""
    ids = _ids(token, WAVE_SALT, 2)
    if ids is None:
        return None
    wave = db.session.get(OutcomeWave, ids[0])
    return wave if wave is not None and wave.trainee_id == ids[1] else None


def opt_out_token(trainee: Trainee) -> str:
    return _serializer(OPT_OUT_SALT).dumps([trainee.id])


def opt_out_link(trainee: Trainee) -> str:
    """The full address of the page that stops her outcome messages."""
    return absolute_url("outcomes.opt_out", token=opt_out_token(trainee))


def trainee_for_opt_out(token: str) -> Trainee | None:
    """The trainee whose opt-out link ``token`` is, or None for a forged or damaged one."""
    ids = _ids(token, OPT_OUT_SALT, 1)
    return db.session.get(Trainee, ids[0]) if ids is not None else None
