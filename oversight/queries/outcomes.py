"""Outcomes: what graduates answered 3, 6 and 12 months after their cohort ended, per wave, by track, course,
centre, district, province, gender, area, partner or cohort end month, within a reader's scope — summed from the
tallies (``outcomes.tallies``: one small row per wave, cohort, gender and area, with an earnings histogram), never
from the answers. The page, the downloads and ``GET /api/v1/reports/outcomes`` read ``outcomes_report``; what each
figure means is ``oversight.outcome_figures``.

Privacy and noise: a figure whose sample is under ``SUPPRESS_BELOW`` (5) is suppressed — None here, "fewer than
5" on the page, null in the API and the downloads: the answers and every share when a group has fewer than 5
answers; the earnings quartiles when fewer than 5 answers report earnings above 0; a gap when either side's
figure is suppressed."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from operator import add

from sqlalchemy import Select, bindparam, func, select

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Cohort, Course
from extensions import db
from outcomes.rollups import FIGURES, NATIONAL, QUARTILES, outcome_rollup, quartiles_of
from outcomes.tallies import BUCKETS, COUNT_COLUMNS, outcome_tally, outcome_tally_bucket
from vocabulary import Area, Gender, PartnerType, Track

SUPPRESS_BELOW = 5
WAVES = (3, 6, 12)
OUTCOME_GROUPINGS = ("province", "district", "centre", "track", "course", "gender", "area", "partner", "month")
SUMMED = (*COUNT_COLUMNS, "earnings_pkr")
SUMS = tuple(func.sum(outcome_tally.c[column]) for column in SUMMED)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Cell:
    """Sums of tally rows: the counts (``outcomes.tallies.COUNT_COLUMNS``), the earnings total and the histogram
    — or, read from a roll-up row, the quartiles the roll-up keeps instead of the histogram (``histogram`` None,
    ``kept_quartiles`` set): such a cell is final, it cannot be added to another."""

    waves: int = 0
    answers: int = 0
    working: int = 0
    freelancing: int = 0
    earning: int = 0
    earnings_answers: int = 0
    earnings_pkr: Decimal = Decimal(0)
    histogram: list[int] | None = field(default_factory=lambda: [0] * BUCKETS)
    kept_quartiles: tuple[int | None, ...] | None = None

    @classmethod
    def of(cls, values) -> "Cell":
        counts = [int(value or 0) for value in values[: len(COUNT_COLUMNS)]]
        return cls(*counts, Decimal(values[len(COUNT_COLUMNS)] or 0))

    def __iadd__(self, other: "Cell") -> "Cell":
        if self.histogram is None or other.histogram is None:
            raise TypeError("a roll-up's cell keeps its quartiles, not its histogram: it cannot be summed")
        for name in COUNT_COLUMNS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.earnings_pkr += other.earnings_pkr
        self.histogram = list(map(add, self.histogram, other.histogram))
        self.__dict__.pop("estimated_quartiles", None)  # computed from the sums before these
        self.__dict__.pop("quartiles", None)
        return self

    def shown(self, value, sample: int):
        """``value``, or None when its sample is under ``SUPPRESS_BELOW``."""
        return value if sample >= SUPPRESS_BELOW else None

    @property
    def suppressed(self) -> bool:
        return self.answers < SUPPRESS_BELOW

    def share(self, part: int) -> float | None:
        return self.shown(ratio(part, self.answers), self.answers)

    @cached_property
    def estimated_quartiles(self) -> list[int | None]:
        """The lower quartile, median and upper quartile of the earners' monthly earnings in whole PKR, from the
        histogram or as the roll-up kept them (None each with no earner), never suppressed."""
        if self.histogram is None:
            return list(self.kept_quartiles or (None, None, None))
        return list(quartiles_of(self.histogram))

    @cached_property
    def quartiles(self) -> list[int | None]:
        """``estimated_quartiles`` as shown: None each when fewer than 5 answers report earnings above 0."""
        if self.earning < SUPPRESS_BELOW:
            return [None, None, None]
        return self.estimated_quartiles


def gap(first: float | None, second: float | None) -> float | None:
    """``first − second`` (None when either is suppressed or missing)."""
    return None if first is None or second is None else first - second


def relative_gap(first: float | None, second: float | None) -> float | None:
    """``first ÷ second − 1`` (None when either is suppressed or missing, or ``second`` is 0)."""
    return None if first is None or not second else first / second - 1


@dataclass
class OutcomeRow:
    """One group of the outcomes report for one wave: its sums, and those of its women and men, rural and urban
    graduates (for the gaps). The figures are properties (None when suppressed), so a total computes them from
    sums. What each means: ``oversight.outcome_figures``."""

    key: str
    name: str
    all: Cell = field(default_factory=Cell)
    women: Cell = field(default_factory=Cell)
    men: Cell = field(default_factory=Cell)
    rural: Cell = field(default_factory=Cell)
    urban: Cell = field(default_factory=Cell)

    # Counts ------------------------------------------------------------------------------------------------
    @property
    def waves(self) -> int:
        return self.all.waves

    @property
    def answers(self) -> int | None:
        return self.all.shown(self.all.answers, self.all.answers)

    @property
    def response_rate(self) -> float | None:
        return self.all.shown(ratio(self.all.answers, self.all.waves), self.all.answers)

    @property
    def share_working(self) -> float | None:
        return self.all.share(self.all.working)

    @property
    def share_freelancing(self) -> float | None:
        return self.all.share(self.all.freelancing)

    @property
    def share_earning(self) -> float | None:
        return self.all.share(self.all.earning)

    @property
    def earners(self) -> int | None:
        return self.all.shown(self.all.earning, self.all.earning)

    @property
    def earnings_q1(self) -> float | None:
        return self.all.quartiles[0]

    @property
    def earnings_median(self) -> float | None:
        return self.all.quartiles[1]

    @property
    def earnings_q3(self) -> float | None:
        return self.all.quartiles[2]

    @property
    def reported_monthly_pkr(self) -> float | None:
        return self.all.shown(float(self.all.earnings_pkr), self.all.answers)

    # Gaps --------------------------------------------------------------------------------------------------
    @property
    def women_answers(self) -> int | None:
        return self.women.shown(self.women.answers, self.women.answers)

    @property
    def men_answers(self) -> int | None:
        return self.men.shown(self.men.answers, self.men.answers)

    @property
    def women_gap_earning(self) -> float | None:
        return gap(self.women.share(self.women.earning), self.men.share(self.men.earning))

    @property
    def women_gap_median(self) -> float | None:
        return relative_gap(self.women.quartiles[1], self.men.quartiles[1])

    @property
    def rural_answers(self) -> int | None:
        return self.rural.shown(self.rural.answers, self.rural.answers)

    @property
    def urban_answers(self) -> int | None:
        return self.urban.shown(self.urban.answers, self.urban.answers)

    @property
    def rural_gap_earning(self) -> float | None:
        return gap(self.rural.share(self.rural.earning), self.urban.share(self.urban.earning))

    @property
    def rural_gap_median(self) -> float | None:
        return relative_gap(self.rural.quartiles[1], self.urban.quartiles[1])

    def __iadd__(self, other: "OutcomeRow") -> "OutcomeRow":
        for side in ("all", "women", "men", "rural", "urban"):
            getattr(self, side).__iadd__(getattr(other, side))
        return self


@dataclass(frozen=True)
class Headline:
    """The report's headline for one wave: "graduates who answered report PKR N a month in total (annualised),
    from M of K graduates (R% response)" — only what they answered, never extrapolated to those who did not."""

    monthly_pkr: float | None
    yearly_pkr: float | None
    answers: int | None
    waves: int
    response_rate: float | None


def headline(total: OutcomeRow) -> Headline:
    monthly = total.reported_monthly_pkr
    return Headline(
        monthly_pkr=monthly,
        yearly_pkr=None if monthly is None else monthly * 12,
        answers=total.answers,
        waves=total.waves,
        response_rate=total.response_rate,
    )


def _grouping(group_by: str, table=outcome_tally) -> tuple[list, object]:
    """The columns a group of ``table`` (cells or buckets) is keyed by, and its name column (None: named from
    the vocabulary or the key)."""
    return {
        "province": ([Province.code], Province.name),
        "district": ([Province.code, District.code], District.name),
        "centre": ([Centre.code], Centre.name),
        "track": ([Course.track], None),
        "course": ([Course.code], Course.title),
        "gender": ([table.c.gender], None),
        "area": ([table.c.area], None),
        "partner": ([Centre.partner_type], None),
        # The buckets carry no month: their cohort's end day, gathered into its month by ``_key``.
        "month": ([table.c.ends_month] if table is outcome_tally else [Cohort.ends_on], None),
    }[group_by]


VOCABULARIES = {"track": Track, "gender": Gender, "area": Area, "partner": PartnerType}


def _key(group_by: str, values: tuple) -> str:
    if group_by == "month":
        return values[0].isoformat()[:7]
    return "-".join(str(value.value if hasattr(value, "value") else value) for value in values)


def _name(group_by: str, key: str, label) -> str:
    """A group's name in English (the API and downloads are data; pages show their own labels)."""
    if group_by in VOCABULARIES:
        return VOCABULARIES[group_by](key).plain_label
    if group_by == "month":
        return date.fromisoformat(key + "-01").strftime("%B %Y")
    return label


@lru_cache(maxsize=256)
def _pass(
    group_by: str, bucketed: bool, split: str, by_province: bool, by_centres: bool, by_code: bool, by_centre: bool
) -> tuple[Select, int, int, bool]:
    """One pass of the report, built once per shape and reused with bound values (building and caching a new
    statement for every request cost more than running it on a small database): the statement, the width of
    the group key, where the split column is, and whether the group has a name column.

    Over the tally cells (``bucketed`` False: the counts) or the histogram buckets of the wave
    (``:wave``) joined to the cohort's course, centre, district and province, split by gender or by area (rural
    and urban only), within the scope (``:province_id``, ``:centre_ids``) and narrowing (``:province_code``,
    ``:centre_id``) that are present."""
    table = outcome_tally_bucket if bucketed else outcome_tally
    keys, name = _grouping(group_by, table)
    labels = [*keys, *([name] if name is not None else [])]
    by = table.c[split]
    figures = (table.c.bucket, func.sum(table.c.earners)) if bucketed else SUMS
    stmt = (
        select(*labels, by, *figures)
        .select_from(table)
        .join(Cohort, Cohort.id == table.c.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(Centre, Centre.id == Cohort.centre_id)
        .join(District, District.id == Centre.district_id)
        .join(Province, Province.id == District.province_id)
        .where(table.c.months == bindparam("wave"))
    )
    if by_province:
        stmt = stmt.where(District.province_id == bindparam("province_id"))
    if by_centres:
        stmt = stmt.where(Cohort.centre_id.in_(bindparam("centre_ids", expanding=True)))
    if by_code:
        stmt = stmt.where(Province.code == bindparam("province_code"))
    if by_centre:
        stmt = stmt.where(Cohort.centre_id == bindparam("centre_id"))
    if split == "area":
        stmt = stmt.where(by.in_((Area.RURAL, Area.URBAN)))
    stmt = stmt.group_by(*labels, by, *([table.c.bucket] if bucketed else []))
    return stmt, len(keys), len(labels), name is not None


@dataclass
class OutcomesReport:
    """The report's rows (ordered by key) and their total (key ``total``)."""

    rows: list[OutcomeRow]
    total: OutcomeRow


def outcomes_report(
    scope: OversightScope,
    wave: int = 3,
    group_by: str = "province",
    *,
    province_code: str | None = None,
    centre_id: int | None = None,
) -> OutcomesReport:
    """The outcomes of ``wave`` (3, 6 or 12 months) per group of ``group_by`` (``OUTCOME_GROUPINGS``; districts
    keyed ``PROVINCE-DISTRICT``, months ``YYYY-MM``), within ``scope`` (narrowed to a province by code or to a
    centre by id when given), ordered by key, and their total; groups with no graduate asked are absent.

    A national or provincial report (no centre in the scope or the narrowing) reads the roll-ups
    (``outcomes.rollups``: one row per group and side, whatever the number of cohorts: ``rolled_up``), its
    quartiles as the roll-ups keep them, and its total from the scope's province rows (every graduate is in one
    province as in one group of any grouping; their histograms add up to the total's quartiles); a reader of a
    few centres, or a report narrowed to one centre, sums the per-cohort tallies (``per_cohort``) and their
    total. Both give the same figures."""
    if scope.centre_ids is None and centre_id is None:
        province_id = scope.province_id
        if province_code is not None:
            named = db.session.scalar(select(Province.id).where(Province.code == province_code))
            if named is None or (province_id is not None and named != province_id):
                # A province outside the reader's scope, or none: nothing, as the tallies would say.
                return OutcomesReport([], outcome_totals([]))
            province_id = named
        scope_id = NATIONAL if province_id is None else province_id
        return OutcomesReport(rolled_up(wave, group_by, scope_id), rolled_up_total(wave, scope_id))
    rows = per_cohort(scope, wave, group_by, province_code=province_code, centre_id=centre_id)
    return OutcomesReport(rows, outcome_totals(rows))


def _rollup_read(*figures: str):
    return (
        select(outcome_rollup.c.group_key, outcome_rollup.c.side, *(outcome_rollup.c[name] for name in figures))
        .where(outcome_rollup.c.months == bindparam("wave"))
        .where(outcome_rollup.c.province_id == bindparam("province_id"))
        .where(outcome_rollup.c.grouping == bindparam("grouping"))
    )


# A report's rows: the counts, the earnings total and the kept quartiles (13 columns, not the 75 buckets).
ROLLUP_READ = _rollup_read(*COUNT_COLUMNS, "earnings_pkr", *QUARTILES)
# Its total's rows: the province rows with their histograms, to be summed.
ROLLUP_HISTOGRAM_READ = _rollup_read(*FIGURES)
HISTOGRAM_AT = len(COUNT_COLUMNS) + 1  # where the histogram (or the quartiles) start in a row's figures


def _rollup_cells(wave: int, group_by: str, province_id: int, *, with_histograms: bool) -> dict[str, dict[str, Cell]]:
    """{group key: {side: cell}} of one scope's roll-up rows, read by ``ROLLUP_READ`` (cells with the kept
    quartiles) or ``ROLLUP_HISTOGRAM_READ`` (cells with histograms)."""
    cells: dict[str, dict[str, Cell]] = {}
    parameters = {"wave": wave, "province_id": province_id, "grouping": group_by}
    read = ROLLUP_HISTOGRAM_READ if with_histograms else ROLLUP_READ
    for group_key, side, *figures in db.session.connection().execute(read, parameters):
        cell = Cell.of(figures)
        if with_histograms:
            cell.histogram = list(figures[HISTOGRAM_AT:])
        else:
            cell.histogram, cell.kept_quartiles = None, tuple(figures[HISTOGRAM_AT:])
        cells.setdefault(group_key, {})[side] = cell
    return cells


def rolled_up_total(wave: int, province_id: int) -> OutcomeRow:
    """The total of any grouping's roll-up report of one scope: the sum of its province rows, side by side."""
    rows = []
    for sides in _rollup_cells(wave, "province", province_id, with_histograms=True).values():
        row = OutcomeRow("", "")
        for side, cell in sides.items():
            setattr(row, side, cell)
        rows.append(row)
    return outcome_totals(rows)


def rolled_up(wave: int, group_by: str, province_id: int) -> list[OutcomeRow]:
    """``outcomes_report``'s rows from the roll-ups of one scope (``NATIONAL`` or a province's id): one row per
    group and side (``all``, ``women``, ``men``, ``rural``, ``urban``) with the quartiles the roll-ups keep, named
    from the live province, district, centre or course."""
    cells = _rollup_cells(wave, group_by, province_id, with_histograms=False)
    names = _names(group_by, [key for key, sides in cells.items() if _asked(sides.get("all"))])
    rows = []
    for group_key, (key, name) in names.items():
        row = OutcomeRow(key, name)
        for side, cell in cells[group_key].items():
            setattr(row, side, cell)
        rows.append(row)
    return sorted(rows, key=lambda row: row.key)


def _asked(cell: Cell | None) -> bool:
    """Whether a group's cell holds anything (a roll-up row brought back to 0 by a recount stays, empty)."""
    return cell is not None and bool(cell.waves or cell.answers or cell.earnings_answers)


NAMED = {
    "province": lambda: select(Province.id, Province.code, Province.name),
    "district": lambda: select(District.id, Province.code + "-" + District.code, District.name).join(
        Province, Province.id == District.province_id
    ),
    "centre": lambda: select(Centre.id, Centre.code, Centre.name),
    "course": lambda: select(Course.id, Course.code, Course.title),
}


def _names(group_by: str, group_keys: list[str]) -> dict[str, tuple[str, str]]:
    """{roll-up group key: (report key, name)}: the ids of provinces, districts, centres and courses become their
    codes and names as they are now; vocabulary values and months name themselves."""
    if group_by not in NAMED:
        return {key: (key, _name(group_by, key, None)) for key in group_keys}
    ids = [int(key) for key in group_keys]
    found = {}
    if ids:
        stmt = NAMED[group_by]()
        id_column = stmt.selected_columns[0]
        for entity_id, key, name in db.session.execute(stmt.where(id_column.in_(ids))):
            found[str(entity_id)] = (key, name)
    return found


def per_cohort(
    scope: OversightScope,
    wave: int = 3,
    group_by: str = "province",
    *,
    province_code: str | None = None,
    centre_id: int | None = None,
) -> list[OutcomeRow]:
    """``outcomes_report`` summed from the per-cohort tallies: four small passes over the wave's tallies of the
    scope (a few rows per cohort): the counts by group and gender (the figures, and women's and men's), by group
    and area (rural and urban graduates: semi-urban ones are in the figures but in neither side of the gap),
    and the earnings histogram's buckets likewise."""
    rows: dict[str, OutcomeRow] = {}
    connection = db.session.connection()
    shape = (
        scope.province_id is not None,
        scope.centre_ids is not None,
        province_code is not None,
        centre_id is not None,
    )
    values_of = {
        "wave": wave,
        "province_id": scope.province_id,
        "centre_ids": sorted(scope.centre_ids or [-1]),
        "province_code": province_code,
        "centre_id": centre_id,
    }
    for bucketed, split in ((False, "gender"), (False, "area"), (True, "gender"), (True, "area")):
        stmt, width, at, named = _pass(group_by, bucketed, split, *shape)
        wanted = {"wave", *(name for name, present in zip(SHAPE_PARAMETERS, shape, strict=True) if present)}
        parameters = {name: value for name, value in values_of.items() if name in wanted}
        # Executed on the connection (Core): the rows need no ORM processing.
        for values in connection.execute(stmt, parameters):
            key = _key(group_by, values[:width])
            row = rows.get(key)
            if row is None:
                row = rows[key] = OutcomeRow(key, _name(group_by, key, values[width] if named else None))
            side = SIDES.get(values[at])
            if not bucketed:
                cell = Cell.of(values[at + 1 :])
                if split == "gender":
                    row.all += cell
                if side is not None:
                    setattr(row, side, cell)
            else:
                bucket, earners = values[at + 1], int(values[at + 2] or 0)
                if split == "gender":
                    row.all.histogram[bucket] += earners
                if side is not None:
                    getattr(row, side).histogram[bucket] += earners
    return sorted(rows.values(), key=lambda row: row.key)


# The bound values of each optional filter of ``_pass``, in the order of its flags.
SHAPE_PARAMETERS = ("province_id", "centre_ids", "province_code", "centre_id")
# Which side of a gap a gender or an area is on (transgender and semi-urban graduates: neither).
SIDES = {Gender.FEMALE: "women", Gender.MALE: "men", Area.RURAL: "rural", Area.URBAN: "urban"}


def outcome_totals(rows: list[OutcomeRow]) -> OutcomeRow:
    """The sum of ``rows`` as one row (key ``total``); its figures are computed from the sums. Each side's cells
    are summed column by column (``zip``): adding 500 centres' histograms cell by cell cost more than the query."""
    total = OutcomeRow("total", "Total")
    for side in ("all", "women", "men", "rural", "urban"):
        cells = [getattr(row, side) for row in rows]
        if not cells:
            continue
        summed = Cell(
            *(sum(getattr(cell, name) for cell in cells) for name in COUNT_COLUMNS),
            sum((cell.earnings_pkr for cell in cells), Decimal(0)),
            list(map(sum, zip(*(cell.histogram for cell in cells), strict=True))),
        )
        setattr(total, side, summed)
    return total
