"""The completion report (issue 17): attendance, assessment, completion by rule, certificates, trainees at risk
and backfilled seats, per province, district, centre or track, each split by gender and by area.

Every figure is a sum of the tallies (``enrollments.tallies.CohortTally``: per cohort, gender and area), over
the cohorts the capacity report selects (``capacity.reported_cohorts``: the same scope, period and filters):
one pass over at most nine rows per cohort, never over the enrollments. What each figure means:
``oversight.figures.COMPLETION_FIGURES``.
"""

from dataclasses import dataclass, field
from datetime import date
from operator import add

from sqlalchemy import func, select

from auth.permissions import OversightScope
from courses.models import Cohort
from enrollments.tallies import TALLY_NAMES, CohortTally
from extensions import db
from oversight.queries.capacity import _report_keys, ratio, reported_cohorts
from vocabulary import Area, Gender, Mode, Track


@dataclass
class CompletionFigures:
    """The tallies of a group of places (a report row, one gender or area of it, or the total), and the
    shares worked out from them (None when their denominator is 0)."""

    marks_held: int = 0
    marks_present: int = 0
    attended: int = 0
    at_risk: int = 0
    assessed: int = 0
    passed: int = 0
    finished: int = 0
    completed: int = 0
    not_completed_attendance: int = 0
    not_completed_marks: int = 0
    overridden: int = 0
    backfilled: int = 0
    certificates_issued: int = 0
    certificates_revoked: int = 0
    certified: int = 0

    def add(self, other: "CompletionFigures") -> None:
        for name in TALLY_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.marks_present, self.marks_held)

    @property
    def pass_rate(self) -> float | None:
        return ratio(self.passed, self.assessed)

    @property
    def not_completed(self) -> int:
        return self.not_completed_attendance + self.not_completed_marks

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.completed, self.finished)

    @property
    def not_completed_attendance_share(self) -> float | None:
        return ratio(self.not_completed_attendance, self.finished)

    @property
    def not_completed_marks_share(self) -> float | None:
        return ratio(self.not_completed_marks, self.finished)


GENDERS = tuple(Gender)
AREAS = tuple(Area)


@dataclass
class CompletionRow:
    """One group (``key``, ``name`` as the capacity report keys and names them): its figures in total
    (``figures``), and the same figures for each gender and each area of the trainees."""

    key: str
    name: str
    figures: CompletionFigures = field(default_factory=CompletionFigures)
    by_gender: dict[Gender, CompletionFigures] = field(
        default_factory=lambda: {gender: CompletionFigures() for gender in GENDERS}
    )
    by_area: dict[Area, CompletionFigures] = field(
        default_factory=lambda: {area: CompletionFigures() for area in AREAS}
    )

    def split(self, by: str | None) -> list[tuple[str, CompletionFigures]]:
        """The row's parts by ``by`` (``gender`` or ``area``; None: none), as (value, figures)."""
        if by == "gender":
            return [(gender.value, figures) for gender, figures in self.by_gender.items()]
        if by == "area":
            return [(area.value, figures) for area, figures in self.by_area.items()]
        return []


SPLITS = ("gender", "area")


def completion_report(
    scope: OversightScope,
    group_by: str = "province",
    *,
    province_code: str | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
    district_id: int | None = None,
    centre_id: int | None = None,
    camps: bool = False,
    women_only: bool = False,
    mode: Mode | None = None,
) -> list[CompletionRow]:
    """Attendance, assessment, completion, certificates, at risk and backfilled seats per province, district
    (key ``PROVINCE-DISTRICT``), centre or track, within ``scope``, over the cohorts ``capacity_report``
    selects with the same arguments, ordered by key; groups with nothing tallied are absent. Each row is
    split by gender and by area. One query: the tallies summed by group, gender and area."""
    keys, name = _report_keys(group_by)
    labels = [*keys, *([name] if name is not None else [])]
    stmt = reported_cohorts(
        select(
            *labels,
            CohortTally.gender,
            CohortTally.area,
            *[func.sum(getattr(CohortTally, tally)) for tally in TALLY_NAMES],
        )
        .select_from(Cohort)
        .join(CohortTally, CohortTally.cohort_id == Cohort.id),
        scope,
        province_code,
        starts_from,
        starts_to,
        district_id=district_id,
        centre_id=centre_id,
        camps=camps,
        women_only=women_only,
        mode=mode,
    ).group_by(*labels, CohortTally.gender, CohortTally.area)
    width, first = len(keys), len(labels) + 2
    # Sums per group, gender and area added up here as plain lists (``map(add, ...)``), made into figures once
    # per group at the end: at 500 centres that is 4,500 rows, and a dataclass per row cost more than the query.
    sums: dict[str, tuple[str, list[int], dict[Gender, list[int]], dict[Area, list[int]]]] = {}
    zeros = [0] * len(TALLY_NAMES)
    for row in db.session.connection().execute(stmt):
        key = "-".join(str(value.value if isinstance(value, Track) else value) for value in row[:width])
        if key not in sums:
            label = row[width] if name is not None else Track(row[0]).plain_label
            sums[key] = (label, zeros, {}, {})
        label, total, genders, areas = sums[key]
        values = [int(value or 0) for value in row[first:]]
        gender, area = Gender(row[len(labels)]), Area(row[len(labels) + 1])
        sums[key] = (label, list(map(add, total, values)), genders, areas)
        genders[gender] = list(map(add, genders.get(gender, zeros), values))
        areas[area] = list(map(add, areas.get(area, zeros), values))
    return [figures_row(key, *sums[key]) for key in sorted(sums)]


def as_figures(values: list[int]) -> CompletionFigures:
    """Positional: ``CompletionFigures``' fields are ``TALLY_NAMES`` in order (a test holds them to it), and
    naming them cost a third of the report's time at 500 centres."""
    return CompletionFigures(*values)


def figures_row(key: str, label: str, total: list[int], genders: dict, areas: dict) -> CompletionRow:
    zeros = [0] * len(TALLY_NAMES)
    return CompletionRow(
        key,
        label,
        as_figures(total),
        {gender: as_figures(genders.get(gender, zeros)) for gender in GENDERS},
        {area: as_figures(areas.get(area, zeros)) for area in AREAS},
    )


def completion_totals(rows: list[CompletionRow]) -> CompletionRow:
    """All ``rows`` together (key ``total``), with the splits added up too."""
    total = CompletionRow("total", "Total")
    for row in rows:
        total.figures.add(row.figures)
        for gender in GENDERS:
            total.by_gender[gender].add(row.by_gender[gender])
        for area in AREAS:
            total.by_area[area].add(row.by_area[area])
    return total
