"""Issue 15: what each oversight figure means. One test per definition builds the case the issue measured,
through the enrollment services, and asserts the figure and the label it is shown under; then the recount
over every new counter, the women-only setting, correcting a trainee's gender or area (service, page and
API), the API's filters and refusals, and one text of the definitions on the page, in the API description
and in the downloads."""

from datetime import UTC, datetime, time, timedelta

import pytest
from graduation import meets_the_rule
from pages import csrf_token_of, csv_notes, error_next_to, flashed, shown, text
from sqlalchemy import select

from audit.models import AuditEvent
from auth.permissions import OversightScope
from courses.cohorts import change_status
from database import utcnow
from enrollments import services
from enrollments.counters import COUNTER_NAMES, mark_firsts_and_training, recount
from enrollments.services import NotEligible
from enrollments.services.offers import settle_for_timer
from enrollments.trainees import correct_trainee
from extensions import db
from oversight.figures import FIGURES
from oversight.queries import Flag, Thresholds, capacity_report, flags_of, report_totals
from oversight.queries.capacity import CapacityReportRow
from refusals import Refusal
from tests.api_helpers import bearer
from vocabulary import Area, CohortKind, CohortStatus, EnrollmentStatus, Gender, Role, Shift, WomenOnlyAdmits

S = EnrollmentStatus

F, M, T = Gender.FEMALE, Gender.MALE, Gender.TRANSGENDER
LABELS = {figure.key: figure.heading for figure in FIGURES}
DEFAULTS = Thresholds()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def person(make_trainee):
    def make(gender: Gender = F, area: Area = Area.URBAN):
        return make_trainee(gender=gender, area=area)

    return make


def nation(**filters) -> CapacityReportRow:
    """The whole network as one row."""
    return report_totals(capacity_report(OversightScope(), "province", **filters))


def under_way(make_cohort, **fields):
    """A cohort whose first day has passed (trainees can complete it once it runs), taking applications."""
    past = utcnow().date() - timedelta(days=7)
    return make_cohort(starts_on=past, applications_open_at=None, applications_close_at=None, **fields)


def place(cohort, trainee, admin):
    return services.register(trainee, cohort, actor=admin).enrollment


def start(cohort, admin):
    change_status(cohort, CohortStatus.RUNNING, actor=admin)


def finish(cohort, admin):
    change_status(cohort, CohortStatus.FINISHED, actor=admin)


# 1. People and places ---------------------------------------------------------------------------------------


def test_people_are_counted_once_and_places_as_often_as_they_hold_one(make_cohort, person, admin):
    first = make_cohort(seats=5)
    second = make_cohort(seats=1, shift=Shift.EVENING)
    woman, man, late = person(F, Area.RURAL), person(M), person(M)
    for trainee in (woman, man):
        place(first, trainee, admin)
    place(second, woman, admin)  # her second place: a place, not a second person
    place(second, late, admin)  # waitlisted: an applicant, not reached
    db.session.commit()
    row = nation()
    assert (row.applications, row.applicants) == (4, 3)
    assert (row.trained, row.reached) == (3, 2)
    assert row.women_share == pytest.approx(2 / 3)  # places
    assert row.women_share_people == pytest.approx(1 / 2)  # people
    assert row.rural_share == pytest.approx(2 / 3) and row.rural_share_people == pytest.approx(1 / 2)
    assert LABELS["applicants"] == "Applicants (people)" and LABELS["applications"] == "Applications (places)"
    assert LABELS["women_share"] == "Women (share of places)"
    assert LABELS["women_share_people"] == "Women (share of people reached)"
    assert recount() == []


# 2. Seats used by stage; centres flagged ---------------------------------------------------------------------


def test_seats_used_compare_running_and_finished_cohorts_not_those_still_filling(
    make_cohort, make_centre, person, admin
):
    busy, quiet = make_centre(), make_centre()
    filling = make_cohort(busy, seats=10)
    running = make_cohort(busy, seats=4)
    idle = make_cohort(quiet, seats=10)
    place(filling, person(), admin)
    for _ in range(3):
        place(running, person(), admin)
    for _ in range(2):
        place(idle, person(), admin)
    start(running, admin)
    start(idle, admin)
    db.session.commit()
    by_centre = {row.key: row for row in capacity_report(OversightScope(), "centre")}
    busy_row, quiet_row = by_centre[busy.code], by_centre[quiet.code]
    # Not (1 + 3) / 14: the filling cohort's seats are not used yet.
    assert busy_row.utilisation == pytest.approx(3 / 4)
    assert (busy_row.utilisation_filling, busy_row.utilisation_running) == (pytest.approx(0.1), pytest.approx(0.75))
    assert busy_row.utilisation_finished is None
    assert Flag.UNDER_USED not in flags_of(busy_row, DEFAULTS)
    assert quiet_row.utilisation == pytest.approx(0.2)
    assert Flag.UNDER_USED in flags_of(quiet_row, DEFAULTS)  # a centre is flagged, not only its cohorts
    assert LABELS["utilisation"] == "Seats used (running + finished)"


# 3. Completion, dropout and outcomes missing -------------------------------------------------------------------


def test_every_place_that_started_training_ends_in_exactly_one_outcome(make_cohort, person, admin):
    cohort = under_way(make_cohort, seats=5)
    places = [place(cohort, person(), admin) for _ in range(5)]
    waiting = place(cohort, person(), admin)
    services.withdraw(waiting, actor=admin)  # left the line before the start: not a dropout
    start(cohort, admin)
    meets_the_rule(places[0])
    meets_the_rule(places[1])
    services.drop(places[2], actor=admin, reason="Stopped attending.")
    services.withdraw(places[3], actor=admin, reason="Found a job.")  # during the course: a dropout
    finish(cohort, admin)  # the rule decides: places[4] has no mark, so she did not complete
    db.session.commit()
    row = nation()
    assert row.finished_started == 5
    assert (row.completion_rate, row.not_completed_rate, row.dropout_rate, row.outcome_missing_rate) == (
        0.4,
        0.2,
        0.4,
        0.0,
    )
    assert row.completion_rate + row.not_completed_rate + row.dropout_rate + row.outcome_missing_rate == (
        pytest.approx(1)
    )
    assert Flag.OUTCOME_MISSING not in flags_of(row, DEFAULTS)  # finishing decides everyone: none left open
    services.override(places[4], actor=admin, reason="Her mark sheet arrived late: 71%.")  # staff override it
    db.session.commit()
    overridden = nation()
    assert (overridden.completion_rate, overridden.not_completed_rate) == (0.6, 0.0)
    assert recount() == []


def test_an_open_place_left_in_a_finished_cohort_is_an_outcome_missing(make_cohort, person, make_enrollment, admin):
    """A finished cohort with a place still enrolled (finished before completion was decided by rule) is
    flagged; deciding its places resolves it."""
    cohort = under_way(make_cohort, seats=2, status=CohortStatus.FINISHED)
    open_place = make_enrollment(person(), cohort, status=S.ENROLLED, started_training=True)
    mark_firsts_and_training()
    recount(fix=True)
    db.session.commit()
    row = nation()
    assert (row.finished_started, row.outcome_missing_rate) == (1, 1.0)
    assert Flag.OUTCOME_MISSING in flags_of(row, DEFAULTS)
    meets_the_rule(open_place)
    services.decide_places(cohort, actor=admin)
    db.session.commit()
    assert (nation().completion_rate, nation().outcome_missing_rate) == (1.0, 0.0)
    assert recount() == []


# 4. Waitlist pressure over cohorts still filling; unmet demand kept --------------------------------------------


def test_waitlist_pressure_counts_cohorts_still_filling_and_the_unmet_demand_of_started_ones(
    make_cohort, person, admin
):
    filling = make_cohort(seats=2)
    started = make_cohort(seats=2, shift=Shift.EVENING)
    for _ in range(3):
        place(filling, person(), admin)
    for _ in range(4):
        place(started, person(), admin)
    start(started, admin)  # its line stays open through the backfill window (a freed seat still goes to it)
    db.session.commit()
    assert nation().unmet_at_start == 0
    window_over = datetime.combine(started.starts_on + timedelta(days=started.backfill_days), time(12), tzinfo=UTC)
    settle_for_timer(started.id, now=window_over)  # the timer closes the line: two people were still waiting
    db.session.commit()
    row = nation()
    assert row.waitlist_pressure == 0.5  # 1 waiting for the 2 seats still filling, not 1 for 4
    assert row.unmet_at_start == 2
    assert Flag.OVER_SUBSCRIBED in flags_of(row, DEFAULTS)
    assert LABELS["unmet_at_start"] == "Still waiting when the line closed"
    assert recount() == []


# 5. Cancelling does not change history; cancelled demand apart --------------------------------------------------


def test_cancelling_a_running_cohort_keeps_its_completions_and_shows_its_demand_apart(
    make_cohort, person, make_enrollment, admin
):
    cohort = under_way(make_cohort, seats=3)
    place(cohort, person(), admin)
    # A place completed while the cohort ran (only before completion was decided by rule, when it finishes).
    make_enrollment(person(), cohort, status=S.COMPLETED)
    start(cohort, admin)
    recount(fix=True)
    db.session.commit()
    before = nation()
    services.cancel_cohort(cohort, actor=admin, reason="The trainer left.")
    db.session.commit()
    after = nation()
    assert (before.completed, after.completed) == (1, 1)
    assert (after.cohorts, after.seats, after.applications) == (0, 0, 0)
    assert (after.cancelled_cohorts, after.cancelled_applications) == (1, 2)
    assert recount() == []


# 6. Each gender; women in mixed cohorts ---------------------------------------------------------------------


def test_each_gender_is_shown_and_women_in_mixed_cohorts_apart(make_cohort, person, admin):
    women_only = make_cohort(seats=5, women_only=True)
    mixed = make_cohort(seats=5, shift=Shift.EVENING)
    for _ in range(2):
        place(women_only, person(F), admin)
    for gender in (F, M, T):
        place(mixed, person(gender), admin)
    db.session.commit()
    row = nation()
    assert (row.women_share, row.men_share, row.transgender_share) == (0.6, 0.2, 0.2)
    assert row.women_share_mixed == pytest.approx(1 / 3)
    assert LABELS["women_share_mixed"] == "Women in mixed cohorts (share of places)"


def test_who_a_women_only_cohort_admits_is_a_setting_of_the_cohort(make_cohort, person, admin, row_counts):
    cohort = make_cohort(seats=5, women_only=True)
    transgender = person(T)
    before = row_counts()
    with pytest.raises(NotEligible) as refused:
        place(cohort, transgender, admin)
    assert refused.value.message == "This is a women-only cohort."
    db.session.rollback()
    assert row_counts() == before
    cohort.women_only_admits = WomenOnlyAdmits.WOMEN_AND_TRANSGENDER
    db.session.commit()
    assert place(cohort, transgender, admin).status.value == "enrolled"
    with pytest.raises(NotEligible) as refused:
        place(cohort, person(M), admin)
    assert refused.value.message == "This cohort is for women and transgender people only."


def test_the_cohort_page_says_who_a_women_only_cohort_admits(client, make_cohort):
    cohort = make_cohort(women_only=True, women_only_admits=WomenOnlyAdmits.WOMEN_AND_TRANSGENDER)
    db.session.commit()
    assert "Women and transgender people only" in shown(text(client.get(f"/courses/cohorts/{cohort.code}")))


# 7. Camps whatever the rule; women-only seats whatever the kind --------------------------------------------------


def test_camps_and_women_only_seats_are_reported_apart(make_cohort, admin):
    make_cohort(seats=5, women_only=True)  # a regular women-only cohort
    make_cohort(seats=6, kind=CohortKind.CAMP, women_only=False)  # a camp open to all
    db.session.commit()
    row = nation()
    assert (row.camp_seats, row.women_only_seats) == (6, 5)
    assert nation(camps=True).seats == 6
    assert nation(women_only=True).seats == 5


# 8. One definition of seats, labelled -------------------------------------------------------------------------


def test_the_centre_page_and_the_audit_show_the_same_seats_under_the_same_label(
    client, sign_in, make_centre, make_cohort, make_user, person, admin
):
    centre = make_centre()
    running = make_cohort(centre, seats=7)
    make_cohort(centre, seats=5, shift=Shift.EVENING)
    finished = make_cohort(centre, seats=11, shift=Shift.WEEKEND)
    start(running, admin)
    start(finished, admin)
    finish(finished, admin)
    db.session.commit()
    sign_in(make_user(Role.STAFF, centres=(centre,)))
    dashboard = shown(text(client.get(f"/centres/{centre.code}/dashboard")))
    assert "Seats now (filling or running) 12 " in dashboard
    [row] = capacity_report(OversightScope(), "centre")
    assert (row.seats, row.seats_now) == (23, 12)
    assert LABELS["seats_now"] == "Seats now (filling or running)"


def test_the_definitions_say_what_each_stage_counts():
    assert LABELS["seats"] == "Seats"
    assert "every stage" in next(f.definition for f in FIGURES if f.key == "seats")
    assert all(hasattr(CapacityReportRow("k", "n"), figure.key) for figure in FIGURES)


# The recount covers every new counter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "counter",
    ["men_count", "transgender_count", "cancelled_count", "started_count", "left_count", "applicants_count",
     "reached_count", "reached_women_count", "reached_rural_count"],
)  # fmt: skip
def test_the_recount_finds_drift_in_every_new_counter(make_cohort, person, admin, counter):
    cohort = make_cohort(seats=3)
    place(cohort, person(M, Area.RURAL), admin)
    db.session.commit()
    assert counter in COUNTER_NAMES and recount() == []
    setattr(cohort, counter, getattr(cohort, counter) + 1)
    db.session.commit()
    [drift] = recount(fix=True)
    assert drift.counter == counter
    assert recount() == []


# 10. Correcting a trainee's gender or area ----------------------------------------------------------------------


@pytest.fixture
def staffed(make_centre, make_cohort, make_user, person, admin):
    centre = make_centre()
    cohort = make_cohort(centre, seats=3)
    staff = make_user(Role.STAFF, centres=(centre,))
    trainee = person(M, Area.URBAN)
    place(cohort, trainee, admin)
    db.session.commit()
    return staff, cohort, trainee


def test_a_correction_moves_her_places_and_her_person_in_the_figures_and_is_audited(staffed):
    staff, cohort, trainee = staffed
    correct_trainee(trainee, actor=staff, reason="Her CNIC card says female.", gender="female", area="rural")
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.women_count, cohort.men_count, cohort.rural_count) == (1, 0, 1)
    assert (cohort.reached_women_count, cohort.reached_rural_count) == (1, 1)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "trainee.correct")).one()
    assert event.reason == "Her CNIC card says female."
    assert (event.before, event.after) == ({"gender": "male", "area": "urban"}, {"gender": "female", "area": "rural"})
    assert recount() == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"reason": "  ", "gender": "female"}, "reason",
         "Give a reason for the correction: it is kept with the record's history."),
        ({"reason": "x" * 501, "gender": "female"}, "reason", "The reason is too long: at most 500 characters."),
        ({"reason": "Typo."}, "gender", "Choose the gender or the area to correct."),
        ({"reason": "Typo.", "gender": "woman"}, "gender", "Choose female, male or transgender."),
        ({"reason": "Typo.", "area": "village"}, "area", "Choose urban, semi-urban or rural."),
    ],
)  # fmt: skip
def test_a_correction_refused_says_why_and_writes_nothing(staffed, row_counts, values, field, message):
    staff, _, trainee = staffed
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        correct_trainee(trainee, actor=staff, **values)
    assert (refused.value.field, refused.value.message) == (field, message)
    db.session.rollback()
    assert row_counts() == before and trainee.gender is M


def test_staff_elsewhere_and_overseers_may_not_correct(staffed, make_user, row_counts):
    _, _, trainee = staffed
    outsiders = (make_user(Role.STAFF), make_user(Role.OVERSEER))
    before = row_counts()
    for outsider in outsiders:
        with pytest.raises(Refusal) as refused:
            correct_trainee(trainee, actor=outsider, reason="Typo.", gender="female")
        assert refused.value.message == "Only staff of her centres can correct this record."
        db.session.rollback()
    assert row_counts() == before


def test_staff_correct_a_record_on_its_page(client, sign_in, staffed, row_counts):
    staff, cohort, trainee = staffed
    sign_in(staff)
    path = f"/enrollments/trainees/{trainee.id}/correct"
    token = csrf_token_of(client, path)
    before = row_counts()
    refused = client.post(path, data={"csrf_token": token, "gender": "female", "area": "urban", "reason": ""})
    assert refused.status_code == 422
    assert error_next_to(text(refused, 422), "reason") == (
        "Give a reason for the correction: it is kept with the record's history."
    )
    assert row_counts() == before
    done = client.post(path, data={"csrf_token": token, "gender": "female", "area": "urban", "reason": "CNIC card."})
    assert done.status_code == 302
    page = text(client.get(done.headers["Location"]))
    assert "record is corrected" in flashed(page)
    db.session.refresh(cohort)
    assert cohort.women_count == 1


def test_the_api_corrects_a_record_and_refuses_what_it_cannot_use(client, staffed, row_counts):
    staff, cohort, trainee = staffed
    headers = bearer(staff)
    before = row_counts()
    for body, field in (({"gender": "female"}, "reason"), ({"reason": "x", "cnic": "1"}, "cnic")):
        refused = client.patch(f"/api/v1/trainees/{trainee.id}", json=body, headers=headers)
        assert refused.status_code == 422 and field in refused.get_json()["error"]["fields"]
    assert row_counts() == before
    answer = client.patch(
        f"/api/v1/trainees/{trainee.id}", json={"gender": "transgender", "reason": "Her card."}, headers=headers
    )
    assert answer.status_code == 200 and answer.get_json()["gender"] == "transgender"
    db.session.refresh(cohort)
    assert (cohort.men_count, cohort.transgender_count) == (0, 1)


# 9. The API has the page's filters and figures; unknown arguments refused ---------------------------------------


def test_the_api_applies_the_filters_and_refuses_unknown_arguments(client, make_cohort, admin, row_counts):
    make_cohort(seats=6, kind=CohortKind.CAMP, women_only=True)
    make_cohort(seats=4)
    db.session.commit()
    headers = bearer(admin)
    for query, seats in (("", 10), ("?camps=true", 6), ("?women_only=true", 6), ("?mode=online", 0)):
        answer = client.get(f"/api/v1/reports/capacity{query}", headers=headers)
        assert answer.status_code == 200, (query, answer.get_data(as_text=True))
        assert answer.get_json()["totals"]["seats"] == seats, query
    totals = client.get("/api/v1/reports/capacity", headers=headers).get_json()["totals"]
    assert {figure.key for figure in FIGURES} <= set(totals) and "flags" in totals
    before = row_counts()
    for query, field in (("?camp=1", "camp"), ("?mode=boat", "mode"), ("?women_only=maybe", "women_only")):
        refused = client.get(f"/api/v1/reports/capacity{query}", headers=headers)
        assert refused.status_code == 422, query
        assert field in refused.get_json()["error"]["fields"], query
    assert row_counts() == before


# One text of the definitions: page, API description, downloads ------------------------------------------------


def test_the_page_the_api_and_the_downloads_state_the_same_definitions(client, sign_in, make_cohort, admin):
    make_cohort(seats=4)
    db.session.commit()
    sign_in(admin)
    page = shown(text(client.get("/oversight/")))
    spec = client.get("/api/v1/openapi.json").get_json()
    described = spec["paths"]["/api/v1/reports/capacity"]["get"]["responses"]["200"]["description"]
    defined = csv_notes(client.get("/oversight/exports/capacity.csv"))
    for figure in FIGURES:
        assert figure.definition in page, figure.key
        assert f"`{figure.key}`: {figure.definition}" in described, figure.key
        assert defined[figure.heading] == figure.definition, figure.key
