"""A person's day: the date in Pakistan, from one place.

Moments are stored and compared in UTC (``database.utcnow``). Days are not: an age on a date of birth,
"starting today", the last day of a cohort an application window must close by, a course's first day
for completing it, the date in a download's name are all the date in Pakistan (``BABEL_DEFAULT_TIMEZONE``,
Asia/Karachi, UTC+5). Between 00:00 and 05:00 there the UTC date is still yesterday's, so nothing takes
a day from ``utcnow().date()``: it asks ``local_today`` (or ``local_date`` for a given moment).

Works outside a request (a CLI command, a script): without an app, Pakistan's zone is used.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from database import utcnow

PAKISTAN = "Asia/Karachi"  # also ``Config.BABEL_DEFAULT_TIMEZONE``


def local_zone() -> ZoneInfo:
    """The zone people's days and wall-clock times are in: the app's ``BABEL_DEFAULT_TIMEZONE``."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", PAKISTAN) if has_app_context() else PAKISTAN
    return ZoneInfo(name)


def local_date(moment: datetime) -> date:
    """The date in Pakistan at ``moment`` (a timezone-aware datetime)."""
    return moment.astimezone(local_zone()).date()


def local_today(now: datetime | None = None) -> date:
    """Today's date in Pakistan: at ``now`` when given, else at this moment (``utcnow``; tests freeze
    every page's "today" by replacing ``clock.utcnow``)."""
    return local_date(now or utcnow())
