"""Registers for seeded data (``flask seed demo`` and ``flask seed scale``): every class day up to yesterday
of each running and finished cohort, most trainees present, a few absent or late, and a few running
cohorts' trainees absent on their last class days in a row (at risk). Loaded, not done by anyone: no audit
event and no message (her at-risk message counts as sent, so that no timer sends a burst of them).

Registers are written in bulk (``BulkWriter``: executemany on SQLite, COPY on PostgreSQL); then each
place's counters and each cohort's sums in one statement run each."""

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, text

from attendance.calendar import scheduled_days
from vocabulary import CohortStatus, EnrollmentStatus, Shift

S = EnrollmentStatus
ABSENT_SHARE = 0.07
LATE_SHARE = 0.05
# Of the running cohorts, this share has one trainee absent on the last class days (at risk).
AT_RISK_COHORTS = 0.3
REGISTER_COLUMNS = (
    "cohort_id",
    "day",
    "marked",
    "absent",
    "late",
    "marked_count",
    "present_count",
    "corrections",
    "taken_at",
)


@dataclass
class CohortDays:
    """What registers need of a cohort: its dates and shift (``scheduled_days`` reads them), and its places."""

    id: int
    starts_on: date
    ends_on: date
    shift: Shift
    status: CohortStatus
    places: list[tuple[int, EnrollmentStatus]] = field(default_factory=list)


@dataclass
class Tally:
    marked: int = 0
    present: int = 0
    streak: int = 0


@dataclass
class SeededAttendance:
    registers: int = 0
    marks: int = 0
    json_bytes: int = 0
    at_risk: int = 0
    places: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    sums: dict[int, tuple[int, int]] = field(default_factory=dict)


def started_cohorts(connection: Connection) -> list[CohortDays]:
    """Running and finished cohorts with their places that held a seat through training (enrolled,
    completed) or left it (dropped), in id order. Two queries."""
    cohorts = {
        row.id: CohortDays(
            row.id, as_date(row.starts_on), as_date(row.ends_on), Shift(row.shift), CohortStatus(row.status)
        )
        for row in connection.execute(
            text(
                "SELECT id, starts_on, ends_on, shift, status FROM cohort "
                "WHERE status IN ('running', 'finished') ORDER BY id"
            )
        )
    }
    for row in connection.execute(
        text(
            "SELECT e.cohort_id, e.id, e.status FROM enrollment e JOIN cohort c ON c.id = e.cohort_id "
            "WHERE c.status IN ('running', 'finished') "
            "AND e.status IN ('enrolled', 'completed', 'not_completed', 'dropped') "
            "ORDER BY e.cohort_id, e.id"
        )
    ):
        cohorts[row.cohort_id].places.append((row.id, S(row.status)))
    return list(cohorts.values())


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def register_rows(
    cohorts: list[CohortDays], today: date, now: datetime, rng: random.Random, seeded: SeededAttendance, stamp, day
) -> Iterator[tuple]:
    """The register rows of ``cohorts`` (``REGISTER_COLUMNS``), tallying each place and cohort into
    ``seeded`` as they go. A dropped place is on the first half of its cohort's days, absent on the last
    three of them (why she was dropped)."""
    for cohort in cohorts:
        days = [d for d in scheduled_days(cohort) if d < today]
        if not days or not cohort.places:
            continue
        half = len(days) // 2
        at_risk = None
        if cohort.status is CohortStatus.RUNNING and rng.random() < AT_RISK_COHORTS:
            enrolled = [place for place, status in cohort.places if status is S.ENROLLED]
            at_risk = rng.choice(enrolled) if enrolled else None
        marked_sum = present_sum = 0
        for number, when in enumerate(days):
            marked, absent, late = [], [], []
            for place, status in cohort.places:
                if status is S.DROPPED and number >= half:
                    continue
                marked.append(place)
                away = (status is S.DROPPED and number >= half - 3) or (place == at_risk and number >= len(days) - 3)
                draw = rng.random()
                if away or draw < ABSENT_SHARE:
                    absent.append(place)
                elif draw < ABSENT_SHARE + LATE_SHARE:
                    late.append(place)
            if not marked:
                continue
            absent_set = set(absent)
            for place in marked:
                tally = seeded.places[place]
                tally.marked += 1
                if place in absent_set:
                    tally.streak += 1
                else:
                    tally.present += 1
                    tally.streak = 0
            texts = (json.dumps(marked), json.dumps(absent), json.dumps(late))
            seeded.registers += 1
            seeded.marks += len(marked)
            seeded.json_bytes += sum(len(item) for item in texts)
            marked_sum += len(marked)
            present_sum += len(marked) - len(absent)
            yield (cohort.id, day(when), *texts, len(marked), len(marked) - len(absent), 0, stamp(now))
        seeded.sums[cohort.id] = (marked_sum, present_sum)


def write_counters(connection: Connection, seeded: SeededAttendance, threshold: int, now, stamp) -> None:
    """Each place's counters and each cohort's sums, from what ``register_rows`` tallied."""
    if seeded.places:
        place_rows = []
        for place, tally in seeded.places.items():
            at_risk = tally.streak >= threshold
            seeded.at_risk += at_risk
            place_rows.append(
                {
                    "id": place,
                    "marked": tally.marked,
                    "present": tally.present,
                    "streak": tally.streak,
                    "notified": stamp(now) if at_risk else None,
                }
            )
        connection.execute(
            text(
                "UPDATE enrollment SET days_marked = :marked, days_present = :present, absent_streak = :streak, "
                "at_risk_notified_at = :notified WHERE id = :id"
            ),
            place_rows,
        )
    if seeded.sums:
        connection.execute(
            text("UPDATE cohort SET attendance_marked = :marked, attendance_present = :present WHERE id = :id"),
            [{"id": cohort, "marked": m, "present": p} for cohort, (m, p) in seeded.sums.items()],
        )


def seed_registers(connection: Connection, writer, *, today: date, now: datetime, seed: int, threshold: int):
    """Write the registers of every running and finished cohort on ``connection`` (see the module's
    docstring) with ``writer`` (``seed.scale.BulkWriter``). Returns what was written (``SeededAttendance``)."""
    seeded = SeededAttendance()
    rng = random.Random(seed + 17)  # drawn apart: the rest of a seeded world stays as it was
    cohorts = started_cohorts(connection)
    rows = register_rows(cohorts, today, now, rng, seeded, writer.stamp, writer.day)
    writer.write("attendance_register", REGISTER_COLUMNS, rows)
    write_counters(connection, seeded, threshold, now, writer.stamp)
    return seeded
