"""Class days and registers, stored so that they scale (README, "Attendance at scale").

A cohort's class days follow from its dates and shift (``attendance.calendar``); only what staff change is
stored: a ``ClassDay`` row for a day added (a make-up day) or cancelled (a holiday that follows the moon, a
power cut). Changing a cohort's dates or shift so moves its class days with nothing to rewrite.

A day's attendance is one ``AttendanceRegister`` row, not a row per trainee: who was on the register
(``marked``) and who of them was absent or late (most are present, so those lists are short). At 3 million
enrollments that is about 2 million rows instead of 60 million. Each place keeps its own counters
(``Enrollment.days_marked``, ``days_present``, ``absent_streak``) and each cohort the sums, so that pages and
reports read counters and never the registers.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Cohort
from database import UTCDateTime, utcnow
from extensions import db


class ClassDay(db.Model):
    """A change to a cohort's class days: a day ``added`` to those its shift meets on, or one of them
    ``cancelled``; never both. Days nobody changed have no row."""

    __tablename__ = "class_day"
    __table_args__ = (
        UniqueConstraint("cohort_id", "day"),
        CheckConstraint("cancelled <> added", name="added_or_cancelled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    day: Mapped[date] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    added: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()

    def __repr__(self) -> str:
        return f"<ClassDay {self.cohort_id} {self.day} {'added' if self.added else 'cancelled'}>"


class AttendanceRegister(db.Model):
    """The attendance of one class day of one cohort: the enrollment ids on the register (``marked``), and
    those of them ``absent`` or ``late`` (late counts as present); everyone else marked was present. Saving
    the day again replaces it whole (``corrections`` counts how often: the audit trail keeps each version)."""

    __tablename__ = "attendance_register"
    __table_args__ = (
        UniqueConstraint("cohort_id", "day"),
        CheckConstraint(
            "marked_count >= 0 AND present_count >= 0 AND present_count <= marked_count", name="counts_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"))
    day: Mapped[date] = mapped_column(Date)
    marked: Mapped[list[int]] = mapped_column(JSON, default=list)
    absent: Mapped[list[int]] = mapped_column(JSON, default=list)
    late: Mapped[list[int]] = mapped_column(JSON, default=list)
    marked_count: Mapped[int] = mapped_column(Integer, default=0)
    present_count: Mapped[int] = mapped_column(Integer, default=0)
    corrections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()

    def status_of(self, enrollment_id: int) -> str | None:
        """``"present"``, ``"late"``, ``"absent"``, or None when she was not on this register."""
        if enrollment_id in self.absent:
            return "absent"
        if enrollment_id in self.late:
            return "late"
        return "present" if enrollment_id in self.marked else None

    def __repr__(self) -> str:
        return f"<AttendanceRegister {self.cohort_id} {self.day}>"
