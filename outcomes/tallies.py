"""The outcomes report's tallies: what ``oversight.queries.outcomes`` adds up instead of scanning a million answers.

One ``outcome_tally`` row per (wave months, cohort, gender, area) — the finest grain any grouping of the report
needs: every other grouping (track, course, centre, district, province, partner, cohort end month) is a property
of the cohort. Each row holds:

- ``waves``: outcome waves created for the cohort's graduates (one per graduate and wave, created when it falls
  due): the graduates asked, the response rate's denominator (``wave_created``);
- ``answers``, ``working`` (freelancing, employed or running her own business), ``freelancing``, ``earning``
  (monthly earnings above PKR 0), ``earnings_answers`` (answers that state earnings, PKR 0 included) and
  ``earnings_pkr`` (their sum, for the headline's total);
- and, in ``outcome_tally_bucket``, a histogram of the earners' monthly earnings in PKR: one row per non-empty
  bucket (``bucket``, ``earners``). Bucket 0 holds earnings under PKR 1,000; buckets 1–73 are log-spaced, each
  ``RATIO`` (1.1) times the one before, from PKR 1,000 to PKR 1,051,153 (the edges in ``EDGES``); bucket 74
  holds anything above. Sparse rows rather than 75 columns: a cell holds a few graduates, and a report that
  summed 75 mostly empty columns per cell spent six times as long in SQLite (measured: 17,000 cells, 356 ms
  against 54 ms for the counts alone, on a loaded machine).

Quartiles and medians are read from the histogram (``quantiles``): the bucket holding the exact value's rank is
found, and the value interpolated inside it on a log scale. The estimate therefore lies in the same bucket as the
exact value, so between PKR 1,000 and PKR 1,051,153 it is within a factor ``RATIO`` of it (never more than 10%
off; measured on the seeded distributions, the error is typically 1–3%). Under PKR 1,000 the estimate is
interpolated linearly between 0 and 1,000; above the top edge the figure is the top edge itself ("or more").
The exact value is the nearest-rank quantile: the ⌈q·n⌉-th smallest earning.

Why a histogram rather than exact precomputed medians: a median does not add up, and a report groups by nine
dimensions within any reader's scope (a province, a few centres); a histogram adds up, so any group is a sum of
small rows (bench/outcomes_report.py measures the report at a million graduates).

The tallies move in the same transaction as the change that moves them: ``answer_changed`` (called by
``outcomes.services.save_answer`` for every new or corrected answer) and ``wave_created`` (for every wave).
``recount`` recomputes every row from the waves and answers, reports any drift and, when asked, fixes it
(``flask oversight recount``). Rows are never written by hand: they move by +1/−1 in one UPSERT, so
concurrent answers add up on both databases.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import accumulate
from math import ceil
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    Table,
    UniqueConstraint,
    and_,
    case,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from database import enum_type
from extensions import db
from vocabulary import Area, Gender

FLOOR = 1000  # PKR: the lower edge of the first log-spaced bucket
RATIO = 1.1  # each bucket's upper edge ÷ its lower edge: the quartiles' error bound
LOG_BUCKETS = 73
# The bucket edges in PKR: EDGES[k] = 1000 × 1.1^k, k = 0 … 73 (the last is PKR 1,051,153).
EDGES: tuple[float, ...] = tuple(FLOOR * RATIO**k for k in range(LOG_BUCKETS + 1))
BUCKETS = LOG_BUCKETS + 2  # with the one under PKR 1,000 and the one above the top edge
TOP = EDGES[-1]

# The counts of a tally row besides its histogram, in the order the report reads them.
COUNT_COLUMNS = ("waves", "answers", "working", "freelancing", "earning", "earnings_answers")

outcome_tally = Table(
    "outcome_tally",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("months", SmallInteger, nullable=False),
    Column("cohort_id", ForeignKey("cohort.id"), nullable=False, index=True),
    Column("gender", enum_type(Gender, "gender"), nullable=False),
    Column("area", enum_type(Area, "area"), nullable=False),
    # The first day of the month the cohort ended (a finished cohort's dates no longer change): the report's
    # "cohort end month" grouping without a date function that differs between the databases.
    Column("ends_month", Date, nullable=False),
    *(Column(name, Integer, nullable=False, server_default="0") for name in COUNT_COLUMNS),
    Column("earnings_pkr", Numeric(16, 2), nullable=False, server_default="0"),
    UniqueConstraint("months", "cohort_id", "gender", "area", name="uq_outcome_tally_cell"),
)
# The earners of a tally cell by bucket of monthly earnings (rows for empty buckets may stay, at 0).
outcome_tally_bucket = Table(
    "outcome_tally_bucket",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("months", SmallInteger, nullable=False),
    Column("cohort_id", ForeignKey("cohort.id"), nullable=False, index=True),
    Column("gender", enum_type(Gender, "gender"), nullable=False),
    Column("area", enum_type(Area, "area"), nullable=False),
    Column("bucket", SmallInteger, nullable=False),
    Column("earners", Integer, nullable=False, server_default="0"),
    UniqueConstraint("months", "cohort_id", "gender", "area", "bucket", name="uq_outcome_tally_bucket_cell"),
)
KEY_COLUMNS = ("months", "cohort_id", "gender", "area")
FIGURE_COLUMNS = (*COUNT_COLUMNS, "earnings_pkr")


# The histogram ------------------------------------------------------------------------------------------------


def bucket_of(pkr: float | Decimal) -> int:
    """The histogram bucket of a monthly earning above 0: 0 under PKR 1,000; k for [EDGES[k−1], EDGES[k]);
    ``BUCKETS − 1`` from the top edge up."""
    return bisect_right(EDGES, float(pkr))


def quantiles(histogram: list[int] | tuple[int, ...], points: tuple[float, ...] = (0.25, 0.5, 0.75)) -> list:
    """The nearest-rank quantiles of the earnings a histogram holds (None for each when it holds none).

    For each q, the rank ⌈q·n⌉ is located in its bucket; inside the bucket the value is interpolated on a log
    scale as if its earnings were spread evenly by rank (linearly in the bucket under PKR 1,000; the top edge
    for the open top bucket)."""
    running = list(accumulate(histogram))
    total = running[-1] if running else 0
    if not total:
        return [None for _ in points]
    found = []
    for q in points:
        rank = max(ceil(q * total - 1e-9), 1)
        index = bisect_right(running, rank - 1)  # the first bucket whose running count reaches ``rank``
        below = running[index - 1] if index else 0
        share = (rank - below - 0.5) / histogram[index]
        if index == 0:
            found.append(FLOOR * share)
        elif index == BUCKETS - 1:
            found.append(TOP)
        else:
            low, high = EDGES[index - 1], EDGES[index]
            found.append(low * (high / low) ** share)
    return found


def exact_quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank quantile of ``values``: the ⌈q·n⌉-th smallest (what ``quantiles`` estimates)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(ceil(q * len(ordered) - 1e-9), 1) - 1]


# What one answer contributes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """What one answer adds to its tally row, and the histogram bucket it adds an earner to (None: none)."""

    working: bool
    freelancing: bool
    earnings: Decimal | None  # monthly earnings in PKR (None: not stated)

    def deltas(self, sign: int) -> dict[str, Any]:
        changes: dict[str, Any] = {"answers": sign}
        if self.working:
            changes["working"] = sign
        if self.freelancing:
            changes["freelancing"] = sign
        if self.earnings is not None:
            changes["earnings_answers"] = sign
            changes["earnings_pkr"] = sign * self.earnings
            if self.earnings > 0:
                changes["earning"] = sign
        return changes

    @property
    def bucket(self) -> int | None:
        return bucket_of(self.earnings) if self.earnings is not None and self.earnings > 0 else None


def contribution(activities: int, monthly_earnings_pkr: Decimal | float | None) -> Contribution:
    """What an answer with ``activities`` (the ``OutcomeActivity`` bitmask) and ``monthly_earnings_pkr``
    counts as: working if she freelances, is employed or runs her own business."""
    from outcomes.models import WORKING, OutcomeActivity

    bits = int(activities or 0)
    working = bool(bits & WORKING)
    freelancing = bool(bits & OutcomeActivity.FREELANCING)
    earnings = None if monthly_earnings_pkr is None else Decimal(monthly_earnings_pkr)
    return Contribution(working, freelancing, earnings)


def combined(*changes: dict[str, Any]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for change in changes:
        for name, value in change.items():
            total[name] = total.get(name, 0) + value
    return {name: value for name, value in total.items() if value}


# Keeping them ----------------------------------------------------------------------------------------------------


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def upsert(table, key: dict[str, Any], changes: dict[str, Any], index: list[str]) -> None:
    """Add ``changes`` to the row of ``table`` with ``key``, creating it when missing: one INSERT … ON CONFLICT DO
    UPDATE with ``column = column + change``, so that concurrent changes add up rather than overwrite each other."""
    dialect = db.session.get_bind().dialect.name
    insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_for(table).values(**key, **changes)
    statement = statement.on_conflict_do_update(
        index_elements=index, set_={name: table.c[name] + statement.excluded[name] for name in changes}
    )
    db.session.execute(statement)


def add_to_cell(key: dict[str, Any], changes: dict[str, Any]) -> None:
    """Add ``changes`` to the tally row of ``key`` (months, cohort_id, gender, area, ends_month)."""
    if changes:
        upsert(outcome_tally, key, changes, list(KEY_COLUMNS))


def add_to_bucket(key: dict[str, Any], bucket: int | None, change: int) -> None:
    """Add ``change`` earners to ``bucket`` of the cell of ``key`` (nothing for no bucket)."""
    if bucket is not None and change:
        cell = {name: key[name] for name in KEY_COLUMNS}
        upsert(outcome_tally_bucket, cell | {"bucket": bucket}, {"earners": change}, [*KEY_COLUMNS, "bucket"])


def wave_key(wave: Any) -> dict[str, Any]:
    """The tally row a wave counts in: its months, cohort, gender and area (copied onto the wave when it was
    created, so that a later correction of her record does not move past answers) and its cohort's end month.
    ``wave``: an ``OutcomeWave``, or the values of one inserted in bulk (a mapping of its columns)."""
    value = wave.get if isinstance(wave, dict) else lambda name: getattr(wave, name)
    return {
        "months": value("months"),
        "cohort_id": value("cohort_id"),
        "gender": Gender(value("gender")),
        "area": Area(value("area")),
        "ends_month": first_of_month(value("cohort_ends_on")),
    }


def wave_created(wave: Any) -> None:
    """Count a new wave (a graduate asked) in its tally row and the roll-ups (``outcomes.rollups``): an
    ``OutcomeWave`` or the column values of one inserted in bulk. Called in the transaction that creates it,
    once per wave actually inserted."""
    waves_created([wave])


def waves_created(waves: list[Any]) -> None:
    """Count new waves (as ``wave_created``), one statement per tally cell and one for the roll-ups they move."""
    from outcomes.rollups import add_cells

    cells: dict[tuple, dict[str, Any]] = {}
    counts: dict[tuple, int] = {}
    for wave in waves:
        key = wave_key(wave)
        identity = tuple(key[name] for name in KEY_COLUMNS)
        cells[identity] = key
        counts[identity] = counts.get(identity, 0) + 1
    for identity in sorted(cells, key=sort_key):
        add_to_cell(cells[identity], {"waves": counts[identity]})
    add_cells((cells[identity], {"waves": counts[identity]}) for identity in cells)


def answer_changed(before: dict[str, Any] | None, after: Any) -> None:
    """Move the tallies for one answer created (``before`` None) or corrected (``before``: the answer's stored
    values as they were, ``OutcomeAnswer.snapshot()``); ``after`` is the ``OutcomeAnswer`` as saved (flushed).
    The old contribution is taken out and the new one put in, in one statement, and the roll-ups
    (``outcomes.rollups``) moved alike; a correction that changes no counted figure writes nothing. Never
    commits."""
    from outcomes.models import OutcomeWave
    from outcomes.rollups import HISTOGRAM, add_cells

    wave = after.wave if getattr(after, "wave", None) is not None else db.session.get(OutcomeWave, after.wave_id)
    key = wave_key(wave)
    new = contribution(after.activities, after.monthly_earnings_pkr)
    if before is None:
        changes = new.deltas(+1)
        moved = {new.bucket: +1} if new.bucket is not None else {}
    else:
        old = contribution(before.get("activities", 0), before.get("monthly_earnings_pkr"))
        changes = combined(old.deltas(-1), new.deltas(+1))
        moved = {} if old.bucket == new.bucket else {old.bucket: -1, new.bucket: +1}
        moved.pop(None, None)
    add_to_cell(key, changes)
    for bucket, change in sorted(moved.items()):
        add_to_bucket(key, bucket, change)
    histogram = {HISTOGRAM[bucket]: change for bucket, change in moved.items()}
    if changes or histogram:
        add_cells([(key, combined(changes, histogram))])


# Checking them ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TallyDrift:
    """A tally figure that disagrees with the waves and answers."""

    months: int
    cohort_id: int
    gender: str
    area: str
    figure: str
    stored: Any
    actual: Any


def actual_tallies() -> tuple[dict[tuple, dict[str, Any]], dict[tuple, int]]:
    """Every tally row as counted from the waves and answers — {(months, cohort_id, gender, area): figures} —
    and every histogram bucket's earners — {(months, cohort_id, gender, area, bucket): earners}."""
    from outcomes.models import WORKING, OutcomeActivity, OutcomeAnswer, OutcomeWave

    earnings = OutcomeAnswer.monthly_earnings_pkr
    answered = OutcomeAnswer.id.is_not(None)

    def count(condition) -> Any:
        return func.sum(case((condition, 1), else_=0))

    keys = (OutcomeWave.months, OutcomeWave.cohort_id, OutcomeWave.gender, OutcomeWave.area)
    stmt = (
        select(
            *keys,
            func.min(OutcomeWave.cohort_ends_on),
            func.count(OutcomeWave.id),
            count(answered),
            count(and_(answered, OutcomeAnswer.activities.op("&")(int(WORKING)) != 0)),
            count(and_(answered, OutcomeAnswer.activities.op("&")(int(OutcomeActivity.FREELANCING)) != 0)),
            count(earnings > 0),
            count(earnings.is_not(None)),
            func.coalesce(func.sum(earnings), 0),
        )
        .outerjoin(OutcomeAnswer, OutcomeAnswer.wave_id == OutcomeWave.id)
        .group_by(*keys)
    )
    cells: dict[tuple, dict[str, Any]] = {}
    for months, cohort_id, gender, area, ends_on, *figures in db.session.execute(stmt):
        row = dict(zip(FIGURE_COLUMNS, figures, strict=True))
        row["earnings_pkr"] = Decimal(row["earnings_pkr"]).quantize(Decimal("0.01"))
        row["ends_month"] = first_of_month(ends_on)
        cells[(months, cohort_id, Gender(gender), Area(area))] = row
    # The histogram from the earners' answers, bucketed in Python with the same edges the services use.
    buckets: dict[tuple, int] = {}
    earners = db.session.execute(
        select(*keys, earnings).join(OutcomeAnswer, OutcomeAnswer.wave_id == OutcomeWave.id).where(earnings > 0)
    )
    for months, cohort_id, gender, area, pkr in earners:
        key = (months, cohort_id, Gender(gender), Area(area), bucket_of(pkr))
        buckets[key] = buckets.get(key, 0) + 1
    return cells, buckets


def sort_key(key: tuple) -> tuple:
    return tuple(part.value if isinstance(part, Gender | Area) else part for part in key)


def where_key(table, names: tuple[str, ...], key: tuple):
    return and_(*(table.c[name] == value for name, value in zip(names, key, strict=True)))


def recount_tallies(*, fix: bool = False) -> list[TallyDrift]:
    """Compare every tally row and histogram bucket with the waves and answers; return the drifts. With
    ``fix=True`` the rows are set to the actual figures (missing ones created, rows with nothing behind them
    deleted); flushed, not committed."""
    actual, actual_buckets = actual_tallies()
    names = (*KEY_COLUMNS, "ends_month", *FIGURE_COLUMNS)
    stored = {}
    for row in db.session.execute(select(*(outcome_tally.c[name] for name in names))):
        values = dict(zip(names, row, strict=True))
        stored[(values["months"], values["cohort_id"], Gender(values["gender"]), Area(values["area"]))] = values
    empty = dict.fromkeys(FIGURE_COLUMNS, 0)
    drifts = []
    for key in sorted(set(actual) | set(stored), key=sort_key):
        want, have = actual.get(key, empty), stored.get(key, empty)
        wrong = [name for name in FIGURE_COLUMNS if Decimal(want[name]) != Decimal(have[name])]
        drifts += [TallyDrift(*sort_key(key), name, have[name], want[name]) for name in wrong]
        if fix and wrong:
            where = where_key(outcome_tally, KEY_COLUMNS, key)
            if key not in actual:
                db.session.execute(outcome_tally.delete().where(where))
            elif key not in stored:
                values = dict(zip(KEY_COLUMNS, key, strict=True)) | {
                    n: want[n] for n in ("ends_month", *FIGURE_COLUMNS)
                }
                db.session.execute(outcome_tally.insert().values(**values))
            else:
                db.session.execute(outcome_tally.update().where(where).values(**{name: want[name] for name in wrong}))
    bucket_names = (*KEY_COLUMNS, "bucket")
    stored_buckets = {}
    for *cell, bucket, count in db.session.execute(
        select(*(outcome_tally_bucket.c[name] for name in bucket_names), outcome_tally_bucket.c.earners)
    ):
        stored_buckets[(cell[0], cell[1], Gender(cell[2]), Area(cell[3]), bucket)] = count
    for key in sorted(set(actual_buckets) | set(stored_buckets), key=sort_key):
        want, have = actual_buckets.get(key, 0), stored_buckets.get(key, 0)
        if want == have:
            continue
        drifts.append(TallyDrift(*sort_key(key[:4]), f"earners in bucket {key[4]}", have, want))
        if fix:
            where = where_key(outcome_tally_bucket, bucket_names, key)
            if key in stored_buckets:
                db.session.execute(outcome_tally_bucket.update().where(where).values(earners=want))
            else:
                values = dict(zip(bucket_names, key, strict=True))
                db.session.execute(outcome_tally_bucket.insert().values(**values, earners=want))
    if fix:
        db.session.flush()
    return drifts


__all__ = [
    "BUCKETS",
    "COUNT_COLUMNS",
    "EDGES",
    "RATIO",
    "TOP",
    "answer_changed",
    "bucket_of",
    "exact_quantile",
    "outcome_tally",
    "outcome_tally_bucket",
    "quantiles",
    "recount_tallies",
    "wave_created",
    "waves_created",
]
