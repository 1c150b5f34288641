"""The capacity audit pages (``oversight/routes.py``): the capacity report narrowed by the reader's filters and
the place she drilled into, the flags a row earns, one centre's cohorts with their own figures, and women's
share by month for the chart."""

from dataclasses import dataclass, fields
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import contains_eager

from auth.permissions import OversightScope
from courses.models import Cohort, Course
from extensions import db
from oversight.queries.capacity import (
    CapacityReportRow,
    capacity_report,
    figure_columns,
    figures_of,
    ratio,
    reported_cohorts,
)
from vocabulary import Choice, Mode


@dataclass(frozen=True)
class AuditFilters:
    """What the audit pages narrow the reported cohorts to: the reader's filters (a period of first days,
    training camps, women-only cohorts, a mode) and the place she drilled into (a province, a district, a centre). The
    names are ``capacity_report``'s arguments: ``capacity_report(scope, group_by, **filters.arguments())``."""

    starts_from: date | None = None
    starts_to: date | None = None
    camps: bool = False
    women_only: bool = False
    mode: Mode | None = None
    province_code: str | None = None
    district_id: int | None = None
    centre_id: int | None = None

    def arguments(self) -> dict:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def audit_report(scope: OversightScope, group_by: str, filters: AuditFilters) -> list[CapacityReportRow]:
    """``capacity_report`` narrowed by ``filters``."""
    return capacity_report(scope, group_by, **filters.arguments())


class Flag(Choice):
    """What the audit pages point out about a row (a group of cohorts, or one cohort)."""

    UNDER_USED = "under_used"
    OVER_SUBSCRIBED = "over_subscribed"
    WOMEN_BELOW_TARGET = "women_below_target"
    OUTCOME_MISSING = "outcome_missing"

    @property
    def lazy_label(self) -> LazyString:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    Flag.UNDER_USED: _l("Under-used"),
    Flag.OVER_SUBSCRIBED: _l("Over-subscribed"),
    Flag.WOMEN_BELOW_TARGET: _l("Women below target"),
    Flag.OUTCOME_MISSING: _l("Outcome missing"),
}

# Over-subscribed: at least this many waitlisted per seat (half the seats: the rule).
OVERSUBSCRIBED_AT = 0.5


@dataclass(frozen=True)
class Thresholds:
    """The settings behind the flags (``UNDERUSED_BELOW`` and ``WOMEN_SHARE_TARGET`` in config.py)."""

    underused_below: float = 0.6
    women_share_target: float = 0.5


def flags_of(row: CapacityReportRow, thresholds: Thresholds) -> list[Flag]:
    """The flags ``row`` (a group of cohorts: a province, a district, a centre, a track; or one cohort)
    earns, in the order of ``Flag`` (``oversight.figures.FLAG_RULES`` words them):

    - under-used: seats used (running + finished cohorts) below ``underused_below`` (a row with neither
      is never under-used: seats of a cohort still filling are not used yet);
    - over-subscribed: in its cohorts still filling, waitlisted ≥ half their seats;
    - women below target: women's share of its enrolled and completed places below
      ``women_share_target`` (no places: no share, no flag);
    - outcome missing: a finished cohort still has places neither completed nor ended."""
    found = []
    used = row.utilisation
    if used is not None and used < thresholds.underused_below:
        found.append(Flag.UNDER_USED)
    if row.filling_seats and row.filling_waitlisted >= OVERSUBSCRIBED_AT * row.filling_seats:
        found.append(Flag.OVER_SUBSCRIBED)
    if row.women_share is not None and row.women_share < thresholds.women_share_target:
        found.append(Flag.WOMEN_BELOW_TARGET)
    if row.finished_open:
        found.append(Flag.OUTCOME_MISSING)
    return found


def centre_cohorts(scope: OversightScope, filters: AuditFilters) -> Select:
    """The reported cohorts ``filters`` narrow to (meant with ``centre_id`` set: one centre's cohorts),
    latest first, with their course loaded; for ``db.paginate``."""
    arguments = filters.arguments()
    stmt = reported_cohorts(
        select(Cohort),
        scope,
        arguments.pop("province_code"),
        arguments.pop("starts_from"),
        arguments.pop("starts_to"),
        **arguments,
    )
    return stmt.options(contains_eager(Cohort.course)).order_by(Cohort.starts_on.desc(), Cohort.code)


def cohort_figures(cohort_ids: list[int]) -> dict[int, CapacityReportRow]:
    """Each cohort's own figures, as a ``CapacityReportRow`` (key: its code, name: its course's title),
    by cohort id: the same sums as every other row, over one cohort."""
    if not cohort_ids:
        return {}
    stmt = (
        select(Cohort.id, Cohort.code, Course.title, *figure_columns())
        .join(Cohort.course)
        .where(Cohort.id.in_(cohort_ids))
        .group_by(Cohort.id, Cohort.code, Course.title)
    )
    return {row[0]: CapacityReportRow(row[1], row[2], **figures_of(row[3:])) for row in db.session.execute(stmt)}


@dataclass(frozen=True)
class MonthRow:
    """Cohorts starting in one month: their enrolled and completed places, and women among them."""

    month: date  # the first day of the month
    trained: int
    women: int

    @property
    def women_share(self) -> float | None:
        return ratio(self.women, self.trained)


def women_share_by_month(scope: OversightScope, filters: AuditFilters) -> list[MonthRow]:
    """Women's share of enrolled and completed places by the month the cohorts start in, oldest first,
    over the reported cohorts of ``scope`` that ``filters`` narrow to (months without one are absent).
    Sums of the cohort counters, like ``capacity_report``."""
    year, month = extract("year", Cohort.starts_on), extract("month", Cohort.starts_on)
    arguments = filters.arguments()
    stmt = (
        reported_cohorts(
            select(
                year,
                month,
                func.sum(Cohort.enrolled_count + Cohort.completed_count + Cohort.not_completed_count),
                func.sum(Cohort.women_count),
            ).select_from(Cohort),
            scope,
            arguments.pop("province_code"),
            arguments.pop("starts_from"),
            arguments.pop("starts_to"),
            **arguments,
        )
        .group_by(year, month)
        .order_by(year, month)
    )
    return [
        MonthRow(date(int(y), int(m), 1), int(trained or 0), int(women or 0))
        for y, m, trained, women in db.session.execute(stmt)
    ]
