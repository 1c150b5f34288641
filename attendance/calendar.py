"""Which days a cohort meets: the days of its shift (``courses.calendar.SHIFT_HOURS``: Monday to Friday, or
Saturday and Sunday) from its first day to its last, less the fixed-date public holidays (``PUBLIC_HOLIDAYS``
setting), with the days staff added or cancelled (``ClassDay``). Computed, not stored: see
``attendance.models``."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from attendance.models import AttendanceRegister, ClassDay
from courses.calendar import SHIFT_HOURS
from courses.models import Cohort
from extensions import db


@dataclass(frozen=True)
class DayOfClass:
    """One day on a cohort's calendar: a class day (``scheduled`` by its shift, or ``added``), or one
    ``cancelled``; with whether attendance was taken (its ``register``)."""

    day: date
    scheduled: bool
    added: bool = False
    cancelled: bool = False
    reason: str = ""
    register: AttendanceRegister | None = None

    @property
    def meets(self) -> bool:
        return not self.cancelled

    @property
    def kind(self) -> str:
        return "cancelled" if self.cancelled else "added" if self.added else "scheduled"


def is_public_holiday(day: date) -> bool:
    return day.strftime("%m-%d") in current_app.config.get("PUBLIC_HOLIDAYS", ())


def scheduled_days(cohort: Cohort) -> list[date]:
    """The days ``cohort``'s shift meets between its first and last day, public holidays left out."""
    weekdays = SHIFT_HOURS[cohort.shift].days
    days, day = [], cohort.starts_on
    while day <= cohort.ends_on:
        if day.weekday() in weekdays and not is_public_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def calendar_of(cohort: Cohort) -> list[DayOfClass]:
    """Every day of ``cohort``'s calendar in order: the scheduled days (cancelled ones marked so), the days
    added, and the registers taken. Two queries."""
    changes = {
        change.day: change for change in db.session.scalars(select(ClassDay).where(ClassDay.cohort_id == cohort.id))
    }
    registers = {
        register.day: register
        for register in db.session.scalars(select(AttendanceRegister).where(AttendanceRegister.cohort_id == cohort.id))
    }
    days = {day: DayOfClass(day, scheduled=True) for day in scheduled_days(cohort)}
    for day, change in changes.items():
        days[day] = DayOfClass(
            day, scheduled=day in days, added=change.added, cancelled=change.cancelled, reason=change.reason
        )
    for day, register in registers.items():  # a register outlives a later change of dates: it is still shown
        found = days.get(day) or DayOfClass(day, scheduled=False)
        days[day] = DayOfClass(found.day, found.scheduled, found.added, found.cancelled, found.reason, register)
    return [days[day] for day in sorted(days)]


def class_days(cohort: Cohort) -> list[date]:
    """The days ``cohort`` meets, in order."""
    return [entry.day for entry in calendar_of(cohort) if entry.meets and (entry.scheduled or entry.added)]


def day_of(cohort: Cohort, day: date) -> DayOfClass | None:
    """``day`` on ``cohort``'s calendar (None: not a day it meets, was meant to meet, or took attendance on)."""
    return next((entry for entry in calendar_of(cohort) if entry.day == day), None)
