"""Staff pages of attendance: a day's register (phone first: everyone present until tapped absent or late,
one Save), the cohort's class days (add or cancel one), an upload of marks from a lab's device, and the
trainees at risk at a centre. Thin views: the rules are ``attendance.services``'."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from attendance import bp
from attendance.calendar import DayOfClass, calendar_of
from attendance.forms import ClassDayForm, RegisterForm, UploadForm
from attendance.services import (
    MARKS,
    AttendanceRefused,
    add_class_day,
    at_risk_absences,
    at_risk_condition,
    at_risk_count,
    cancel_class_day,
    is_at_risk,
    on_register,
    register_of,
    take_attendance,
)
from attendance.uploads import upload_attendance
from auth.permissions import STAFF, allow, get_centre_or_404, get_cohort_or_404
from clock import local_today
from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from extensions import db
from language import long_date
from submitting import acting_user, form_status, run
from vocabulary import CohortStatus

MARK_FIELD = "mark-"


def meeting_days(calendar: list[DayOfClass], today: date) -> list[DayOfClass]:
    """The class days up to ``today``, latest first: the days a register can be taken for."""
    return [entry for entry in reversed(calendar) if entry.meets and entry.day <= today]


def chosen_day(days: list[DayOfClass]) -> date | None:
    """The day the register opens on: ``?day=`` when it is a date, else the latest class day (today's when
    the cohort meets today)."""
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return days[0].day if days else None


def marks_sent(places: list[Enrollment]) -> tuple[list[int], list[int]]:
    """The absent and the late among ``places``, as the register's radio groups (``mark-<id>``) sent them;
    a place sent no mark is present. Raises ``AttendanceRefused`` for a mark that is none of ``MARKS``."""
    absent, late = [], []
    for place in places:
        mark = request.form.get(f"{MARK_FIELD}{place.id}", "present")
        if mark not in MARKS:
            raise AttendanceRefused(_("Mark %(name)s present, late or absent.", name=place.trainee.full_name), "day")
        (absent if mark == "absent" else late if mark == "late" else []).append(place.id)
    return absent, late


def saved(cohort: Cohort, day: date, places: list[Enrollment], form: RegisterForm):
    absent, late = marks_sent(places)
    return take_attendance(cohort, day, absent=absent, late=late, reason=form.reason.data, actor=acting_user())


@bp.route("/cohorts/<code>/register", methods=["GET", "POST"])
@allow(STAFF)
def register(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    today = local_today()
    days = meeting_days(calendar_of(cohort), today)
    form = RegisterForm(day=chosen_day(days))
    day = form.day.data
    places = on_register(cohort, day, register_of(cohort, day)) if day else []
    if form.validate_on_submit() and (taken := run(form, lambda: saved(cohort, day, places, form), field="day")):
        flash(saved_message(taken), "success")
        return redirect(url_for("attendance.register", code=cohort.code, day=day.isoformat()))
    current = register_of(cohort, day) if day else None
    return render_template(
        "attendance/register.html",
        cohort=cohort,
        form=form,
        day=day,
        days=days,
        today=today,
        places=places,
        current=current,
        marks={place.id: (current.status_of(place.id) if current else None) or "present" for place in places},
        correcting=current is not None and day < today,
        at_risk_from=at_risk_absences(),
    ), form_status(form)


def saved_message(register) -> str:
    absent = len(register.absent)
    return _(
        "Attendance of %(day)s saved: %(present)s present (%(late)s late), %(absent)s absent.",
        day=long_date(register.day),
        present=format_number(register.present_count),
        late=format_number(len(register.late)),
        absent=format_number(absent),
    )


@bp.route("/cohorts/<code>/days", methods=["GET", "POST"])
@allow(STAFF)
def class_days(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = ClassDayForm()
    if form.validate_on_submit() and run(form, lambda: changed_day(cohort, form)):
        flash(_("The class days of %(cohort)s are changed.", cohort=cohort.code), "success")
        return redirect(url_for("attendance.class_days", code=cohort.code))
    return render_template(
        "attendance/class_days.html",
        cohort=cohort,
        form=form,
        calendar=calendar_of(cohort),
        today=local_today(),
        changeable=cohort.status not in (CohortStatus.FINISHED, CohortStatus.CANCELLED),
    ), form_status(form)


def changed_day(cohort: Cohort, form: ClassDayForm):
    if form.change.data == "add":
        return add_class_day(cohort, form.day.data, reason=form.reason.data, actor=acting_user())
    if form.change.data == "cancel":
        cancel_class_day(cohort, form.day.data, reason=form.reason.data, actor=acting_user())
        return form.day.data
    raise AttendanceRefused(_("Choose Add or Cancel."), "change")


@bp.route("/cohorts/<code>/upload", methods=["GET", "POST"])
@allow(STAFF)
def upload(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = UploadForm()
    if form.validate_on_submit() and (saved := run(form, lambda: uploaded(cohort, form), field="file")):
        flash(
            ngettext(
                "Attendance of %(num)s day saved from the file.",
                "Attendance of %(num)s days saved from the file.",
                len(saved),
            ),
            "success",
        )
        return redirect(url_for("attendance.class_days", code=cohort.code))
    return render_template("attendance/upload.html", cohort=cohort, form=form), form_status(form)


def uploaded(cohort: Cohort, form: UploadForm):
    file = form.file.data
    return upload_attendance(cohort, file.read(), file.filename or "", actor=acting_user(), reason=form.reason.data)


@bp.get("/centres/<code>/at-risk")
@allow(STAFF)
def at_risk(code: str):
    centre = get_centre_or_404(code, manage=True)
    places = db.session.scalars(
        select(Enrollment)
        .join(Enrollment.cohort)
        .join(Enrollment.trainee)
        .options(contains_eager(Enrollment.cohort), contains_eager(Enrollment.trainee))
        .where(Cohort.centre_id == centre.id, Cohort.status == CohortStatus.RUNNING, at_risk_condition())
        .order_by(Cohort.code, Enrollment.absent_streak.desc(), Trainee.full_name)
    ).all()
    return render_template("attendance/at_risk.html", centre=centre, places=places, at_risk_from=at_risk_absences())


@bp.app_context_processor
def attendance_helpers() -> dict:
    """What other blueprints' pages ask of attendance (the roster's at-risk badge)."""
    return {"at_risk": is_at_risk, "at_risk_count": at_risk_count}
