"""What is taught (courses) and each run of it at a centre (cohorts, camps among them)."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    false,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import Admission, CohortKind, CohortStatus, Education, Level, Mode, Shift, Track, WomenOnlyAdmits

if TYPE_CHECKING:
    from centres.models import Centre, District, Province


class Course(db.Model):
    """A catalogue entry: what is taught, for how long, and who is eligible."""

    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint("weeks > 0", name="weeks_positive"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range_ordered"),
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_percent"),
        CheckConstraint(
            "attendance_threshold >= 0 AND attendance_threshold <= 100", name="attendance_threshold_percent"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    track: Mapped[Track] = mapped_column(enum_type(Track, "track"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    weeks: Mapped[int] = mapped_column(Integer)
    level: Mapped[Level] = mapped_column(enum_type(Level, "level"), default=Level.BEGINNER)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    min_education: Mapped[Education] = mapped_column(enum_type(Education, "min_education"), default=Education.NONE)
    # Assessment (DESIGN.md, "Attendance, assessment and certificates"): the mark that passes, in percent (two
    # decimals), and the attendance, in percent of the class days held, a trainee needs to sit the assessment.
    pass_mark: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(50), server_default="50")
    attendance_threshold: Mapped[int] = mapped_column(Integer, default=70, server_default="70")

    cohorts: Mapped[list["Cohort"]] = relationship(back_populates="course")

    def __repr__(self) -> str:
        return f"<Course {self.code}>"


class Cohort(db.Model):
    """One run of a course at a centre; a ``camp`` is a short, intensive cohort, usually women-only.

    ``enrolled_count``, ``waitlisted_count``, ``pending_count`` and the report counters
    (``enrollments.counters``) are kept by the enrollment services in the same transaction as each
    change (truth is the enrollment table). The database
    refuses ``enrolled_count > seats``, so even a faulty writer cannot overbook.
    """

    __tablename__ = "cohort"
    __table_args__ = (
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        CheckConstraint(
            "enrolled_count >= 0 AND waitlisted_count >= 0 AND pending_count >= 0", name="counts_not_negative"
        ),
        CheckConstraint("enrolled_count <= seats", name="not_overbooked"),
        # Offered seats are held too (DESIGN.md, "Selection"): never more held than seats.
        CheckConstraint("enrolled_count + offered_count <= seats", name="held_within_seats"),
        CheckConstraint(
            "offered_count >= 0 AND reserved_women >= 0 AND reserved_rural >= 0 AND reserved_district >= 0 "
            "AND reserved_disability >= 0",
            name="selection_counts_not_negative",
        ),
        CheckConstraint(
            "reserved_women + reserved_rural + reserved_district + reserved_disability <= seats",
            name="reserved_within_seats",
        ),
        CheckConstraint(
            "held_women >= 0 AND held_women <= reserved_women AND held_rural >= 0 AND held_rural <= reserved_rural "
            "AND held_district >= 0 AND held_district <= reserved_district "
            "AND held_disability >= 0 AND held_disability <= reserved_disability",
            name="held_within_reserved",
        ),
        CheckConstraint("offer_hours >= 1", name="offer_hours_positive"),
        CheckConstraint("test_weight >= 0 AND test_weight <= 100", name="test_weight_percent"),
        CheckConstraint(
            "completed_count >= 0 AND dropped_count >= 0 AND women_count >= 0 AND rural_count >= 0 "
            "AND applications_count >= 0",
            name="report_counts_not_negative",
        ),
        CheckConstraint(
            "not_completed_count >= 0 AND not_completed_attendance_count >= 0 AND not_completed_marks_count >= 0 "
            "AND not_completed_attendance_count + not_completed_marks_count = not_completed_count",
            name="not_completed_counts_valid",
        ),
        CheckConstraint(
            "men_count >= 0 AND transgender_count >= 0 AND cancelled_count >= 0 AND started_count >= 0 "
            "AND left_count >= 0 AND applicants_count >= 0 AND reached_count >= 0 AND reached_women_count >= 0 "
            "AND reached_rural_count >= 0",
            name="definition_counts_not_negative",
        ),
        CheckConstraint(
            "offers_made_count >= 0 AND offers_accepted_count >= 0 AND offers_declined_count >= 0 "
            "AND offers_expired_count >= 0",
            name="offer_counts_not_negative",
        ),
        CheckConstraint("starts_on <= ends_on", name="dates_ordered"),
        CheckConstraint(
            "backfill_days >= 0 AND attendance_marked >= 0 AND attendance_present >= 0 "
            "AND attendance_present <= attendance_marked",
            name="attendance_counts_valid",
        ),
        CheckConstraint(
            "applications_open_at IS NULL OR applications_close_at IS NULL "
            "OR applications_open_at <= applications_close_at",
            name="window_ordered",
        ),
        # The public catalogue filters on status and sorts by start date; staff pages list by centre.
        Index("ix_cohort_status_starts_on", "status", "starts_on"),
        Index("ix_cohort_centre_id_starts_on", "centre_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    kind: Mapped[CohortKind] = mapped_column(enum_type(CohortKind, "kind"), default=CohortKind.REGULAR)
    women_only: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Who a women-only cohort admits (``eligibility.requirements``); read only when ``women_only``.
    women_only_admits: Mapped[WomenOnlyAdmits] = mapped_column(
        enum_type(WomenOnlyAdmits, "women_only_admits"), default=WomenOnlyAdmits.WOMEN, server_default="women"
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    shift: Mapped[Shift] = mapped_column(enum_type(Shift, "shift"))
    mode: Mapped[Mode] = mapped_column(enum_type(Mode, "mode"), default=Mode.ON_SITE)
    seats: Mapped[int] = mapped_column(Integer)
    applications_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applications_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admission: Mapped[Admission] = mapped_column(enum_type(Admission, "admission"), default=Admission.FIRST_COME)
    status: Mapped[CohortStatus] = mapped_column(enum_type(CohortStatus, "status"), default=CohortStatus.DRAFT)
    venue: Mapped[str] = mapped_column(String(240), default="")
    # The district a camp away from the centre meets in (None: it meets at the centre, or in its district).
    # The catalogue's district filter finds the cohort there as well as at its centre.
    venue_district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    # Optional restriction of who may apply, e.g. a camp for residents of one district.
    eligible_province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))
    eligible_district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    enrolled_count: Mapped[int] = mapped_column(Integer, default=0)
    waitlisted_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    # For the ministry's reports (``enrollments.counters``): outcomes, women and rural trainees among
    # enrolled and completed places, and every application ever made.
    completed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dropped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    women_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rural_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    applications_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Selection (DESIGN.md, "Selection"; ``enrollments.pools``): seats reserved per category until
    # ``release_at`` (``released_at`` once released), and how many of each are held (enrolled or
    # offered) — kept like the counters above. The open seats are the rest.
    reserved_women: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved_rural: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved_district: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved_disability: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_women: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_rural: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_district: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_disability: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The seats of each pool held at the release (set with ``released_at``, never changed after): what the
    # reports call the reserved seats filled, which a later withdrawal must not rewrite.
    released_held_women: Mapped[int | None] = mapped_column(Integer)
    released_held_rural: Mapped[int | None] = mapped_column(Integer)
    released_held_district: Mapped[int | None] = mapped_column(Integer)
    released_held_disability: Mapped[int | None] = mapped_column(Integer)
    # Seats given from the line are offered (held until a deadline) instead of given at once.
    offers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    offer_hours: Mapped[int] = mapped_column(Integer, default=72, server_default="72")
    offered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Seat offers made here and how they ended (``enrollments.counters.OFFER_COUNTERS``; the open ones are
    # ``offered_count``); and the first moment every seat was held (enrolled + offered = seats), set by
    # the change that took the last seat and never cleared (``enrollments.services.changes.filled_at``).
    offers_made_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offers_accepted_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offers_declined_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offers_expired_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Merit admission: the percent of the total the test counts for (the interview counts for the rest).
    test_weight: Mapped[int] = mapped_column(Integer, default=70, server_default="70")
    # Issue 15's definitions (``enrollments.counters``): places by the other genders; places cancelled (in a
    # cohort that ran: still waiting when it started); places that started training, and of those the ones
    # that left (dropped or withdrawn) before the end; and people, each counted in one cohort only: the one
    # of her first application (applicants) and of her first place (reached, women and rural among them).
    men_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    transgender_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    left_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    applicants_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reached_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reached_women_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reached_rural_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Attendance (``attendance``): the backfill window, the first days after the start during which a freed
    # seat still goes to the line (``enrollments.services.waitlist.promotes``); and the marks of every saved
    # register added up (places marked on a class day, and of those present or late), kept by
    # ``attendance.services`` for the reports, so that no report reads the registers.
    backfill_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    attendance_marked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attendance_present: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Completion by rule (``enrollments.services.completion``): places that ended not completed when the cohort
    # finished (a ``COUNTERS`` status counter), and of those the ones by each reason (``REASON_COUNTERS``).
    not_completed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_completed_attendance_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_completed_marks_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="cohorts")
    centre: Mapped["Centre"] = relationship(back_populates="cohorts")
    eligible_province: Mapped["Province | None"] = relationship()
    eligible_district: Mapped["District | None"] = relationship(foreign_keys=[eligible_district_id])
    venue_district: Mapped["District | None"] = relationship(foreign_keys=[venue_district_id])

    @property
    def seats_left(self) -> int:
        return max(self.seats - self.enrolled_count - self.offered_count, 0)

    @property
    def seats_held(self) -> int:
        """Seats taken: enrolled, and offered (held until she answers)."""
        return self.enrolled_count + self.offered_count

    @property
    def length_weeks(self) -> int:
        """How many weeks this run lasts (a camp teaches a course in fewer weeks than usual)."""
        return max(round(((self.ends_on - self.starts_on).days + 1) / 7), 1)

    @property
    def meets_away(self) -> bool:
        """Whether it meets somewhere other than its centre (a camp at a school or hall, say)."""
        return bool(self.venue) or self.venue_district_id is not None

    @property
    def is_camp(self) -> bool:
        return self.kind is CohortKind.CAMP

    @hybrid_method
    def taking_applications(self, now: datetime) -> bool:
        """Whether the cohort takes applications at ``now``: it is open and ``now`` lies inside its
        application window (an unset bound does not limit). The one definition, in Python for a loaded
        cohort and in SQL (``select(Cohort).where(Cohort.taking_applications(now))``) for queries: the
        catalogue's "open for applications", a centre's open cohorts in the API, the status badge, the
        front page's count and ``enrollments.services.closed_reason`` all ask it."""
        opens, closes = self.applications_open_at, self.applications_close_at
        return (
            self.status is CohortStatus.OPEN and (opens is None or opens <= now) and (closes is None or now <= closes)
        )

    @taking_applications.expression
    def taking_applications(cls, now: datetime) -> ColumnElement[bool]:
        return and_(
            cls.status == CohortStatus.OPEN,
            or_(cls.applications_open_at.is_(None), cls.applications_open_at <= now),
            or_(cls.applications_close_at.is_(None), cls.applications_close_at >= now),
        )

    def __repr__(self) -> str:
        return f"<Cohort {self.code}>"


def with_course_and_centre() -> tuple:
    """Loader options reading a cohort's course and centre in the cohort's own statement: what taking a
    place reads of them (eligibility, the centre's district for its pool, the trainee's message)."""
    return joinedload(Cohort.course, innerjoin=True), joinedload(Cohort.centre, innerjoin=True)
