"""The outcome timer (``flask outcomes send``, and ``send_due_waves`` for ``flask worker``): makes the waves that
have fallen due, queues their message, and one reminder after ``OUTCOME_REMINDER_DAYS`` without an answer.

A wave is due ``months`` after its cohort ends (``OUTCOME_WAVES``: 3, 6, 12) and stays open until the next wave
is due (the last for 3 months more). A wave is made only while it is open and only for a graduate who agreed to
be asked (``Trainee.outcome_consent``); a graduate who says no later gets no message or reminder of a wave made
before. A wave that closed before the timer first saw it (the system was down, or she had said no) is never
made: nobody is asked about a period already over.

Idempotent and safe on several hosts at once: a wave is made with ``INSERT ... ON CONFLICT DO NOTHING`` on its
unique (enrollment, months), and each message is claimed by a conditional UPDATE (``sent_at IS NULL``,
``reminded_at IS NULL``) that only one transaction can win; on PostgreSQL the rows are first claimed with
``FOR UPDATE SKIP LOCKED`` so that a second host moves on to other rows instead of waiting. Run twice, one
message. Commits after each batch (a job, not a request)."""

from calendar import monthrange
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from centres.models import Centre, District
from clock import local_today
from courses.models import Cohort, Course
from enrollments.models import Enrollment, Trainee
from extensions import db
from language import long_date, message_language
from notifications.outbox import Message, queue_many
from outcomes import tallies
from outcomes.links import opt_out_link, wave_link
from outcomes.models import OutcomeAnswer, OutcomeWave
from vocabulary import EnrollmentStatus

BATCH = 500
LAST_WAVE_OPEN_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later; the month's last day when it is shorter (31 Aug + 6 months = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def wave_dates(ends_on: date, months: int, waves: Sequence[int]) -> tuple[date, date]:
    """When the ``months`` wave of a cohort that ended ``ends_on`` is due, and when it closes: the next wave's
    due date, or ``LAST_WAVE_OPEN_MONTHS`` after the last wave is due."""
    later = [each for each in waves if each > months]
    due_on = add_months(ends_on, months)
    closes_on = add_months(ends_on, later[0]) if later else add_months(due_on, LAST_WAVE_OPEN_MONTHS)
    return due_on, closes_on


def send_due_waves(now: datetime, *, commit: bool = True) -> dict[str, int]:
    """Do what is due at ``now``: make the waves that have fallen due (``created``), queue each new wave's
    SMS and email (``sent``), and the reminders of waves unanswered ``OUTCOME_REMINDER_DAYS`` after their
    message (``reminded``). Returns those counts. Commits after each batch (``commit`` False: only flushes,
    for the demo seed, whose caller commits once)."""
    finish = db.session.commit if commit else db.session.flush
    created = create_due_waves(now, finish)
    sent = send_waves(now, finish)
    reminded = remind_waves(now, finish)
    return {"created": created, "sent": sent, "reminded": reminded}


def create_due_waves(now: datetime, finish: Callable[[], None]) -> int:
    """Make the waves due and still open at ``now``, for graduates who agreed to be asked. Returns how many
    were made by this run (a wave another host made first is not counted)."""
    today = local_today(now)
    waves = tuple(current_app.config["OUTCOME_WAVES"])
    made = 0
    for months in waves:
        # Every cohort end whose wave may be open today, with a day's slack either side for short months
        # (checked exactly below with ``wave_dates``).
        latest_end = add_months(today, -months) + timedelta(days=3)
        later = [each for each in waves if each > months]
        span = later[0] if later else months + LAST_WAVE_OPEN_MONTHS
        earliest_end = add_months(today, -span) - timedelta(days=3)
        after_id = 0
        while True:
            rows = db.session.execute(
                select(
                    Enrollment.id,
                    Enrollment.trainee_id,
                    Cohort.id,
                    Cohort.centre_id,
                    Cohort.course_id,
                    Cohort.ends_on,
                    Course.track,
                    Trainee.gender,
                    Trainee.area,
                    Centre.district_id,
                    District.province_id,
                    Centre.partner_type,
                )
                .join(Cohort, Enrollment.cohort_id == Cohort.id)
                .join(Course, Cohort.course_id == Course.id)
                .join(Centre, Cohort.centre_id == Centre.id)
                .join(District, Centre.district_id == District.id)
                .join(Trainee, Enrollment.trainee_id == Trainee.id)
                .where(
                    Enrollment.id > after_id,
                    Enrollment.status == EnrollmentStatus.COMPLETED,
                    Cohort.ends_on.between(earliest_end, latest_end),
                    Trainee.outcome_consent.is_(True),
                    ~exists().where(OutcomeWave.enrollment_id == Enrollment.id, OutcomeWave.months == months),
                )
                .order_by(Enrollment.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            after_id = rows[-1][0]
            values = []
            for row in rows:
                due_on, closes_on = wave_dates(row[5], months, waves)
                if not due_on <= today < closes_on:
                    continue
                values.append(
                    {
                        "enrollment_id": row[0],
                        "trainee_id": row[1],
                        "months": months,
                        "due_on": due_on,
                        "closes_on": closes_on,
                        "created_at": now,
                        "cohort_id": row[2],
                        "centre_id": row[3],
                        "course_id": row[4],
                        "cohort_ends_on": row[5],
                        "track": row[6],
                        "gender": row[7],
                        "area": row[8],
                        "district_id": row[9],
                        "province_id": row[10],
                        "partner_type": row[11],
                    }
                )
            if values:
                made += insert_waves(values)
            finish()
    return made


def insert_waves(values: list[dict]) -> int:
    """Insert waves, leaving out any another host made first (its unique enrollment and months), and count each
    new one in the report's tallies (``tallies.wave_created``), in the same transaction."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(OutcomeWave)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "months"])
        .returning(
            OutcomeWave.id,
            OutcomeWave.months,
            OutcomeWave.cohort_id,
            OutcomeWave.gender,
            OutcomeWave.area,
            OutcomeWave.cohort_ends_on,
        )
    )
    # The rows returned are those this statement inserted (a row left out returns none): an exact count on both
    # databases, where a driver's rowcount may not be.
    made = db.session.execute(stmt, values).all()
    tallies.waves_created(made)
    return len(made)


def claim(query, now: datetime) -> list[OutcomeWave]:
    """The waves of ``query`` this run may work on: on PostgreSQL those no other host holds now (SKIP LOCKED);
    SQLite's writers wait their turn instead."""
    query = query.order_by(OutcomeWave.id).limit(BATCH).options(selectinload(OutcomeWave.trainee))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutcomeWave)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def asked(today: date):
    """Open waves of graduates who still agree to be asked."""
    return and_(
        OutcomeWave.closes_on > today,
        exists().where(Trainee.id == OutcomeWave.trainee_id, Trainee.outcome_consent.is_(True)),
    )


def send_waves(now: datetime, finish: Callable[[], None]) -> int:
    """Queue the message of each open wave not yet sent (``sent_at``), once."""
    return queue_claimed(OutcomeWave.sent_at.is_(None), "sent_at", "asked", now, finish)


def remind_waves(now: datetime, finish: Callable[[], None]) -> int:
    """Queue one reminder for each open wave still unanswered ``OUTCOME_REMINDER_DAYS`` after its message."""
    sent_before = now - timedelta(days=current_app.config["OUTCOME_REMINDER_DAYS"])
    unanswered = and_(
        OutcomeWave.sent_at <= sent_before,
        OutcomeWave.reminded_at.is_(None),
        ~exists().where(OutcomeAnswer.wave_id == OutcomeWave.id),
    )
    return queue_claimed(unanswered, "reminded_at", "reminder", now, finish)


def queue_claimed(condition, stamp: str, kind: str, now: datetime, finish: Callable[[], None]) -> int:
    """Queue the ``kind`` message of every open wave meeting ``condition``, once: batches claimed in id order,
    each wave won by setting its ``stamp`` column (still empty) to ``now``, so that another host running the
    same job at once sends none twice; ``finish`` ends each batch's transaction. Returns how many were queued."""
    today = local_today(now)
    column = getattr(OutcomeWave, stamp)
    queued = 0
    after_id = 0
    while waves := claim(select(OutcomeWave).where(OutcomeWave.id > after_id, condition, asked(today)), now):
        after_id = waves[-1].id
        messages = []
        for wave in waves:
            won = db.session.execute(
                update(OutcomeWave)
                .where(OutcomeWave.id == wave.id, column.is_(None))
                .values({stamp: now})
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:
                messages.append(wave_message(wave, kind))
        queue_many(messages)
        finish()
        queued += len(messages)
    return queued


def wave_message(wave: OutcomeWave, kind: str) -> Message:
    """The SMS and email asking her (``"asked"``) or reminding her (``"reminder"``) about ``wave``, in her
    language, with the wave's link and her opt-out link."""
    trainee = wave.trainee
    with message_language(trainee.language):
        details = {
            "name": trainee.full_name.split()[0] if trainee.full_name.split() else trainee.full_name,
            "months": wave.months,
            "link": wave_link(wave),
            "closes": long_date(wave.closes_on),
            "stop": opt_out_link(trainee),
        }
        if kind == "asked":
            subject = _("Markaz: what work do you do now?")
            body = _(
                "%(name)s, %(months)s months ago you finished your course. What work do you do now? One minute, "
                "no password: %(link)s (open until %(closes)s). To stop these messages: %(stop)s",
                **details,
            )
        else:
            subject = _("Markaz: reminder, what work do you do now?")
            body = _(
                "Reminder: %(name)s, please tell us what work you do now. One minute: %(link)s (open until "
                "%(closes)s). To stop these messages: %(stop)s",
                **details,
            )
    return Message(trainee, f"outcome.{kind}", subject, body, wave.enrollment_id)
