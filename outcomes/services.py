"""The rules of outcomes (DESIGN.md, "Outcomes"): an answer to a wave, checked, converted to rupees and saved
(``save_answer``); a trainee's consent to be asked (``set_outcome_consent``); the monthly USD→PKR rates
(``set_rate``, ``rate_for``). Services take the acting user, flush and never commit; each change writes one
audit event in the same transaction."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from audit.events import record, record_many
from auth.models import UserAccount
from auth.permissions import can_change_outcome_consent, can_set_exchange_rates, can_take_outcome_call
from clock import local_date, local_today, local_zone
from enrollments.models import Trainee
from extensions import db
from language import long_date
from outcomes import tallies
from outcomes.models import (
    BANDS,
    WORKING,
    Currency,
    EarningsBand,
    ExchangeRate,
    FreelancePlatform,
    OutcomeActivity,
    OutcomeAnswer,
    OutcomeChannel,
    OutcomeWave,
)
from refusals import Refusal

# The largest monthly figure a person may type, per currency: above it, a typing slip is likelier than pay.
MOST_PER_MONTH = {Currency.PKR: Decimal(10_000_000), Currency.USD: Decimal(100_000)}
COMMENT_LENGTH = 2000
# Rupees per dollar an admin may set: wide enough for any rate of the coming decades, narrow enough to
# refuse a slip (a rate typed as dollars per rupee, or with a digit too many).
RATE_RANGE = (Decimal(1), Decimal(10_000))

ACTIVITY_NAMES = {member.name.lower(): member for member in OutcomeActivity}
PLATFORM_NAMES = {member.name.lower(): member for member in FreelancePlatform}


class OutcomeRefused(Refusal):
    """An outcome answer, consent change or rate refused by the rules."""


class NotAllowed(OutcomeRefused):
    code, status = "forbidden", 403


class WaveClosed(OutcomeRefused):
    code, status = "wave_closed", 409


@dataclass(frozen=True)
class AnswerDetails:
    """An answer as the rules accept it (``answer_details``): ready to store."""

    activities: int
    platforms: int
    earnings_currency: str | None
    earnings_amount: Decimal | None
    earnings_band: EarningsBand | None
    hours_per_week: int | None
    training_helped: int | None
    comment: str


def _flags(values: Iterable[Any], names: dict[str, Any], field: str) -> int:
    total = 0
    for value in values or ():
        member = names.get(str(value).strip().lower())
        if member is None:
            raise OutcomeRefused(_("%(value)s is not one of the choices.", value=str(value)[:40]), field)
        total |= member
    return total


def _whole(value: Any, field: str, low: int, high: int, message: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OutcomeRefused(message, field) from None
    if not low <= number <= high:
        raise OutcomeRefused(message, field)
    return number


def _amount(value: Any) -> Decimal | None:
    """An exact monthly figure as typed on a phone: digits with commas or spaces, optionally a decimal point."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace(",", "").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise OutcomeRefused(_("Write the amount in figures, such as 45000."), "earnings_amount") from None
    if not amount.is_finite() or amount < 0:
        raise OutcomeRefused(_("Write the amount in figures, such as 45000."), "earnings_amount")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def answer_details(data: Mapping[str, Any]) -> AnswerDetails:
    """Check an answer (``data``: ``activities`` and ``platforms`` as lists of names such as ``"freelancing"``;
    ``earnings_currency``, ``earnings_amount``, ``earnings_band``, ``hours_per_week``, ``training_helped``,
    ``comment``) against the rules, naming the field of the first problem (``OutcomeRefused``):

    - at least one activity; "not working" only alone;
    - platforms only with freelancing;
    - earnings only with work that earns (freelancing, a job, her business): a band (its currency is the
      band's) or an exact figure with its currency, not both; a figure at most ``MOST_PER_MONTH``;
    - hours per week 0 to 100; "did the training help" 1 to 5; a comment of at most 2,000 characters."""
    activities = _flags(data.get("activities"), ACTIVITY_NAMES, "activities")
    if not activities:
        raise OutcomeRefused(_("Choose at least one: what do you do now?"), "activities")
    if activities & OutcomeActivity.NOT_WORKING and activities != OutcomeActivity.NOT_WORKING:
        raise OutcomeRefused(_("\u201cNot working\u201d cannot go with other choices: untick one."), "activities")
    platforms = _flags(data.get("platforms"), PLATFORM_NAMES, "platforms")
    if platforms and not activities & OutcomeActivity.FREELANCING:
        raise OutcomeRefused(_("Platforms are for freelancing: tick Freelancing, or untick them."), "platforms")

    band_value = (data.get("earnings_band") or "").strip() if isinstance(data.get("earnings_band"), str) else None
    band = EarningsBand.parse(band_value) if band_value else data.get("earnings_band") or None
    if band_value and band is None:
        raise OutcomeRefused(_("Choose one of the amounts listed."), "earnings_band")
    amount = _amount(data.get("earnings_amount"))
    currency_value = (data.get("earnings_currency") or "").strip().upper()
    if band is not None and amount is not None:
        raise OutcomeRefused(
            _("Choose an amount from the list or write the exact figure, not both."), "earnings_amount"
        )
    if (band is not None or amount is not None) and not activities & WORKING:
        field = "earnings_band" if band is not None else "earnings_amount"
        raise OutcomeRefused(
            _("Earnings are for work that pays (freelancing, a job, your business): tick it, or leave earnings empty."),
            field,
        )
    currency: str | None = None
    if band is not None:
        currency = BANDS[band].currency.value
    elif amount is not None:
        parsed = Currency.parse(currency_value)
        if parsed is None:
            raise OutcomeRefused(_("Choose rupees or dollars for the amount."), "earnings_currency")
        if amount > MOST_PER_MONTH[parsed]:
            raise OutcomeRefused(
                _(
                    "That is more than %(most)s a month: check the figure.",
                    most=format_decimal(MOST_PER_MONTH[parsed]) + " " + parsed.value,
                ),
                "earnings_amount",
            )
        currency = parsed.value

    hours = _whole(data.get("hours_per_week"), "hours_per_week", 0, 100, _("Hours a week: a whole number, 0 to 100."))
    helped = _whole(data.get("training_helped"), "training_helped", 1, 5, _("Choose from 1 to 5."))
    comment = (data.get("comment") or "").strip()
    if len(comment) > COMMENT_LENGTH:
        raise OutcomeRefused(
            _("Keep the comment under %(most)s characters.", most=format_decimal(COMMENT_LENGTH)), "comment"
        )
    return AnswerDetails(activities, platforms, currency, amount, band, hours, helped, comment)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def rate_for(day: date) -> ExchangeRate | None:
    """The rate answers given on ``day`` are converted at: its month's, else the latest earlier month's; None
    when no rate was ever set for that month or before."""
    return db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.month <= first_of_month(day))
        .order_by(ExchangeRate.month.desc())
        .limit(1)
    )


def monthly_pkr(details: AnswerDetails, rate: Decimal | None) -> Decimal | None:
    """The figure reports use (``OutcomeAnswer.monthly_earnings_pkr``): the exact amount or the band's figure,
    in rupees; None when no earnings were given, or for dollars without a rate."""
    if details.earnings_band is not None:
        figure = BANDS[details.earnings_band].figure
    elif details.earnings_amount is not None:
        figure = details.earnings_amount
    else:
        return None
    if details.earnings_currency == Currency.USD.value:
        if rate is None:
            return None
        figure = figure * rate
    return figure.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def require_answerer(wave: OutcomeWave, actor: UserAccount | None, channel: OutcomeChannel) -> None:
    """Web answers come from her link (no account needed: the link is the proof) or from her own account;
    phone answers from someone who may take her call (``can_take_outcome_call``), and only while she agrees to
    be asked (a graduate who said no is not called)."""
    if channel is OutcomeChannel.PHONE:
        if actor is None or not can_take_outcome_call(actor, wave):
            raise NotAllowed(_("Only callers and staff covering her centre can enter an answer taken by phone."))
        if not wave.trainee.outcome_consent:
            raise NotAllowed(_("She asked not to be asked about her work: do not call her about it."))
    elif actor is not None and actor.is_authenticated and wave.trainee.user_id != actor.id:
        raise NotAllowed(_("Only the graduate herself answers online; answers taken by phone are marked so."))


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Decimal) else value for name, value in values.items()}


def save_answer(
    wave: OutcomeWave,
    form_data: Mapping[str, Any],
    *,
    actor: UserAccount | None,
    channel: OutcomeChannel,
    now: datetime,
) -> OutcomeAnswer:
    """Create the answer to ``wave``, or correct it (one answer per wave), while the wave is open.

    Refuses (``OutcomeRefused``, nothing written) when the wave has closed (``WaveClosed``), when ``actor`` may
    not answer on ``channel`` (``NotAllowed``), or when ``form_data`` breaks a rule (``answer_details``). A USD
    answer is converted at the rate of the month it was first given (``rate_for``). Phone answers record who
    took them (``entered_by``). Writes one audit event (``outcome_answer.create`` or ``.correct``) and tells the
    report tallies (``tallies.answer_changed``). Flushes, never commits."""
    today = local_today(now)
    if not wave.is_open(today):
        raise WaveClosed(_("This survey closed on %(day)s.", day=long_date(wave.closes_on)))
    require_answerer(wave, actor, channel)
    details = answer_details(form_data)
    answer = db.session.scalar(
        select(OutcomeAnswer).where(OutcomeAnswer.wave_id == wave.id).execution_options(populate_existing=True)
    )
    before = answer.snapshot() if answer is not None else None
    answered_on = local_date(answer.answered_at) if answer is not None else today
    rate = rate_for(answered_on) if details.earnings_currency == Currency.USD.value else None
    values = {
        "activities": details.activities,
        "platforms": details.platforms,
        "earnings_currency": details.earnings_currency,
        "earnings_amount": details.earnings_amount,
        "earnings_band": details.earnings_band,
        "usd_pkr_rate": rate.usd_pkr if rate is not None else None,
        "monthly_earnings_pkr": monthly_pkr(details, rate.usd_pkr if rate is not None else None),
        "hours_per_week": details.hours_per_week,
        "training_helped": details.training_helped,
        "comment": details.comment,
        "channel": channel,
        "entered_by_id": actor.id if channel is OutcomeChannel.PHONE else None,
    }
    if answer is None:
        answer = OutcomeAnswer(wave_id=wave.id, answered_at=now, updated_at=now, **values)
        db.session.add(answer)
    else:
        for name, value in values.items():
            setattr(answer, name, value)
        answer.updated_at = now
    db.session.flush()
    record(
        actor if channel is OutcomeChannel.PHONE else None,
        "outcome_answer.create" if before is None else "outcome_answer.correct",
        answer,
        before=_audit_values(before) if before is not None else None,
        after=_audit_values(answer.snapshot()),
        reason=_channel_note(channel),
        centre_id=wave.centre_id,
    )
    tallies.answer_changed(before, answer)
    return answer


def _channel_note(channel: OutcomeChannel) -> str:
    return "taken by phone" if channel is OutcomeChannel.PHONE else "by her link"


def set_outcome_consent(
    trainee: Trainee, consent: bool, *, actor: UserAccount | None, now: datetime, by_link: bool = False
) -> Trainee:
    """Say whether we may ask ``trainee`` about her work after a course. Her own account, staff of her centres
    and admins change it (``can_change_outcome_consent``); with ``by_link`` (the opt-out link of an outcome
    message: whoever holds it) it may only be turned off. No waves are made for her while it is off, and no
    message or reminder of an open wave goes (``outcomes.jobs``). Writes one audit event when it changes;
    flushes, never commits."""
    if by_link:
        if consent:
            raise NotAllowed(_("The link in a message can only stop the messages."))
    elif actor is None or not can_change_outcome_consent(actor, trainee):
        raise NotAllowed(_("Only she, her centre's staff and admins can change this."))
    if trainee.outcome_consent == consent:
        return trainee
    before = {"outcome_consent": trainee.outcome_consent}
    trainee.outcome_consent = consent
    trainee.outcome_consent_changed_at = now
    db.session.flush()
    record(
        actor if not by_link else None,
        "trainee.outcome_consent",
        trainee,
        before=before,
        after={"outcome_consent": consent},
        reason="opt-out link" if by_link else "",
        centre_id=trainee.registered_centre_id,
    )
    return trainee


def set_rate(month: date, usd_pkr: Any, *, actor: UserAccount, now: datetime) -> ExchangeRate:
    """Set the rupees per dollar of ``month`` (any day of it; kept as its first day) — admins only. The rate
    must be a number from 1 to 10,000 with at most 4 decimals, for a month no later than the next one. Answers
    in dollars given since ``month`` that had no rate (none had been set) are converted at it. One audit event
    (``exchange_rate.set``); flushes, never commits."""
    if not can_set_exchange_rates(actor):
        raise NotAllowed(_("Only admins set exchange rates."))
    month = first_of_month(month)
    this_month = first_of_month(local_today(now))
    next_month = first_of_month(date(this_month.year + this_month.month // 12, this_month.month % 12 + 1, 1))
    if month > next_month:
        raise OutcomeRefused(_("Set rates for this month, the next one or months gone by."), "month")
    try:
        rate = Decimal(str(usd_pkr).strip().replace(",", ""))
    except InvalidOperation:
        raise OutcomeRefused(_("Write the rate in figures, such as 280.50."), "usd_pkr") from None
    if not rate.is_finite() or not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise OutcomeRefused(_("A rate is rupees for one dollar, from 1 to 10,000."), "usd_pkr")
    if rate.as_tuple().exponent < -4:
        raise OutcomeRefused(_("At most 4 decimals."), "usd_pkr")
    existing = db.session.get(ExchangeRate, month)
    before = {"usd_pkr": str(existing.usd_pkr)} if existing is not None else None
    if existing is None:
        existing = ExchangeRate(month=month, usd_pkr=rate, set_by_id=actor.id, set_at=now)
        db.session.add(existing)
    else:
        existing.usd_pkr, existing.set_by_id, existing.set_at = rate, actor.id, now
    db.session.flush()
    filled = convert_waiting_answers(month, rate)
    # The rate's key is its month, not an id: the event names it as YYYYMM (202612) and in ``after``.
    record_many(
        actor,
        "exchange_rate.set",
        "exchange_rate",
        [
            {
                "object_id": int(month.strftime("%Y%m")),
                "before": before,
                "after": {"month": month.isoformat(), "usd_pkr": str(rate), "answers_converted": filled},
            }
        ],
    )
    return existing


def convert_waiting_answers(month: date, rate: Decimal) -> int:
    """Convert the answers in dollars first given in ``month`` or later that have no rate yet (none was set
    when they were given). Returns how many; each change is told to the report tallies."""
    waiting = db.session.scalars(
        select(OutcomeAnswer).where(
            OutcomeAnswer.earnings_currency == Currency.USD.value,
            OutcomeAnswer.usd_pkr_rate.is_(None),
            OutcomeAnswer.answered_at >= datetime(month.year, month.month, 1, tzinfo=local_zone()),
        )
    ).all()
    for answer in waiting:
        before = answer.snapshot()
        details = AnswerDetails(
            answer.activities,
            answer.platforms,
            answer.earnings_currency,
            answer.earnings_amount,
            answer.earnings_band,
            answer.hours_per_week,
            answer.training_helped,
            answer.comment,
        )
        answer.usd_pkr_rate = rate
        answer.monthly_earnings_pkr = monthly_pkr(details, rate)
        db.session.flush()
        tallies.answer_changed(before, answer)
    return len(waiting)
