"""``flask seed graduates``: the programme's history, for the outcomes report at about a million graduates (issue 18,
item 6), added to a database ``flask seed scale`` filled. The design-size seed gives some 96,000 graduates (5,000
cohorts of about 25 seats); this adds past, finished cohorts until the graduates (completed places of finished
cohorts) number ``total``.

**Synthetic, like the rest of the scale data.** What it adds, in one transaction, with the seed's bulk writer
(``seed.scale.BulkWriter``: executemany on SQLite, COPY on PostgreSQL) and set-based statements:

- cohorts of ``SEATS`` seats at the active centres, of any course, whose last day falls evenly over the
  ``YEARS`` years up to three months ago (so that each has at least its 3-month wave due), regular, first come,
  on site; women-only at women-only centres;
- in each, ``SEATS`` completed places of trainees already in the database (women at women-only centres), marked
  (55–100) on the last day, each with a certificate (as ``seed.completion`` issues them). The history keeps its
  graduates only: no applicants who were not taken, no drop-outs and no attendance registers (days marked 0);
- the cohorts' counters, every trainee's first application and place (a history place can be her first),
  the completion and certificate tallies, recomputed from the tables as ``flask seed scale`` does;
- every outcome wave due by today for each new graduate and a synthetic answer for some
  (``seed.scale_outcomes``: the same track-dependent distributions and the response biased toward earners),
  their tallies, and the report's roll-ups summed again from all the tallies.

Afterwards ``flask oversight recount`` finds no drift (run it). Dates are relative to today; the same seed on the
same day gives the same rows."""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from math import ceil

from sqlalchemy import Connection, text

from clock import local_date
from database import utcnow
from enrollments.counters import TRAINED, recount
from enrollments.tallies import rebuild_tallies
from extensions import db
from outcomes.rollups import recount_rollups
from seed.completion import CERTIFICATE_COLUMNS, certificate_rows
from seed.scale import COUNTERS, BulkWriter, ScaleSeeder
from seed.scale_outcomes import ANSWER_COLUMNS, BUCKET_ROW_COLUMNS, TALLY_COLUMNS, WAVE_COLUMNS, OutcomeSeeder
from seed.scale_outcomes import graduates as due_graduates
from vocabulary import EnrollmentStatus, Shift

SEATS = 25
YEARS = 3
SHIFTS = list(Shift)
ENROLLMENT_COLUMNS = (*ScaleSeeder.ENROLLMENT_COLUMNS, "mark", "marked_at", "started_training")
CHUNK = 50_000


@dataclass
class SeededHistory:
    graduates_before: int = 0
    cohorts: int = 0
    places: int = 0
    certificates: int = 0
    waves: int = 0
    answers: int = 0
    tallies: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def graduate_count(connection: Connection) -> int:
    return connection.execute(
        text(
            "SELECT count(*) FROM enrollment e JOIN cohort c ON c.id = e.cohort_id "
            "WHERE e.status = 'completed' AND c.status = 'finished'"
        )
    ).scalar_one()


def seed_graduates(
    total: int, *, seed: int = 2026, echo: Callable[[str], None] = print, now: datetime | None = None
) -> SeededHistory:
    """Add past cohorts of graduates until there are ``total`` (see the module docstring); commits once, at the
    end (on any error nothing is written). Returns what was added (nothing when there are enough already)."""
    now = now or utcnow()
    today = local_date(now)
    rng = random.Random(seed + 180)
    seeded = SeededHistory()
    connection = db.session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if not postgresql:
        connection.exec_driver_sql("PRAGMA cache_size=-400000")  # 400 MB, for this connection's load
    writer = BulkWriter(connection, echo)
    seeded.graduates_before = graduate_count(connection)
    wanted = total - seeded.graduates_before
    if wanted <= 0:
        db.session.rollback()
        return seeded
    started = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal started
        seeded.seconds[part] = time.perf_counter() - started
        echo(f"  {part}: {seeded.seconds[part]:.1f} s")
        started = time.perf_counter()

    def highest(table: str) -> int:
        return connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()

    centres = connection.execute(text("SELECT id, code, women_only FROM centre WHERE active ORDER BY id")).all()
    courses = connection.execute(text("SELECT id, weeks FROM course ORDER BY id")).all()
    trainees = connection.execute(text("SELECT id, gender FROM trainee ORDER BY id")).all()
    women = [row[0] for row in trainees if row[1] == "female"]
    everyone = [row[0] for row in trainees]
    if not centres or not courses or len(everyone) < SEATS or (len(women) < SEATS and any(c[2] for c in centres)):
        raise ValueError("Run flask seed scale first: the history needs centres, courses and trainees.")
    del trainees

    # Cohorts: their last days spread evenly from YEARS years to three months ago, centres in turn.
    count = ceil(wanted / SEATS)
    first_cohort, last_place = highest("cohort"), highest("enrollment")
    latest, earliest = today - timedelta(days=95), today - timedelta(days=YEARS * 365)
    span = (latest - earliest).days
    stamp, day = writer.stamp, writer.day
    cohorts = []
    for number in range(count):
        centre_id, code, women_only = centres[number % len(centres)]
        course_id, weeks = rng.choice(courses)
        ends_on = earliest + timedelta(days=number * span // count)
        starts_on = ends_on - timedelta(days=weeks * 7 - 1)
        first_day = datetime.combine(starts_on, clock(4, 0), tzinfo=UTC)
        cohorts.append(
            (first_cohort + number + 1, f"{code}-H{number // len(centres) + 1:03d}", course_id, centre_id,
             bool(women_only), starts_on, ends_on, rng.choice(SHIFTS), first_day)
        )  # fmt: skip

    def cohort_rows() -> Iterator[tuple]:
        moment = stamp(now)
        for cohort_id, code, course_id, centre_id, women_only, starts_on, ends_on, shift, first_day in cohorts:
            yield (
                cohort_id, code, course_id, centre_id, "regular", women_only, day(starts_on), day(ends_on),
                shift.value, "on_site", SEATS, stamp(first_day - timedelta(days=45)),
                stamp(first_day - timedelta(days=3)), "first_come", "finished", "",
                *(0 for _ in COUNTERS), moment, moment,
            )  # fmt: skip

    seeded.cohorts = writer.write("cohort", ScaleSeeder.COHORT_COLUMNS, cohort_rows(), expected=count)
    lap("cohorts")

    def place_rows() -> Iterator[tuple]:
        place = last_place
        for cohort_id, _code, _course, _centre, women_only, _starts, ends_on, _shift, first_day in cohorts:
            marked = stamp(datetime.combine(ends_on, clock(10, 0), tzinfo=UTC))
            for trainee_id in rng.sample(women if women_only else everyone, SEATS):
                place += 1
                applied = first_day - timedelta(days=rng.uniform(4, 44))
                decided = stamp(applied + timedelta(minutes=rng.randrange(1, 600)))
                yield (
                    place, trainee_id, cohort_id, "completed", "online", stamp(applied), decided, "", "open",
                    None, None, marked, rng.randrange(55, 101), marked, True,
                )  # fmt: skip

    seeded.places = writer.write("enrollment", ENROLLMENT_COLUMNS, place_rows(), expected=count * SEATS)
    lap("places")

    # Her first application and first place, for each trainee given a history place (it is earlier than hers
    # so far: it becomes her first), as ``mark_firsts_and_training`` sets them (that one rewrites every place and
    # every trainee: 10 minutes at this size); then every cohort's counters from the tables.
    earliest = (
        "(SELECT e.id FROM enrollment e WHERE e.trainee_id = trainee.id {held} ORDER BY e.applied_at, e.id LIMIT 1)"
    )
    statuses = ", ".join(f"'{status.value}'" for status in (*TRAINED, EnrollmentStatus.DROPPED))
    held = f"AND (e.status IN ({statuses}) OR e.started_training)"
    connection.execute(
        text(
            f"UPDATE trainee SET first_application_id = {earliest.format(held='')}, "
            f"first_place_id = {earliest.format(held=held)} "
            "WHERE id IN (SELECT trainee_id FROM enrollment WHERE id > :after)"
        ),
        {"after": last_place},
    )
    recount(fix=True)
    db.session.flush()
    lap("counters")
    after = last_place
    while True:
        rows = connection.execute(
            text(
                "SELECT e.id, e.trainee_id, e.cohort_id, t.full_name, t.cnic, co.title, co.code, co.track, "
                "ce.name, ce.code, ce.partner_name, c.code, c.starts_on, c.ends_on, c.shift "
                "FROM enrollment e JOIN trainee t ON t.id = e.trainee_id JOIN cohort c ON c.id = e.cohort_id "
                "JOIN course co ON co.id = c.course_id JOIN centre ce ON ce.id = c.centre_id "
                "WHERE e.id > :after ORDER BY e.id LIMIT :chunk"
            ),
            {"after": after, "chunk": CHUNK},
        ).all()
        if not rows:
            break
        after = rows[-1][0]
        made = certificate_rows(rows, writer, stamp(now), stamp(now))
        seeded.certificates += writer.write("certificate", CERTIFICATE_COLUMNS, made)
    rebuild_tallies(connection)
    lap("certificates and tallies")

    # Outcomes: the new graduates' waves and answers, their tallies (new cohorts: new rows), then the roll-ups.
    outcomes = OutcomeSeeder(
        writer, today, random.Random(seed + 18 + 180), last_wave=highest("outcome_wave"),
        last_answer=highest("outcome_answer"),
    )  # fmt: skip
    people = due_graduates(connection, today, after=last_place)
    writer.write("outcome_wave", WAVE_COLUMNS, outcomes.waves(people), expected=len(people) * 3)
    del people
    writer.write("outcome_answer", ANSWER_COLUMNS, iter(outcomes.answers), expected=len(outcomes.answers))
    outcomes.answers = []
    writer.write("outcome_tally", TALLY_COLUMNS, outcomes.tally_rows())
    writer.write("outcome_tally_bucket", BUCKET_ROW_COLUMNS, outcomes.bucket_rows())
    seeded.waves, seeded.answers, seeded.tallies = (
        outcomes.seeded.waves,
        outcomes.seeded.answers,
        outcomes.seeded.tallies,
    )
    lap("outcomes")
    recount_rollups(fix=True)
    lap("roll-ups")
    if postgresql:
        for table in ("cohort", "enrollment", "certificate", "outcome_wave", "outcome_answer", "outcome_tally",
                      "outcome_tally_bucket", "outcome_rollup"):  # fmt: skip
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
    db.session.commit()
    with db.engine.connect() as analyze:
        analyze.exec_driver_sql("ANALYZE")
        analyze.commit()
    lap("commit and analyze")
    return seeded


def describe_history(seeded: SeededHistory) -> str:
    if not seeded.places:
        return f"{seeded.graduates_before:,} graduates already: nothing added."
    return (
        f"Added {seeded.cohorts:,} past cohorts, {seeded.places:,} graduates ({seeded.graduates_before:,} before), "
        f"{seeded.certificates:,} certificates, {seeded.waves:,} outcome waves, {seeded.answers:,} answers, "
        f"{seeded.tallies:,} tally cells in {sum(seeded.seconds.values()):.0f} s."
    )
