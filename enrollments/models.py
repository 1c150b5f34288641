"""People and their places: one trainee record per CNIC nationally, one enrollment per cohort."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import UTCDateTime, enum_type, utcnow, where_set
from extensions import db
from vocabulary import (
    Area,
    Education,
    EnrollmentSource,
    EnrollmentStatus,
    Gender,
    NotCompletedReason,
    OfferState,
    Pool,
)

if TYPE_CHECKING:
    from auth.models import UserAccount
    from centres.models import District
    from courses.models import Cohort


def cnic_disagrees_with_gender(cnic: str, gender: Gender | str) -> bool:
    """Whether a CNIC's last digit disagrees with ``gender``: NADRA ends men's CNICs with an odd digit and
    women's with an even one. Transgender: never a disagreement (the rule says nothing of her card).

    A disagreement is shown, never refused: records have errors, and so do the genders people choose
    in a hurry. Staff see it on her record and on rosters (``Trainee.cnic_gender_disagree``); at sign-up
    she confirms both before her account is made (``auth.services.sign_up_trainee``)."""
    if len(cnic) != 13 or not cnic[-1].isdigit() or gender not in (Gender.FEMALE, Gender.MALE):
        return False
    return (int(cnic[-1]) % 2 == 1) != (gender == Gender.MALE)


class Trainee(db.Model):
    """A person, identified nationally by CNIC (13 digits, stored without dashes).

    ``phone`` is stored in E.164 (``+923001234567``); ``language`` is the one messages to her are
    written in (``language.message_language``); ``user`` is the optional login of a trainee who
    signed up online (walk-ins and imported trainees may have none). ``registered_centre_id`` lets the
    staff who created a record see it before she has any place at their centre.
    """

    __tablename__ = "trainee"
    __table_args__ = (
        CheckConstraint("length(cnic) = 13", name="cnic_13_digits"),
        # Most records have no login and many no registering centre: indexed where set only. A full index
        # of these columns counts its NULLs, and SQLite's statistics (ANALYZE) then say a million rows share
        # one key, so its planner scanned the table for every API token's account (her record joined by
        # user_id: 114 ms a request at a million trainees). A partial index holds the keys alone, and a
        # comparison on the column (a join, ``= ?``, ``IN``) implies its condition, so both databases use it.
        Index("ix_trainee_user_id", "user_id", unique=True, **where_set("user_id")),
        Index("ix_trainee_registered_centre_id", "registered_centre_id", **where_set("registered_centre_id")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cnic: Mapped[str] = mapped_column(String(13), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    gender: Mapped[Gender] = mapped_column(enum_type(Gender, "gender"))
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    area: Mapped[Area] = mapped_column(enum_type(Area, "area"))
    education: Mapped[Education] = mapped_column(enum_type(Education, "education"), default=Education.MATRIC)
    disability: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # unique where set
    # The centre whose staff created the record (walk-in desk, imported list); none for sign-ups.
    registered_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centre.id"))
    # The language her SMS and email are written in ("en" or "ur"): hers when she signs up or switches,
    # else that of the staff who registered her.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    # Her first application and her first place (enrollment ids), so that the reports count each person
    # once, in that cohort, from the cohort counters (``enrollments.counters.PERSON_COUNTERS``). Kept as
    # plain ids: a foreign key back to ``enrollment`` would make the two tables depend on each other, and
    # enrollments are never deleted.
    first_application_id: Mapped[int | None] = mapped_column(Integer)
    first_place_id: Mapped[int | None] = mapped_column(Integer)
    # Whether she chose that language herself on her profile: then switching the site's language leaves it.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether we may ask her by SMS and email, 3, 6 and 12 months after a course, what work she does (DESIGN.md,
    # "Outcomes"): asked at sign-up, walk-in and import (yes unless she says no), changed on her profile or by
    # the opt-out link in every such message (``outcomes.consent``), and when.
    outcome_consent: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    outcome_consent_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    district: Mapped["District"] = relationship()
    user: Mapped["UserAccount | None"] = relationship(back_populates="trainee")
    enrollments: Mapped[list["Enrollment"]] = relationship(back_populates="trainee")

    @property
    def cnic_gender_disagree(self) -> bool:
        """Her CNIC's last digit and her gender disagree (``cnic_disagrees_with_gender``): a flag for staff."""
        return cnic_disagrees_with_gender(self.cnic, self.gender)

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day``."""
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - before_birthday

    def __repr__(self) -> str:
        return f"<Trainee {self.id}>"


class Enrollment(db.Model):
    """A trainee's place, or place in line, in one cohort.

    Waitlist order is application order: ``applied_at``, then ``id`` for applications in the same
    instant; in a merit cohort it is the rank of the published merit list (``merit_rank``) first
    (``enrollments.services.rules.line_order``). The roster index serves both the waitlist ("waitlisted
    in cohort X in order") and the per-status counts.

    ``test_score`` and ``interview_score`` (0 to 100, two decimals) are entered by staff for merit
    admission; ``merit_rank`` is her rank in the cohort's latest published merit list.
    """

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("trainee_id", "cohort_id"),
        CheckConstraint(
            "(test_score IS NULL OR (test_score >= 0 AND test_score <= 100)) "
            "AND (interview_score IS NULL OR (interview_score >= 0 AND interview_score <= 100))",
            name="scores_within_range",
        ),
        CheckConstraint("mark IS NULL OR (mark >= 0 AND mark <= 100)", name="mark_percent"),
        # A reason exactly for the places that ended not completed.
        CheckConstraint(
            "(status = 'not_completed' AND not_completed_reason IS NOT NULL) "
            "OR (status <> 'not_completed' AND not_completed_reason IS NULL)",
            name="not_completed_reason_set",
        ),
        Index("ix_enrollment_cohort_id_status_applied_at", "cohort_id", "status", "applied_at", "id"),
        Index("ix_enrollment_trainee_id_status", "trainee_id", "status"),
        # The offers to expire or remind of, soonest first (``flask offers expire``).
        Index("ix_enrollment_status_offer_expires_at", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    status: Mapped[EnrollmentStatus] = mapped_column(enum_type(EnrollmentStatus, "status"))
    source: Mapped[EnrollmentSource] = mapped_column(enum_type(EnrollmentSource, "source"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The pool her seat came from (``enrollments.pools``), set when she takes one and kept afterwards.
    pool: Mapped[Pool | None] = mapped_column(enum_type(Pool, "pool"))
    # An offered seat is hers until this moment; the reminder is sent once (``enrollments.services.offers``).
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The seat offer she was made here, if any, and what became of it: what the cohort's offer counters
    # count (``enrollments.counters.offer_deltas``, set by every move into and out of ``offered``).
    offer: Mapped[OfferState | None] = mapped_column(enum_type(OfferState, "offer"))
    # The place was held when training began (set for every enrolled place when its cohort starts running):
    # such a place ends completed, or left (dropped, withdrawn), or is still open.
    started_training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Her seat was freed by someone else during the backfill window and given to her from the line (the
    # reports' backfilled seats: ``enrollments.tallies``); set by ``enrollments.services.changes.move``.
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Her attendance, kept by ``attendance.services`` whenever a register of her cohort is saved or corrected
    # (truth is the registers): class days she was marked on, of those present or late, and how many of the
    # latest ones in a row she was absent; ``at_risk_notified_at`` says that this streak's message went.
    days_marked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    days_present: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    absent_streak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    at_risk_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Merit admission (``enrollments.services.merit``): her scores, and her rank in the latest published list.
    test_score: Mapped[float | None] = mapped_column(Float)
    interview_score: Mapped[float | None] = mapped_column(Float)
    merit_rank: Mapped[int | None] = mapped_column(Integer)
    # Assessment (``enrollments.services.marks``): her mark in percent (two decimals; None: not marked) and
    # when it was last saved. When the cohort finishes (``enrollments.services.completion``) she is completed or
    # not, with the reason; a staff override of that decision keeps its written reason here.
    mark: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_completed_reason: Mapped[NotCompletedReason | None] = mapped_column(
        enum_type(NotCompletedReason, "not_completed_reason")
    )
    completion_override_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trainee: Mapped[Trainee] = relationship(back_populates="enrollments")
    cohort: Mapped["Cohort"] = relationship()

    @property
    def number(self) -> str:
        """Her application number, as pages, score sheets and the public merit list show it."""
        return application_number(self.id)

    def __repr__(self) -> str:
        return f"<Enrollment {self.id} {self.status.value}>"


def application_number(enrollment_id: int) -> str:
    """An enrollment's application number: its id, at least six digits (``000123``)."""
    return f"{enrollment_id:06d}"


class MeritList(db.Model):
    """One published version of a cohort's merit list (DESIGN.md, "Selection"): version 1 is the
    publication, each later one a correction with its ``reason``. Never changed once written.

    ``entries`` is the list as published, in rank order, each ``{"enrollment_id", "number", "name"
    (masked: first name and initial), "test", "interview", "total", "rank", "outcome", "pool"}``:
    what the public page shows, with no CNIC, phone or full name. ``test_weight`` is the percent the
    test counted for."""

    __tablename__ = "merit_list"
    __table_args__ = (
        UniqueConstraint("cohort_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("test_weight >= 0 AND test_weight <= 100", name="test_weight_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    test_weight: Mapped[int] = mapped_column(Integer)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    cohort: Mapped["Cohort"] = relationship()
    published_by: Mapped["UserAccount | None"] = relationship()

    def __repr__(self) -> str:
        return f"<MeritList {self.cohort_id} v{self.version}>"
