"""Outcome waves and answers for ``flask seed scale``: every wave that has fallen due for each completed place (3, 6
and 12 months after the cohort ended), and an answer for some of them, then the report's tallies
(``outcomes.tallies``) computed from the same rows. Loaded, not done by anyone: no audit event, no message (each
wave counts as sent on its due day, so that no timer sends a burst of them).

**The answers are synthetic** (README, "Outcomes at scale"): plausible, not measured. Per graduate and wave:

- working (freelancing, employed or her own business) with a probability rising with the wave (45%, 55%, 62%);
  of those working, 85% earn more than PKR 0;
- earnings log-normal (σ 0.8) around a median that depends on the track (PKR 30,000 for online tutoring to PKR
  70,000 for software development), lower for women (×0.8) and rural graduates (×0.85), rising with the wave
  (×0.8 at 3 months, ×1.2 at 12);
- response biased toward earners: 55% of earners answer, 35% of the others — so the report's figures overstate
  the earnings of all graduates, as real surveys do (the page says so);
- one answer in seven in US dollars (at PKR 280 per dollar), the rest in rupees; exact figures only (no bands).

Written in bulk (``BulkWriter``: executemany on SQLite, COPY on PostgreSQL) on the seed's connection."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import Connection, text

from outcomes.tallies import COUNT_COLUMNS, bucket_of
from vocabulary import Area, Gender, Track

MONTHS = (3, 6, 12)
WORKING_SHARE = {3: 0.45, 6: 0.55, 12: 0.62}
EARNING_IF_WORKING = 0.85
WAVE_GROWTH = {3: 0.8, 6: 1.0, 12: 1.2}
TRACK_MEDIAN_PKR = {
    Track.SOFTWARE_DEVELOPMENT: 70_000,
    Track.DIGITAL_MARKETING: 45_000,
    Track.CONTENT_CREATION: 35_000,
    Track.IT_SUPPORT: 40_000,
    Track.GRAPHIC_DESIGN: 40_000,
    Track.VIRTUAL_ASSISTANCE: 45_000,
    Track.CUSTOMER_SUPPORT: 35_000,
    Track.ONLINE_TUTORING: 30_000,
}
SIGMA = 0.8
WOMEN_FACTOR, RURAL_FACTOR = 0.8, 0.85
RESPONSE = {True: 0.55, False: 0.35}  # earners answer more readily
USD_SHARE = 1 / 7
USD_PKR = 280
# Activity bits (``outcomes.models.OutcomeActivity``), spelt out so this module needs no model import.
FREELANCING, EMPLOYED, OWN_BUSINESS, STUDYING, LOOKING, NOT_WORKING = 1, 2, 4, 8, 16, 32
FETCH = 20_000

WAVE_COLUMNS = (
    "id",
    "enrollment_id",
    "trainee_id",
    "months",
    "due_on",
    "closes_on",
    "sent_at",
    "created_at",
    "cohort_id",
    "centre_id",
    "course_id",
    "track",
    "gender",
    "area",
    "district_id",
    "province_id",
    "partner_type",
    "cohort_ends_on",
)
ANSWER_COLUMNS = (
    "id",
    "wave_id",
    "activities",
    "platforms",
    "earnings_currency",
    "earnings_amount",
    "usd_pkr_rate",
    "monthly_earnings_pkr",
    "hours_per_week",
    "training_helped",
    "comment",
    "channel",
    "answered_at",
    "updated_at",
)
TALLY_COLUMNS = ("months", "cohort_id", "gender", "area", "ends_month", *COUNT_COLUMNS, "earnings_pkr")
BUCKET_ROW_COLUMNS = ("months", "cohort_id", "gender", "area", "bucket", "earners")


def add_months(day: date, months: int) -> date:
    """``day`` + ``months`` calendar months (the last day of a shorter month when it does not exist)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass
class SeededOutcomes:
    waves: int = 0
    answers: int = 0
    tallies: int = 0


@dataclass
class Graduate:
    enrollment_id: int
    trainee_id: int
    cohort_id: int
    centre_id: int
    course_id: int
    track: str
    gender: str
    area: str
    district_id: int
    province_id: int
    partner_type: str
    ends_on: date


GRADUATES = text(
    """
    SELECT e.id, e.trainee_id, c.id, c.centre_id, c.course_id, co.track, t.gender, t.area, ce.district_id,
           d.province_id, ce.partner_type, c.ends_on
    FROM enrollment e
    JOIN cohort c ON c.id = e.cohort_id
    JOIN course co ON co.id = c.course_id
    JOIN centre ce ON ce.id = c.centre_id
    JOIN district d ON d.id = ce.district_id
    JOIN trainee t ON t.id = e.trainee_id
    WHERE e.status = 'completed' AND c.ends_on <= :latest AND e.id > :after
    ORDER BY e.id
    """
)


def graduates(connection: Connection, today: date, after: int = 0) -> list[Graduate]:
    """The completed places (with an id above ``after``) whose first wave has fallen due by ``today``, all read
    before any row is written: the waves are then written with COPY on the same connection, which can run no
    other statement meanwhile (a lazy read inside the COPY waited for the connection for ever on PostgreSQL)."""
    result = connection.execute(GRADUATES, {"latest": add_months(today, -MONTHS[0]), "after": after})
    rows = []
    while batch := result.fetchmany(FETCH):
        rows.extend(batch)
    return [Graduate(*row[:11], row[11] if isinstance(row[11], date) else date.fromisoformat(row[11])) for row in rows]


class OutcomeSeeder:
    def __init__(self, writer, today: date, rng: random.Random, *, last_wave: int = 0, last_answer: int = 0) -> None:
        """``last_wave``, ``last_answer``: the highest ids already taken (new rows are numbered after them)."""
        self.writer, self.today, self.rng = writer, today, rng
        self.last_wave, self.last_answer = last_wave, last_answer
        self.seeded = SeededOutcomes()
        self.answers: list[tuple] = []
        # (months, cohort_id, gender, area) → [ends_month, counts…, earnings_pkr]
        self.tallies: dict[tuple, list] = {}
        # (months, cohort_id, gender, area, bucket) → earners
        self.buckets: dict[tuple, int] = {}

    def waves(self, people: list[Graduate]) -> Iterator[tuple]:
        """The wave rows, collecting each answered wave's answer row and tallies as it goes."""
        stamp, day = self.writer.stamp, self.writer.day
        wave_id = self.last_wave
        for person in people:
            due_dates = [add_months(person.ends_on, months) for months in MONTHS]
            woman, rural = person.gender == Gender.FEMALE, person.area == Area.RURAL
            median = (
                TRACK_MEDIAN_PKR[Track(person.track)] * (WOMEN_FACTOR if woman else 1) * (RURAL_FACTOR if rural else 1)
            )
            for index, months in enumerate(MONTHS):
                due_on = due_dates[index]
                if due_on > self.today:
                    break
                closes_on = due_dates[index + 1] if index + 1 < len(MONTHS) else add_months(due_on, 3)
                wave_id += 1
                sent = datetime.combine(due_on, clock(4, 0), tzinfo=UTC)
                yield (
                    wave_id,
                    person.enrollment_id,
                    person.trainee_id,
                    months,
                    day(due_on),
                    day(closes_on),
                    stamp(sent),
                    stamp(sent),
                    person.cohort_id,
                    person.centre_id,
                    person.course_id,
                    person.track,
                    person.gender,
                    person.area,
                    person.district_id,
                    person.province_id,
                    person.partner_type,
                    day(person.ends_on),
                )
                key = (months, person.cohort_id, person.gender, person.area)
                tally = self.tallies.get(key)
                if tally is None:
                    tally = self.tallies[key] = [
                        person.ends_on.replace(day=1),
                        *([0] * len(COUNT_COLUMNS)),
                        0,
                    ]
                tally[1] += 1  # waves
                self.answer(wave_id, months, due_on, median, tally, key)
        self.seeded.waves = wave_id - self.last_wave

    def answer(self, wave_id: int, months: int, due_on: date, median: float, tally: list, key: tuple) -> None:
        rng = self.rng
        working = rng.random() < WORKING_SHARE[months]
        earning = working and rng.random() < EARNING_IF_WORKING
        if rng.random() >= RESPONSE[earning]:
            return
        answered = datetime.combine(
            min(due_on + timedelta(days=rng.randrange(20)), self.today), clock(rng.randrange(4, 16), 0), tzinfo=UTC
        )
        if working:
            activities = FREELANCING if rng.random() < 0.7 else 0
            activities |= EMPLOYED if rng.random() < (0.3 if activities else 0.75) else 0
            activities |= OWN_BUSINESS if rng.random() < 0.15 or not activities else 0
            activities |= STUDYING if rng.random() < 0.1 else 0
        else:
            activities = LOOKING if rng.random() < 0.6 else (STUDYING if rng.random() < 0.5 else NOT_WORKING)
        platforms = rng.choice((1, 2, 1 | 2, 8, 4, 16)) if activities & FREELANCING else 0
        currency = amount = rate = pkr = None
        hours = None
        if working:
            pkr = 0
            if earning:
                pkr = max(round(rng.lognormvariate(0, SIGMA) * median * WAVE_GROWTH[months], -2), 500)
            if earning and activities & FREELANCING and rng.random() < USD_SHARE * 2:
                currency, amount, rate = "USD", max(round(pkr / USD_PKR), 2), USD_PKR
                pkr = amount * USD_PKR
            else:
                currency, amount = "PKR", pkr
            hours = rng.randrange(5, 56)
        helped = rng.choices((1, 2, 3, 4, 5), weights=(5, 8, 20, 37, 30))[0]
        self.seeded.answers += 1
        stamp = self.writer.stamp(answered)
        self.answers.append(
            (
                self.last_answer + self.seeded.answers,
                wave_id,
                activities,
                platforms,
                currency,
                amount,
                rate,
                pkr,
                hours,
                helped,
                "",
                "web",
                stamp,
                stamp,
            )
        )
        tally[2] += 1  # answers
        if working:
            tally[3] += 1
        if activities & FREELANCING:
            tally[4] += 1
        if pkr is not None:
            tally[6] += 1  # earnings_answers
            tally[7] += pkr
            if pkr > 0:
                tally[5] += 1  # earning
                cell = (*key, bucket_of(pkr))
                self.buckets[cell] = self.buckets.get(cell, 0) + 1

    def tally_rows(self) -> Iterator[tuple]:
        day = self.writer.day
        for (months, cohort_id, gender, area), values in sorted(self.tallies.items()):
            self.seeded.tallies += 1
            yield (months, cohort_id, gender, area, day(values[0]), *values[1:])

    def bucket_rows(self) -> Iterator[tuple]:
        for key, earners in sorted(self.buckets.items()):
            yield (*key, earners)


def seed_outcomes(connection: Connection, writer, *, today: date, seed: int) -> SeededOutcomes:
    """Write the waves due by ``today``, the answers and the tallies on ``connection`` with ``writer``
    (``seed.scale.BulkWriter``); returns what was written."""
    seeder = OutcomeSeeder(writer, today, random.Random(seed + 18))  # drawn apart, like attendance
    writer.write("outcome_wave", WAVE_COLUMNS, seeder.waves(graduates(connection, today)))
    writer.write("outcome_answer", ANSWER_COLUMNS, iter(seeder.answers))
    seeder.answers = []
    writer.write("outcome_tally", TALLY_COLUMNS, seeder.tally_rows())
    writer.write("outcome_tally_bucket", BUCKET_ROW_COLUMNS, seeder.bucket_rows())
    return seeder.seeded
