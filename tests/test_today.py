"""A person's day is the date in Pakistan (issue 13, item 2): at 02:00 there, 21:00 UTC the day before,
every place that counts days (ages, upcoming cohorts, the catalogue's "when", completing a course, an
application window's last day, a download's date) uses Pakistan's date, not UTC's.

The clock is frozen by replacing ``clock.utcnow``, the one function every "today" asks (``clock.local_today``),
or by passing the moment to functions that take one."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

import clock
from auth.forms import plausible_birth_date
from clock import local_date, local_today
from courses.catalogue import CatalogueFilters, catalogue_select
from courses.cohorts import CohortDetails, create_cohort
from enrollments.trainees import TraineeDetails, normalised
from extensions import db
from refusals import Refusal
from vocabulary import Area, CohortKind, CohortStatus, Gender, Mode, Role, Shift

PAKISTAN_DAY = date(2026, 12, 3)
AT_TWO_IN_PAKISTAN = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)  # 02:00 on 3 December in Pakistan
YESTERDAY, TOMORROW = PAKISTAN_DAY - timedelta(days=1), PAKISTAN_DAY + timedelta(days=1)


@pytest.fixture
def two_in_the_morning(monkeypatch):
    """Every ``local_today()`` now answers for 02:00 on 3 December in Pakistan."""
    monkeypatch.setattr(clock, "utcnow", lambda: AT_TWO_IN_PAKISTAN)


def test_the_moment_is_yesterday_in_utc_and_today_in_pakistan(app, two_in_the_morning):
    assert AT_TWO_IN_PAKISTAN.date() == YESTERDAY
    assert local_today() == PAKISTAN_DAY
    assert local_date(AT_TWO_IN_PAKISTAN) == PAKISTAN_DAY
    assert local_today(AT_TWO_IN_PAKISTAN - timedelta(hours=2, seconds=1)) == YESTERDAY  # 23:59:59 there


def test_the_day_is_pakistan_s_outside_an_app_too(two_in_the_morning):
    """A script or a command without an app (no ``BABEL_DEFAULT_TIMEZONE`` to read) counts Pakistan's day."""
    assert local_today() == PAKISTAN_DAY


def test_ages_count_from_the_date_in_pakistan(app, make_district, two_in_the_morning):
    """She turns 14 today in Pakistan: old enough there, a day short by the UTC date. Staff registering her
    (``enrollments.trainees``) and the sign-up form (``auth.forms``) agree."""
    fourteen_today = date(2012, 12, 3)
    details = TraineeDetails(
        cnic="35202-1234567-2",
        full_name="Ayesha Bibi",
        gender=Gender.FEMALE,
        date_of_birth=fourteen_today,
        phone="0300 1234567",
        district_id=make_district().id,
        area=Area.URBAN,
    )
    assert normalised(details)["date_of_birth"] == fourteen_today
    plausible_birth_date(None, SimpleNamespace(data=fourteen_today))  # raises ValidationError if refused

    fourteen_tomorrow = date(2012, 12, 4)
    with pytest.raises(Refusal) as refused:
        normalised(TraineeDetails(**{**details.__dict__, "date_of_birth": fourteen_tomorrow}))
    assert (refused.value.field, refused.value.message) == ("date_of_birth", "Trainees must be at least 14 years old.")


@pytest.fixture
def ended_yesterday_and_ends_today(make_centre, make_course, make_cohort):
    centre, course = make_centre(), make_course()

    def ending(day: date):
        return make_cohort(
            centre,
            course,
            status=CohortStatus.RUNNING,
            starts_on=day - timedelta(days=40),
            ends_on=day,
            applications_open_at=None,
            applications_close_at=None,
        )

    return SimpleNamespace(centre=centre, course=course, ended=ending(YESTERDAY), ending=ending(PAKISTAN_DAY))


@pytest.mark.parametrize("listing", ["centre", "course"])
def test_centre_and_course_pages_drop_a_cohort_that_ended_yesterday_in_pakistan(
    client, ended_yesterday_and_ends_today, two_in_the_morning, listing
):
    """By the UTC date the cohort that ended on 2 December would still be listed as not finished."""
    world = ended_yesterday_and_ends_today
    path = f"/centres/{world.centre.code}" if listing == "centre" else f"/courses/{world.course.code}"
    shown = client.get(path).get_data(as_text=True)
    assert world.ending.code in shown
    assert world.ended.code not in shown


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("upcoming", {"starts today"}),
        ("running", {"started yesterday", "starts today", "ends today"}),
        ("past", {"ended yesterday"}),
    ],
)
def test_the_catalogue_s_when_counts_from_the_date_in_pakistan(app, make_cohort, when, expected):
    """By the UTC date, what started yesterday in Pakistan would be upcoming, what starts today not yet running,
    and what ended yesterday still running."""
    no_window = {"applications_open_at": None, "applications_close_at": None}
    cohorts = {
        "started yesterday": make_cohort(starts_on=YESTERDAY, **no_window),
        "starts today": make_cohort(starts_on=PAKISTAN_DAY, **no_window),
        "ended yesterday": make_cohort(starts_on=YESTERDAY - timedelta(days=40), ends_on=YESTERDAY, **no_window),
        "ends today": make_cohort(starts_on=YESTERDAY - timedelta(days=40), ends_on=PAKISTAN_DAY, **no_window),
    }
    listed = set(db.session.scalars(catalogue_select(CatalogueFilters(when=when), AT_TWO_IN_PAKISTAN)).unique())
    assert {name for name, cohort in cohorts.items() if cohort in listed} == expected


def test_an_application_window_closes_by_the_last_day_in_pakistan(app, make_centre, make_course, make_user):
    """Closing at 02:00 the day after the last day (in Pakistan) is refused, though its UTC date is the last
    day; closing at 23:59 on the last day is not."""
    centre, course = make_centre(), make_course()
    admin = make_user(Role.ADMIN)

    def cohort_closing_at(moment: datetime) -> CohortDetails:
        return CohortDetails(
            course_id=course.id,
            centre_id=centre.id,
            kind=CohortKind.REGULAR,
            starts_on=YESTERDAY - timedelta(days=30),
            ends_on=YESTERDAY,
            shift=Shift.MORNING,
            mode=Mode.ONLINE,
            seats=10,
            applications_close_at=moment,
        )

    with pytest.raises(Refusal) as refused:
        create_cohort(cohort_closing_at(AT_TWO_IN_PAKISTAN), actor=admin)
    assert refused.value.field == "applications_close_at"
    assert refused.value.message.startswith("Applications must close by the last day of the cohort")
    db.session.rollback()
    created = create_cohort(cohort_closing_at(AT_TWO_IN_PAKISTAN - timedelta(hours=2, minutes=1)), actor=admin)
    assert created.applications_close_at == AT_TWO_IN_PAKISTAN - timedelta(hours=2, minutes=1)


def test_a_download_is_named_with_the_date_in_pakistan(client, sign_in, make_user, two_in_the_morning):
    sign_in(make_user(Role.ADMIN))
    response = client.get("/oversight/exports/capacity.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"-{PAKISTAN_DAY.isoformat()}.csv")
    response.close()
