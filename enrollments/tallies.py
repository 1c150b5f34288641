"""The attendance, completion and certificate tallies the oversight reports read (issue 17): per cohort and
per gender and area of the trainees, so that every figure splits by women and men, rural and urban without
reading a single enrollment.

Why a table of its own rather than more cohort columns (``enrollments.counters``): the figures are asked by
gender and by area as well as in total, and a column per figure per gender per area would be ninety columns.
A ``CohortTally`` row holds the figures of one cohort's trainees of one gender and one area (at most nine rows
per cohort: about 45,000 rows for 5,000 cohorts), and a report adds them up by place and, when asked, by
gender or area.

Each figure is defined once, twice over, like the cohort counters: as a value of one place (or certificate)
in Python (``place_tallies``, ``certificate_tallies``: what the services add at each change, the value after
minus the value before) and in SQL (``PLACE_SQL``, ``CERTIFICATE_SQL``: what ``recount_tallies`` compares
with). The services keep them in the same transaction as each change, with one statement per key that
changes (``add_tallies``: INSERT ... ON CONFLICT DO UPDATE, adding, never read-modify-write):

- ``enrollments.services.changes.move`` (every status change: at risk, finished, completed, not completed
  by reason, backfilled);
- ``attendance.services.recount_places`` (a register saved or corrected: marks, attended, at risk);
- ``certificates.services`` (issued, revoked, reissued);
- ``enrollments.trainees.recount_her_places`` (her gender or area corrected: her figures move key);
- the completion rule and the marks (``keep_tallies`` around their changes).

``flask oversight recount`` recounts them from the enrollment and certificate tables (``recount_tallies``).

Each row also carries a copy of its cohort's facts that reports select and group by (``COHORT_FACTS``: centre,
course, status, first day, kind, women-only, mode), so that a report reads this table alone, with no join to the
wide and busy cohort table (``oversight.queries.completion``; at 3 million enrollments the join was most of the
report's time). The copy is made when the row is (``add_tallies`` reads them from the cohort in the same
statement) and kept by every service that changes one of them (``copy_cohort_facts``: ``update_cohort``,
``change_status``, ``cancel_cohort``); ``recount_tallies`` checks them against the cohort too.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    case,
    delete,
    func,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.base import NO_VALUE

from certificates.models import Certificate
from courses.models import Cohort, Course
from database import enum_type
from enrollments.models import Enrollment, Trainee
from extensions import db
from vocabulary import (
    Area,
    CertificateStatus,
    CohortKind,
    CohortStatus,
    EnrollmentStatus,
    Gender,
    Mode,
    NotCompletedReason,
)

S = EnrollmentStatus
FINISHED_PLACES = (S.COMPLETED, S.NOT_COMPLETED)

PLACE_TALLY_NAMES = (
    "marks_held",
    "marks_present",
    "attended",
    "at_risk",
    "assessed",
    "passed",
    "finished",
    "completed",
    "not_completed_attendance",
    "not_completed_marks",
    "overridden",
    "backfilled",
)
CERTIFICATE_TALLY_NAMES = ("certificates_issued", "certificates_revoked", "certified")
TALLY_NAMES = (*PLACE_TALLY_NAMES, *CERTIFICATE_TALLY_NAMES)
# The cohort's columns each tally row copies (same names on both tables): what reports group and filter by.
COHORT_FACTS = ("centre_id", "course_id", "status", "starts_on", "kind", "women_only", "mode")


class CohortTally(db.Model):
    """The tallies of one cohort's places (and certificates) whose trainee is of ``gender`` and ``area``.
    A row is made by the first change that counts something for its key; no row means all zero."""

    __tablename__ = "cohort_tally"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    gender: Mapped[Gender] = mapped_column(enum_type(Gender, "gender"), primary_key=True)
    area: Mapped[Area] = mapped_column(enum_type(Area, "area"), primary_key=True)
    # Class-day marks of these places on saved registers, and those of them present (late counts as present).
    marks_held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    marks_present: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attended: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # present at least once
    at_risk: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # enrolled, absent in a row
    assessed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # with a mark
    passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # mark >= the course's pass mark
    finished: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # completed or not completed
    completed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_completed_attendance: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_completed_marks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    overridden: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # outcome set by staff
    backfilled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # seat filled in the window
    certificates_issued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # reissues too
    certificates_revoked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    certified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # valid certificates
    # A copy of the cohort's ``COHORT_FACTS`` (see the module): reports read this table alone.
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    status: Mapped[CohortStatus] = mapped_column(enum_type(CohortStatus, "status"))
    starts_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[CohortKind] = mapped_column(enum_type(CohortKind, "kind"))
    women_only: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[Mode] = mapped_column(enum_type(Mode, "mode"))

    def __repr__(self) -> str:
        return f"<CohortTally {self.cohort_id} {self.gender.value} {self.area.value}>"


def at_risk_absences() -> int:
    """Class days in a row absent before a trainee is at risk (``MARKAZ_AT_RISK_ABSENCES``; 3 by default)."""
    return current_app.config.get("AT_RISK_ABSENCES", 3)


# One place, in Python ---------------------------------------------------------------------------------


def place_tallies(place: Enrollment) -> dict[str, int]:
    """What one place counts for in its cohort's tallies. Reads the course's pass mark only for a place with
    a mark (no query for the others)."""
    status = place.status
    reason = place.not_completed_reason if status is S.NOT_COMPLETED else None
    passed = place.mark is not None and place.mark >= place.cohort.course.pass_mark
    return {
        "marks_held": place.days_marked or 0,
        "marks_present": place.days_present or 0,
        "attended": int((place.days_present or 0) > 0),
        "at_risk": int(status is S.ENROLLED and (place.absent_streak or 0) >= at_risk_absences()),
        "assessed": int(place.mark is not None),
        "passed": int(passed),
        "finished": int(status in FINISHED_PLACES),
        "completed": int(status is S.COMPLETED),
        "not_completed_attendance": int(reason is NotCompletedReason.ATTENDANCE),
        "not_completed_marks": int(reason is NotCompletedReason.MARKS),
        "overridden": int(place.completion_override_reason is not None),
        "backfilled": int(bool(place.backfilled)),
    }


LOADED_FIELDS = (
    "status",
    "days_marked",
    "days_present",
    "absent_streak",
    "mark",
    "not_completed_reason",
    "completion_override_reason",
    "backfilled",
)


def loaded_values(place: Enrollment) -> dict:
    """``place``'s ``LOADED_FIELDS`` as last read from or written to the database: a change made since and not
    yet flushed is left out (a service may set a field just before the status change that counts it). A
    field set before it was ever read is read from the database (one query, only then)."""
    state = inspect(place)
    values, unknown = {}, []
    with db.session.no_autoflush:
        for name in LOADED_FIELDS:
            if name not in state.committed_state:
                values[name] = getattr(place, name)
            elif state.committed_state[name] is NO_VALUE:
                unknown.append(name)
            else:
                values[name] = state.committed_state[name]
        if unknown and place.id is not None:
            row = db.session.execute(
                select(*(getattr(Enrollment, name) for name in unknown)).where(Enrollment.id == place.id)
            ).one()
            values.update(zip(unknown, row, strict=True))
    return values


def loaded_tallies(place: Enrollment) -> dict[str, int]:
    """``place_tallies`` of ``place`` as it was last read or flushed (``loaded_values``): what its cohort's
    tallies count it as now, whatever has been set on it since. What ``keep_tallies`` subtracts."""
    with db.session.no_autoflush:  # loading her course must not flush what is yet to be counted
        return place_tallies(SimpleNamespace(**loaded_values(place), cohort=place.cohort))


def certificate_tallies(certificate: Certificate) -> dict[str, int]:
    """What one certificate counts for: issued (every certificate, reissues included), revoked, valid."""
    return {
        "certificates_issued": 1,
        "certificates_revoked": int(certificate.status is CertificateStatus.REVOKED),
        "certified": int(certificate.status is CertificateStatus.VALID),
    }


def difference(after: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """``after - before``, the tallies that change only."""
    before = before or {}
    return {name: value - before.get(name, 0) for name, value in after.items() if value != before.get(name, 0)}


def add_tallies(cohort_id: int, gender: Gender, area: Area, changes: dict[str, int]) -> None:
    """Add ``changes`` to the tallies of (``cohort_id``, ``gender``, ``area``), making the row if there is
    none: one INSERT ... ON CONFLICT DO UPDATE (concurrent changes add up, none is lost)."""
    changes = {name: value for name, value in changes.items() if value}
    if not changes:
        return
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    table = CohortTally.__table__
    # INSERT ... SELECT from the cohort: a new row takes the cohort's facts in the same statement.
    row = select(
        literal(cohort_id, Integer),
        literal(gender, table.c.gender.type),
        literal(area, table.c.area.type),
        *[getattr(Cohort, name) for name in COHORT_FACTS],
        *[literal(value, Integer) for value in changes.values()],
    ).where(Cohort.id == cohort_id)
    stmt = insert(CohortTally).from_select(["cohort_id", "gender", "area", *COHORT_FACTS, *changes], row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.cohort_id, table.c.gender, table.c.area],
        set_={name: table.c[name] + stmt.excluded[name] for name in changes},
    )
    # Without flushing the session: a change set on another place and not yet counted (``keep_tallies``
    # reads what was last flushed) must stay unflushed until it is.
    with db.session.no_autoflush:
        db.session.execute(stmt)


def copy_cohort_facts(cohort_id: int) -> None:
    """Copy the cohort's ``COHORT_FACTS`` onto its tally rows (one UPDATE; none when it has no rows yet).
    Call it after changing one of them, once the change is in the database (flushed or UPDATEd)."""
    db.session.execute(
        update(CohortTally)
        .where(CohortTally.cohort_id == cohort_id)
        .values(
            {
                name: select(getattr(Cohort, name)).where(Cohort.id == cohort_id).scalar_subquery()
                for name in COHORT_FACTS
            }
        )
        .execution_options(synchronize_session=False)
    )


def keep_tallies(place: Enrollment, before: dict[str, int] | None = None) -> None:
    """Add what ``place`` counts for now minus what it counted for before (``before``: ``place_tallies``
    taken before the change; by default ``loaded_tallies``, what it was when last flushed) to its cohort's
    tallies under her gender and area, then flush. Call it right after changing the place, before changing
    another (whose change the flush would otherwise write uncounted)."""
    # Nothing here flushes (loading her record or course would): other places' changes not yet counted
    # must reach the database only after their own ``keep_tallies``.
    with db.session.no_autoflush:
        if before is None:
            before = loaded_tallies(place)
        if changes := difference(place_tallies(place), before):
            add_tallies(place.cohort_id, place.trainee.gender, place.trainee.area, changes)
    # What is flushed is what is counted: a later ``loaded_tallies`` of the place starts from here.
    db.session.flush()


def keep_certificate_tallies(certificate: Certificate, before: dict[str, int] | None) -> None:
    """As ``keep_tallies``, for a certificate issued (``before`` None), revoked or replaced."""
    if changes := difference(certificate_tallies(certificate), before):
        trainee = db.session.get(Trainee, certificate.trainee_id)
        add_tallies(certificate.cohort_id, trainee.gender, trainee.area, changes)


def move_trainee_tallies(trainee: Trainee, old_gender: Gender, old_area: Area) -> None:
    """Her gender or area was corrected: move what each of her places and certificates counts for from the
    old key to the new one. Two queries, and two statements per place or certificate that counts."""
    if (old_gender, old_area) == (trainee.gender, trainee.area):
        return
    counted: list[tuple[int, dict[str, int]]] = [
        (place.cohort_id, place_tallies(place))
        for place in db.session.scalars(select(Enrollment).where(Enrollment.trainee_id == trainee.id))
    ]
    counted += [
        (certificate.cohort_id, certificate_tallies(certificate))
        for certificate in db.session.scalars(select(Certificate).where(Certificate.trainee_id == trainee.id))
    ]
    for cohort_id, values in counted:
        if any(values.values()):
            add_tallies(cohort_id, old_gender, old_area, {name: -value for name, value in values.items()})
            add_tallies(cohort_id, trainee.gender, trainee.area, values)


# The same, in SQL -------------------------------------------------------------------------------------


def one_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def place_sql(threshold: int) -> dict[str, ColumnElement[int]]:
    """``place_tallies`` in SQL over ``Enrollment`` joined to its cohort's ``Course``: one value per place."""
    reason = Enrollment.not_completed_reason
    not_completed = Enrollment.status == S.NOT_COMPLETED
    return {
        "marks_held": Enrollment.days_marked,
        "marks_present": Enrollment.days_present,
        "attended": one_if(Enrollment.days_present > 0),
        "at_risk": one_if((Enrollment.status == S.ENROLLED) & (Enrollment.absent_streak >= threshold)),
        "assessed": one_if(Enrollment.mark.is_not(None)),
        "passed": one_if(Enrollment.mark >= Course.pass_mark),
        "finished": one_if(Enrollment.status.in_(FINISHED_PLACES)),
        "completed": one_if(Enrollment.status == S.COMPLETED),
        "not_completed_attendance": one_if(not_completed & (reason == NotCompletedReason.ATTENDANCE)),
        "not_completed_marks": one_if(not_completed & (reason == NotCompletedReason.MARKS)),
        "overridden": one_if(Enrollment.completion_override_reason.is_not(None)),
        "backfilled": one_if(Enrollment.backfilled.is_(True)),
    }


def certificate_sql() -> dict[str, ColumnElement[int]]:
    return {
        "certificates_issued": one_if(Certificate.id.is_not(None)),
        "certificates_revoked": one_if(Certificate.status == CertificateStatus.REVOKED),
        "certified": one_if(Certificate.status == CertificateStatus.VALID),
    }


Key = tuple[int, Gender, Area]


def actual_tallies(run: Callable | None = None) -> dict[Key, dict[str, int]]:
    """Every tally counted from the enrollment and certificate tables, by (cohort id, gender, area); keys
    where everything is zero are left out. ``run``: how to execute (default: the session). Two queries,
    each one pass over its table."""
    run = run or db.session.execute
    found: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TALLY_NAMES, 0))
    places = place_sql(at_risk_absences())
    key = (Trainee.gender, Trainee.area)
    rows = run(
        select(Enrollment.cohort_id, *key, *[func.sum(value).label(name) for name, value in places.items()])
        .join(Trainee, Trainee.id == Enrollment.trainee_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .group_by(Enrollment.cohort_id, *key)
    )
    for cohort_id, gender, area, *values in rows:
        found[(cohort_id, Gender(gender), Area(area))].update(
            zip(PLACE_TALLY_NAMES, (int(value or 0) for value in values), strict=True)
        )
    certificates = certificate_sql()
    rows = run(
        select(Certificate.cohort_id, *key, *[func.sum(value).label(name) for name, value in certificates.items()])
        .join(Trainee, Trainee.id == Certificate.trainee_id)
        .group_by(Certificate.cohort_id, *key)
    )
    for cohort_id, gender, area, *values in rows:
        found[(cohort_id, Gender(gender), Area(area))].update(
            zip(CERTIFICATE_TALLY_NAMES, (int(value or 0) for value in values), strict=True)
        )
    return {key: values for key, values in found.items() if any(values.values())}


@dataclass(frozen=True)
class TallyDrift:
    """A tally that disagrees with the enrollment or certificate table, or a copied fact with its cohort."""

    cohort_id: int
    cohort_code: str
    counter: str  # e.g. ``tally female/rural completed``, ``tally female/rural status``
    stored: object  # a count; for a copied fact, the value (None: the row is missing)
    actual: object


def cohort_facts(run: Callable | None = None) -> dict[int, dict]:
    """Every cohort's ``COHORT_FACTS`` (and code) by id, as its tally rows should copy them."""
    run = run or db.session.execute
    rows = run(select(Cohort.id, Cohort.code, *[getattr(Cohort, name) for name in COHORT_FACTS]))
    return {row[0]: {"code": row[1], **dict(zip(COHORT_FACTS, row[2:], strict=True))} for row in rows}


def recount_tallies(*, fix: bool = False) -> list[TallyDrift]:
    """Compare every stored tally with ``actual_tallies``, and its copied facts with its cohort's; return the
    drifts. With ``fix=True`` the stored rows are set to the actual counts and facts (flushed, not committed);
    rows that agree are not written to."""
    actual = actual_tallies()
    stored = {(row.cohort_id, row.gender, row.area): row for row in db.session.scalars(select(CohortTally))}
    facts = cohort_facts()
    drifts = []
    for key in sorted(set(actual) | set(stored), key=lambda k: (k[0], k[1].value, k[2].value)):
        row = stored.get(key)
        values = actual.get(key, dict.fromkeys(TALLY_NAMES, 0))
        cohort_id, gender, area = key
        cohort = facts.get(cohort_id, {})
        for name in TALLY_NAMES:
            kept = getattr(row, name) if row is not None else 0
            if kept != values[name]:
                drifts.append(
                    TallyDrift(
                        cohort_id,
                        cohort.get("code", "?"),
                        f"tally {gender.value}/{area.value} {name}",
                        kept,
                        values[name],
                    )
                )
        wrong_facts = [] if row is None else [name for name in COHORT_FACTS if getattr(row, name) != cohort.get(name)]
        for name in wrong_facts:
            drifts.append(
                TallyDrift(
                    cohort_id,
                    cohort.get("code", "?"),
                    f"tally {gender.value}/{area.value} {name}",
                    getattr(row, name),
                    cohort.get(name),
                )
            )
        if fix and row is None and key in actual:
            copied = {name: cohort[name] for name in COHORT_FACTS}
            db.session.add(CohortTally(cohort_id=cohort_id, gender=gender, area=area, **values, **copied))
        elif fix and row is not None:
            for name in TALLY_NAMES:
                if getattr(row, name) != values[name]:
                    setattr(row, name, values[name])
            for name in wrong_facts:
                setattr(row, name, cohort.get(name))
    if fix:
        db.session.flush()
    return drifts


def rebuild_tallies(connection) -> int:
    """Replace every tally with ``actual_tallies``, on ``connection`` (for data loaded without the services:
    the seeds), with their cohorts' facts. Returns the rows written."""
    connection.execute(delete(CohortTally))
    facts = cohort_facts(connection.execute)
    rows = [
        {
            "cohort_id": cohort_id,
            "gender": gender,
            "area": area,
            **values,
            **{name: facts[cohort_id][name] for name in COHORT_FACTS},
        }
        for (cohort_id, gender, area), values in actual_tallies(connection.execute).items()
    ]
    if rows:
        connection.execute(CohortTally.__table__.insert(), rows)
    return len(rows)


def places_before(places: Iterable[Enrollment]) -> dict[int, dict[str, int]]:
    """``place_tallies`` of each of ``places`` by id: what a bulk change (a register, the completion rule)
    passes back to ``keep_tallies`` for each place afterwards."""
    return {place.id: place_tallies(place) for place in places}
