"""Trainee records: one per CNIC nationally. Staff create them for walk-ins and imports (the API too);
trainees who sign up get theirs through ``auth.services.sign_up_trainee``.

Every value is normalised as people really type it (``enrollments.identity``); a refusal names the
field. Nothing commits here."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from auth.models import UserAccount
from auth.permissions import can_edit_trainee, can_register_trainees
from centres.models import District
from database import utcnow
from enrollments.identity import (
    InvalidInput,
    check_date_of_birth,
    checked,
    normalise_cnic,
    normalise_name,
    normalise_phone,
)
from enrollments.models import Trainee
from extensions import db
from oversight.audit import record, snapshot
from refusals import Conflict, Refusal
from vocabulary import Area, Education, Gender

TRAINEE_FIELDS = ("cnic", "full_name", "gender", "date_of_birth", "phone", "email", "district_id", "area", "education")


class TraineeExists(Conflict):
    """A trainee record with this CNIC exists already; ``trainee`` is it."""

    code = "trainee_exists"

    def __init__(self, trainee: Trainee) -> None:
        super().__init__("A trainee with this CNIC is registered already.", "cnic")
        self.trainee = trainee


@dataclass(frozen=True)
class TraineeDetails:
    """A trainee as staff type her in (or an imported row gives her), before normalisation."""

    cnic: str
    full_name: str
    gender: Gender
    date_of_birth: date
    phone: str
    district_id: int
    area: Area
    education: Education = Education.MATRIC
    email: str | None = None
    disability: bool = False


def find_by_cnic(cnic: str) -> Trainee | None:
    """The trainee with this CNIC however it was typed (None when there is none, or it is no CNIC)."""
    try:
        normalised = normalise_cnic(cnic)
    except InvalidInput:
        return None
    return db.session.scalar(select(Trainee).where(Trainee.cnic == normalised))


def normalised(details: TraineeDetails) -> dict:
    """The stored values of ``details``; raises a refusal naming the first field that is wrong."""
    district = db.session.get(District, details.district_id) if details.district_id else None
    if district is None:
        raise Refusal("Choose the trainee's district from the list.", "district_id")
    email = (details.email or "").strip().lower() or None
    if email is not None and ("@" not in email or len(email) > 254):
        raise Refusal("Enter an email address like name@example.com, or leave it empty.", "email")
    return {
        "cnic": checked("cnic", normalise_cnic, details.cnic),
        "full_name": checked("full_name", normalise_name, details.full_name),
        "gender": details.gender,
        "date_of_birth": checked(
            "date_of_birth", lambda day: check_date_of_birth(day, utcnow().date()), details.date_of_birth
        ),
        "phone": checked("phone", normalise_phone, details.phone),
        "email": email,
        "district_id": district.id,
        "area": details.area,
        "education": details.education,
        "disability": details.disability,
    }


def create_trainee(details: TraineeDetails, *, actor: UserAccount) -> Trainee:
    """Create the national record of a trainee (staff of any centre, or an admin). Raises
    ``TraineeExists`` (carrying the existing record) when the CNIC is registered already."""
    if not can_register_trainees(actor):
        raise Refusal("Only centre staff and admins register trainees.")
    values = normalised(details)
    existing = db.session.scalar(select(Trainee).where(Trainee.cnic == values["cnic"]))
    if existing is not None:
        raise TraineeExists(existing)
    trainee = Trainee(**values)
    db.session.add(trainee)
    db.session.flush()
    record(actor, "trainee.create", trainee, after=snapshot(trainee, TRAINEE_FIELDS))
    return trainee


def update_trainee(trainee: Trainee, details: TraineeDetails, *, actor: UserAccount) -> Trainee:
    """Correct a trainee's record (staff of a centre where she applied, or an admin). The CNIC may be
    corrected too, unless it belongs to another record."""
    if not can_edit_trainee(actor, trainee):
        raise Refusal("Only staff of her centres can correct this record.")
    values = normalised(details)
    clash = db.session.scalar(select(Trainee).where(Trainee.cnic == values["cnic"], Trainee.id != trainee.id))
    if clash is not None:
        raise TraineeExists(clash)
    before = snapshot(trainee, TRAINEE_FIELDS)
    for name, value in values.items():
        setattr(trainee, name, value)
    db.session.flush()
    after = snapshot(trainee, TRAINEE_FIELDS)
    if after != before:
        record(actor, "trainee.update", trainee, before=before, after=after)
    return trainee
