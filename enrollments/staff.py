"""The walk-in desk of a centre: staff look a trainee up by CNIC (her national record and where she has
trained), then register her into one of the centre's open cohorts, or create her record and register
her in one go. Centre staff (their own centres) and admins; the rules live in ``enrollments.trainees``
and ``enrollments.services``.

Every step is a POST, so that CNICs stay out of URLs and server logs. Every step that finds a national
record by CNIC (looking her up, registering her, creating a record for a CNIC that has one) keeps that
lookup in the audit trail (``enrollments.trainees.look_up_trainee``) and commits it before anything
else, so that a refused registration, which writes nothing else, still leaves that trace; each such
step shows no more of her than the lookup itself does (the found page). Registering commits once more."""

from dataclasses import dataclass

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth.permissions import STAFF, allow, get_centre_or_404
from centres.models import Centre
from courses.models import Cohort
from enrollments import bp
from enrollments.eligibility import requirements, unmet_personal_requirements
from enrollments.identity import format_cnic, normalise_cnic
from enrollments.models import Enrollment, Trainee
from enrollments.services import Placement, Prospect, prospect, register, waitlist_position
from enrollments.trainees import TraineeDetails, TraineeExists, create_trainee, look_up_trainee
from enrollments.walk_in_forms import (
    CREATE,
    ELIGIBILITY,
    REGISTER,
    CohortChoiceForm,
    EligibilityForm,
    LookupForm,
    NewTraineeForm,
    PersonFields,
    RegisterForm,
)
from extensions import db
from language import long_date
from submitting import acting_user, form_status, run
from vocabulary import Admission, CohortStatus, EnrollmentSource, EnrollmentStatus

S = EnrollmentStatus
# What staff may still click: the others would only be refused.
SELECTABLE = frozenset({"apply", "waitlist", "applied", "sign_in"})


@dataclass(frozen=True)
class CohortOption:
    """One of the centre's open cohorts as the desk offers it: what registering her would do."""

    cohort: Cohort
    note: str
    selectable: bool


def open_cohorts(centre: Centre) -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort)
            .where(Cohort.centre_id == centre.id, Cohort.status == CohortStatus.OPEN)
            .options(selectinload(Cohort.course))
            .order_by(Cohort.starts_on, Cohort.code)
        )
    )


def history(trainee: Trainee) -> list[Enrollment]:
    """Places and applications at every centre, latest first."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.trainee_id == trainee.id)
            .options(
                selectinload(Enrollment.cohort).selectinload(Cohort.centre),
                selectinload(Enrollment.cohort).selectinload(Cohort.course),
            )
            .order_by(Enrollment.applied_at.desc())
        )
    )


def outlook(found: Prospect, cohort: Cohort) -> str:
    """What registering would do, in a few words for the desk."""
    if found.action == "applied":
        place = found.enrollment.status.label.lower()
        if found.waitlist_position:
            return _(
                "Registered here already: %(status)s, number %(position)s.",
                status=place,
                position=format_number(found.waitlist_position),
            )
        return _("Registered here already: %(status)s.", status=place)
    if found.action == "waitlist":
        return _(
            "Full: the trainee would be number %(position)s on the waitlist.",
            position=format_number(found.waitlist_position),
        )
    if found.action == "ineligible":
        return _("Not eligible: %(reasons)s", reasons=" ".join(found.reasons))
    if found.action in ("closed", "limit"):
        return " ".join(found.reasons)
    if cohort.admission is Admission.REVIEWED:
        return _("The application would wait for the centre's review.")
    if cohort.admission is Admission.MERIT:
        return _("The application would wait for the merit list.")
    if cohort.enrolled_count >= cohort.seats:
        return _(
            "Full: a newcomer would be number %(position)s on the waitlist.",
            position=format_number(cohort.waitlisted_count + 1),
        )
    return _(
        "A seat is free (%(left)s of %(seats)s left).",
        left=format_number(cohort.seats_left),
        seats=format_number(cohort.seats),
    )


def options_for(
    trainee: Trainee | None, cohorts: list[Cohort], unmet: dict[int, list[str]] | None = None
) -> dict[int, CohortOption]:
    """Each cohort with what registering ``trainee`` (None: someone not on record yet, whose answers to the
    eligibility step leave ``unmet`` the requirements said there, by cohort) would do."""
    options = {}
    for cohort in cohorts:
        if unmet and unmet.get(cohort.id):
            options[cohort.id] = CohortOption(cohort, not_eligible(unmet[cohort.id]), False)
            continue
        found = prospect(trainee, cohort, to_trainee=False)
        options[cohort.id] = CohortOption(cohort, outlook(found, cohort), found.action in SELECTABLE)
    return options


def not_eligible(reasons: list[str]) -> str:
    return _("Not eligible: %(reasons)s", reasons=" ".join(reasons))


def unmet_by_answers(form: PersonFields, cohorts: list[Cohort]) -> dict[int, list[str]] | None:
    """For each of ``cohorts``, why the answers on ``form`` (gender, date of birth, education) do not meet its
    requirements about the person (``eligibility.unmet_personal_requirements``; empty: nothing stops them).
    None while an answer is missing."""
    gender, born, education = form.gender.data, form.date_of_birth.data, form.education.data
    if gender is None or born is None or education is None:
        return None
    return {
        cohort.id: [
            requirement.refusal
            for requirement in unmet_personal_requirements(
                cohort, gender=gender, date_of_birth=born, education=education
            )
        ]
        for cohort in cohorts
    }


def what_happened(placement: Placement) -> tuple[str, str]:
    enrollment = placement.enrollment
    cohort = enrollment.cohort
    names = {"name": enrollment.trainee.full_name, "course": cohort.course.title, "code": cohort.code}
    if enrollment.status is S.ENROLLED:
        text = _(
            "%(name)s has a place in %(course)s (%(code)s), starting %(starts)s.",
            starts=long_date(cohort.starts_on),
            **names,
        )
    elif enrollment.status is S.WAITLISTED:
        text = _(
            "%(course)s (%(code)s) is full: %(name)s is number %(position)s on the waitlist.",
            position=format_number(waitlist_position(enrollment)),
            **names,
        )
    elif enrollment.status is S.PENDING:
        text = _("%(name)s's application for %(course)s (%(code)s) is waiting for the centre's review.", **names)
    else:
        text = _(
            "%(name)s's place in %(course)s (%(code)s) is %(status)s.", status=enrollment.status.label.lower(), **names
        )
    if placement.created:
        return text, "success"
    return _("Registered already, nothing changed: %(what)s", what=text), "info"


def found_by_cnic(centre: Centre, cnic: str) -> Trainee | None:
    """Her national record (``look_up_trainee``), with the lookup's audit event committed at once: what
    follows may be refused and rolled back, but the desk has shown her record all the same."""
    trainee = look_up_trainee(cnic, actor=acting_user(), centre=centre)
    db.session.commit()
    return trainee


def registered(trainee: Trainee, form: CohortChoiceForm) -> tuple[str, str]:
    """Register ``trainee`` into the cohort chosen on ``form`` (raises the rules' refusals): what the desk
    is told, and how."""
    cohort = db.session.get(Cohort, form.cohort_id.data)
    return what_happened(register(trainee, cohort, actor=acting_user(), source=EnrollmentSource.WALK_IN))


def created_and_registered(form: NewTraineeForm, centre: Centre) -> tuple[str, str]:
    """Create her national record from ``form`` and register her: what the desk is told, and how."""
    trainee = create_trainee(trainee_details(form), actor=acting_user(), centre=centre)
    text, category = registered(trainee, form)
    return _("Record created for %(name)s.", name=trainee.full_name) + " " + text, category


# Pages ---------------------------------------------------------------------------------------------


def lookup_page(centre: Centre, form: LookupForm, status: int = 200):
    return render_template("enrollments/walk_in/lookup.html", centre=centre, form=form), status


def found_page(centre: Centre, trainee: Trainee, form: RegisterForm, cohorts: list[Cohort], status: int = 200):
    return render_template(
        "enrollments/walk_in/found.html",
        centre=centre,
        trainee=trainee,
        history=history(trainee),
        form=form,
        options=options_for(trainee, cohorts),
    ), status


def eligibility_page(
    centre: Centre,
    form: EligibilityForm,
    cohorts: list[Cohort],
    unmet: dict[int, list[str]] | None = None,
    status: int = 200,
):
    notes = {cohort.id: eligibility_note(cohort, unmet or {}) for cohort in cohorts}
    ruled_out = {cohort.id for cohort in cohorts if unmet and unmet.get(cohort.id)}
    return render_template(
        "enrollments/walk_in/eligibility.html",
        centre=centre,
        form=form,
        cohorts=cohorts,
        notes=notes,
        ruled_out=ruled_out,
    ), status


def new_trainee_page(centre: Centre, form: NewTraineeForm, cohorts: list[Cohort], status: int = 200):
    options = options_for(None, cohorts, unmet_by_answers(form, cohorts))
    return render_template("enrollments/walk_in/new_trainee.html", centre=centre, form=form, options=options), status


@bp.route("/centres/<centre_code>/walk-in", methods=["GET", "POST"])
@allow(STAFF)
def walk_in(centre_code: str):
    centre = get_centre_or_404(centre_code, manage=True)
    if request.method == "GET":
        return lookup_page(centre, LookupForm(formdata=None))
    step = request.form.get("step")
    if step == REGISTER:
        return register_step(centre)
    if step == ELIGIBILITY:
        return eligibility_step(centre)
    if step == CREATE:
        return create_step(centre)
    return lookup_step(centre)


def lookup_step(centre: Centre):
    form = LookupForm()
    if not form.validate_on_submit():
        return lookup_page(centre, form, 422)
    trainee = found_by_cnic(centre, form.cnic.data)
    cohorts = open_cohorts(centre)
    if trainee is None:
        typed = format_cnic(normalise_cnic(form.cnic.data))
        return eligibility_page(centre, EligibilityForm(formdata=None, data={"cnic": typed}), cohorts)
    return found_page(
        centre, trainee, RegisterForm(formdata=None, data={"cnic": trainee.cnic}, cohorts=cohorts), cohorts
    )


def eligibility_step(centre: Centre):
    """Someone not on record: their gender, date of birth and education, checked against the requirements
    of every open cohort before anything else is asked. Nobody eligible anywhere: the page again, each
    cohort saying why (422), nothing written. Otherwise the rest of the form, with what was answered and
    the cohorts these answers rule out shown as such."""
    cohorts = open_cohorts(centre)
    form = EligibilityForm()
    if not form.validate_on_submit():
        return eligibility_page(centre, form, cohorts, status=422)
    unmet = unmet_by_answers(form, cohorts)
    if cohorts and all(unmet[cohort.id] for cohort in cohorts):
        form.form_errors = [_("These answers do not meet the requirements of any cohort open here (see each cohort).")]
        return eligibility_page(centre, form, cohorts, unmet, 422)
    answers = {name: form[name].data for name in ("gender", "date_of_birth", "education")}
    typed = format_cnic(normalise_cnic(form.cnic.data))
    return new_trainee_page(
        centre, NewTraineeForm(formdata=None, data={"cnic": typed, **answers}, cohorts=cohorts), cohorts
    )


@bp.post("/centres/<centre_code>/walk-in/eligibility")
@allow(STAFF)
def walk_in_eligibility(centre_code: str):
    """The eligibility step's answers checked as they are chosen (``static/js/walk-in.js`` asks): for each of
    the centre's open cohorts, whether they meet its requirements about the person and the words the step
    itself shows. JSON; reads only (a POST, so that a date of birth stays out of URLs and logs)."""
    centre = get_centre_or_404(centre_code, manage=True)
    form = PersonFields()
    if not form.validate_on_submit():
        return jsonify(errors=form.errors), 422
    cohorts = open_cohorts(centre)
    unmet = unmet_by_answers(form, cohorts)
    eligible = sum(not unmet[cohort.id] for cohort in cohorts)
    return jsonify(
        cohorts=[
            {"id": cohort.id, "eligible": not unmet[cohort.id], "note": eligibility_note(cohort, unmet)}
            for cohort in cohorts
        ],
        summary=_(
            "Eligible for %(eligible)s of the %(total)s cohorts open here.",
            eligible=format_number(eligible),
            total=format_number(len(cohorts)),
        )
        if eligible
        else _("These answers do not meet the requirements of any cohort open here (see each cohort)."),
    )


def eligibility_note(cohort: Cohort, unmet: dict[int, list[str]]) -> str:
    """What the eligibility step says of ``cohort``: why the answers rule it out, or who may apply to it."""
    if unmet.get(cohort.id):
        return not_eligible(unmet[cohort.id])
    return who_may_apply(cohort)


def who_may_apply(cohort: Cohort) -> str:
    labels = [requirement.label for requirement in requirements(cohort)]
    return _("Who may apply: %(requirements)s", requirements=" · ".join(labels)) if labels else _("Open to everyone.")


def register_step(centre: Centre):
    trainee = found_by_cnic(centre, request.form.get("cnic", ""))
    cohorts = open_cohorts(centre)
    form = RegisterForm(cohorts=cohorts)
    if trainee is None:
        lookup = LookupForm(formdata=None)
        lookup.cnic.errors = [_("No trainee has this CNIC: look the trainee up again.")]
        return lookup_page(centre, lookup, 422)
    # A refusal that names no field is about the cohort chosen (the enrollment rules): shown next to it.
    if form.validate_on_submit() and (told := run(form, lambda: registered(trainee, form), field="cohort_id")):
        flash(*told)
        return redirect(url_for("enrollments.walk_in", centre_code=centre.code))
    return found_page(centre, trainee, form, cohorts, form_status(form))


def create_step(centre: Centre):
    cohorts = open_cohorts(centre)
    form = NewTraineeForm(cohorts=cohorts)
    if form.validate_on_submit():
        if told := run(form, lambda: created_and_registered(form, centre), field="cohort_id"):
            flash(*told)
            return redirect(url_for("enrollments.walk_in", centre_code=centre.code))
        if isinstance(form.refusal, TraineeExists):
            return on_record_already(centre, form, cohorts)
    return new_trainee_page(centre, form, cohorts, form_status(form))


def on_record_already(centre: Centre, form: NewTraineeForm, cohorts: list[Cohort]):
    """A new record refused because her CNIC is on record (409): her record, to register her from (the
    lookup kept in the audit trail), with the cohort chosen. If it was removed meanwhile, the refusal as
    it was said."""
    if (trainee := found_by_cnic(centre, form.cnic.data)) is None:
        return new_trainee_page(centre, form, cohorts, 409)
    existing = RegisterForm(formdata=None, data={"cnic": trainee.cnic}, cohorts=cohorts)
    existing.cohort_id.data = form.cohort_id.data
    existing.form_errors = [_("A trainee with this CNIC is on record already: here is the record.")]
    return found_page(centre, trainee, existing, cohorts, 409)


def trainee_details(form: NewTraineeForm) -> TraineeDetails:
    return TraineeDetails(
        cnic=form.cnic.data,
        full_name=form.full_name.data,
        gender=form.gender.data,
        date_of_birth=form.date_of_birth.data,
        phone=form.phone.data,
        email=form.email.data or None,
        district_id=form.district_id.data,
        area=form.area.data,
        education=form.education.data,
        disability=form.disability.data,
        language=form.language.data,
        outcome_consent=form.outcome_consent.data,
    )
