"""Admin pages for the course catalogue: every course, adding and editing one. Admins only; the rules
live in ``courses.services``."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from auth.permissions import ADMINS, allow
from courses import bp
from courses.catalogue import escape_like
from courses.forms import CourseForm, NewCourseForm
from courses.models import Cohort, Course
from courses.services import (
    DEFAULT_ATTENDANCE_THRESHOLD,
    DEFAULT_PASS_MARK,
    CourseDetails,
    create_course,
    update_course,
)
from extensions import db
from listing import page_args, text_arg
from submitting import acting_user, form_status, run
from vocabulary import Level, Track


def course_details(form: CourseForm, code: str, course: Course | None = None) -> CourseDetails:
    """The course as the form describes it. The assessment fields left out of a form sent (an older form, a
    script) keep the course's values, or the defaults for a new course; a field sent empty is refused."""
    sent = request.form
    return CourseDetails(
        code=code,
        title=form.title.data,
        track=form.track.data,
        summary=form.summary.data,
        weeks=form.weeks.data,
        level=form.level.data,
        min_age=form.min_age.data,
        max_age=form.max_age.data,
        min_education=form.min_education.data,
        pass_mark=form.pass_mark.data if "pass_mark" in sent else (course.pass_mark if course else DEFAULT_PASS_MARK),
        attendance_threshold=form.attendance_threshold.data
        if "attendance_threshold" in sent
        else (course.attendance_threshold if course else DEFAULT_ATTENDANCE_THRESHOLD),
    )


def cohort_counts(course_ids: list[int]) -> dict[int, int]:
    """How many cohorts (any status) each of ``course_ids`` has had; courses with none are absent."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Cohort.course_id, func.count(Cohort.id))
        .where(Cohort.course_id.in_(course_ids))
        .group_by(Cohort.course_id)
    )
    return dict(rows.all())


@bp.get("/manage")
@allow(ADMINS)
def manage():
    page, per_page = page_args()
    query = text_arg("q")
    track = Track.parse(request.args.get("track"))
    level = Level.parse(request.args.get("level"))
    stmt = select(Course).order_by(Course.code)
    if query:
        pattern = f"%{escape_like(query)}%"
        stmt = stmt.where(or_(Course.code.ilike(pattern, escape="\\"), Course.title.ilike(pattern, escape="\\")))
    if track:
        stmt = stmt.where(Course.track == track)
    if level:
        stmt = stmt.where(Course.level == level)
    courses = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template(
        "courses/admin/manage.html",
        courses=courses,
        cohorts=cohort_counts([course.id for course in courses.items]),
        query=query,
        track=track,
        level=level,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(ADMINS)
def create():
    form = NewCourseForm()
    if form.validate_on_submit():
        code = run(form, lambda: create_course(course_details(form, form.code.data), actor=acting_user()).code)
        if code:
            flash(_("Course %(code)s added to the catalogue.", code=code), "success")
            return redirect(url_for("courses.manage"))
    return render_template("courses/admin/form.html", form=form, course=None), form_status(form)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@allow(ADMINS)
def edit(code: str):
    course = db.one_or_404(select(Course).where(Course.code == code))
    form = CourseForm(obj=course if request.method == "GET" else None)
    if form.validate_on_submit() and run(
        form, lambda: update_course(course, course_details(form, course.code, course), actor=acting_user())
    ):
        flash(_("Saved course %(code)s.", code=code), "success")
        return redirect(url_for("courses.manage"))
    return render_template("courses/admin/form.html", form=form, course=course), form_status(form)
