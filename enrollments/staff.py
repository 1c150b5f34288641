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

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth.permissions import STAFF, allow, get_centre_or_404
from centres.models import Centre
from courses.models import Cohort
from enrollments import bp
from enrollments.identity import format_cnic, normalise_cnic
from enrollments.models import Enrollment, Trainee
from enrollments.services import Placement, Prospect, prospect, register, waitlist_position
from enrollments.trainees import TraineeDetails, TraineeExists, create_trainee, look_up_trainee
from enrollments.walk_in_forms import CREATE, REGISTER, CohortChoiceForm, LookupForm, NewTraineeForm, RegisterForm
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


def options_for(trainee: Trainee | None, cohorts: list[Cohort]) -> dict[int, CohortOption]:
    """Each cohort with what registering ``trainee`` (None: someone not on record yet) would do."""
    options = {}
    for cohort in cohorts:
        found = prospect(trainee, cohort, to_trainee=False)
        options[cohort.id] = CohortOption(cohort, outlook(found, cohort), found.action in SELECTABLE)
    return options


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


def new_trainee_page(centre: Centre, form: NewTraineeForm, cohorts: list[Cohort], status: int = 200):
    return render_template(
        "enrollments/walk_in/new_trainee.html", centre=centre, form=form, options=options_for(None, cohorts)
    ), status


@bp.route("/centres/<centre_code>/walk-in", methods=["GET", "POST"])
@allow(STAFF)
def walk_in(centre_code: str):
    centre = get_centre_or_404(centre_code, manage=True)
    if request.method == "GET":
        return lookup_page(centre, LookupForm(formdata=None))
    step = request.form.get("step")
    if step == REGISTER:
        return register_step(centre)
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
        return new_trainee_page(centre, NewTraineeForm(formdata=None, data={"cnic": typed}, cohorts=cohorts), cohorts)
    return found_page(
        centre, trainee, RegisterForm(formdata=None, data={"cnic": trainee.cnic}, cohorts=cohorts), cohorts
    )


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
    )
