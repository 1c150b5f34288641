"""Assessment, completion by rule and certificates for the scale seed (``flask seed scale``), after its registers
(``attendance.seeding``): what the marks page, the completion rule and the certificate service would have left
in every finished cohort, written set-based so that 3 million enrollments take seconds, not hours.

In each finished cohort, every place the seed completed is marked (40 to 100, spread by its id), then judged as
``enrollments.services.completion`` judges it: attendance below the course's threshold → not completed
(attendance); else a mark below the pass mark → not completed (marks); else completed. One in ten not-completed
places is overridden by staff with a written reason (completed). Two in a hundred places that trained in a
cohort that ran are marked as seats backfilled from the line. Every completed place gets a certificate (COPY on
PostgreSQL) issued on its cohort's last day, one in a hundred of them revoked. Then the cohorts' completion
counters are set from the places, and the oversight tallies (``enrollments.tallies``) rebuilt from the tables.
Loaded, not done by anyone: no audit event, no message.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from certificates.numbers import new_number
from certificates.services import CLASS_HOURS_PER_WEEK
from enrollments.identity import mask_cnic
from enrollments.tallies import rebuild_tallies
from vocabulary import Shift

OVERRIDE_REASON = "Medical certificate for the days missed; passed the re-sit."
REVOKED_REASON = "Issued in error: the place was not finished."
CERTIFICATE_COLUMNS = (
    "number",
    "enrollment_id",
    "trainee_id",
    "cohort_id",
    "issued_on",
    "full_name",
    "cnic_masked",
    "course_title",
    "course_code",
    "track",
    "hours",
    "centre_name",
    "centre_code",
    "partner_name",
    "cohort_code",
    "starts_on",
    "ends_on",
    "status",
    "revoked_reason",
    "revoked_at",
    "created_at",
)
FINISHED = "SELECT id FROM cohort WHERE status = 'finished'"
RAN = "SELECT id FROM cohort WHERE status IN ('running', 'finished')"


@dataclass
class SeededCompletion:
    marked: int = 0
    not_completed: int = 0
    overridden: int = 0
    certificates: int = 0
    tallies: int = 0


def seed_completion(connection: Connection, writer, *, now: datetime) -> SeededCompletion:
    """Marks, the completion rule, overrides, backfilled seats and certificates for every finished cohort on
    ``connection`` (see the module docstring), with ``writer`` (``seed.scale.BulkWriter``) for the
    certificates; then the cohorts' completion counters and the tallies. Returns what was written."""
    seeded = SeededCompletion()
    run = connection.execute
    stamp = writer.stamp(now)
    in_finished = f"status = 'completed' AND cohort_id IN ({FINISHED})"
    seeded.marked = run(
        text(f"UPDATE enrollment SET mark = (((id % 9973) * 7919) % 61) + 40, marked_at = :now WHERE {in_finished}"),
        {"now": stamp},
    ).rowcount
    course_of = (
        "(SELECT co.{column} FROM cohort c JOIN course co ON co.id = c.course_id WHERE c.id = enrollment.cohort_id)"
    )
    threshold = course_of.format(column="attendance_threshold")
    seeded.not_completed = run(
        text(
            "UPDATE enrollment SET status = 'not_completed', not_completed_reason = 'attendance' "
            f"WHERE {in_finished} AND days_present * 100 < days_marked * {threshold}"
        )
    ).rowcount
    seeded.not_completed += run(
        text(
            "UPDATE enrollment SET status = 'not_completed', not_completed_reason = 'marks' "
            f"WHERE {in_finished} AND mark < {course_of.format(column='pass_mark')}"
        )
    ).rowcount
    seeded.overridden = run(
        text(
            "UPDATE enrollment SET status = 'completed', not_completed_reason = NULL, "
            "completion_override_reason = :reason WHERE status = 'not_completed' AND id % 10 = 0"
        ),
        {"reason": OVERRIDE_REASON},
    ).rowcount
    run(
        text(
            "UPDATE enrollment SET backfilled = :yes WHERE started_training = :yes AND id % 50 = 0 "
            f"AND status IN ('enrolled', 'completed', 'not_completed', 'dropped') AND cohort_id IN ({RAN})"
        ),
        {"yes": True},
    )
    set_completion_counters(connection)
    seeded.certificates = write_certificates(connection, writer, now)
    seeded.tallies = rebuild_tallies(connection)
    return seeded


def set_completion_counters(connection: Connection) -> None:
    """The completion counters of every finished cohort (``enrollments.counters``), from its places."""
    rows = connection.execute(
        text(
            "SELECT cohort_id, "
            "SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN status = 'not_completed' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN not_completed_reason = 'attendance' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN not_completed_reason = 'marks' THEN 1 ELSE 0 END) "
            f"FROM enrollment WHERE cohort_id IN ({FINISHED}) GROUP BY cohort_id"
        )
    ).all()
    if rows:
        connection.execute(
            text(
                "UPDATE cohort SET completed_count = :completed, not_completed_count = :not_completed, "
                "not_completed_attendance_count = :attendance, not_completed_marks_count = :marks WHERE id = :id"
            ),
            [
                {"id": row[0], "completed": row[1], "not_completed": row[2], "attendance": row[3], "marks": row[4]}
                for row in rows
            ],
        )


CHUNK = 50_000


def write_certificates(connection: Connection, writer, now: datetime) -> int:
    """A certificate (``CERTIFICATE_COLUMNS``) for every completed place of a finished cohort, printing what
    ``certificates.services.printed_facts`` prints, issued on the cohort's last day; read and written in
    chunks of places (a COPY cannot run while a result is still being read on the same connection)."""
    after, written = 0, 0
    revoked_at = created = writer.stamp(now)
    while True:
        rows = connection.execute(
            text(
                "SELECT e.id, e.trainee_id, e.cohort_id, t.full_name, t.cnic, co.title, co.code, co.track, "
                "ce.name, ce.code, ce.partner_name, c.code, c.starts_on, c.ends_on, c.shift "
                "FROM enrollment e JOIN trainee t ON t.id = e.trainee_id JOIN cohort c ON c.id = e.cohort_id "
                "JOIN course co ON co.id = c.course_id JOIN centre ce ON ce.id = c.centre_id "
                "WHERE e.status = 'completed' AND c.status = 'finished' AND e.id > :after ORDER BY e.id LIMIT :chunk"
            ),
            {"after": after, "chunk": CHUNK},
        ).all()
        if not rows:
            return written
        after = rows[-1][0]
        written += writer.write("certificate", CERTIFICATE_COLUMNS, certificate_rows(rows, writer, revoked_at, created))


def certificate_rows(rows, writer, revoked_at, created) -> Iterator[tuple]:
    for row in rows:
        (place, trainee, cohort, name, cnic, title, course_code, track, centre, centre_code, partner, code) = row[:12]
        starts_on, ends_on = as_date(row[12]), as_date(row[13])
        weeks = max(round(((ends_on - starts_on).days + 1) / 7), 1)  # ``Cohort.length_weeks``
        revoked = place % 100 == 7
        yield (
            new_number(),
            place,
            trainee,
            cohort,
            writer.day(ends_on),
            name,
            mask_cnic(cnic),
            title,
            course_code,
            track,
            weeks * CLASS_HOURS_PER_WEEK[Shift(row[14])],
            centre,
            centre_code,
            partner,
            code,
            writer.day(starts_on),
            writer.day(ends_on),
            "revoked" if revoked else "valid",
            REVOKED_REASON if revoked else "",
            revoked_at if revoked else None,
            created,
        )


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
