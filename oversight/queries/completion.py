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
from operator import attrgetter

from sqlalchemy import Select, func, select

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Course
from enrollments.tallies import TALLY_NAMES, CohortTally
from extensions import db
from oversight.queries.capacity import SELECTED_STATUSES, _report_keys, ratio, scoped
from vocabulary import Area, CohortKind, Gender, Mode, Track


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
        .where(CohortTally.status.in_(SELECTED_STATUSES))
    )
    if province_code is not None:
        stmt = stmt.where(Province.code == province_code)
    if starts_from is not None:
        stmt = stmt.where(CohortTally.starts_on >= starts_from)
    if starts_to is not None:
        stmt = stmt.where(CohortTally.starts_on <= starts_to)
    if district_id is not None:
        stmt = stmt.where(District.id == district_id)
    if centre_id is not None:
        stmt = stmt.where(CohortTally.centre_id == centre_id)
    if camps:
        stmt = stmt.where(CohortTally.kind == CohortKind.CAMP)
    if women_only:
        stmt = stmt.where(CohortTally.women_only.is_(True))
    if mode is not None:
        stmt = stmt.where(CohortTally.mode == mode)
    return scoped(stmt, scope)


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
    stmt = select(*labels, CohortTally.gender, CohortTally.area, *SUMS).select_from(CohortTally)
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
    # The group's rows (at most nine: gender × area) are gathered as they come, and summed once per group
    # below with ``zip``: at 500 centres that is 4,500 rows, and per-row arithmetic in Python cost more than
    # the query.
    width = len(labels)
    groups: dict[tuple, list] = {}
    for row in db.session.connection().execute(stmt):
        group = row[:width]
        cells = groups.get(group)
        if cells is None:
            groups[group] = cells = []
        cells.append(row[width:])
    report = []
    for group, cells in groups.items():
        key = "-".join(str(value.value if isinstance(value, Track) else value) for value in group[: len(keys)])
        label = group[len(keys)] if name is not None else Track(group[0]).plain_label
        report.append(figures_row(key, label, cells))
    report.sort(key=attrgetter("key"))
    return report


def summed(cells: list) -> CompletionFigures:
    """The figures of ``cells`` (rows of gender, area and the ``TALLY_NAMES`` sums) added up. Positional:
    ``CompletionFigures``' fields are ``TALLY_NAMES`` in order (a test holds them to it)."""
    if not cells:
        return CompletionFigures()
    return CompletionFigures(*[sum(column) or 0 for column in list(zip(*cells, strict=True))[2:]])


def figures_row(key: str, label: str, cells: list) -> CompletionRow:
    """A report row from its group's cells: the total, and the same by each gender and each area."""
    return CompletionRow(
        key,
        label,
        summed(cells),
        {gender: summed([cell for cell in cells if Gender(cell[0]) is gender]) for gender in GENDERS},
        {area: summed([cell for cell in cells if Area(cell[1]) is area]) for area in AREAS},
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
