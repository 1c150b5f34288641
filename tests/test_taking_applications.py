"""One definition of "taking applications now" (issue 13, item 2): ``Cohort.taking_applications(now)``, a
hybrid the same in Python and SQL, decides for the catalogue's "Open for applications" filter, a centre's
open cohorts in the API, the status badge, the front page's count and the services' ``closed_reason``
(which says why not, in words)."""

import re
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from sqlalchemy import select

from courses.models import Cohort
from database import utcnow
from enrollments.services import closed_reason
from extensions import db
from vocabulary import CohortStatus

NOW = datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=UTC)
# Window bounds around NOW, NOW itself included (an application at the exact closing moment is in time).
BOUNDS = [None, NOW - timedelta(days=2), NOW - timedelta(microseconds=1), NOW, NOW + timedelta(microseconds=1)]


def test_python_and_sql_agree_on_every_status_and_window(app, make_centre, make_course, make_cohort):
    centre, course = make_centre(), make_course()
    cohorts = [
        make_cohort(centre, course, status=status, applications_open_at=opens, applications_close_at=closes)
        for status, opens, closes in product(CohortStatus, BOUNDS, BOUNDS)
        if opens is None or closes is None or opens <= closes
    ]
    in_python = {cohort.id for cohort in cohorts if cohort.taking_applications(NOW)}
    in_sql = set(db.session.scalars(select(Cohort.id).where(Cohort.taking_applications(NOW))))
    no_reason = {cohort.id for cohort in cohorts if closed_reason(cohort, NOW) is None}
    assert in_python == in_sql == no_reason
    # Open, and NOW inside the window (bounds included): 4 opening bounds by 3 closing ones hold NOW.
    holding = [(o, c) for o, c in product(BOUNDS, BOUNDS) if (o is None or o <= NOW) and (c is None or c >= NOW)]
    assert len(in_python) == len(holding) == 12


@pytest.mark.parametrize(
    ("status", "opens", "closes", "reason"),
    [
        (CohortStatus.CLOSED, None, None, "This cohort is not taking applications (closed)."),
        (CohortStatus.DRAFT, None, None, "This cohort is not taking applications (draft)."),
        (CohortStatus.OPEN, NOW + timedelta(seconds=1), None, "Applications have not opened yet."),
        (CohortStatus.OPEN, None, NOW - timedelta(seconds=1), "Applications have closed."),
        (CohortStatus.OPEN, NOW - timedelta(days=1), NOW, None),
    ],
)
def test_closed_reason_says_why_not_in_words(app, make_cohort, status, opens, closes, reason):
    cohort = make_cohort(status=status, applications_open_at=opens, applications_close_at=closes)
    assert closed_reason(cohort, NOW) == reason


@pytest.fixture
def three_open_cohorts(make_centre, make_course, make_cohort):
    """Three cohorts of status "open" at one centre: one taking applications now, one whose window has
    closed, one whose window opens tomorrow."""
    now = utcnow()
    centre, course = make_centre(), make_course()
    return {
        "taking": make_cohort(centre, course, applications_open_at=now - timedelta(days=1)),
        "window closed": make_cohort(
            centre, course, applications_open_at=now - timedelta(days=9), applications_close_at=now - timedelta(days=1)
        ),
        "opens tomorrow": make_cohort(centre, course, applications_open_at=now + timedelta(days=1)),
    }


def test_every_page_asks_the_same_question(client, three_open_cohorts):
    """The catalogue's filter, the API's centre, the badges and the front page's count agree: one cohort
    takes applications now, though all three have the status "open"."""
    taking = three_open_cohorts["taking"]
    centre = taking.centre

    catalogue = client.get("/courses/?open=1").get_data(as_text=True)
    assert [code for code in (c.code for c in three_open_cohorts.values()) if code in catalogue] == [taking.code]

    api_centre = client.get(f"/api/v1/centres/{centre.code}").get_json()
    assert [cohort["code"] for cohort in api_centre["open_cohorts"]] == [taking.code]

    badges = {
        name: client.get(f"/courses/cohorts/{cohort.code}").get_data(as_text=True)
        for name, cohort in three_open_cohorts.items()
    }
    assert "Open for applications" in badges["taking"]
    assert "Applications closed" in badges["window closed"]
    assert "Applications open " in badges["opens tomorrow"]
    assert not any("Open for applications" in badges[name] for name in ("window closed", "opens tomorrow"))

    home = client.get("/").get_data(as_text=True)
    counted = re.search(r'cohorts open now</dt><dd class="stat-figure mb-0">([\d,]+)</dd>', home)
    assert counted and counted.group(1) == "1"
    free = re.search(r'free seats in them</dt><dd class="stat-figure mb-0">([\d,]+)</dd>', home)
    assert free and free.group(1) == str(taking.seats - taking.enrolled_count)
