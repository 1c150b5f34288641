"""Graduates with outcome waves and answers for the outcomes report's tests, written as the outcomes services
write them: a wave counted in the tallies when it is made (``outcomes.tallies.wave_created``), an answer when it
is given or corrected (``answer_changed``)."""

from datetime import UTC, date, datetime
from decimal import Decimal

from enrollments.counters import recount
from extensions import db
from outcomes.models import OutcomeActivity, OutcomeAnswer, OutcomeChannel, OutcomeWave
from outcomes.tallies import answer_changed, wave_created
from vocabulary import EnrollmentStatus

A = OutcomeActivity
FREELANCING, EMPLOYED, LOOKING = int(A.FREELANCING), int(A.EMPLOYED), int(A.LOOKING_FOR_WORK)
MOMENT = datetime(2031, 1, 1, 9, tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


def make_wave(trainee, cohort, enrollment, months: int = 3) -> OutcomeWave:
    """The wave of ``months`` for a completed place, as the sending job makes it (facts copied, tallied)."""
    centre = cohort.centre
    due_on = add_months(cohort.ends_on, months)
    wave = OutcomeWave(
        enrollment_id=enrollment.id,
        trainee_id=trainee.id,
        months=months,
        due_on=due_on,
        closes_on=add_months(due_on, 3),
        sent_at=MOMENT,
        cohort_id=cohort.id,
        centre_id=centre.id,
        course_id=cohort.course_id,
        track=cohort.course.track,
        gender=trainee.gender,
        area=trainee.area,
        district_id=centre.district_id,
        province_id=centre.district.province_id,
        partner_type=centre.partner_type,
        cohort_ends_on=cohort.ends_on,
    )
    db.session.add(wave)
    db.session.flush()
    wave_created(wave)
    return wave


def graduate(make_trainee, make_enrollment, cohort, *, months=(3,), **trainee_fields) -> list[OutcomeWave]:
    """A trainee who completed ``cohort``, with her waves of ``months`` made."""
    trainee = make_trainee(**trainee_fields)
    enrollment = make_enrollment(trainee, cohort, status=EnrollmentStatus.COMPLETED)
    waves = [make_wave(trainee, cohort, enrollment, wave) for wave in months]
    recount(fix=True)  # make_enrollment writes the place directly: the cohort's counters follow it here
    db.session.commit()
    return waves


def answer(wave: OutcomeWave, activities: int, pkr: float | int | None = None) -> OutcomeAnswer:
    """Her answer to ``wave``: ``activities`` and monthly earnings in PKR (None: not stated), created or corrected
    in place, with the tallies moved as ``save_answer`` moves them."""
    current = db.session.query(OutcomeAnswer).filter_by(wave_id=wave.id).one_or_none()
    before = current.snapshot() if current is not None else None
    if current is None:
        current = OutcomeAnswer(wave=wave, channel=OutcomeChannel.WEB, answered_at=MOMENT, updated_at=MOMENT)
        db.session.add(current)
    current.activities = activities
    working = bool(activities & (FREELANCING | EMPLOYED | int(A.OWN_BUSINESS)))
    current.platforms = 1 if activities & FREELANCING else 0
    amount = None if pkr is None else Decimal(str(pkr)).quantize(Decimal("0.01"))
    current.earnings_currency = "PKR" if amount is not None and working else None
    current.earnings_amount = amount
    current.monthly_earnings_pkr = amount
    db.session.flush()
    answer_changed(before, current)
    db.session.commit()
    return current
