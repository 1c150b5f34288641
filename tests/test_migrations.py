"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and can be undone."""

import os
from datetime import timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from auth.models import ApiToken, UserAccount
from courses.models import Cohort
from database import utcnow
from enrollments.counters import recount
from enrollments.imports.models import ImportBatch, ImportStatus
from enrollments.models import Enrollment
from enrollments.services import accept, apply, decline, release, settle_for_timer, withdraw
from extensions import db
from notifications.models import Channel, OutboxMessage
from vocabulary import OfferState, Role

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_the_models(app):
    """What `flask db check` checks: the session database was built by `flask db upgrade` alone."""
    assert differences() == []


def test_migration_file_names_start_with_a_date():
    names = [name for name in os.listdir(os.path.join(MIGRATIONS, "versions")) if name.endswith(".py")]
    assert names
    for name in names:
        year, month, rest = name.split("-", 2)
        assert len(year) == 4 and year.isdigit() and month.isdigit() and rest[:2].isdigit(), name


def test_downgrade_to_empty_and_upgrade_again(app, capfd):
    capfd.readouterr()
    try:
        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.connect() as connection:
            assert set(db.inspect(connection).get_table_names()) <= {"alembic_version"}
        said = capfd.readouterr().err
    finally:
        upgrade(directory=MIGRATIONS)
    assert "Downgrading" not in said  # an empty database loses nothing: nothing is said
    assert differences() == []


LANGUAGE_LOST = (
    "Downgrading 192bb4bd26f9 drops column trainee.language: {} trainees whose SMS and email are in another language "
    "than English lose that choice (their messages will be in English). Upgrading again does not bring it back."
)


def test_downgrading_the_message_language_says_how_many_trainees_lose_theirs(app, make_trainee, capfd):
    """The review's case: the downgrade used to reset every trainee's messages to English without a word."""
    for language in ("ur", "ur", "en"):
        make_trainee(language=language)
    capfd.readouterr()
    try:
        downgrade(directory=MIGRATIONS, revision="a83ecd6c24d5")
        said = capfd.readouterr().err
    finally:
        upgrade(directory=MIGRATIONS)  # whatever happens: the tests after this one need the schema
    assert LANGUAGE_LOST.format(2) in said
    assert said.count("Downgrading") == 1  # one loss, said once
    assert differences() == []


def test_downgrading_to_empty_says_what_each_step_loses(app, make_trainee, make_centre, make_user, capfd):
    centre = make_centre()
    staff = make_user(Role.STAFF, centres=(centre,))
    trainee = make_trainee(language="ur", registered_centre_id=centre.id)
    now = utcnow()
    db.session.add_all(
        [
            ApiToken(user=staff, digest="d" * 64, prefix="mkz_abc", expires_at=now + timedelta(days=30)),
            ApiToken(user=staff, digest="e" * 64, prefix="mkz_def", expires_at=now, revoked_at=now),
            OutboxMessage(trainee_id=trainee.id, kind="test", channel=Channel.SMS, recipient="+923001234567", body="x"),
            ImportBatch(
                centre=centre, uploaded_by=staff, filename="a.csv", size=1, content=b"x", status=ImportStatus.UPLOADED
            ),
        ]
    )
    db.session.commit()
    capfd.readouterr()
    try:
        downgrade(directory=MIGRATIONS, revision="base")
        said = [line for line in capfd.readouterr().err.splitlines() if "Downgrading" in line]
    finally:
        upgrade(directory=MIGRATIONS)
    assert [line.split("] ", 1)[1] for line in said] == [
        LANGUAGE_LOST.format(1),
        "Downgrading 0b6f9f907478 drops table api_token: 1 API tokens that were not revoked are deleted (programs "
        "using them get 401 until given new ones). Upgrading again does not bring it back.",
        "Downgrading c0d462234ff2 drops column trainee.registered_centre_id: 1 trainees lose the centre that "
        "registered them (its staff no longer see those who have no place there). Upgrading again does not bring "
        "it back.",
        "Downgrading bf9d29bb639d drops table import_batch: 1 uploaded lists waiting for confirmation are deleted "
        "with their files. Upgrading again does not bring it back.",
        "Downgrading f1bcdff03d15 drops table outbox_message: 1 messages to trainees not sent yet are deleted and "
        "will never be sent. Upgrading again does not bring it back.",
        *(
            f"Downgrading e3ee5ccf377f drops every table: {count} rows of {table} are deleted. Upgrading again does "
            "not bring it back."
            for table, count in (
                ("centre_membership", 1),
                ("trainee", 1),
                ("centre", 1),
                ("user_account", 1),
                ("district", 2),  # hers and the centre's
                ("province", 2),
            )
        ),
    ]
    assert differences() == []


def test_trainee_accounts_take_their_records_number_unless_another_account_shares_it(
    app, make_user, make_trainee, make_centre, capfd
):
    """Issue 14: existing trainees sign in by number too after the upgrade, one account per number; a downgrade
    keeps every account (one with a number and no email gets a placeholder address) and says so."""
    ayesha, bushra, sadia = (make_user(Role.TRAINEE) for _ in range(3))
    make_trainee(user=ayesha, phone="+923001111111")
    make_trainee(user=bushra, phone="+923002222222")
    make_trainee(user=sadia, phone="+923002222222")  # a family's one phone: neither account takes it
    make_trainee(phone="+923001111111")  # a walk-in without an account does not count
    staff = make_user(Role.STAFF, centres=(make_centre(),))
    try:
        downgrade(directory=MIGRATIONS, revision="271e544ecdc3")
        upgrade(directory=MIGRATIONS)
        db.session.expire_all()
        assert [db.session.get(UserAccount, user.id).phone for user in (ayesha, bushra, sadia, staff)] == [
            "+923001111111",
            None,
            None,
            None,
        ]
        assert all(db.session.get(UserAccount, user.id).confirmed for user in (ayesha, bushra, sadia, staff))
        ayesha_id = ayesha.id
        db.session.execute(sa.update(UserAccount).where(UserAccount.id == ayesha_id).values(email=None))
        db.session.commit()
        capfd.readouterr()
        downgrade(directory=MIGRATIONS, revision="271e544ecdc3")
        said = capfd.readouterr().err
        with db.engine.connect() as connection:
            emails = dict(connection.execute(sa.text("SELECT id, email FROM user_account")).all())
    finally:
        upgrade(directory=MIGRATIONS)
    assert emails[ayesha_id] == "923001111111@phone.invalid" and len(emails) == 4
    assert "accounts with a mobile number and no email get the address" in said
    assert differences() == []


def test_the_selection_figures_are_filled_from_the_places_as_they_are(app, make_cohort, make_user, make_trainee):
    """Issue 16, item 4: after the upgrade the offers already made are marked and counted (an answer after
    the deadline is an expiry), a cohort holding every seat has filled, a released one keeps what it held."""
    cohort = make_cohort(seats=2, offers=True, reserved_women=1)
    people = [make_trainee(user=make_user(Role.TRAINEE)) for _ in range(5)]
    places = [apply(person, cohort, actor=person.user).enrollment for person in people]
    db.session.commit()
    holders, line = places[:2], places[2:]
    ids, cohort_id = [place.id for place in line], cohort.id
    for holder in holders:  # a man's seat, and the women's seat: both offered to the line
        withdraw(holder, actor=holder.trainee.user)
    accept(line[0], actor=line[0].trainee.user)
    decline(line[1], actor=line[1].trainee.user)  # her seat is offered to the third
    release(cohort, actor=None, now=utcnow())
    db.session.execute(sa.update(Enrollment).where(Enrollment.id == ids[2]).values(offer_expires_at=utcnow()))
    settle_for_timer(cohort_id, now=utcnow() + timedelta(minutes=1))  # the third one's offer expires
    latecomer = make_trainee(user=make_user(Role.TRAINEE))
    apply(latecomer, cohort, actor=latecomer.user)  # takes the seat: every seat is held again
    db.session.commit()
    try:
        downgrade(directory=MIGRATIONS, revision="ce1209bfb9a5")
        upgrade(directory=MIGRATIONS)
        db.session.expire_all()
        marks = [db.session.get(Enrollment, place_id).offer for place_id in ids]
        drifts = recount()
        filled = db.session.get(Cohort, cohort_id)
        snapshot = (filled.full_at is not None, filled.released_held_women)
        db.session.rollback()
    finally:
        upgrade(directory=MIGRATIONS)
    assert marks == [OfferState.ACCEPTED, OfferState.DECLINED, OfferState.EXPIRED]
    assert drifts == []
    assert snapshot == (True, 0)
    assert differences() == []
