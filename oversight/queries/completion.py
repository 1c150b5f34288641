"""The completion report (issue 17): attendance, assessment, completion by rule, certificates, trainees at risk
and backfilled seats, per province, district, centre or track, each split by gender and by area.

Every figure is a sum of the tallies (``enrollments.tallies.CohortTally``: per cohort, gender and area), over
the cohorts the capacity report selects (``capacity.reported_cohorts``: the same scope, period and filters,
read from the cohort's facts each tally row copies): one pass over at most nine rows per cohort, never over
the enrollments, nor over the cohort table. What each figure means:
``oversight.figures.COMPLETION_FIGURES``.
"""

from dataclasses import dataclass, field
from datetime import date
from operator import add, attrgetter

from sqlalchemy import Select, String, func, select, type_coerce

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Course
from enrollments.tallies import TALLY_NAMES, CohortTally
from extensions import db
from oversight.queries.capacity import _report_keys, narrowed_to, ratio
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


# The sums a report reads, in ``TALLY_NAMES`` order: built once (building them cost as much as running them).
SUMS = [func.sum(getattr(CohortTally, tally)) for tally in TALLY_NAMES]


def reported_tallies(
    stmt: Select,
    scope: OversightScope,
    province_code: str | None,
    starts_from: date | None,
    starts_to: date | None,
    *,
    district_id: int | None = None,
    centre_id: int | None = None,
    camps: bool = False,
    women_only: bool = False,
    mode: Mode | None = None,
) -> Select:
    """``stmt`` (with ``CohortTally`` in its FROM) joined to the centre, district and province, limited to the
    tallies of the cohorts ``capacity.reported_cohorts`` selects with the same arguments, read from the facts
    each tally row copies from its cohort (``enrollments.tallies.COHORT_FACTS``): no join to the cohort table."""
    stmt = (
        stmt.join(Centre, Centre.id == CohortTally.centre_id)
        .join(District, District.id == Centre.district_id)
        .join(Province, Province.id == District.province_id)
    )
    return narrowed_to(
        stmt,
        CohortTally,
        scope,
        province_code,
        starts_from,
        starts_to,
        district_id=district_id,
        centre_id=centre_id,
        camps=camps,
        women_only=women_only,
        mode=mode,
    )


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
    split by gender and by area. One query over the tally table (joined to the small place tables, and to the
    courses for tracks): the tallies summed by group, gender and area."""
    keys, name = _report_keys(group_by)
    labels = [*keys, *([name] if name is not None else [])]
    stmt = select(*labels, *SPLIT_VALUES, *SUMS).select_from(CohortTally)
    if group_by == "track":
        stmt = stmt.join(Course, Course.id == CohortTally.course_id)
    stmt = reported_tallies(
        stmt,
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
    # Each group's sums by gender and by area are added up as the rows come (tuples added with ``map``, one
    # C-level call per row and split), and made into figures once per group: at 500 centres the query gives
    # 4,500 rows (group × gender × area), and per-row work in Python (figures, enum conversions) cost more
    # than the query itself.
    width = len(labels)
    groups: dict[tuple, tuple[dict, dict]] = {}
    for row in db.session.connection().execute(stmt):
        group, gender, area, values = row[:width], row[width], row[width + 1], row[width + 2 :]
        splits = groups.get(group)
        if splits is None:
            groups[group] = splits = ({}, {})
        by_gender, by_area = splits
        before = by_gender.get(gender)
        by_gender[gender] = values if before is None else tuple(map(add, before, values))
        before = by_area.get(area)
        by_area[area] = values if before is None else tuple(map(add, before, values))
    report = []
    for group, (by_gender, by_area) in groups.items():
        key = "-".join(str(value.value if isinstance(value, Track) else value) for value in group[: len(keys)])
        label = group[len(keys)] if name is not None else Track(group[0]).plain_label
        report.append(figures_row(key, label, by_gender, by_area))
    report.sort(key=attrgetter("key"))
    return report


# Gender and area read as their plain values (no enum conversion per row): ``figures_row`` names them.
SPLIT_VALUES = [type_coerce(CohortTally.gender, String), type_coerce(CohortTally.area, String)]


def figures_row(key: str, label: str, by_gender: dict[str, tuple], by_area: dict[str, tuple]) -> CompletionRow:
    """A report row from its sums by gender and by area (value → the ``TALLY_NAMES`` sums in order; absent:
    nothing tallied): the total (the genders added up), and each gender and area. Positional:
    ``CompletionFigures``' fields are ``TALLY_NAMES`` in order (a test holds them to it)."""
    parts = iter(by_gender.values())
    total = next(parts)
    for part in parts:
        total = tuple(map(add, total, part))
    return CompletionRow(
        key,
        label,
        CompletionFigures(*total),
        {gender: CompletionFigures(*by_gender.get(gender.value, ())) for gender in GENDERS},
        {area: CompletionFigures(*by_area.get(area.value, ())) for area in AREAS},
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
