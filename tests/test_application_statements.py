"""How many SQL statements one application through the API costs (issue 16, item 6: at most 10).

What counts: every statement the app's engine sends to the database while the request is served, as
SQLAlchemy's ``before_cursor_execute`` event sees it — the token lookup, the locks, the reads, the INSERTs and
UPDATEs of the place, the counters, the audit event and the outbox, savepoints if any. What does not: the
transaction's own BEGIN and COMMIT. psycopg sends those itself, without the event; on SQLite the app's
``begin`` hook sends ``BEGIN IMMEDIATE`` through the event (``database.configure_sqlite``), and it is left out
so that both databases are counted alike. A multi-row INSERT is one statement (one round trip). Nor does
the connection pool's liveness check, which the event does not see (``pool_pre_ping``: a ``SELECT 1`` when a
request takes its connection from the pool): add one for it.

The world: a first-come cohort of 10 seats, 4 of them reserved for women (reserved seats on, as the issue
asks), and trainees who apply with their own API token and an empty body; staff register by ``trainee_id``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from api_helpers import bearer

from audit.models import AuditEvent
from courses.models import Cohort
from enrollments import pools
from enrollments.counters import recount
from enrollments.models import Trainee
from enrollments.services import NotPossibleNow, apply
from enrollments.services.applying import place_in_open_seat
from enrollments.services.changes import insert_place
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import EnrollmentSource, EnrollmentStatus, Gender, Pool, Role

MOST_STATEMENTS = 10
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The statements the app's engine sends inside the block (``TRANSACTION_CONTROL`` left out)."""
    sent: list[str] = []

    def note(_connection, _cursor, statement: str, _parameters, _context, _executemany) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            sent.append(" ".join(statement.split()))

    db.session.commit()
    db.session.expunge_all()  # nothing of the test's own is read back while counting
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def listed(statements: list[str]) -> str:
    return "\n".join(f"{number:>2}. {statement[:160]}" for number, statement in enumerate(statements, 1))


@pytest.fixture
def reserved_cohort(make_cohort):
    """A first-come cohort of 10 seats, 4 reserved for women; its id."""
    return make_cohort(seats=10, reserved_women=4).id


@pytest.fixture
def applicant(make_user, make_trainee):
    """``applicant(gender=...)``: a trainee with an account, and the headers of her own API token."""

    def make(**fields) -> tuple[int, dict]:
        user = make_user(Role.TRAINEE)
        trainee = make_trainee(user=user, **fields)
        return trainee.id, bearer(user)

    return make


def apply_counted(client, cohort_id: int, headers: dict) -> tuple[dict, list[str]]:
    with statements_sent() as sent:
        response = client.post(f"/api/v1/cohorts/{cohort_id}/enrollments", headers=headers, json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json(), sent


def test_an_application_for_an_open_seat_takes_at_most_ten_statements(client, reserved_cohort, applicant):
    _, headers = applicant()
    answer, sent = apply_counted(client, reserved_cohort, headers)
    assert (answer["status"], answer["pool"], answer["waitlist_position"]) == ("enrolled", "open", None)
    assert len(sent) <= MOST_STATEMENTS, listed(sent)
    assert recount() == []


def test_an_open_seat_is_written_in_one_statement_on_postgresql(client, reserved_cohort, applicant):
    """The seat, the place, her record's stamp, the audit event and her message: five statements on SQLite, one
    on PostgreSQL (``changes.write_open_place``). Before them: the token (her account and record), and the
    cohort with her places (``auth.permissions.get_cohort_and_places_or_404``)."""
    _, headers = applicant()
    _, sent = apply_counted(client, reserved_cohort, headers)
    reads = [statement for statement in sent if statement.upper().startswith("SELECT")]
    writes = [statement for statement in sent if not statement.upper().startswith("SELECT")]
    assert len(reads) == 2, listed(sent)
    assert len(writes) == (1 if db.engine.dialect.name == "postgresql" else 5), listed(sent)


def test_the_writes_of_an_open_seat_make_what_the_rules_say(client, reserved_cohort, applicant, make_user):
    """Whether in one statement or five: her place, the seat counted (and her person counters), her record
    marked with her first application and place, one audit event with the request's id, her message on each
    channel she has, all naming the place."""
    trainee_id, headers = applicant(email="asma@example.pk", gender=Gender.FEMALE)
    response = client.post(
        f"/api/v1/cohorts/{reserved_cohort}/enrollments", headers=headers | {"X-Request-ID": "apply-1"}, json={}
    )
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert (answer["status"], answer["pool"], answer["source"], answer["reason"]) == ("enrolled", "open", "online", "")
    assert answer["applied_at"] == answer["decided_at"]
    place_id = answer["id"]
    trainee = db.session.get(Trainee, trainee_id)
    assert (trainee.first_application_id, trainee.first_place_id) == (place_id, place_id)
    cohort = db.session.get(Cohort, reserved_cohort)
    counted = (cohort.enrolled_count, cohort.women_count, cohort.applications_count, cohort.applicants_count)
    assert counted == (1, 1, 1, 1)
    assert (cohort.reached_count, cohort.reached_women_count, cohort.held_women) == (1, 1, 0)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "enrollment", AuditEvent.object_id == place_id)
    ).one()
    assert (event.action, event.actor_id, event.request_id, event.centre_id) == (
        "enrollment.apply",
        trainee.user_id,
        "apply-1",
        cohort.centre_id,
    )
    assert event.after == {"status": "enrolled", "cohort": cohort.code, "trainee_id": trainee_id}
    messages = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.enrollment_id == place_id)).all()
    assert sorted((message.channel.value, message.recipient) for message in messages) == [
        ("email", "asma@example.pk"),
        ("sms", trainee.phone),
    ]
    assert {(message.kind, message.trainee_id, message.subject) for message in messages} == {
        ("enrollment.enrolled", trainee_id, "Markaz: You have a place")
    }
    assert len({message.idempotency_key for message in messages}) == 2
    assert recount() == []


def test_an_application_for_a_reserved_seat_takes_at_most_ten_statements(
    client, reserved_cohort, applicant, make_trainee
):
    for _ in range(6):  # the six open seats go to men
        _, headers = applicant(gender=Gender.MALE)
        apply_counted(client, reserved_cohort, headers)
    _, headers = applicant(gender=Gender.FEMALE)
    answer, sent = apply_counted(client, reserved_cohort, headers)
    assert (answer["status"], answer["pool"]) == ("enrolled", "women")
    assert len(sent) <= MOST_STATEMENTS, listed(sent)
    assert recount() == []


def test_a_waitlisted_application_takes_at_most_ten_statements(client, reserved_cohort, applicant):
    for _ in range(7):  # the open seats, then a man who waits: only women's seats are free
        _, headers = applicant(gender=Gender.MALE)
        apply_counted(client, reserved_cohort, headers)
    _, headers = applicant(gender=Gender.MALE)
    answer, sent = apply_counted(client, reserved_cohort, headers)
    assert (answer["status"], answer["waitlist_position"]) == ("waitlisted", 2)
    assert len(sent) <= MOST_STATEMENTS, listed(sent)
    assert recount() == []


def test_a_second_application_is_answered_in_few_statements_and_writes_nothing(
    client, reserved_cohort, applicant, row_counts
):
    _, headers = applicant()
    first, _ = apply_counted(client, reserved_cohort, headers)
    before = row_counts()
    with statements_sent() as sent:
        response = client.post(f"/api/v1/cohorts/{reserved_cohort}/enrollments", headers=headers, json={})
    assert response.status_code == 409
    assert response.get_json()["error"]["enrollment_id"] == first["id"]
    assert len(sent) <= 2, listed(sent)  # the token; the cohort with her places (hers among them)
    assert not [statement for statement in sent if not statement.upper().startswith("SELECT")], listed(sent)
    assert row_counts() == before


# Staff registering a trainee by id check that they may see her record (where she applied or trained): one
# statement more than a trainee applying for herself, still within the ten.
def test_a_staff_registration_by_trainee_id_takes_at_most_ten_statements(
    client, make_cohort, make_centre, make_user, make_trainee, make_enrollment
):
    centre = make_centre()
    cohort = make_cohort(centre=centre, seats=10, reserved_women=4)
    earlier = make_cohort(centre=centre, starts_on=cohort.starts_on.replace(year=cohort.starts_on.year + 1))
    trainee = make_trainee()
    make_enrollment(trainee, earlier)  # she applied at this centre before: its staff may see her record
    headers = bearer(make_user(Role.STAFF, centres=(centre,)))
    cohort_id, trainee_id = cohort.id, trainee.id
    with statements_sent() as sent:
        response = client.post(
            f"/api/v1/cohorts/{cohort_id}/enrollments", headers=headers, json={"trainee_id": trainee_id}
        )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "enrolled"
    assert len(sent) <= MOST_STATEMENTS, listed(sent)


# The guards behind the few statements ---------------------------------------------------------------------


def test_a_place_made_meanwhile_without_the_cohort_lock_is_kept_and_nothing_added(
    make_cohort, make_trainee, make_enrollment, row_counts
):
    """``insert_place`` inserts nothing when she has a place in the cohort already (ON CONFLICT DO NOTHING):
    the unique constraint, not a savepoint and an error, keeps one place per trainee and cohort."""
    cohort, trainee = make_cohort(), make_trainee()
    make_enrollment(trainee, cohort)
    before = row_counts()
    assert insert_place(trainee, cohort, status=EnrollmentStatus.ENROLLED, source=EnrollmentSource.ONLINE) is None
    assert row_counts() == before


def test_a_seat_that_is_gone_when_taken_refuses_the_application_and_writes_nothing(
    make_cohort, make_user, make_trainee, row_counts, monkeypatch
):
    """The seat is chosen from the counters read under the cohort's lock and taken by the conditional UPDATE;
    were they ever to disagree (a full cohort whose counters promised a seat), nothing is overbooked."""
    cohort = make_cohort(seats=1, enrolled_count=1)
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    before = row_counts()
    monkeypatch.setattr(pools, "pool_for", lambda _trainee, _cohort: Pool.OPEN)
    with pytest.raises(NotPossibleNow) as refused:
        apply(trainee, cohort, actor=user)
    assert refused.value.message == "The cohort's seats changed during the application: try again."
    db.session.rollback()
    assert row_counts() == before
    assert db.session.get(Cohort, cohort.id).enrolled_count == 1


def test_an_open_seat_taken_meanwhile_sends_her_the_locked_way_and_nothing_is_written_twice(
    make_cohort, make_user, make_trainee, row_counts
):
    """The seat is taken by the conditional UPDATE, not by what was read: a cohort that filled up after it was
    read writes nothing on the quick way (``place_in_open_seat`` answers None), and the locked way then
    waitlists her."""
    cohort = make_cohort(seats=2)
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    assert cohort.enrolled_count == 0  # read: two open seats
    db.session.execute(  # meanwhile, others took both (as another worker's transactions would)
        sa.update(Cohort)
        .where(Cohort.id == cohort.id)
        .values(enrolled_count=2)
        .execution_options(synchronize_session=False)
    )
    before = row_counts()
    assert place_in_open_seat(trainee, cohort, actor=user, source=EnrollmentSource.ONLINE, now=None) is None
    assert row_counts() == before
    placement = apply(trainee, cohort, actor=user)
    assert (placement.enrollment.status, placement.waitlist_position) == (EnrollmentStatus.WAITLISTED, 1)


def test_her_record_changed_meanwhile_sends_her_the_locked_way_and_nothing_is_written_twice(
    make_cohort, make_user, make_trainee, row_counts
):
    """Her limits were checked on her places as read; a place made for her since stamps her record, and the
    quick way then writes nothing (the seat it took is given back) and the locked way decides."""
    cohort = make_cohort(seats=5)
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    read_stamp = trainee.updated_at
    db.session.execute(  # meanwhile, a place made for her elsewhere stamped her record
        sa.update(Trainee)
        .where(Trainee.id == trainee.id)
        .values(updated_at=read_stamp + timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    before = row_counts()
    assert place_in_open_seat(trainee, cohort, actor=user, source=EnrollmentSource.ONLINE, now=None) is None
    assert row_counts() == before
    assert (cohort.enrolled_count, cohort.applications_count, cohort.applicants_count) == (0, 0, 0)
    placement = apply(trainee, cohort, actor=user)
    assert placement.enrollment.status is EnrollmentStatus.ENROLLED
    db.session.commit()
    assert recount() == []
    assert db.session.get(Trainee, trainee.id).first_application_id == placement.enrollment.id
