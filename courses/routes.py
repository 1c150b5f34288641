"""Public catalogue pages: cohorts (filterable), a course, a cohort."""

from datetime import datetime

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from auth.permissions import PUBLIC, allow
from centres.queries import chosen_place, provinces_with_districts
from courses import bp
from courses.catalogue import (
    PUBLIC_STATUSES,
    WHEN_CHOICES,
    CatalogueFilters,
    catalogue_select,
    upcoming_cohorts_select,
)
from courses.models import Cohort, Course
from database import utcnow
from enrollments.models import Enrollment
from enrollments.services import Prospect, merit, prospect
from extensions import db
from listing import int_arg, page_args, text_arg
from pagecache import cached_for_anonymous_readers
from vocabulary import RESERVED_POOLS, Admission, Mode, Role, Track


def filters_from_request() -> CatalogueFilters:
    """Read the catalogue filters; values that are not ours (``?track=<script>``) are ignored."""
    args = request.args
    province, district = chosen_place(text_arg("province", 8), int_arg("district", 0, minimum=0))
    when = args.get("when", "upcoming")
    return CatalogueFilters(
        track=Track.parse(args.get("track")),
        province=province.code if province else None,
        district_id=district.id if district else None,
        women_only=args.get("women_only") == "1",
        camps_only=args.get("camps") == "1",
        mode=Mode.parse(args.get("mode")),
        when=when if when in WHEN_CHOICES else "upcoming",
        open_now=args.get("open") == "1",
        query=text_arg("q"),
    )


@bp.get("/")
@allow(PUBLIC)
@cached_for_anonymous_readers
def catalogue():
    filters = filters_from_request()
    page, per_page = page_args()
    now = utcnow()
    cohorts = db.paginate(catalogue_select(filters, now), page=page, per_page=per_page, error_out=False)
    return render_template(
        "courses/catalogue.html",
        cohorts=cohorts,
        filters=filters,
        provinces=provinces_with_districts(),
        when_choices=WHEN_CHOICES,
        now=now,
    )


@bp.get("/<code>")
@allow(PUBLIC)
def course_detail(code: str):
    course = db.one_or_404(select(Course).where(Course.code == code))
    cohorts = db.session.scalars(upcoming_cohorts_select().where(Cohort.course_id == course.id).limit(50)).all()
    return render_template("courses/course_detail.html", course=course, cohorts=cohorts, now=utcnow())


@bp.get("/cohorts/<code>")
@allow(PUBLIC)
def cohort_detail(code: str):
    cohort = db.one_or_404(select(Cohort).where(Cohort.code == code, Cohort.status.in_(PUBLIC_STATUSES)))
    now = utcnow()
    merit_list = merit.latest_list(cohort) if cohort.admission is Admission.MERIT else None
    return render_template(
        "courses/cohort_detail.html",
        cohort=cohort,
        now=now,
        prospect=visitor_prospect(cohort, now),
        merit_list=merit_list,
    )


@bp.get("/cohorts/<code>/merit-list")
@allow(PUBLIC)
def merit_list(code: str):
    """A merit cohort's published list, names masked (``merit.public_rows``): the latest version, where each
    applicant stands now, or an older one (``?version=``) as it was published; 404 until published."""
    cohort = db.one_or_404(select(Cohort).where(Cohort.code == code, Cohort.status.in_(PUBLIC_STATUSES)))
    versions = merit.list_versions(cohort)
    wanted = int_arg("version", 0, minimum=0)
    chosen = next((each for each in versions if each.version == wanted), versions[0] if versions else None)
    if chosen is None:
        abort(404)
    latest = chosen is versions[0]
    return render_template(
        "courses/merit_list.html",
        cohort=cohort,
        chosen=chosen,
        latest=latest,
        versions=versions,
        rows=merit.public_rows(chosen, live=latest),
        own=visitor_place(cohort),
        pools=[pool for pool in RESERVED_POOLS if getattr(cohort, f"reserved_{pool.value}")],
    )


def visitor_place(cohort: Cohort) -> Enrollment | None:
    """The signed-in trainee's own place in ``cohort`` (her row is shown to her), else None."""
    if current_user.is_authenticated and current_user.role is Role.TRAINEE and current_user.trainee is not None:
        return db.session.scalar(
            select(Enrollment).where(
                Enrollment.cohort_id == cohort.id, Enrollment.trainee_id == current_user.trainee.id
            )
        )
    return None


def visitor_prospect(cohort: Cohort, now: datetime) -> Prospect | None:
    """What the visitor can do about ``cohort`` (``enrollments.services.prospect``): for a trainee and
    for someone not signed in. None for staff, overseers and admins, who do not apply."""
    if not current_user.is_authenticated:
        return prospect(None, cohort, now)
    if current_user.role is Role.TRAINEE and current_user.trainee is not None:
        return prospect(current_user.trainee, cohort, now)
    return None
