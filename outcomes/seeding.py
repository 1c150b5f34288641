"""Outcomes in the demo data set (``flask seed demo``): exchange rates for the last twelve months, the waves the
timer would have made by now for the demo's graduates, answers to most of them (online, and some taken by phone
by the demo caller), one graduate who said no to the messages, and unanswered waves reminded a week ago, so that
the calls due list has people in it. Synthetic: the figures are drawn from a fixed random generator."""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from auth.models import UserAccount
from database import utcnow
from extensions import db
from outcomes import jobs
from outcomes.models import EarningsBand, ExchangeRate, OutcomeChannel, OutcomeWave
from outcomes.services import save_answer, set_outcome_consent
from vocabulary import Role, Track

RANDOM_SEED = 18
# Rupees per dollar, month by month back from this one (roughly the 2025-26 interbank rate).
RATES = ("281.20", "280.90", "281.60", "282.10", "281.80", "280.40", "279.90", "278.60", "278.20", "279.10",
         "280.30", "281.00")  # fmt: skip
# The tracks whose graduates freelance most, in the demo's answers.
FREELANCE_TRACKS = (Track.SOFTWARE_DEVELOPMENT, Track.GRAPHIC_DESIGN, Track.DIGITAL_MARKETING, Track.CONTENT_CREATION)


def seed_outcomes(now: datetime | None = None) -> int:
    """Add the demo's outcomes once (nothing when any wave exists). Returns the number of answers added.
    Flushes; the caller commits."""
    now = now or utcnow()
    if db.session.scalar(select(func.count(OutcomeWave.id))):
        return 0
    admin = db.session.scalar(select(UserAccount).where(UserAccount.role == Role.ADMIN).limit(1))
    caller = db.session.scalar(select(UserAccount).where(UserAccount.email == "caller@markaz.test"))
    month = now.date().replace(day=1)
    for rate in RATES:
        if db.session.get(ExchangeRate, month) is None:
            db.session.add(ExchangeRate(month=month, usd_pkr=Decimal(rate), set_by=admin, set_at=now))
        month = (month - timedelta(days=1)).replace(day=1)
    db.session.flush()

    jobs.send_due_waves(now, commit=False)
    waves = list(db.session.scalars(select(OutcomeWave).order_by(OutcomeWave.id)))
    rng = random.Random(RANDOM_SEED)
    answered = 0
    for index, wave in enumerate(waves):
        # The timer sent each wave on its due day, and reminded a week later those who had not answered.
        wave.sent_at = max(moment(wave.due_on), now - timedelta(days=60))
        if index == 0:  # a graduate who said no: her wave stays unanswered, and nobody calls her
            set_outcome_consent(wave.trainee, False, actor=None, now=now, by_link=True)
            continue
        draw = rng.random()
        if not wave.trainee.outcome_consent:
            continue
        if draw < 0.55:
            save_answer(wave, demo_answer(wave, rng), actor=None, channel=OutcomeChannel.WEB, now=now)
            answered += 1
        elif draw < 0.70 and caller is not None and wave.province_id == caller.province_id:
            save_answer(wave, demo_answer(wave, rng), actor=caller, channel=OutcomeChannel.PHONE, now=now)
            answered += 1
        if wave.answer is None and wave.sent_at <= now - timedelta(days=7):
            wave.reminded_at = wave.sent_at + timedelta(days=7)
    db.session.flush()
    return answered


def moment(day: date) -> datetime:
    return datetime.combine(day, time(5), tzinfo=UTC)  # 10:00 in Pakistan


def demo_answer(wave: OutcomeWave, rng: random.Random) -> dict:
    """A plausible answer for the demo: graduates of the freelance-heavy tracks freelance more often, and earn
    more the longer since the course."""
    freelances = rng.random() < (0.55 if wave.track in FREELANCE_TRACKS else 0.3)
    activities = []
    if freelances:
        activities.append("freelancing")
    if rng.random() < 0.3:
        activities.append("employed")
    if rng.random() < 0.1:
        activities.append("own_business")
    if rng.random() < 0.2:
        activities.append("studying")
    if not activities:
        activities = ["looking_for_work"] if rng.random() < 0.6 else ["not_working"]
    answer = {
        "activities": activities,
        "training_helped": str(rng.choice([3, 4, 4, 5, 5])),
        "comment": "",
    }
    if freelances:
        answer["platforms"] = rng.sample(
            ["fiverr", "upwork", "freelancer", "local_clients", "other"], rng.randint(1, 2)
        )
    if {"freelancing", "employed", "own_business"} & set(activities):
        answer["hours_per_week"] = str(rng.choice([10, 20, 25, 30, 40, 48]))
        if freelances and rng.random() < 0.4:  # in dollars, as platforms pay
            answer["earnings_band"] = rng.choice(
                [EarningsBand.USD_UNDER_100, EarningsBand.USD_100_300, EarningsBand.USD_300_700]
                + [EarningsBand.USD_700_1500] * (wave.months // 6)
            ).value
        elif rng.random() < 0.5:
            answer["earnings_amount"] = str(rng.choice([15000, 25000, 35000, 45000, 60000, 80000]) * wave.months // 3)
            answer["earnings_currency"] = "PKR"
        else:
            answer["earnings_band"] = rng.choice(
                [EarningsBand.NOTHING, EarningsBand.PKR_UNDER_20K, EarningsBand.PKR_20K_50K, EarningsBand.PKR_50K_100K]
            ).value
    return answer
