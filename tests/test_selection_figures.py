"""Issue 16, item 4: the oversight's selection figures. One test per definition builds the case through the
enrollment services (or, for moments, sets the cohort's own columns) and asserts the figure and the label it
is shown under; then the pages (the selection table, the chart), the API (the same numbers, and 422 for an
argument it does not read) and the downloads (the columns and their definitions)."""

from datetime import timedelta

import pytest
from pages import csv_notes, csv_rows, shown, tables_of, text

from auth.permissions import OversightScope
from database import utcnow
from enrollments.services import accept, apply, cancel_cohort, decline, release, settle_for_timer, withdraw
from extensions import db
from oversight.figures import FIGURES, SELECTION_FIGURES
from oversight.queries import capacity_report, report_totals
from oversight.queries.capacity import CapacityReportRow
from tests.api_helpers import bearer
from vocabulary import Area, CohortStatus, Gender, Role

LABELS = {figure.key: figure.heading for figure in FIGURES}
DEFINITIONS = {figure.key: figure.definition for figure in FIGURES}


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def person(make_user, make_trainee):
    """``person(gender, area)``: a trainee with her own account (she applies and answers offers herself)."""

    def make(gender: Gender = Gender.MALE, area: Area = Area.URBAN):
        return make_trainee(user=make_user(Role.TRAINEE), gender=gender, area=area)

    return make


def applied(trainee, cohort):
    enrollment = apply(trainee, cohort, actor=trainee.user).enrollment
    db.session.commit()
    return enrollment


def nation(group_by: str = "province") -> CapacityReportRow:
    return report_totals(capacity_report(OversightScope(), group_by))


# Reserved seats filled per category ---------------------------------------------------------------------


def test_reserved_seats_filled_count_those_who_qualified_and_keep_the_release_as_it_was(make_cohort, person, admin):
    cohort = make_cohort(seats=5, reserved_women=2, reserved_rural=2)
    applied(person(), cohort)  # the open seat
    woman = applied(person(Gender.FEMALE), cohort)  # a women's seat
    applied(person(Gender.MALE, Area.RURAL), cohort)  # a rural seat
    row = nation()
    assert (row.reserved_seats, row.reserved_women, row.reserved_rural) == (4, 2, 2)
    assert (row.women_reserved_filled, row.rural_reserved_filled, row.reserved_filled) == (0.5, 0.5, 0.5)
    assert row.district_reserved_filled is None  # nothing reserved: no figure, rather than a false 0
    assert LABELS["women_reserved_filled"] == "Women's seats filled"
    assert "as they were at the release" in DEFINITIONS["reserved_filled"]

    release(cohort, actor=admin, now=utcnow())  # the unfilled reserved seats become open seats
    withdraw(woman, actor=woman.trainee.user)  # after the release: history does not change
    db.session.commit()
    row = nation()
    assert (row.filled_women, row.women_reserved_filled, row.reserved_filled) == (1, 0.5, 0.5)


def test_a_cancelled_cohorts_reserved_seats_are_not_counted(make_cohort, person, admin):
    cohort = make_cohort(seats=4, reserved_women=2)
    applied(person(Gender.FEMALE), cohort)
    cancel_cohort(cohort, actor=admin, reason="No trainer.")
    db.session.commit()
    row = nation()
    assert (row.reserved_seats, row.reserved_filled, row.cancelled_cohorts) == (0, None, 1)


# Seat offers: made, accepted, declined, expired -----------------------------------------------------------


def test_offers_are_counted_by_how_they_ended_and_accepted_share_leaves_out_open_ones(make_cohort, person):
    cohort = make_cohort(seats=2, offers=True, offer_hours=48)
    holders = [applied(person(), cohort), applied(person(), cohort)]
    line = [applied(person(), cohort) for _ in range(4)]
    for holder in holders:
        withdraw(holder, actor=holder.trainee.user)  # two seats offered to the first two in line
    accept(line[0], actor=line[0].trainee.user)
    decline(line[1], actor=line[1].trainee.user)  # offered on to the third
    db.session.commit()
    db.session.refresh(line[2])
    settle_for_timer(cohort.id, now=line[2].offer_expires_at + timedelta(minutes=1))  # hers expires: the fourth's
    db.session.commit()
    row = nation()
    assert (row.offers_made, row.offers_accepted, row.offers_declined, row.offers_expired, row.offers_open) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert row.acceptance_rate == pytest.approx(1 / 3)  # the open offer has not ended
    assert [LABELS[key] for key in ("offers_made", "offers_accepted", "offers_declined", "offers_expired")] == [
        "Offers made",
        "Offers accepted",
        "Offers declined",
        "Offers expired",
    ]
    assert (LABELS["offers_open"], LABELS["acceptance_rate"]) == ("Offers open now", "Offers accepted (share)")
    assert "open offers are not counted" in DEFINITIONS["acceptance_rate"]


def test_a_cancelled_cohorts_offers_stay_made_and_the_open_one_ends_with_it(make_cohort, person, admin):
    cohort = make_cohort(seats=1, offers=True)
    holder, waiting = applied(person(), cohort), applied(person(), cohort)
    withdraw(holder, actor=holder.trainee.user)
    db.session.commit()
    cancel_cohort(cohort, actor=admin, reason="No trainer.")
    db.session.commit()
    row = nation()
    assert (row.offers_made, row.offers_open, row.offers_accepted + row.offers_declined + row.offers_expired) == (
        1,
        0,
        0,
    )
    assert row.acceptance_rate is None and waiting.status.value == "cancelled"


# Days from opening to full --------------------------------------------------------------------------------


def test_days_to_full_average_the_cohorts_that_filled_from_their_opening(make_cohort):
    opened = utcnow() - timedelta(days=20)
    make_cohort(seats=3, applications_open_at=opened, full_at=opened + timedelta(days=2))
    make_cohort(seats=3, applications_open_at=opened, full_at=opened + timedelta(days=5))
    early = make_cohort(seats=3, applications_open_at=opened, full_at=opened - timedelta(days=1))
    make_cohort(seats=3, applications_open_at=opened)  # not full: not in the average
    make_cohort(seats=3, status=CohortStatus.CANCELLED, applications_open_at=opened, full_at=opened)
    row = nation()
    # (2 + 5 + 0) / 3: one filled before its window opened (registered early) took no time.
    assert (row.cohorts_full, row.days_to_full) == (3, 2.3)
    assert early.full_at < early.applications_open_at
    assert (LABELS["cohorts_full"], LABELS["days_to_full"]) == (
        "Cohorts that filled",
        "Days from opening to full (average)",
    )
    assert "a mean, not a median" in DEFINITIONS["days_to_full"]


def test_a_cohort_without_a_window_counts_from_its_creation(make_cohort):
    created = utcnow() - timedelta(days=20)
    make_cohort(
        seats=2,
        applications_open_at=None,
        applications_close_at=None,
        created_at=created,
        full_at=created + timedelta(hours=36),
    )
    assert nation().days_to_full == 1.5


def test_the_service_that_takes_the_last_seat_dates_the_filling(make_cohort, person):
    cohort = make_cohort(seats=2, applications_open_at=utcnow() - timedelta(days=3))
    applied(person(), cohort)
    assert (nation().cohorts_full, nation().days_to_full) == (0, None)
    applied(person(), cohort)
    assert nation().cohorts_full == 1 and nation().days_to_full == pytest.approx(3.0, abs=0.1)


# The pages, the API, the downloads --------------------------------------------------------------------------


@pytest.fixture
def offered_world(make_cohort, person):
    """A cohort of two seats, one for women, that filled at once; then an offer accepted and one open."""
    cohort = make_cohort(seats=2, offers=True, reserved_women=1, applications_open_at=utcnow() - timedelta(days=2))
    holders = [applied(person(), cohort), applied(person(Gender.FEMALE), cohort)]
    line = [applied(person(), cohort), applied(person(Gender.FEMALE), cohort)]
    withdraw(holders[0], actor=holders[0].trainee.user)  # the open seat: offered to the first in line
    withdraw(holders[1], actor=holders[1].trainee.user)  # the women's seat: offered to the woman in line
    accept(line[0], actor=line[0].trainee.user)
    db.session.commit()
    return cohort


def test_the_audit_page_shows_a_selection_table_and_the_offers_chart(client, sign_in, admin, offered_world):
    sign_in(admin)
    page = text(client.get("/oversight/"))
    tables = tables_of(page)
    [total] = [row["figures"] for row in tables["selection-table"] if row["key"] == "total"]
    assert total["offers_made"] == "2" and total["offers_accepted"] == "1" and total["offers_open"] == "1"
    assert total["reserved_women"] == "1" and total["women_reserved_filled"] == "100.0%"
    assert total["acceptance_rate"] == "100.0%" and total["cohorts_full"] == "1" and total["days_to_full"] == "2"
    assert "offers_made" not in tables["audit-table"][1]["figures"]  # the capacity table keeps its columns
    readable = shown(page)
    assert "Selection: reserved seats, offers, filling" in readable and DEFINITIONS["offers_made"] in readable
    offers_chart = tables["table-offers"]
    assert [cell["text"] for cell in offers_chart[1]["cells"]][1:] == ["1", "0", "0", "1"]
    assert 'data-chart="offers"' in page


def test_the_audit_page_in_urdu_names_the_selection_figures(client, sign_in, admin, offered_world):
    sign_in(admin)
    page = shown(text(client.get("/oversight/", headers={"Accept-Language": "ur"})))
    for figure in SELECTION_FIGURES:
        assert figure.heading not in page, figure.key  # each heading has its Urdu


def test_the_cohort_and_centre_pages_show_the_selection_figures(client, sign_in, admin, offered_world):
    sign_in(admin)
    cohort_page = tables_of(text(client.get(f"/oversight/cohorts/{offered_world.code}")))
    assert cohort_page["selection-table"][1]["figures"]["offers_made"] == "2"
    centre_page = tables_of(text(client.get(f"/oversight/centres/{offered_world.centre.code}")))
    [row] = [row for row in centre_page["selection-table"] if row["key"] == offered_world.code]
    assert row["figures"]["offers_accepted"] == "1"


def test_the_api_gives_the_same_selection_figures(client, admin, offered_world):
    answer = client.get("/api/v1/reports/capacity?group_by=centre", headers=bearer(admin))
    assert answer.status_code == 200
    [row] = answer.get_json()["rows"]
    report = report_totals(capacity_report(OversightScope(), "centre"))
    for figure in SELECTION_FIGURES:
        assert row[figure.key] == getattr(report, figure.key), figure.key
    assert (row["offers_made"], row["acceptance_rate"], row["days_to_full"]) == (2, 1.0, 2.0)
    spec = client.get("/api/v1/openapi.json").get_json()
    fields = spec["components"]["schemas"]["CapacityRow"]["properties"]
    assert (
        fields["days_to_full"]["type"] == "number"
        and "null when no cohort filled" in fields["days_to_full"]["description"]
    )


def test_the_api_refuses_an_argument_it_does_not_read(client, admin, offered_world, row_counts):
    headers = bearer(admin)
    before = row_counts()
    refused = client.get("/api/v1/reports/capacity?section=selection", headers=headers)
    assert refused.status_code == 422
    assert "section" in refused.get_json()["error"]["fields"]
    assert row_counts() == before


def test_the_downloads_have_the_selection_columns_and_their_definitions(client, sign_in, admin, offered_world):
    sign_in(admin)
    response = client.get("/oversight/exports/capacity.csv?by=centre")
    rows = csv_rows(response)
    headings = rows[0]
    for figure in SELECTION_FIGURES:
        assert figure.heading in headings, figure.key
    values = dict(zip(headings, rows[1], strict=True))
    assert (values["Offers made"], values["Offers accepted"], values["Women's seats filled"]) == ("2", "1", "1.0")
    notes = csv_notes(response)
    assert notes["Days from opening to full (average)"] == DEFINITIONS["days_to_full"]
