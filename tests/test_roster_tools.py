"""Staff's way to the people waiting (issue 14, items 8 and 9): the dashboard's figures lead to the roster tab
that lists them, the roster opens on the first tab with people in it, finds people by name, CNIC or mobile
typed any way, and takes one decision on many places at once (``services.decide_many``: each person through
the one-person service, one confirmation page, refusals per person)."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pages import (
    alerts,
    audit_events,
    csv_rows,
    decoded,
    error_next_to,
    export_events,
    flashed,
    post,
    redirected_to,
    text,
)

from database import utcnow
from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from notifications.models import OutboxMessage
from oversight.queries import KNOWN_ACTIONS
from refusals import Refusal
from vocabulary import Admission, CohortStatus, EnrollmentStatus, Role

S = EnrollmentStatus


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-01", name="Lahore Digital Centre")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def apply_all(app):
    """``apply_all(cohort, trainees)``: each applies through the service, in order; their places."""

    def apply(cohort, trainees) -> list[Enrollment]:
        places = [services.apply(trainee, cohort, actor=trainee.user).enrollment for trainee in trainees]
        db.session.commit()
        return places

    return apply


@pytest.fixture
def applicants(make_user, make_trainee):
    """``applicants("Ayesha", "Bushra")``: trainees with accounts, named so."""

    def make(*names, **fields):
        return [make_trainee(user=make_user(Role.TRAINEE), full_name=name, **fields) for name in names]

    return make


@pytest.fixture
def reviewed(make_cohort, centre, applicants, apply_all):
    """A reviewed cohort with two seats and three applications waiting for review."""
    cohort = make_cohort(centre=centre, code="PB-LHR-01-REV-1", seats=2, admission=Admission.REVIEWED)
    places = apply_all(cohort, applicants("Ayesha Ali", "Bushra Baig", "Chanda Cheema"))
    return cohort, places


def status_of(place: Enrollment) -> EnrollmentStatus:
    return db.session.scalar(sa.select(Enrollment.status).where(Enrollment.id == place.id))


def roster_rows(page: str) -> list[str]:
    """The names on a roster page, in order."""
    return re.findall(r'<td><a href="/enrollments/trainees/\d+">([^<]+)</a>', page)


# Item 8: the way from the dashboard to the people ------------------------------------------------------------


def test_the_dashboard_links_every_figure_to_the_cohorts_and_roster_tabs(client, sign_in, staff, centre, reviewed):
    cohort, _ = reviewed
    page = decoded(sign_in(staff).get(f"/centres/{centre.code}/dashboard"))
    assert f'href="/centres/{centre.code}/dashboard?show=review">3</a>' in page
    assert f'href="/enrollments/cohorts/{cohort.code}/roster?tab=pending">3<' in page
    assert f'href="/enrollments/cohorts/{cohort.code}/roster?tab=enrolled">0<' in page
    review = decoded(client.get(f"/centres/{centre.code}/dashboard?show=review"))
    assert cohort.code in review and 'aria-current="page"' in review


def test_the_review_view_lists_only_cohorts_with_applications_waiting(
    client, sign_in, staff, centre, make_cohort, reviewed
):
    quiet = make_cohort(centre=centre, code="PB-LHR-01-QUIET")
    page = decoded(sign_in(staff).get(f"/centres/{centre.code}/dashboard?show=review"))
    assert reviewed[0].code in page and quiet.code not in page


def test_the_roster_opens_on_the_first_tab_with_people_in_it(client, sign_in, staff, reviewed, apply_all):
    cohort, _ = reviewed
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster"))
    assert 'aria-current="page" href="/enrollments/cohorts/PB-LHR-01-REV-1/roster?tab=pending"' in page
    assert roster_rows(page) == ["Ayesha Ali", "Bushra Baig", "Chanda Cheema"]
    # Asked for, an empty tab is shown as asked.
    enrolled = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=enrolled"))
    assert roster_rows(enrolled) == [] and "Nobody here" in enrolled


def test_a_roster_with_only_ended_places_opens_on_others(client, sign_in, staff, make_cohort, centre, applicants):
    cohort = make_cohort(centre=centre, code="PB-LHR-01-END")
    [trainee] = applicants("Dua Dar")
    place = services.apply(trainee, cohort, actor=trainee.user).enrollment
    services.withdraw(place, actor=trainee.user)
    db.session.commit()
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster"))
    assert f'aria-current="page" href="/enrollments/cohorts/{cohort.code}/roster?tab=others"' in page
    assert roster_rows(page) == ["Dua Dar"]


def test_an_empty_roster_opens_on_its_first_tab(client, sign_in, staff, make_cohort, centre):
    cohort = make_cohort(centre=centre)
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster"))
    assert f'aria-current="page" href="/enrollments/cohorts/{cohort.code}/roster?tab=enrolled"' in page


def test_the_first_tab_with_people_follows_the_order_of_the_tabs():
    from enrollments.routes import first_tab_with_people

    assert first_tab_with_people({"enrolled": 0, "waitlist": 2, "pending": 1}) == "waitlist"
    assert first_tab_with_people({"enrolled": 0, "waitlist": 0, "pending": 0, "others": 4}) == "others"
    assert first_tab_with_people({}) == "enrolled"


# Item 10: searching a roster -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("bushra", ["Bushra Baig"]),
        ("BAIG", ["Bushra Baig"]),
        ("35202-1111111-2", ["Ayesha Ali"]),
        ("35202 1111111 2", ["Ayesha Ali"]),
        ("۳۵۲۰۲۱۱۱۱۱۱۱۲", ["Ayesha Ali"]),  # Urdu digits
        ("2222222", ["Bushra Baig"]),  # part of a CNIC
        ("0321 7654321", ["Chanda Cheema"]),
        ("+92 321 7654321", ["Chanda Cheema"]),
        ("92-321-7654321", ["Chanda Cheema"]),
        ("0321 765", ["Chanda Cheema"]),  # part of a number
        ("nobody", []),
        ("%", []),  # a wildcard is a character
    ],
)
def test_a_roster_search_finds_by_name_cnic_or_mobile_typed_any_way(
    client, sign_in, staff, make_cohort, centre, make_trainee, make_user, apply_all, typed, found
):
    cohort = make_cohort(centre=centre, code="PB-LHR-01-FIND", admission=Admission.REVIEWED)
    people = [
        make_trainee(user=make_user(Role.TRAINEE), full_name=name, cnic=cnic, phone=phone)
        for name, cnic, phone in (
            ("Ayesha Ali", "3520211111112", "+923001234567"),
            ("Bushra Baig", "3520222222224", "+923111234567"),
            ("Chanda Cheema", "3520233333336", "+923217654321"),
        )
    ]
    apply_all(cohort, people)
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster", query_string={"q": typed}))
    assert roster_rows(page) == found
    assert f"({len(found)})" in page  # the tab's count is the count found


def test_a_search_opens_the_tab_where_it_found_someone(client, sign_in, staff, reviewed, make_cohort):
    cohort, places = reviewed
    services.approve(places[0], actor=staff)
    db.session.commit()
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster?q=Bushra"))
    assert f'aria-current="page" href="/enrollments/cohorts/{cohort.code}/roster?tab=pending&q=Bushra"' in page
    assert roster_rows(page) == ["Bushra Baig"]


# Item 9: bulk decisions, the service ---------------------------------------------------------------------------


def test_approving_many_gives_seats_in_order_of_application_and_the_rest_wait(app, staff, reviewed):
    cohort, (first, second, third) = reviewed
    outcome = services.decide_many(
        cohort, [third.id, first.id, second.id], services.BULK_ACTIONS["approve"], actor=staff
    )
    db.session.commit()
    assert [place.id for place in outcome.done] == [first.id, second.id, third.id] and outcome.refused == []
    assert [status_of(place) for place in (first, second, third)] == [S.ENROLLED, S.ENROLLED, S.WAITLISTED]
    assert [event.object_id for event in audit_events("enrollment.approve")] == [first.id, second.id, third.id]
    kinds = db.session.scalars(sa.select(OutboxMessage.kind).where(OutboxMessage.enrollment_id == third.id)).all()
    assert "enrollment.waitlisted" in kinds


def test_a_place_that_moved_on_is_refused_on_its_own_and_the_others_go_on(app, staff, reviewed):
    cohort, (first, second, third) = reviewed
    services.withdraw(second, actor=second.trainee.user)
    db.session.commit()
    outcome = services.decide_many(
        cohort, [first.id, second.id, third.id], services.BULK_ACTIONS["approve"], actor=staff
    )
    db.session.commit()
    assert [place.id for place in outcome.done] == [first.id, third.id]
    assert [(place.id, reason) for place, reason in outcome.refused] == [
        (second.id, "You cannot approve an application that is withdrawn.")
    ]
    assert [status_of(place) for place in (first, second, third)] == [S.ENROLLED, S.WITHDRAWN, S.ENROLLED]
    assert len(audit_events("enrollment.approve")) == 2


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Choose at least one person on the list."),
        ([987654], "Some of the people chosen are not on this cohort's roster."),
        ([2**40], "Some of the people chosen are not on this cohort's roster."),
        (list(range(1, 102)), "Choose at most 100 people at once."),
    ],
    ids=["nobody", "unknown", "beyond any id", "too many"],
)
def test_a_bulk_choice_that_cannot_be_taken_writes_nothing(app, staff, reviewed, row_counts, ids, message):
    cohort, _ = reviewed
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        services.decide_many(cohort, ids, services.BULK_ACTIONS["approve"], actor=staff)
    db.session.rollback()
    assert refused.value.message == message and refused.value.field == "selected"
    assert row_counts() == before


def test_a_place_of_another_cohort_refuses_the_whole_choice(app, staff, reviewed, make_cohort, centre, applicants):
    cohort, (first, _, _) = reviewed
    other = make_cohort(centre=centre, admission=Admission.REVIEWED)
    [trainee] = applicants("Elsewhere")
    stranger = services.apply(trainee, other, actor=trainee.user).enrollment
    db.session.commit()
    with pytest.raises(Refusal, match="not on this cohort's roster"):
        services.decide_many(cohort, [first.id, stranger.id], services.BULK_ACTIONS["approve"], actor=staff)
    db.session.rollback()
    assert status_of(first) is S.PENDING and status_of(stranger) is S.PENDING


def test_rejecting_many_needs_one_reason_and_tells_each(app, staff, reviewed, row_counts):
    cohort, places = reviewed
    ids = [place.id for place in places]
    before = row_counts()
    with pytest.raises(services.ReasonRequired):
        services.decide_many(cohort, ids, services.BULK_ACTIONS["reject"], actor=staff, reason="   ")
    db.session.rollback()
    assert row_counts() == before
    services.decide_many(cohort, ids, services.BULK_ACTIONS["reject"], actor=staff, reason="The course is full.")
    db.session.commit()
    assert {status_of(place) for place in places} == {S.REJECTED}
    assert [event.reason for event in audit_events("enrollment.reject")] == ["The course is full."] * 3


def test_only_the_centres_staff_decide_many(app, make_user, reviewed, make_centre, row_counts):
    cohort, places = reviewed
    outsider = make_user(Role.STAFF, centres=(make_centre(),))
    before = row_counts()
    with pytest.raises(services.NotAllowed):
        services.decide_many(cohort, [places[0].id], services.BULK_ACTIONS["approve"], actor=outsider)
    db.session.rollback()
    assert row_counts() == before


def test_completing_is_no_bulk_action_finishing_the_cohort_decides_it(app, make_cohort, centre):
    upcoming = make_cohort(centre=centre)
    running = make_cohort(centre=centre, status=CohortStatus.RUNNING, starts_on=utcnow().date() - timedelta(days=3))
    assert [action.key for action in services.bulk_actions(upcoming, S.ENROLLED)] == []
    assert [action.key for action in services.bulk_actions(running, S.ENROLLED)] == []
    assert [action.key for action in services.bulk_actions(upcoming, S.PENDING)] == ["approve", "reject"]
    assert [action.key for action in services.bulk_actions(upcoming, S.WAITLISTED)] == ["remove"]


# Item 9: bulk decisions, the pages ------------------------------------------------------------------------------


def test_the_pending_tab_offers_boxes_and_bulk_buttons_and_choose_all_works_without_js(
    client, sign_in, staff, reviewed
):
    cohort, _ = reviewed
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster?tab=pending"))
    assert f'action="/enrollments/cohorts/{cohort.code}/bulk"' in page
    assert 'name="action" value="approve"' in page and 'name="action" value="reject"' in page
    assert page.count('name="selected"') == 3 and " checked" not in page
    chosen = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=pending&select=all"))
    assert chosen.count("data-chosen checked") == 3


def test_bulk_approval_confirms_who_then_decides_and_says_so(client, sign_in, staff, reviewed):
    cohort, (first, second, third) = reviewed
    sign_in(staff)
    path = f"/enrollments/cohorts/{cohort.code}/bulk"
    choice = {"action": "approve", "selected": [str(first.id), str(second.id), str(third.id)]}
    confirm = decoded(post(client, path, choice))
    assert "Approve these 3 applications?" in confirm
    assert all(name in confirm for name in ("Ayesha Ali", "Bushra Baig", "Chanda Cheema"))
    assert status_of(first) is S.PENDING  # nothing decided before the confirmation
    response = post(client, path, choice | {"confirmed": "1"})
    assert response.headers["Location"] == f"/enrollments/cohorts/{cohort.code}/roster?tab=pending"
    told = flashed(decoded(client.get(redirected_to(response))))
    assert "3 applications approved: Ayesha Ali, Bushra Baig, and Chanda Cheema." in told
    assert "No seat was free for Chanda Cheema: they are on the waitlist, in order of application." in told
    assert [status_of(place) for place in (first, second, third)] == [S.ENROLLED, S.ENROLLED, S.WAITLISTED]


def test_bulk_rejection_without_a_reason_is_refused_next_to_it(client, sign_in, staff, reviewed, row_counts):
    cohort, places = reviewed
    sign_in(staff)
    path = f"/enrollments/cohorts/{cohort.code}/bulk"
    choice = {"action": "reject", "selected": [str(place.id) for place in places], "confirmed": "1"}
    before = row_counts()
    page = text(post(client, path, choice | {"reason": "  "}), 422)
    assert "Give a reason: the trainee will see it." in page and 'id="reason-error"' in page
    assert row_counts() == before
    response = post(client, path, choice | {"reason": "Not from this district."})
    assert "3 applications rejected" in flashed(decoded(client.get(redirected_to(response))))
    assert {status_of(place) for place in places} == {S.REJECTED}


def test_a_bulk_choice_of_nobody_goes_back_to_the_roster_saying_so(client, sign_in, staff, reviewed, row_counts):
    cohort, _ = reviewed
    sign_in(staff)
    before = row_counts()
    response = post(client, f"/enrollments/cohorts/{cohort.code}/bulk", {"action": "approve"})
    assert response.headers["Location"] == f"/enrollments/cohorts/{cohort.code}/roster?tab=pending"
    assert ("danger", "Choose at least one person on the list.") in alerts(decoded(client.get(redirected_to(response))))
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"action": "promote-everyone", "selected": ["1"]}, 400),
        ({"selected": ["1"]}, 400),
        ({"action": "approve", "selected": ["one"], "confirmed": "1"}, 422),
        ({"action": "approve", "selected": ["99999999999999999999"], "confirmed": "1"}, 422),
    ],
    ids=["unknown action", "no action", "not a number", "huge number"],
)
def test_hand_made_bulk_requests_are_refused_without_writing(
    client, sign_in, staff, reviewed, row_counts, data, status
):
    cohort, _ = reviewed
    sign_in(staff)
    before = row_counts()
    response = post(client, f"/enrollments/cohorts/{cohort.code}/bulk", data)
    assert response.status_code == status
    if status == 422:
        assert "Some of the people chosen are not on this cohort's roster." in decoded(response, 422)
    assert row_counts() == before


def test_bulk_decisions_are_for_the_centres_staff_only(client, sign_in, make_user, make_centre, reviewed, row_counts):
    cohort, places = reviewed
    people = [make_user(Role.STAFF, centres=(make_centre(),)), make_user(Role.OVERSEER), places[0].trainee.user]
    before = row_counts()
    for user in people:
        sign_in(user)
        data = {"action": "approve", "selected": [str(places[0].id)], "confirmed": "1"}
        assert post(client, f"/enrollments/cohorts/{cohort.code}/bulk", data).status_code == 403
    assert row_counts() == before


def test_taking_many_off_the_waitlist(client, sign_in, staff, make_cohort, centre, applicants, apply_all):
    cohort = make_cohort(centre=centre, seats=1, code="PB-LHR-01-LINE")
    first, second, third = apply_all(cohort, applicants("One", "Two", "Three"))
    sign_in(staff)
    page = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=waitlist"))
    assert 'name="action" value="remove"' in page and 'name="action" value="approve"' not in page
    data = {"action": "remove", "selected": [str(second.id), str(third.id)], "confirmed": "1"}
    response = post(client, f"/enrollments/cohorts/{cohort.code}/bulk", data)
    assert "2 people taken off the waitlist: Two and Three." in flashed(decoded(client.get(redirected_to(response))))
    assert [status_of(place) for place in (first, second, third)] == [S.ENROLLED, S.WITHDRAWN, S.WITHDRAWN]
    assert len(audit_events("enrollment.withdrawn")) == 2


def test_completing_many_by_hand_is_gone(client, sign_in, staff, make_cohort, centre, applicants, apply_all):
    cohort = make_cohort(centre=centre, code="PB-LHR-01-RUN")
    places = apply_all(cohort, applicants("One", "Two"))
    cohort.status = CohortStatus.RUNNING
    db.session.commit()
    sign_in(staff)
    page = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=enrolled"))
    assert 'name="action" value="complete"' not in page and "Finish the cohort" in page
    data = {"action": "complete", "selected": [str(place.id) for place in places], "confirmed": "1"}
    assert post(client, f"/enrollments/cohorts/{cohort.code}/bulk", data).status_code == 400
    assert {status_of(place) for place in places} == {S.ENROLLED}


# Item 10: the roster's download ---------------------------------------------------------------------------------


def test_the_roster_downloads_as_csv_with_one_audit_event(client, sign_in, staff, reviewed, make_user):
    cohort, (first, _, _) = reviewed
    first.trainee.full_name = "=HYPERLINK(1)"  # a name that a spreadsheet would run
    db.session.commit()
    rows = csv_rows(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster.csv"))
    assert rows[0][:4] == ["Enrollment ID", "Status", "Full name", "CNIC"]
    assert [row[2] for row in rows[1:]] == ["'=HYPERLINK(1)", "Bushra Baig", "Chanda Cheema"]
    cnic = first.trainee.cnic
    assert rows[1][1] == "Pending" and rows[1][3] == f"{cnic[:5]}-{cnic[5:12]}-{cnic[12]}"  # whole, for staff
    (event,) = export_events()
    assert (event.action, event.object_type, event.object_id) == ("export.roster", "cohort", cohort.id)
    assert event.centre_id == cohort.centre_id and event.after["rows"] == 3
    assert event.action in KNOWN_ACTIONS


def test_the_roster_download_follows_the_tab_and_the_search(client, sign_in, staff, reviewed):
    cohort, (first, _, _) = reviewed
    services.approve(first, actor=staff)
    db.session.commit()
    sign_in(staff)
    pending = csv_rows(client.get(f"/enrollments/cohorts/{cohort.code}/roster.csv?tab=pending"))
    assert [row[2] for row in pending[1:]] == ["Bushra Baig", "Chanda Cheema"]
    found = csv_rows(client.get(f"/enrollments/cohorts/{cohort.code}/roster.csv?q=cheema"))
    assert [row[2] for row in found[1:]] == ["Chanda Cheema"]
    assert [event.after["filters"] for event in export_events()] == [{"tab": "pending"}, {"q": "cheema"}]


def test_the_roster_downloads_as_xlsx(client, sign_in, staff, reviewed):
    cohort, _ = reviewed
    response = sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/roster.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][2] == "Full name" and [row[2] for row in rows[1:]] == ["Ayesha Ali", "Bushra Baig", "Chanda Cheema"]


def test_only_the_centres_staff_download_a_roster(client, sign_in, make_user, make_centre, reviewed):
    cohort, _ = reviewed
    for user in (make_user(Role.STAFF, centres=(make_centre(),)), make_user(Role.OVERSEER)):
        assert sign_in(user).get(f"/enrollments/cohorts/{cohort.code}/roster.csv").status_code == 403
    assert export_events() == []


# Item 10: the sign-in sheet -------------------------------------------------------------------------------------


def test_the_sign_in_sheet_lists_the_enrolled_by_name_with_masked_cnics(client, sign_in, staff, reviewed):
    cohort, (first, second, third) = reviewed
    for place in (third, first):
        services.approve(place, actor=staff)
    db.session.commit()
    page = decoded(sign_in(staff).get(f"/enrollments/cohorts/{cohort.code}/sign-in-sheet"))
    assert re.findall(r"<td><bdi>([^<]+)</bdi></td>", page) == ["Ayesha Ali", "Chanda Cheema"]
    cnic = first.trainee.cnic
    assert f"{cnic[:5]}-*******-{cnic[12]}" in page and cnic not in page
    assert 'class="signature"' in page and "2 trainees enrolled." in page
    assert second.trainee.full_name not in page


# Item 10: messaging a cohort ------------------------------------------------------------------------------------


def outbox_of(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_messaging_the_waitlist_previews_then_queues_one_message_per_channel(
    client, sign_in, staff, make_cohort, centre, applicants, apply_all
):
    cohort = make_cohort(centre=centre, seats=1, code="PB-LHR-01-MSG")
    _, *waiting = apply_all(cohort, applicants("One", "Two", "Three"))
    waiting[0].trainee.email, waiting[1].trainee.language = "two@example.org", "ur"
    db.session.commit()
    sign_in(staff)
    path = f"/enrollments/cohorts/{cohort.code}/message"
    words = {"audience": "waitlist", "subject": "Seats", "body": "Bring your CNIC on Monday."}
    preview = decoded(post(client, path, words | {"preview": "1"}))
    assert "It goes to 2 trainees: 3 SMS and emails." in preview and "Send to 2 trainees" in preview
    assert "Bring your CNIC on Monday." in preview and outbox_of("cohort.message") == []
    response = post(client, path, words | {"send": "1"})
    assert redirected_to(response) == f"/enrollments/cohorts/{cohort.code}/roster"
    assert "Message queued for 2 trainees (3 SMS and emails)." in flashed(decoded(client.get(redirected_to(response))))
    sent = outbox_of("cohort.message")
    assert sorted((message.trainee_id, message.channel.value) for message in sent) == sorted(
        [(waiting[0].trainee_id, "sms"), (waiting[0].trainee_id, "email"), (waiting[1].trainee_id, "sms")]
    )
    urdu = next(message for message in sent if message.trainee_id == waiting[1].trainee_id)
    assert urdu.body.endswith("\nBring your CNIC on Monday.") and "بارے میں" in urdu.body
    (event,) = audit_events("cohort.message")
    assert (event.object_type, event.object_id, event.centre_id) == ("cohort", cohort.id, cohort.centre_id)
    assert event.after["recipients"] == 2 and event.after["body"] == "Bring your CNIC on Monday."
    assert "cohort.message" in KNOWN_ACTIONS


@pytest.mark.parametrize(
    ("words", "field", "message"),
    [
        ({"audience": "enrolled", "body": "   "}, "body", "Write the message."),
        ({"audience": "enrolled", "body": "x" * 201}, "body", "The message has 201 characters"),
        ({"audience": "enrolled", "body": "Hello", "subject": "s" * 101}, "subject", "at most 100 characters"),
        ({"audience": "everyone-ever", "body": "Hello"}, "audience", "Choose who the message is for."),
        ({"audience": "pending", "body": "Hello"}, "audience", "Nobody is on this list"),
    ],
    ids=["empty", "too long", "subject too long", "unknown audience", "nobody"],
)
def test_a_message_that_cannot_be_sent_is_refused_next_to_its_field(
    client, sign_in, staff, make_cohort, centre, applicants, apply_all, row_counts, words, field, message
):
    cohort = make_cohort(centre=centre, code="PB-LHR-01-MSG")
    apply_all(cohort, applicants("One"))
    sign_in(staff)
    before = row_counts()
    page = decoded(post(client, f"/enrollments/cohorts/{cohort.code}/message", words | {"send": "1"}), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_only_the_centres_staff_message_its_trainees(app, make_user, make_centre, make_cohort, centre, row_counts):
    cohort = make_cohort(centre=centre)
    outsider, overseer = make_user(Role.STAFF, centres=(make_centre(),)), make_user(Role.OVERSEER)
    before = row_counts()
    for user in (outsider, overseer):
        with pytest.raises(services.NotAllowed):
            services.message_cohort(cohort, "enrolled", "", "Hello", actor=user)
    db.session.rollback()
    assert row_counts() == before
