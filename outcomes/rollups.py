"""The outcomes report's roll-ups: the tallies (``outcomes.tallies``) summed in advance per wave, grouping, group,
scope and side, so that a national or provincial report reads one small row set, whatever the number of cohorts.

One ``outcome_rollup`` row per (wave months, ``province_id``, grouping, group key, side):

- ``province_id``: the scope the row sums — one province's graduates, or ``NATIONAL`` (0) for every province;
- ``grouping``: one of ``GROUPINGS`` (the report's groupings); ``group_key`` the group: the province's, district's,
  centre's or course's id (the report names it from the live row), the track, gender, area or partner type
  value, or the cohort end month ``YYYY-MM``;
- ``side``: ``all`` (every graduate of the group), ``women`` and ``men``, ``rural`` and ``urban`` (the sides of
  the report's gaps: transgender and semi-urban graduates are in ``all`` only);
- the tally's counts and earnings total, and the earners' histogram as one column per bucket (``b00`` … ``b74``,
  the buckets of ``outcomes.tallies``): a column per bucket is added to with the same ``x = x + excluded.x`` on
  both databases;
- the earners' quartiles read from that histogram (``QUARTILES``: lower quartile, median, upper quartile in whole
  PKR; NULL with no earner), written whenever the histogram moves, so that a report of 500 centres reads 13
  columns of each row instead of 82 and estimates no quartile (the report's total, a sum of groups, still sums
  the histograms of the few province rows: ``oversight.queries.outcomes``).

A group's facts are the cohort's as they are now (its centre's province, district and partner type, its course
and the course's track), as the per-cohort report joins them: ``add_cells`` looks them up when an answer or a
wave moves a tally, and ``shift`` moves a centre's or a course's graduates between groups when an admin changes
the centre's district or partner type or the course's track (``centres.services``, ``courses.services``).

The rows move in the same transaction as the tallies, by deltas in one ``INSERT … ON CONFLICT DO UPDATE`` per
change (every row a change touches, in key order, so that concurrent writers on PostgreSQL lock them in the same
order and add up). ``recount_rollups`` recomputes every row from the tallies (``flask oversight recount``, after
the tallies are checked against the answers) and with ``fix`` rewrites the rows that differ: it is also how
the roll-ups are first filled (after the migration that adds them, and by ``flask seed scale``)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from centres.models import Centre, District
from courses.models import Cohort, Course
from extensions import db
from outcomes.tallies import BUCKETS, COUNT_COLUMNS, outcome_tally, outcome_tally_bucket, quantiles
from vocabulary import Area, Gender, PartnerType, Track

NATIONAL = 0
GROUPINGS = ("province", "district", "centre", "track", "course", "gender", "area", "partner", "month")
HISTOGRAM = tuple(f"b{bucket:02d}" for bucket in range(BUCKETS))
FIGURES = (*COUNT_COLUMNS, "earnings_pkr", *HISTOGRAM)  # what a change adds to (deltas)
QUARTILES = ("q1_pkr", "median_pkr", "q3_pkr")  # what the histogram gives (never added to)
EARNINGS = len(COUNT_COLUMNS)  # where earnings_pkr is in FIGURES; the histogram follows it
KEY = ("months", "province_id", "grouping", "group_key", "side")
# The side of a gap a gender or an area is on (others: none).
SIDE_OF = {Gender.FEMALE: "women", Gender.MALE: "men", Area.RURAL: "rural", Area.URBAN: "urban"}

outcome_rollup = Table(
    "outcome_rollup",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("months", SmallInteger, nullable=False),
    Column("province_id", Integer, nullable=False),  # NATIONAL (0) or a province's id: no foreign key
    Column("grouping", String(8), nullable=False),
    Column("group_key", String(24), nullable=False),
    Column("side", String(5), nullable=False),
    *(Column(name, Integer, nullable=False, server_default="0") for name in COUNT_COLUMNS),
    Column("earnings_pkr", Numeric(16, 2), nullable=False, server_default="0"),
    *(Column(name, Integer, nullable=False, server_default="0") for name in HISTOGRAM),
    *(Column(name, Integer, nullable=True) for name in QUARTILES),
    UniqueConstraint(*KEY, name="uq_outcome_rollup_group"),
)

# The cohort's facts a group is keyed by, in the order ``group_keys`` takes them.
FACTS = (
    District.province_id,
    Centre.district_id,
    Cohort.centre_id,
    Cohort.course_id,
    Course.track,
    Centre.partner_type,
)


def month_key(day: date | str) -> str:
    return (day if isinstance(day, str) else day.isoformat())[:7]


def group_keys(facts: tuple, gender: Any, area: Any, ends_month: date | str) -> dict[str, str]:
    """The group of each grouping that a tally cell of a cohort with ``facts`` (``FACTS``) is in."""
    province_id, district_id, centre_id, course_id, track, partner = facts
    return {
        "province": str(province_id),
        "district": str(district_id),
        "centre": str(centre_id),
        "track": Track(track).value,
        "course": str(course_id),
        "gender": Gender(gender).value,
        "area": Area(area).value,
        "partner": PartnerType(partner).value,
        "month": month_key(ends_month),
    }


def targets(months: int, province_id: int, keys: dict[str, str], gender: Any, area: Any) -> list[tuple]:
    """Every roll-up row (``KEY``) a tally cell with these group ``keys``, gender and area is summed into: each
    grouping's group, in its province and nationally, on the side ``all`` and on its gender's and area's side."""
    sides = ["all", *(side for side in (SIDE_OF.get(Gender(gender)), SIDE_OF.get(Area(area))) if side)]
    return [
        (months, scope, grouping, keys[grouping], side)
        for scope in (NATIONAL, province_id)
        for grouping in GROUPINGS
        for side in sides
    ]


def cohort_facts(cohort_id: int) -> tuple:
    """A cohort's ``FACTS`` as they are now."""
    return tuple(db.session.execute(_joined(select(*FACTS).select_from(Cohort)).where(Cohort.id == cohort_id)).one())


def _joined(stmt):
    return (
        stmt.join(Course, Course.id == Cohort.course_id)
        .join(Centre, Centre.id == Cohort.centre_id)
        .join(District, District.id == Centre.district_id)
    )


# Moving them ----------------------------------------------------------------------------------------------------


def upsert_rows(rows: dict[tuple, dict[str, Any]]) -> None:
    """Add each row's figures ({KEY values: {figure: delta}}) to the roll-up rows, creating the missing ones: one
    ``INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`` executed for many rows at once per set of figures
    changed, rows in key order (the order concurrent writers lock them in). Rows whose histogram moved return
    it, and their ``QUARTILES`` are written from it in one more statement: the rows are locked by this
    transaction from the upsert on (PostgreSQL; SQLite has one writer), so what it returned is what commits."""
    by_columns: dict[tuple, list[dict[str, Any]]] = {}
    for key in sorted(rows):
        changes = {name: value for name, value in rows[key].items() if value}
        if changes:
            by_columns.setdefault(tuple(sorted(changes)), []).append(dict(zip(KEY, key, strict=True)) | changes)
    dialect = db.session.get_bind().dialect.name
    moved: list[dict[str, Any]] = []
    for names, values in by_columns.items():
        histogram_moved = not HISTOGRAM_SET.isdisjoint(names)
        result = db.session.execute(_upsert(dialect, names, histogram_moved), values)
        if histogram_moved:
            moved.extend(
                {"row_id": row_id, **dict(zip(QUARTILES, quartiles_of(histogram), strict=True))}
                for row_id, *histogram in result
            )
    if moved:
        db.session.execute(SET_QUARTILES, moved)


HISTOGRAM_SET = frozenset(HISTOGRAM)
SET_QUARTILES = (
    update(outcome_rollup)
    .where(outcome_rollup.c.id == bindparam("row_id"))
    .values({name: bindparam(name) for name in QUARTILES})
)


@lru_cache(maxsize=512)
def _upsert(dialect: str, names: tuple[str, ...], returning_histogram: bool):
    """The upsert adding ``names``, built once: executed with a list of rows, the statement is compiled once and
    run for each row (a multi-row VALUES statement was compiled anew each time: 60 ms an answer). With
    ``returning_histogram``, each row's id and histogram as they are after the addition."""
    insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_for(outcome_rollup)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_={name: outcome_rollup.c[name] + statement.excluded[name] for name in names}
    )
    if returning_histogram:
        statement = statement.returning(outcome_rollup.c.id, *(outcome_rollup.c[name] for name in HISTOGRAM))
    return statement


def quartiles_of(histogram: list[int] | tuple[int, ...]) -> tuple[int | None, int | None, int | None]:
    """A roll-up row's ``QUARTILES``: the histogram's lower quartile, median and upper quartile in whole PKR
    (``outcomes.tallies.quantiles``), None each when it holds no earner. Unsuppressed: the report hides them
    when fewer than 5 earners stand behind them."""
    return tuple(None if value is None else round(value) for value in quantiles(histogram))


def add_cells(cells: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Add tally changes to the roll-ups: ``cells`` pairs a tally key (months, cohort_id, gender, area,
    ends_month) with its changes — counts, ``earnings_pkr`` and histogram columns (``b07``: ±earners)."""
    facts_of: dict[int, tuple] = {}
    rows: dict[tuple, dict[str, Any]] = {}
    for key, changes in cells:
        cohort_id = key["cohort_id"]
        facts = facts_of.get(cohort_id) or facts_of.setdefault(cohort_id, cohort_facts(cohort_id))
        keys = group_keys(facts, key["gender"], key["area"], key["ends_month"])
        for target in targets(key["months"], facts[0], keys, key["gender"], key["area"]):
            row = rows.setdefault(target, {})
            for name, value in changes.items():
                row[name] = row.get(name, 0) + value
    upsert_rows(rows)


def shift(sign: int, *, centre_id: int | None = None, course_id: int | None = None) -> None:
    """Take out (``sign`` −1) or put back (+1) every roll-up figure of a centre's or a course's cohorts, from
    their tallies and their facts as they are now: around a change of the centre's district or partner type or
    the course's track, so that its graduates move to their new groups (in the same transaction)."""
    condition = Cohort.centre_id == centre_id if centre_id is not None else Cohort.course_id == course_id
    computed = computed_rollups(condition)
    rows = {
        key: {name: sign * value for name, value in zip(FIGURES, figures, strict=True)}
        for key, figures in computed.items()
    }
    upsert_rows(rows)


# Recounting them ------------------------------------------------------------------------------------------------


def computed_rollups(condition=None, *, connection=None) -> dict[tuple, list]:
    """Every roll-up row as summed from the stored tallies (of the cohorts meeting ``condition``, when given):
    {KEY values: figures in ``FIGURES`` order}. Set-based: per grouping, one pass over the tally cells and one
    over the histogram buckets, each grouped by province, group, gender and area in the database; the provincial
    rows are spread to their sides and summed into the national ones here. ``connection``: where to read
    (default: the session)."""
    run = (connection or db.session).execute
    found: dict[tuple, list] = {}
    group_column = {
        "province": District.province_id,
        "district": Centre.district_id,
        "centre": Cohort.centre_id,
        "track": Course.track,
        "course": Cohort.course_id,
        "partner": Centre.partner_type,
    }
    for grouping in GROUPINGS:
        for table in (outcome_tally, outcome_tally_bucket):
            counts = table is outcome_tally
            if grouping in group_column:
                value = group_column[grouping]
            elif grouping == "month":
                # The buckets carry no month: their cohort's end day, gathered into its month below.
                value = table.c.ends_month if counts else Cohort.ends_on
            else:
                value = table.c[grouping]
            value = value.label("group_value")
            figures = (
                [func.sum(table.c[name]) for name in (*COUNT_COLUMNS, "earnings_pkr")]
                if counts
                else [table.c.bucket, func.sum(table.c.earners)]
            )
            keys = [table.c.months, District.province_id, value, table.c.gender, table.c.area]
            stmt = _joined(select(*keys, *figures).select_from(table).join(Cohort, Cohort.id == table.c.cohort_id))
            if condition is not None:
                stmt = stmt.where(condition)
            stmt = stmt.group_by(*keys, *([] if counts else [table.c.bucket]))
            for months, province_id, group_value, gender, area, *sums in run(stmt):
                group_key = _group_key(grouping, group_value)
                if counts:
                    deltas = [int(value or 0) for value in sums[:EARNINGS]]
                    deltas.append(Decimal(sums[EARNINGS] or 0))
                    start = 0
                else:
                    bucket, earners = sums
                    deltas, start = [int(earners or 0)], EARNINGS + 1 + bucket
                sides = ["all", *(side for side in (SIDE_OF.get(Gender(gender)), SIDE_OF.get(Area(area))) if side)]
                for scope in (NATIONAL, province_id):
                    for side in sides:
                        row = found.get((months, scope, grouping, group_key, side))
                        if row is None:
                            row = found[(months, scope, grouping, group_key, side)] = [0] * len(FIGURES)
                            row[EARNINGS] = Decimal(0)
                        for offset, delta in enumerate(deltas):
                            row[start + offset] += delta
    return found


def _group_key(grouping: str, value: Any) -> str:
    if grouping == "month":
        return month_key(value)
    return str(value.value if hasattr(value, "value") else value)


@dataclass(frozen=True)
class RollupDrift:
    """A roll-up row whose figures disagree with the tallies."""

    months: int
    province_id: int
    grouping: str
    group_key: str
    side: str
    figures: tuple[str, ...]


def recount_rollups(*, fix: bool = False, connection=None) -> list[RollupDrift]:
    """Compare every roll-up row with the sums of the stored tallies (checked against the answers by
    ``tallies.recount_tallies``, which runs first) and return the rows that differ; with ``fix=True`` rewrite
    them (missing rows created, rows with nothing behind them deleted). Flushes, never commits.
    ``connection``: where to run (default: the session; the scale seeds pass theirs)."""
    run = (connection or db.session).execute
    computed = {
        key: [*figures, *quartiles_of(figures[EARNINGS + 1 :])]
        for key, figures in computed_rollups(connection=connection).items()
    }
    stored = {}
    for row in run(select(*(outcome_rollup.c[name] for name in (*KEY, *FIGURES, *QUARTILES)))):
        stored[tuple(row[: len(KEY)])] = list(row[len(KEY) :])
    empty = [0] * len(FIGURES) + [None] * len(QUARTILES)
    drifts, wrong = [], []
    for key in sorted(set(computed) | set(stored)):
        want, have = computed.get(key, empty), stored.get(key, empty)
        differ = tuple(
            name
            for name, actual, kept in zip((*FIGURES, *QUARTILES), want, have, strict=True)
            if _differs(actual, kept)
        )
        if differ:
            drifts.append(RollupDrift(*key, differ))
            wrong.append(key)
    if fix and wrong:
        for key in wrong:
            if key in stored:
                where = and_(*(outcome_rollup.c[name] == value for name, value in zip(KEY, key, strict=True)))
                run(outcome_rollup.delete().where(where))
        rows = [
            dict(zip(KEY, key, strict=True)) | dict(zip((*FIGURES, *QUARTILES), computed[key], strict=True))
            for key in wrong
            if key in computed
        ]
        for start in range(0, len(rows), 5000):
            run(outcome_rollup.insert(), rows[start : start + 5000])
        if connection is None:
            db.session.flush()
    return drifts


def _differs(actual: Any, kept: Any) -> bool:
    """Whether a stored figure differs from the recounted one (money to the paisa; a quartile may be None)."""
    if actual is None or kept is None:
        return actual is not kept
    return Decimal(actual).quantize(Decimal("0.01")) != Decimal(kept).quantize(Decimal("0.01"))


__all__ = [
    "GROUPINGS",
    "HISTOGRAM",
    "NATIONAL",
    "QUARTILES",
    "add_cells",
    "computed_rollups",
    "outcome_rollup",
    "quartiles_of",
    "recount_rollups",
    "shift",
]
