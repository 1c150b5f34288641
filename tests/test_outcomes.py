"""Outcomes (issue 18, items 1-4; DESIGN.md, "Outcomes"): consent and its opt-out link, the waves and the
sending job (idempotent, two senders at once), the one-minute form and its signed link, answers taken by
phone, exchange rates — services, pages and every refusal (its message, and nothing written)."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from api_helpers import bearer, refused_by_api
from pages import act_as, audit_events, decoded, error_next_to, post, redirected_to, shown
from sqlalchemy import func, select
from test_concurrency import run_at_once

from clock import local_today
from database import utcnow
from enrollments.models import Trainee
from extensions import db
from notifications.models import OutboxMessage
from outcomes import jobs
from outcomes.links import opt_out_token, wave_token
from outcomes.models import (
    EarningsBand,
    ExchangeRate,
    FreelancePlatform,
    OutcomeActivity,
    OutcomeAnswer,
    OutcomeChannel,
    OutcomeWave,
)
from outcomes.services import OutcomeRefused, save_answer, set_outcome_consent, set_rate
from vocabulary import CohortStatus, EnrollmentStatus, Role

NOW = utcnow()


@pytest.fixture
def make_graduate(make_cohort, make_trainee, make_enrollment, make_centre):
    """``make_graduate(ended_days_ago=100)``: a completed place in a cohort that ended that many days ago."""

    def make(ended_days_ago: int = 100, centre=None, **trainee_fields):
        ends_on = local_today(NOW) - timedelta(days=ended_days_ago)
        cohort = make_cohort(
            centre=centre,
            starts_on=ends_on - timedelta(days=56),
            ends_on=ends_on,
            status=CohortStatus.FINISHED,
        )
        trainee = make_trainee(**trainee_fields)
        return make_enrollment(trainee, cohort, status=EnrollmentStatus.COMPLETED)

    return make


@pytest.fixture
def open_wave(make_graduate):
    """``open_wave()``: a graduate's 3-month wave, made and sent by the job (her cohort ended 100 days ago)."""

    def make(**fields):
        enrollment = make_graduate(**fields)
        jobs.send_due_waves(NOW)
        return db.session.scalar(select(OutcomeWave).where(OutcomeWave.enrollment_id == enrollment.id))

    return make


def messages(kind: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(stmt))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


FREELANCER = {
    "activities": ["freelancing"],
    "platforms": ["fiverr", "upwork"],
    "earnings_amount": "45,000",
    "earnings_currency": "PKR",
    "hours_per_week": "30",
    "training_helped": "5",
    "comment": "Shukriya",
}


# 1. Waves and the sending job ------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert jobs.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert jobs.add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert jobs.add_months(date(2026, 11, 30), -12) == date(2025, 11, 30)
    assert jobs.wave_dates(date(2026, 1, 15), 3, (3, 6, 12)) == (date(2026, 4, 15), date(2026, 7, 15))
    assert jobs.wave_dates(date(2026, 1, 15), 12, (3, 6, 12)) == (date(2027, 1, 15), date(2027, 4, 15))


def test_the_job_makes_the_due_wave_and_queues_sms_and_email_once(app, make_graduate):
    enrollment = make_graduate(100, email="sana@example.org", language="ur")
    assert jobs.send_due_waves(NOW) == {"created": 1, "sent": 1, "reminded": 0}
    wave = db.session.scalar(select(OutboxWave := OutcomeWave))
    assert (wave.enrollment_id, wave.months) == (enrollment.id, 3)
    assert wave.cohort_ends_on == enrollment.cohort.ends_on and wave.centre_id == enrollment.cohort.centre_id
    assert wave.due_on == jobs.add_months(enrollment.cohort.ends_on, 3)
    assert wave.closes_on == jobs.add_months(enrollment.cohort.ends_on, 6)
    sent = messages("outcome.asked")
    assert sorted(message.channel.value for message in sent) == ["email", "sms"]
    body = sent[0].body
    assert wave_token(wave) in body and opt_out_token(enrollment.trainee) in body
    assert "کام" in body  # in her language (Urdu)
    # Run again (and again later the same day): nothing new.
    assert jobs.send_due_waves(NOW) == {"created": 0, "sent": 0, "reminded": 0}
    assert jobs.send_due_waves(NOW + timedelta(hours=5)) == {"created": 0, "sent": 0, "reminded": 0}
    assert len(messages("outcome.asked")) == 2 and count(OutboxWave) == 1


def test_only_the_open_wave_is_made_never_one_already_closed(app, make_graduate):
    make_graduate(30)  # not due yet
    late = make_graduate(200)  # the 3-month wave closed (6 months after the end); the 6-month one is open
    assert jobs.send_due_waves(NOW)["created"] == 1
    wave = db.session.scalar(select(OutcomeWave))
    assert (wave.enrollment_id, wave.months) == (late.id, 6)


def test_places_not_completed_get_no_wave(app, make_graduate, make_enrollment, make_trainee):
    enrollment = make_graduate(100)
    make_enrollment(make_trainee(), enrollment.cohort, status=EnrollmentStatus.DROPPED)
    assert jobs.send_due_waves(NOW)["created"] == 1


def test_a_trainee_without_consent_gets_no_wave_and_no_message(app, make_graduate):
    make_graduate(100, outcome_consent=False)
    assert jobs.send_due_waves(NOW) == {"created": 0, "sent": 0, "reminded": 0}
    assert count(OutcomeWave) == 0 and messages() == []


def test_one_reminder_after_seven_days_without_an_answer(app, open_wave):
    wave = open_wave()
    assert jobs.send_due_waves(NOW + timedelta(days=6))["reminded"] == 0
    assert jobs.send_due_waves(NOW + timedelta(days=7, minutes=1))["reminded"] == 1
    assert jobs.send_due_waves(NOW + timedelta(days=9))["reminded"] == 0
    reminders = messages("outcome.reminder")
    assert len(reminders) == 1 and wave_token(wave) in reminders[0].body


def test_no_reminder_once_she_answered(app, open_wave):
    wave = open_wave()
    save_answer(wave, FREELANCER, actor=None, channel=OutcomeChannel.WEB, now=NOW + timedelta(days=1))
    db.session.commit()
    assert jobs.send_due_waves(NOW + timedelta(days=8))["reminded"] == 0


def test_opting_out_stops_every_later_message(app, open_wave, make_graduate):
    wave = open_wave()
    trainee = wave.trainee
    set_outcome_consent(trainee, False, actor=None, now=NOW, by_link=True)
    db.session.commit()
    before = len(messages())
    # No reminder of the open wave, and no later wave either.
    assert jobs.send_due_waves(NOW + timedelta(days=8))["reminded"] == 0
    assert jobs.send_due_waves(NOW + timedelta(days=100)) == {"created": 0, "sent": 0, "reminded": 0}
    assert len(messages()) == before
    # Nobody calls her either.
    assert count(OutcomeWave) == 1


def test_two_senders_at_once_queue_each_message_once(app, make_graduate):
    """Two hosts run the job at the same moment (each its own connection): every wave is made once and every
    message queued once (PostgreSQL: SKIP LOCKED and conditional updates; SQLite: writers queue up)."""
    for _ in range(12):
        make_graduate(100, email=None)
    results = []
    errors = run_at_once(app, [lambda: results.append(jobs.send_due_waves(NOW)) for _ in range(2)])
    assert errors == []
    assert sum(result["created"] for result in results) == 12
    assert sum(result["sent"] for result in results) == 12
    assert count(OutcomeWave) == 12
    per_wave = db.session.execute(
        select(OutboxMessage.enrollment_id, func.count()).group_by(OutboxMessage.enrollment_id)
    ).all()
    assert len(per_wave) == 12 and {number for _, number in per_wave} == {1}
    # And the reminders, by two senders at once a week later.
    results.clear()
    errors = run_at_once(app, [lambda: results.append(jobs.send_due_waves(NOW + timedelta(days=8))) for _ in range(2)])
    assert errors == [] and sum(result["reminded"] for result in results) == 12
    assert len(messages("outcome.reminder")) == 12


def test_the_command_reports_what_it_did(app, make_graduate):
    make_graduate(100)
    result = app.test_cli_runner().invoke(args=["outcomes", "send"])
    assert result.exit_code == 0, result.output
    assert "1 waves made, 1 messages queued, 0 reminders queued" in result.output


# 2. Answers: the rules and the rupee figure --------------------------------------------------------------


def test_an_answer_is_saved_audited_and_corrected_in_place(app, open_wave):
    wave = open_wave()
    answer = save_answer(wave, FREELANCER, actor=None, channel=OutcomeChannel.WEB, now=NOW)
    db.session.commit()
    assert answer.activities == OutcomeActivity.FREELANCING
    assert answer.platforms == FreelancePlatform.FIVERR | FreelancePlatform.UPWORK
    assert answer.monthly_earnings_pkr == Decimal("45000.00") and answer.usd_pkr_rate is None
    assert (answer.hours_per_week, answer.training_helped, answer.comment) == (30, 5, "Shukriya")
    corrected = save_answer(
        wave,
        {"activities": ["employed", "studying"], "earnings_band": "pkr_20k_50k"},
        actor=None,
        channel=OutcomeChannel.WEB,
        now=NOW + timedelta(days=1),
    )
    db.session.commit()
    assert corrected.id == answer.id and count(OutcomeAnswer) == 1
    assert corrected.monthly_earnings_pkr == Decimal("35000.00") and corrected.platforms == 0
    assert corrected.earnings_amount is None and corrected.earnings_band is EarningsBand.PKR_20K_50K
    events = audit_events()
    assert [event.action for event in events if event.action.startswith("outcome_answer")] == [
        "outcome_answer.create",
        "outcome_answer.correct",
    ]
    assert events[-1].before["monthly_earnings_pkr"] == "45000.00"


@pytest.mark.parametrize(
    ("data", "pkr"),
    [
        ({"activities": ["own_business"], "earnings_band": "nothing"}, Decimal("0.00")),
        ({"activities": ["employed"], "earnings_band": "pkr_200k_plus"}, Decimal("200000.00")),
        ({"activities": ["employed"], "earnings_amount": "0", "earnings_currency": "PKR"}, Decimal("0.00")),
        ({"activities": ["employed"]}, None),
        ({"activities": ["not_working"]}, None),
    ],
)
def test_the_rupee_figure_of_bands_and_figures(app, open_wave, data, pkr):
    answer = save_answer(open_wave(), data, actor=None, channel=OutcomeChannel.WEB, now=NOW)
    assert answer.monthly_earnings_pkr == pkr


def test_dollars_are_converted_at_the_rate_of_the_month_or_the_latest_before(app, open_wave, make_user):
    admin = make_user(Role.ADMIN)
    month = local_today(NOW).replace(day=1)
    earlier = (month - timedelta(days=1)).replace(day=1)
    set_rate(earlier, "278.5", actor=admin, now=NOW)
    db.session.commit()
    first = save_answer(
        open_wave(),
        {"activities": ["freelancing"], "earnings_amount": "300", "earnings_currency": "usd"},
        actor=None,
        channel=OutcomeChannel.WEB,
        now=NOW,
    )
    assert first.usd_pkr_rate == Decimal("278.5000") and first.monthly_earnings_pkr == Decimal("83550.00")
    set_rate(month, "280", actor=admin, now=NOW)
    second = save_answer(
        open_wave(),
        {"activities": ["freelancing"], "earnings_band": "usd_100_300"},
        actor=None,
        channel=OutcomeChannel.WEB,
        now=NOW,
    )
    assert second.earnings_currency == "USD" and second.monthly_earnings_pkr == Decimal("56000.00")  # 200 × 280


def test_dollars_before_any_rate_are_converted_when_an_admin_sets_one(app, open_wave, make_user):
    answer = save_answer(
        open_wave(),
        {"activities": ["freelancing"], "earnings_band": "usd_1500_plus"},
        actor=None,
        channel=OutcomeChannel.WEB,
        now=NOW,
    )
    db.session.commit()
    assert answer.monthly_earnings_pkr is None
    set_rate(local_today(NOW), "280", actor=make_user(Role.ADMIN), now=NOW)
    db.session.commit()
    db.session.refresh(answer)
    assert answer.usd_pkr_rate == Decimal("280.0000") and answer.monthly_earnings_pkr == Decimal("420000.00")
    event = audit_events("exchange_rate.set")[0]
    assert event.after["answers_converted"] == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "activities", "Choose at least one"),
        ({"activities": ["dancing"]}, "activities", "not one of the choices"),
        ({"activities": ["not_working", "studying"]}, "activities", "cannot go with other choices"),
        ({"activities": ["employed"], "platforms": ["fiverr"]}, "platforms", "Platforms are for freelancing"),
        (
            {"activities": ["employed"], "earnings_band": "pkr_20k_50k", "earnings_amount": "30000"},
            "earnings_amount",
            "not both",
        ),
        ({"activities": ["studying"], "earnings_band": "pkr_20k_50k"}, "earnings_band", "work that pays"),
        ({"activities": ["employed"], "earnings_band": "lots"}, "earnings_band", "Choose one of the amounts"),
        ({"activities": ["employed"], "earnings_amount": "45k", "earnings_currency": "PKR"}, "earnings_amount", ""),
        ({"activities": ["employed"], "earnings_amount": "-5", "earnings_currency": "PKR"}, "earnings_amount", ""),
        ({"activities": ["employed"], "earnings_amount": "5000", "earnings_currency": "EUR"}, "earnings_currency", ""),
        ({"activities": ["employed"], "earnings_amount": "500000", "earnings_currency": "USD"}, "earnings_amount", ""),
        ({"activities": ["employed"], "hours_per_week": "101"}, "hours_per_week", "0 to 100"),
        ({"activities": ["employed"], "hours_per_week": "many"}, "hours_per_week", "0 to 100"),
        ({"activities": ["employed"], "training_helped": "6"}, "training_helped", "1 to 5"),
        ({"activities": ["employed"], "comment": "x" * 2001}, "comment", "2,000"),
    ],
)
def test_a_wrong_answer_is_refused_naming_its_field_and_nothing_is_written(
    app, open_wave, row_counts, data, field, message
):
    wave = open_wave()
    db.session.commit()
    before = row_counts()
    with pytest.raises(OutcomeRefused) as refused:
        save_answer(wave, data, actor=None, channel=OutcomeChannel.WEB, now=NOW)
    db.session.rollback()
    assert refused.value.field == field and message in refused.value.message
    assert row_counts() == before


def test_a_closed_wave_takes_no_answer(app, open_wave, row_counts):
    wave = open_wave()
    db.session.commit()
    before = row_counts()
    later = datetime.combine(wave.closes_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    with pytest.raises(OutcomeRefused, match="This survey closed on"):
        save_answer(wave, FREELANCER, actor=None, channel=OutcomeChannel.WEB, now=later)
    db.session.rollback()
    assert row_counts() == before


def test_phone_answers_need_a_caller_of_her_scope(app, open_wave, make_user, make_province, row_counts):
    wave = open_wave()
    elsewhere = make_user(Role.CALLER, province=make_province())
    overseer = make_user(Role.OVERSEER)
    before = row_counts()
    for actor in (elsewhere, overseer, None):
        with pytest.raises(OutcomeRefused, match="Only callers and staff"):
            save_answer(wave, FREELANCER, actor=actor, channel=OutcomeChannel.PHONE, now=NOW)
        db.session.rollback()
    assert row_counts() == before
    caller = make_user(Role.CALLER, province_id=wave.province_id)
    wave.trainee.outcome_consent = False  # she said no: nobody calls her
    db.session.commit()
    before = row_counts()
    with pytest.raises(OutcomeRefused, match="do not call her"):
        save_answer(wave, FREELANCER, actor=caller, channel=OutcomeChannel.PHONE, now=NOW)
    db.session.rollback()
    assert row_counts() == before
    wave.trainee.outcome_consent = True
    answer = save_answer(wave, FREELANCER, actor=caller, channel=OutcomeChannel.PHONE, now=NOW)
    db.session.commit()
    assert answer.channel is OutcomeChannel.PHONE and answer.entered_by_id == caller.id
    event = audit_events("outcome_answer.create")[0]
    assert event.actor_id == caller.id and event.reason == "taken by phone"


# 3. Consent -------------------------------------------------------------------------------------------------


def test_the_opt_out_link_only_turns_consent_off(app, make_trainee, row_counts):
    trainee = make_trainee()
    before = row_counts()
    with pytest.raises(OutcomeRefused, match="only stop"):
        set_outcome_consent(trainee, True, actor=None, now=NOW, by_link=True)
    db.session.rollback()
    assert row_counts() == before
    set_outcome_consent(trainee, False, actor=None, now=NOW, by_link=True)
    db.session.commit()
    assert trainee.outcome_consent is False and trainee.outcome_consent_changed_at is not None
    (event,) = audit_events("trainee.outcome_consent")
    assert (event.before, event.after, event.actor_id) == ({"outcome_consent": True}, {"outcome_consent": False}, None)


def test_only_she_her_centres_staff_and_admins_change_consent(app, make_trainee, make_user, row_counts):
    trainee = make_trainee()
    actors = (make_user(Role.OVERSEER), make_user(Role.STAFF), make_user(Role.CALLER))
    before = row_counts()
    for actor in actors:
        with pytest.raises(OutcomeRefused, match="Only she"):
            set_outcome_consent(trainee, False, actor=actor, now=NOW)
        db.session.rollback()
    assert row_counts() == before


# 4. Rates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ("abc", "usd_pkr", "in figures"),
        ("0", "usd_pkr", "from 1 to 10,000"),
        ("100000", "usd_pkr", "from 1 to 10,000"),
        ("280.12345", "usd_pkr", "4 decimals"),
    ],
)
def test_a_wrong_rate_is_refused(app, make_user, row_counts, value, field, message):
    admin = make_user(Role.ADMIN)
    before = row_counts()
    with pytest.raises(OutcomeRefused) as refused:
        set_rate(local_today(NOW), value, actor=admin, now=NOW)
    db.session.rollback()
    assert (refused.value.field, message in refused.value.message) == (field, True)
    assert row_counts() == before


def test_rates_far_ahead_and_by_non_admins_are_refused(app, make_user, row_counts):
    admin, staff = make_user(Role.ADMIN), make_user(Role.STAFF)
    before = row_counts()
    with pytest.raises(OutcomeRefused, match="this month, the next one"):
        set_rate(local_today(NOW) + timedelta(days=70), "280", actor=admin, now=NOW)
    db.session.rollback()
    with pytest.raises(OutcomeRefused, match="Only admins"):
        set_rate(local_today(NOW), "280", actor=staff, now=NOW)
    db.session.rollback()
    assert row_counts() == before


# 5. Pages: her link, the form, the thank-you page, the closed page, the opt-out page -----------------------


def test_her_link_opens_the_form_saves_and_thanks_her_with_what_she_said(app, client, open_wave):
    wave = open_wave(full_name="Sana Bibi")
    path = f"/outcomes/{wave_token(wave)}"
    page = decoded(client.get(path))
    assert "Sana Bibi" in page and 'type="checkbox" name="activities" value="freelancing"' in page
    response = post(client, path, FREELANCER)
    assert redirected_to(response) == f"{path}/thanks"
    thanks = shown(decoded(client.get(f"{path}/thanks")))
    assert "Freelancing" in thanks and "45,000 PKR" in thanks and "Fiverr" in thanks
    assert "Correct my answer" in thanks
    # Correcting: the form shows her answer; saving changes it (still one answer).
    form = decoded(client.get(path))
    assert 'value="freelancing" id="activities-freelancing" checked' in form and 'value="45000"' in form
    post(client, path, FREELANCER | {"earnings_amount": "50000"})
    db.session.expire_all()
    assert count(OutcomeAnswer) == 1
    assert db.session.scalar(select(OutcomeAnswer.monthly_earnings_pkr)) == Decimal("50000.00")


def test_a_wrong_answer_is_shown_next_to_its_field(app, client, open_wave, row_counts):
    wave = open_wave()
    path = f"/outcomes/{wave_token(wave)}"
    before = row_counts()
    response = post(client, path, {"activities": ["not_working", "freelancing"]})
    assert "cannot go with other choices" in error_next_to(decoded(response, 422), "activities")
    response = post(client, path, {"activities": ["employed"], "hours_per_week": "200"})
    assert "0 to 100" in error_next_to(decoded(response, 422), "hours_per_week")
    assert row_counts() == before


def test_a_tampered_link_or_another_waves_link_opens_nothing_else(app, client, open_wave):
    wave, other = open_wave(), open_wave()
    token = wave_token(wave)
    assert "This link does not work" in decoded(client.get(f"/outcomes/{token[:-2]}xx"), 404)
    assert "This link does not work" in decoded(client.get("/outcomes/not-a-token"), 404)
    # A token naming the other wave's id with this trainee (forged) fails the signature; the other wave's own
    # link opens the other wave only.
    page = decoded(client.get(f"/outcomes/{wave_token(other)}"))
    assert other.trainee.full_name in page and wave.trainee.full_name not in page
    # The opt-out salt does not open a wave, nor a wave link the opt-out page.
    assert client.get(f"/outcomes/{opt_out_token(wave.trainee)}").status_code == 404
    assert client.get(f"/outcomes/stop/{token}").status_code == 404


def test_the_link_of_a_closed_wave_says_when_it_closed(app, client, open_wave, row_counts):
    wave = open_wave()
    wave.closes_on = local_today() - timedelta(days=1)
    wave.due_on = wave.closes_on - timedelta(days=90)
    db.session.commit()
    path = f"/outcomes/{wave_token(wave)}"
    page = shown(decoded(client.get(path), 410))
    assert "This survey closed on" in page
    before = row_counts()
    assert post(client, path, FREELANCER).status_code == 410
    assert row_counts() == before


def test_the_opt_out_page_stops_her_messages_without_signing_in(app, client, open_wave):
    wave = open_wave()
    path = f"/outcomes/stop/{opt_out_token(wave.trainee)}"
    assert "Stop these messages" in decoded(client.get(path))
    assert redirected_to(post(client, path)) == "/outcomes/stopped"
    db.session.expire_all()
    assert db.session.get(Trainee, wave.trainee_id).outcome_consent is False
    assert "already stopped" in decoded(client.get(path))
    assert len(audit_events("trainee.outcome_consent")) == 1


def test_overseers_cannot_answer_by_link(app, client, open_wave, make_user, row_counts):
    wave = open_wave()
    act_as(client, make_user(Role.OVERSEER))
    before = row_counts()
    assert post(client, f"/outcomes/{wave_token(wave)}", FREELANCER).status_code == 403
    assert row_counts() == before


# 6. Calls due ---------------------------------------------------------------------------------------------


def test_calls_due_lists_reminded_unanswered_waves_of_her_scope_oldest_first(
    app, client, open_wave, make_user, make_centre
):
    centre = make_centre()
    first = open_wave(ended_days_ago=120, centre=centre, full_name="Older Graduate")
    second = open_wave(ended_days_ago=100, centre=centre, full_name="Newer Graduate")
    answered = open_wave(ended_days_ago=100, centre=centre, full_name="Answered Graduate")
    opted_out = open_wave(ended_days_ago=100, centre=centre, full_name="Opted Out")
    elsewhere = open_wave(ended_days_ago=100, full_name="Other Province")
    jobs.send_due_waves(NOW + timedelta(days=8))
    open_wave(ended_days_ago=95, centre=centre, full_name="Fresh Graduate")  # sent, not yet reminded
    set_outcome_consent(opted_out.trainee, False, actor=None, now=NOW, by_link=True)
    save_answer(answered, FREELANCER, actor=None, channel=OutcomeChannel.WEB, now=NOW)
    db.session.commit()
    caller = make_user(Role.CALLER, province_id=first.province_id)
    page = shown(decoded(act_as(client, caller).get("/outcomes/calls")))
    assert "Older Graduate" in page and "Newer Graduate" in page
    assert page.index("Older Graduate") < page.index("Newer Graduate")
    for name in ("Answered Graduate", "Fresh Graduate", "Opted Out", elsewhere.trainee.full_name):
        assert name not in page
    searched = shown(decoded(client.get("/outcomes/calls?q=newer")))
    assert "Newer Graduate" in searched and "Older Graduate" not in searched
    assert second.trainee.phone not in page  # the number shows on the call page, not in the list


def test_a_caller_enters_an_answer_by_phone(app, client, open_wave, make_user):
    wave = open_wave()
    caller = make_user(Role.CALLER, centres=(wave.enrollment.cohort.centre,))
    act_as(client, caller)
    path = f"/outcomes/calls/{wave.id}"
    page = decoded(client.get(path))
    assert re.search(r"tel:\+92", page)
    response = post(client, path, FREELANCER)
    assert redirected_to(response) == "/outcomes/calls"
    db.session.expire_all()
    answer = db.session.scalar(select(OutcomeAnswer))
    assert answer.channel is OutcomeChannel.PHONE and answer.entered_by_id == caller.id
    assert audit_events("outcome_answer.create")[0].actor_id == caller.id


def test_staff_of_another_centre_cannot_open_the_call(app, client, open_wave, make_user, make_centre):
    wave = open_wave()
    staff = make_user(Role.STAFF, centres=(make_centre(),))
    assert act_as(client, staff).get(f"/outcomes/calls/{wave.id}").status_code == 403
    assert wave.trainee.full_name not in decoded(client.get("/outcomes/calls"))


# 7. Consent at sign-up, at the walk-in desk, on her profile; rates page ------------------------------------


def test_her_profile_changes_her_consent(app, client, make_user, make_trainee):
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    act_as(client, user)
    assert "3, 6 and 12 months after your course" in decoded(client.get("/auth/profile"))
    response = post(client, "/auth/profile/outcome-consent", {"outcome_consent": "no"})
    assert redirected_to(response) == "/auth/profile"
    db.session.expire_all()
    assert db.session.get(Trainee, trainee.id).outcome_consent is False
    response = post(client, "/auth/profile/outcome-consent", {})
    assert "Choose yes or no" in decoded(response, 422)


def test_admins_set_rates_on_their_page(app, client, make_user, row_counts):
    act_as(client, make_user(Role.ADMIN))
    response = post(client, "/outcomes/rates", {"month": local_today().isoformat(), "usd_pkr": "281.25"})
    assert redirected_to(response) == "/outcomes/rates"
    rate = db.session.scalar(select(ExchangeRate))
    assert rate.month == local_today().replace(day=1) and rate.usd_pkr == Decimal("281.2500")
    before = row_counts()
    response = post(client, "/outcomes/rates", {"month": local_today().isoformat(), "usd_pkr": "-3"})
    assert "from 1 to 10,000" in error_next_to(decoded(response, 422), "usd_pkr")
    assert row_counts() == before


# 8. The API: outcome_consent on create and PATCH -------------------------------------------------------------


def test_the_api_records_consent_on_create_and_patch(app, client, make_user, make_centre, make_district, row_counts):
    centre = make_centre()
    staff = make_user(Role.STAFF, centres=(centre,))
    body = {
        "cnic": "35202-7654321-2",
        "full_name": "Nadia Khan",
        "gender": "female",
        "date_of_birth": "2001-04-23",
        "phone": "0300 7654321",
        "district": centre.district.name,
        "area": "rural",
        "outcome_consent": False,
    }
    created = client.post("/api/v1/trainees", json=body, headers=bearer(staff))
    assert created.status_code == 201 and created.get_json()["outcome_consent"] is False
    trainee_id = created.get_json()["id"]
    assert db.session.get(Trainee, trainee_id).outcome_consent_changed_at is not None
    patched = client.patch(f"/api/v1/trainees/{trainee_id}", json={"outcome_consent": True}, headers=bearer(staff))
    assert patched.status_code == 200 and patched.get_json()["outcome_consent"] is True
    assert [event.after for event in audit_events("trainee.outcome_consent")] == [{"outcome_consent": True}]
    # Another centre's staff may not; a value that is not a boolean is refused naming the field.
    outsider = make_user(Role.STAFF, centres=(make_centre(),))
    status, *_ = refused_by_api(
        client, "PATCH", f"/api/v1/trainees/{trainee_id}", bearer(outsider), row_counts, {"outcome_consent": False}
    )
    assert status == 403
    status, _code, _message, fields = refused_by_api(
        client, "PATCH", f"/api/v1/trainees/{trainee_id}", bearer(staff), row_counts, {"outcome_consent": "maybe"}
    )
    assert status == 422 and "outcome_consent" in fields


def test_a_new_trainee_says_yes_unless_she_says_no(app, client, make_user, make_centre):
    centre = make_centre()
    staff = make_user(Role.STAFF, centres=(centre,))
    body = {
        "cnic": "35202-7654322-2",
        "full_name": "Rubina Ali",
        "gender": "female",
        "date_of_birth": "2000-01-01",
        "phone": "0300 7654322",
        "district": centre.district.name,
        "area": "urban",
    }
    created = client.post("/api/v1/trainees", json=body, headers=bearer(staff))
    assert created.status_code == 201 and created.get_json()["outcome_consent"] is True


def test_the_sign_up_form_asks_with_the_box_ticked(app, client):
    page = decoded(client.get("/auth/signup"))
    assert "3, 6 and 12 months after your course" in page
    assert re.search(r'<input[^>]*id="outcome_consent"[^>]*checked', page) or re.search(
        r'<input[^>]*checked[^>]*id="outcome_consent"', page
    )


def test_an_imported_list_may_say_no(app):
    from enrollments.imports.cells import read_outcome_consent
    from enrollments.imports.columns import FIELD_OF_HEADING, heading_key

    assert FIELD_OF_HEADING[heading_key("Follow-up by SMS")] == "outcome_consent"
    assert (read_outcome_consent(""), read_outcome_consent("No"), read_outcome_consent("yes")) == (True, False, True)
    with pytest.raises(Exception, match="write yes or no"):
        read_outcome_consent("perhaps")


def test_the_report_tallies_follow_the_timer_the_form_and_the_rates(app, open_wave, make_user):
    """Waves the timer makes, answers saved and corrected, and dollars converted when a rate is set all move the
    report's tallies in the same transaction: a recount finds no drift."""
    from outcomes.tallies import recount_tallies

    first, second = open_wave(), open_wave()
    save_answer(first, FREELANCER, actor=None, channel=OutcomeChannel.WEB, now=NOW)
    save_answer(first, {"activities": ["not_working"]}, actor=None, channel=OutcomeChannel.WEB, now=NOW)
    save_answer(
        second,
        {"activities": ["freelancing"], "earnings_band": "usd_300_700"},
        actor=None,
        channel=OutcomeChannel.WEB,
        now=NOW,
    )
    set_rate(local_today(NOW), "280", actor=make_user(Role.ADMIN), now=NOW)
    db.session.commit()
    assert recount_tallies() == []
