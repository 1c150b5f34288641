"""Queries behind the public catalogue: which cohorts a visitor can see, filtered and ordered.

Drafts are never public. Everything else is, cancelled cohorts only on their own page (so a link a
trainee kept still explains what happened), not in lists.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from centres.models import Centre, District, Province
from clock import local_date, local_today
from courses.models import Cohort, Course
from extensions import db
from vocabulary import CohortKind, CohortStatus, Mode, Track

LISTED_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING, CohortStatus.FINISHED)
PUBLIC_STATUSES = (*LISTED_STATUSES, CohortStatus.CANCELLED)

WHEN_CHOICES = {
    "upcoming": _l("Starting soon or later"),
    "this_month": _l("Starting this month"),
    "next_3_months": _l("Starting in the next 3 months"),
    "running": _l("Running now"),
    "past": _l("Finished"),
    "any": _l("Any time"),
}


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor asked for; every field is already validated (unknown values become None)."""

    track: Track | None = None
    province: str | None = None  # province code
    district_id: int | None = None
    women_only: bool = False
    camps_only: bool = False
    mode: Mode | None = None
    when: str = "upcoming"
    open_now: bool = False
    query: str = ""


def catalogue_select(filters: CatalogueFilters, now: datetime) -> Select:
    """Cohorts matching ``filters`` with course, centre, district and province loaded in one query,
    soonest start first (then code, so that pages are stable). A place (province, district) matches where
    the centre is or where the cohort meets away from it (``Cohort.venue_district``); the search text, the
    venue too. "Open now" is ``Cohort.taking_applications``;
    "when" counts from the day it is in Pakistan at ``now``."""
    today = local_date(now)
    stmt = (
        select(Cohort)
        .join(Cohort.course)
        .join(Cohort.centre)
        .join(Centre.district)
        .join(District.province)
        .options(
            contains_eager(Cohort.course),
            contains_eager(Cohort.centre).contains_eager(Centre.district).contains_eager(District.province),
            selectinload(Cohort.venue_district),
        )
        .where(Cohort.status.in_(LISTED_STATUSES), Centre.active.is_(True))
    )
    if filters.track:
        stmt = stmt.where(Course.track == filters.track)
    if filters.province:
        # A camp meets in its centre's province or in its venue's district's.
        venue_in_province = select(District.id).join(District.province).where(Province.code == filters.province)
        stmt = stmt.where(or_(Province.code == filters.province, Cohort.venue_district_id.in_(venue_in_province)))
    if filters.district_id:
        stmt = stmt.where(or_(District.id == filters.district_id, Cohort.venue_district_id == filters.district_id))
    if filters.women_only:
        stmt = stmt.where(Cohort.women_only.is_(True))
    if filters.camps_only:
        stmt = stmt.where(Cohort.kind == CohortKind.CAMP)
    if filters.mode:
        stmt = stmt.where(Cohort.mode == filters.mode)
    if filters.open_now:
        stmt = stmt.where(Cohort.taking_applications(now))
    if filters.query:
        stmt = stmt.where(
            contains_text(filters.query, Course.title, Centre.name, District.name, Cohort.code, Cohort.venue)
        )
    stmt = stmt.where(*when_clauses(filters.when, today))
    return stmt.order_by(Cohort.starts_on, Cohort.code)


def when_clauses(when: str, today: date) -> list:
    """Date conditions for the ``when`` filter ("upcoming" keeps cohorts that have not started)."""
    month_start = today.replace(day=1)
    next_month_start = (month_start + timedelta(days=32)).replace(day=1)
    if when == "this_month":
        return [Cohort.starts_on >= month_start, Cohort.starts_on < next_month_start]
    if when == "next_3_months":
        return [Cohort.starts_on >= today, Cohort.starts_on <= today + timedelta(days=92)]
    if when == "running":
        return [Cohort.starts_on <= today, Cohort.ends_on >= today]
    if when == "past":
        return [Cohort.ends_on < today]
    if when == "any":
        return []
    return [Cohort.starts_on >= today]


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so that a visitor's ``%`` or ``_`` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_text(text: str, *columns: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether any of ``columns`` holds ``text``, in any case; a visitor's ``%`` and ``_`` match themselves."""
    pattern = f"%{escape_like(text)}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def upcoming_cohorts_select(today: date | None = None) -> Select:
    """Listed cohorts that have not finished by ``today`` (default: today in Pakistan, ``local_today``),
    soonest first: what a course or centre page shows."""
    return (
        select(Cohort)
        .options(selectinload(Cohort.venue_district))
        .where(Cohort.status.in_(LISTED_STATUSES), Cohort.ends_on >= (today or local_today()))
        .order_by(Cohort.starts_on, Cohort.code)
    )


def catalogue_counts(now: datetime) -> dict[str, int]:
    """The figures on the front page: active centres, the districts they cover, cohorts taking
    applications at ``now`` (``Cohort.taking_applications``) and the seats still free in them."""
    open_cohorts = (
        select(Cohort).join(Cohort.centre).where(Cohort.taking_applications(now), Centre.active.is_(True)).subquery()
    )

    centres, districts = db.session.execute(
        select(func.count(Centre.id), func.count(func.distinct(Centre.district_id))).where(Centre.active.is_(True))
    ).one()
    cohorts_open, seats_free = db.session.execute(
        select(
            func.count(open_cohorts.c.id),
            func.coalesce(func.sum(open_cohorts.c.seats - open_cohorts.c.enrolled_count), 0),
        )
    ).one()
    return {"centres": centres, "districts": districts, "cohorts_open": cohorts_open, "seats_free": int(seats_free)}
