"""Trainee records: one per CNIC nationally. Staff create them for walk-ins and imports (the API too);
trainees who sign up get theirs through ``auth.services.sign_up_trainee``.

Every value is normalised as people really type it (``enrollments.identity``); a refusal names the
field. Nothing commits here."""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from audit.events import record, record_many, snapshot
from auth.models import UserAccount
from auth.permissions import (
    can_choose_message_language,
    can_correct_trainee,
    can_edit_trainee,
    can_manage_centre,
    can_register_trainees,
)
from centres.models import Centre, District
from clock import local_today
from database import chunked, utcnow
from enrollments.counters import TRAINED, deltas_for_trainee_change, person_deltas_for_trainee_change
from enrollments.identity import (
    InvalidInput,
    check_date_of_birth,
    checked,
    normalise_cnic,
    normalise_name,
    normalise_phone,
)
from enrollments.models import Enrollment, Trainee
from enrollments.services import NotAllowed, change_counters
from enrollments.tallies import move_trainee_tallies
from extensions import db
from language import current_language, languages
from refusals import Conflict, Refusal
from vocabulary import Area, Education, Gender

TRAINEE_FIELDS = (
    "cnic",
    "full_name",
    "gender",
    "date_of_birth",
    "phone",
    "email",
    "district_id",
    "area",
    "education",
    "outcome_consent",
)


def consent_values(details: "TraineeDetails", trainee: Trainee | None = None) -> dict:
    """The consent columns ``details`` sets: on a new record (``trainee`` None) yes unless it says no; on a
    record, only a change (with when it changed)."""
    if trainee is None:
        consent = details.outcome_consent is not False
        return {"outcome_consent": consent, "outcome_consent_changed_at": None if consent else utcnow()}
    if details.outcome_consent is None or details.outcome_consent == trainee.outcome_consent:
        return {}
    return {"outcome_consent": details.outcome_consent, "outcome_consent_changed_at": utcnow()}


class TraineeExists(Conflict):
    """A trainee record with this CNIC exists already. The refusal does not carry the record: whoever
    shows it (or its id) looks it up with ``look_up_trainee``, which keeps the lookup in the audit trail."""

    code = "trainee_exists"

    def __init__(self) -> None:
        super().__init__(_("A trainee with this CNIC is registered already."), "cnic")


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
    # The language of her SMS and email ("en", "ur"); None: the registering reader's.
    language: str | None = None
    # Whether we may ask her about her work after a course (DESIGN.md, "Outcomes"): None leaves it as it is
    # (a new record: yes, as the sentence she is read says, unless she says no).
    outcome_consent: bool | None = None


def normalised(details: TraineeDetails) -> dict:
    """The stored values of ``details``; raises a refusal naming the first field that is wrong."""
    district = db.session.get(District, details.district_id) if details.district_id else None
    if district is None:
        raise Refusal(_("Choose the trainee's district from the list."), "district_id")
    email = (details.email or "").strip().lower() or None
    if email is not None and ("@" not in email or len(email) > 254):
        raise Refusal(_("Enter an email address like name@example.com, or leave it empty."), "email")
    return {
        "cnic": checked("cnic", normalise_cnic, details.cnic),
        "full_name": checked("full_name", normalise_name, details.full_name),
        "gender": details.gender,
        "date_of_birth": checked(
            "date_of_birth", lambda day: check_date_of_birth(day, local_today()), details.date_of_birth
        ),
        "phone": checked("phone", normalise_phone, details.phone),
        "email": email,
        "district_id": district.id,
        "area": details.area,
        "education": details.education,
        "disability": details.disability,
    }


def require_registrar(actor: UserAccount, centre: Centre | None) -> None:
    if not can_register_trainees(actor) or (centre is not None and not can_manage_centre(actor, centre)):
        raise Refusal(_("Only centre staff and admins register trainees."))


def create_trainee(details: TraineeDetails, *, actor: UserAccount, centre: Centre | None = None) -> Trainee:
    """Create the national record of a trainee (staff of any centre, or an admin), registered at
    ``centre`` when given (its staff may then see her record); her messages are in the language staff
    chose for her, else the one the registering reader uses, until she picks her own. Raises ``TraineeExists``
    when the CNIC is registered already (to show that record, ``look_up_trainee`` it)."""
    require_registrar(actor, centre)
    values = normalised(details)
    if db.session.scalar(select(Trainee.id).where(Trainee.cnic == values["cnic"])) is not None:
        raise TraineeExists()
    trainee = Trainee(
        **values,
        **consent_values(details),
        registered_centre_id=centre.id if centre is not None else None,
        language=message_language_of(details),
    )
    db.session.add(trainee)
    db.session.flush()
    record(
        actor,
        "trainee.create",
        trainee,
        after=snapshot(trainee, TRAINEE_FIELDS),
        centre_id=trainee.registered_centre_id,
    )
    return trainee


@dataclass
class CreatedTrainees:
    """What ``create_trainees`` did, by normalised CNIC: the new records, and the records found."""

    created: dict[str, Trainee]
    existing: dict[str, Trainee]


def create_trainees(details: list[TraineeDetails], *, actor: UserAccount, centre: Centre) -> CreatedTrainees:
    """Create many national records at once (an imported list), registered at ``centre``: what
    ``create_trainee`` does for each, in a few multi-row statements. A CNIC on record already (or
    registered by someone else while this runs) is not created again: its record is returned in
    ``existing``. New records' messages are in the registering reader's language. A value
    ``normalised`` refuses raises that refusal (nothing written): a list
    reaches this only after every row has been checked. One audit event per new record."""
    require_registrar(actor, centre)
    values = {}
    for item in details:
        row = normalised(item) | {"language": message_language_of(item)} | consent_values(item)
        values.setdefault(row["cnic"], row)
    found = {}
    for chunk in chunked(list(values)):
        found.update(
            (trainee.cnic, trainee) for trainee in db.session.scalars(select(Trainee).where(Trainee.cnic.in_(chunk)))
        )
    new = [{**row, "registered_centre_id": centre.id} for cnic, row in values.items() if cnic not in found]
    created: dict[str, Trainee] = {}
    if new:
        # ON CONFLICT DO NOTHING: a record created meanwhile by another transaction is simply found
        # below, instead of failing the whole list on the unique CNIC.
        insert_for = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        now = utcnow()
        statement = insert_for(Trainee).on_conflict_do_nothing(index_elements=["cnic"]).returning(Trainee)
        for trainee in db.session.scalars(statement, [{**row, "created_at": now, "updated_at": now} for row in new]):
            created[trainee.cnic] = trainee
        missed = [row["cnic"] for row in new if row["cnic"] not in created]
        for chunk in chunked(missed):
            found.update(
                (trainee.cnic, trainee)
                for trainee in db.session.scalars(select(Trainee).where(Trainee.cnic.in_(chunk)))
            )
    record_many(
        actor,
        "trainee.create",
        Trainee.__tablename__,
        [
            {"object_id": trainee.id, "after": snapshot(trainee, TRAINEE_FIELDS), "centre_id": centre.id}
            for trainee in created.values()
        ],
    )
    return CreatedTrainees(created=created, existing=found)


def message_language_of(details: TraineeDetails) -> str:
    """The language a new record's messages are written in: the one chosen for her, else the reader's."""
    if details.language is None:
        return current_language()
    if details.language not in languages():
        raise Refusal(_("Choose English or Urdu for the trainee's messages."), "language")
    return details.language


def follow_site_language(trainee: Trainee, language: str) -> bool:
    """She switched the site to ``language``: her SMS and email follow it, unless she chose their language
    herself on her profile (``choose_message_language``). Returns whether their language changed (the page
    tells her so). A preference, not a change to her record: no audit event."""
    if trainee.language_chosen or language not in languages() or trainee.language == language:
        return False
    trainee.language = language
    return True


def choose_message_language(trainee: Trainee, language: str, *, actor: UserAccount) -> Trainee:
    """Write ``trainee``'s SMS and email in ``language`` from now on, whatever language she reads the site in
    (``language_chosen``: switching the site no longer changes it). Only she chooses it
    (``can_choose_message_language``): ``Refusal`` otherwise, and for a language that is not offered. A
    preference, not a change to her record: no audit event."""
    if not can_choose_message_language(actor, trainee):
        raise Refusal(_("Only the trainee chooses the language of their messages."))
    if language not in languages():
        raise Refusal(_("Choose English or Urdu for your messages."), "language")
    trainee.language, trainee.language_chosen = language, True
    db.session.flush()
    return trainee


def look_up_trainee(cnic: str, *, actor: UserAccount, centre: Centre | None) -> Trainee | None:
    """The national record with this CNIC however it was typed, for staff of ``centre`` or an admin (None
    when there is none, or ``cnic`` is no CNIC).

    Staff see any centre's record this way (to reuse the national record rather than create a second), so
    this is the one way to a record by its CNIC, for every path that shows one or its id: the walk-in
    desk's lookup, its register and create steps (a CNIC on record, a refused registration), the API's
    registration by CNIC and its answer to a CNIC on record, an imported list (``record_lookups``). Each
    record found is kept in the audit trail as ``trainee.lookup`` (who looked, at which centre).

    What is learnt from a refusal is learnt all the same: callers commit the event at once, before doing
    anything that may be refused and rolled back (or after rolling a refusal back). Raises ``Refusal``
    unless the actor registers trainees there."""
    require_registrar(actor, centre)
    try:
        normalised = normalise_cnic(cnic)
    except InvalidInput:
        return None
    trainee = db.session.scalar(select(Trainee).where(Trainee.cnic == normalised))
    if trainee is not None:
        record_lookups([trainee], actor=actor, centre=centre)
    return trainee


def record_lookups(trainees: list[Trainee], *, actor: UserAccount, centre: Centre | None) -> None:
    """Keep in the audit trail that ``actor``, working at ``centre``, was shown these national records
    found by CNIC (``look_up_trainee``; an imported list's records found in bulk): one ``trainee.lookup``
    per record, in one statement."""
    record_many(
        actor,
        "trainee.lookup",
        Trainee.__tablename__,
        [{"object_id": trainee.id, "centre_id": centre.id if centre is not None else None} for trainee in trainees],
    )


def recount_her_places(trainee: Trainee, as_counted: SimpleNamespace) -> None:
    """Keep the report counters of her cohorts (women, men, transgender and rural among trained places;
    women and rural among the people her first place's cohort reached) in step when her gender or area
    has been corrected; ``as_counted`` is what they counted her as."""
    if (as_counted.gender, as_counted.area) == (trainee.gender, trainee.area):
        return
    places = db.session.scalars(
        select(Enrollment).where(Enrollment.trainee_id == trainee.id, Enrollment.status.in_(TRAINED))
    )
    for place in places:
        change_counters(place.cohort, **deltas_for_trainee_change(place.status, as_counted, trainee))
    if trainee.first_place_id is not None:
        first_place = db.session.get(Enrollment, trainee.first_place_id)
        change_counters(first_place.cohort, **person_deltas_for_trainee_change(as_counted, trainee))
    # And the oversight tallies (attendance, completion, certificates), which are kept by gender and area.
    move_trainee_tallies(trainee, as_counted.gender, as_counted.area)


def update_trainee(trainee: Trainee, details: TraineeDetails, *, actor: UserAccount) -> Trainee:
    """Correct a trainee's record (staff of a centre where she applied, or an admin). The CNIC may be
    corrected too, unless it belongs to another record."""
    if not can_edit_trainee(actor, trainee):
        raise Refusal(_("Only staff of the trainee's centres can correct this record."))
    values = normalised(details)
    clash = db.session.scalar(select(Trainee.id).where(Trainee.cnic == values["cnic"], Trainee.id != trainee.id))
    if clash is not None:
        raise TraineeExists()
    before = snapshot(trainee, TRAINEE_FIELDS)
    as_counted = SimpleNamespace(gender=trainee.gender, area=trainee.area)
    for name, value in (values | consent_values(details, trainee)).items():
        setattr(trainee, name, value)
    db.session.flush()
    recount_her_places(trainee, as_counted)
    after = snapshot(trainee, TRAINEE_FIELDS)
    if after != before:
        record(actor, "trainee.update", trainee, before=before, after=after)
    return trainee


# What staff may correct on a record without retyping it, and why the reports care: her gender and area
# decide which counters her places are in (``recount_her_places``).
CORRECTABLE_FIELDS = ("gender", "area")
MAX_REASON_LENGTH = 500


def correct_trainee(
    trainee: Trainee,
    *,
    actor: UserAccount,
    reason: str,
    gender: Gender | str | None = None,
    area: Area | str | None = None,
) -> Trainee:
    """Correct her gender and/or area (staff of a centre where she applied, or an admin:
    ``can_correct_trainee``), with a reason; the counters of her cohorts follow (``recount_her_places``)
    and one ``trainee.correct`` audit event keeps before, after and the reason. Nothing changes when
    the values are hers already (no event either).

    Raises ``Refusal`` naming the field: not allowed, no reason or one over 500 characters, a gender or
    area that is not one of the choices, nothing to correct given. Flushes, never commits."""
    if not can_correct_trainee(actor, trainee):
        raise NotAllowed(_("Only staff of her centres can correct this record."))
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_("Give a reason for the correction: it is kept with the record's history."), "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise Refusal(_("The reason is too long: at most %(count)d characters.", count=MAX_REASON_LENGTH), "reason")
    if gender is None and area is None:
        raise Refusal(_("Choose the gender or the area to correct."), "gender")
    values = {}
    if gender is not None:
        values["gender"] = Gender.parse(gender)
        if values["gender"] is None:
            raise Refusal(_("Choose female, male or transgender."), "gender")
    if area is not None:
        values["area"] = Area.parse(area)
        if values["area"] is None:
            raise Refusal(_("Choose urban, semi-urban or rural."), "area")
    before = snapshot(trainee, CORRECTABLE_FIELDS)
    as_counted = SimpleNamespace(gender=trainee.gender, area=trainee.area)
    for name, value in values.items():
        setattr(trainee, name, value)
    after = snapshot(trainee, CORRECTABLE_FIELDS)
    if after == before:
        return trainee
    db.session.flush()
    recount_her_places(trainee, as_counted)
    record(actor, "trainee.correct", trainee, before=before, after=after, reason=reason)
    return trainee
