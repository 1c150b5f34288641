"""What graduates do afterwards (DESIGN.md, "Outcomes"): a wave per completed place and follow-up (3, 6, 12
months after the cohort ends), at most one answer per wave, and the monthly USD→PKR rates answers in dollars
are converted at.

Answers keep what she said (activities, platforms, an exact figure or a band, its currency) and the one figure
reports use, ``OutcomeAnswer.monthly_earnings_pkr``, computed when the answer is saved (``services``)."""

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import LABELS, Area, Choice, Gender, PartnerType, Track

if TYPE_CHECKING:
    from auth.models import UserAccount
    from enrollments.models import Enrollment, Trainee


# What a trainee is told when asked for her consent (sign-up, walk-in desk, her profile), and the box she ticks
# (ticked unless she says no).
CONSENT_SENTENCE = _l(
    "We will ask you by SMS, 3, 6 and 12 months after your course, what work you do now. You can say no."
)
CONSENT_LABEL = _l("Yes, you may ask me about my work after the course")


class OutcomeActivity(enum.IntFlag):
    """What she does now; several at once (a bitmask in ``OutcomeAnswer.activities``), except ``NOT_WORKING``,
    which is alone or not at all."""

    FREELANCING = 1
    EMPLOYED = 2
    OWN_BUSINESS = 4
    STUDYING = 8
    LOOKING_FOR_WORK = 16
    NOT_WORKING = 32


# The activities that earn: earnings are asked (and 0 means "working, earning nothing yet") only with one of them.
WORKING = OutcomeActivity.FREELANCING | OutcomeActivity.EMPLOYED | OutcomeActivity.OWN_BUSINESS

ACTIVITY_LABELS = {
    OutcomeActivity.FREELANCING: _l("Freelancing"),
    OutcomeActivity.EMPLOYED: _l("Employed (a job)"),
    OutcomeActivity.OWN_BUSINESS: _l("My own business"),
    OutcomeActivity.STUDYING: _l("Studying"),
    OutcomeActivity.LOOKING_FOR_WORK: _l("Looking for work"),
    OutcomeActivity.NOT_WORKING: _l("Not working"),
}


class FreelancePlatform(enum.IntFlag):
    """Where she freelances (a bitmask in ``OutcomeAnswer.platforms``; 0 unless she freelances)."""

    UPWORK = 1
    FIVERR = 2
    FREELANCER = 4
    LOCAL_CLIENTS = 8
    OTHER = 16


PLATFORM_LABELS = {
    FreelancePlatform.UPWORK: _l("Upwork"),
    FreelancePlatform.FIVERR: _l("Fiverr"),
    FreelancePlatform.FREELANCER: _l("Freelancer.com"),
    FreelancePlatform.LOCAL_CLIENTS: _l("Local clients"),
    FreelancePlatform.OTHER: _l("Other"),
}


def flag_members(flag_class: type[enum.IntFlag], value: int) -> list[enum.IntFlag]:
    """The members set in ``value``, in declaration order."""
    return [member for member in flag_class if value & member]


class Currency(Choice):
    PKR = "PKR"
    USD = "USD"


class OutcomeChannel(Choice):
    """How an answer came: she filled in the form from her link (``web``), or a caller or her centre's staff
    took it by phone (``phone``)."""

    WEB = "web"
    PHONE = "phone"


class EarningsBand(Choice):
    """Monthly earnings in bands, per currency (``BANDS``): for someone who would rather not give a figure."""

    NOTHING = "nothing"
    PKR_UNDER_20K = "pkr_under_20k"
    PKR_20K_50K = "pkr_20k_50k"
    PKR_50K_100K = "pkr_50k_100k"
    PKR_100K_200K = "pkr_100k_200k"
    PKR_200K_PLUS = "pkr_200k_plus"
    USD_UNDER_100 = "usd_under_100"
    USD_100_300 = "usd_100_300"
    USD_300_700 = "usd_300_700"
    USD_700_1500 = "usd_700_1500"
    USD_1500_PLUS = "usd_1500_plus"


@dataclass(frozen=True)
class Band:
    """One band: its currency, and its bounds per month (``upper`` None: open at the top)."""

    currency: Currency
    lower: Decimal
    upper: Decimal | None

    @property
    def figure(self) -> Decimal:
        """The figure reports count for an answer in this band, in its currency: the midpoint of its bounds; for
        the open top band its lower bound (we do not guess how far above it she is)."""
        return self.lower if self.upper is None else (self.lower + self.upper) / 2


BANDS: dict[EarningsBand, Band] = {
    # "Nothing yet" counts 0 in any currency; stored as rupees.
    EarningsBand.NOTHING: Band(Currency.PKR, Decimal(0), Decimal(0)),
    EarningsBand.PKR_UNDER_20K: Band(Currency.PKR, Decimal(1), Decimal(20_000)),
    EarningsBand.PKR_20K_50K: Band(Currency.PKR, Decimal(20_000), Decimal(50_000)),
    EarningsBand.PKR_50K_100K: Band(Currency.PKR, Decimal(50_000), Decimal(100_000)),
    EarningsBand.PKR_100K_200K: Band(Currency.PKR, Decimal(100_000), Decimal(200_000)),
    EarningsBand.PKR_200K_PLUS: Band(Currency.PKR, Decimal(200_000), None),
    EarningsBand.USD_UNDER_100: Band(Currency.USD, Decimal(1), Decimal(100)),
    EarningsBand.USD_100_300: Band(Currency.USD, Decimal(100), Decimal(300)),
    EarningsBand.USD_300_700: Band(Currency.USD, Decimal(300), Decimal(700)),
    EarningsBand.USD_700_1500: Band(Currency.USD, Decimal(700), Decimal(1500)),
    EarningsBand.USD_1500_PLUS: Band(Currency.USD, Decimal(1500), None),
}

LABELS[Currency] = {Currency.PKR: _l("Rupees (PKR)"), Currency.USD: _l("US dollars (USD)")}
LABELS[OutcomeChannel] = {OutcomeChannel.WEB: _l("Online form"), OutcomeChannel.PHONE: _l("By phone")}
LABELS[EarningsBand] = {
    EarningsBand.NOTHING: _l("Nothing yet"),
    EarningsBand.PKR_UNDER_20K: _l("Under Rs 20,000"),
    EarningsBand.PKR_20K_50K: _l("Rs 20,000 to 50,000"),
    EarningsBand.PKR_50K_100K: _l("Rs 50,000 to 100,000"),
    EarningsBand.PKR_100K_200K: _l("Rs 100,000 to 200,000"),
    EarningsBand.PKR_200K_PLUS: _l("Over Rs 200,000"),
    EarningsBand.USD_UNDER_100: _l("Under $100"),
    EarningsBand.USD_100_300: _l("$100 to 300"),
    EarningsBand.USD_300_700: _l("$300 to 700"),
    EarningsBand.USD_700_1500: _l("$700 to 1,500"),
    EarningsBand.USD_1500_PLUS: _l("Over $1,500"),
}


class OutcomeWave(db.Model):
    """One follow-up of one completed place: due ``months`` after her cohort ends (``due_on``), open until the
    next wave is due (``closes_on``; the last wave stays open 3 months). Made by ``flask outcomes send`` when it
    falls due, with the message (``sent_at``) and, after ``MARKAZ_OUTCOME_REMINDER_DAYS`` without an answer,
    one reminder (``reminded_at``).

    The facts reports group by (course, centre, track, her gender and area, the centre's district, province
    and partner type, the cohort's end) are copied here when the wave is made and never change, so that a
    report reads this table and the answers alone, and a later edit of her record does not move old answers
    between groups. ``district_id``/``province_id`` are the centre's (where she trained)."""

    __tablename__ = "outcome_wave"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "months"),
        CheckConstraint("months IN (3, 6, 12)", name="months_known"),
        CheckConstraint("due_on < closes_on", name="closes_after_due"),
        # The waves still waiting for a reminder or a call, oldest due first (``jobs``, ``calls``).
        Index("ix_outcome_wave_closes_on_due_on", "closes_on", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"))
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    months: Mapped[int] = mapped_column(SmallInteger)
    due_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Denormalised for reports: set when the wave is made, never changed.
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    track: Mapped[Track] = mapped_column(enum_type(Track, "track"))
    gender: Mapped[Gender] = mapped_column(enum_type(Gender, "gender"))
    area: Mapped[Area] = mapped_column(enum_type(Area, "area"))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    partner_type: Mapped[PartnerType] = mapped_column(enum_type(PartnerType, "partner_type"))
    cohort_ends_on: Mapped[date] = mapped_column(Date)

    enrollment: Mapped["Enrollment"] = relationship()
    trainee: Mapped["Trainee"] = relationship()
    answer: Mapped["OutcomeAnswer | None"] = relationship(back_populates="wave", uselist=False)

    def is_open(self, today: date) -> bool:
        """Whether answers may be given or corrected on ``today`` (the date in Pakistan)."""
        return self.due_on <= today < self.closes_on

    def __repr__(self) -> str:
        return f"<OutcomeWave {self.id} {self.months}m of enrollment {self.enrollment_id}>"


class OutcomeAnswer(db.Model):
    """Her answer to one wave (at most one; corrected in place until the wave closes).

    ``monthly_earnings_pkr`` is THE figure reports use: the exact amount, or the band's figure
    (``Band.figure``: midpoint, the lower bound for the open top band), in rupees — times ``usd_pkr_rate``
    when she answered in dollars (the rate of the answer's month, or of the latest earlier month with a rate).
    0 when she is working but earns nothing yet; NULL when she gave no earnings (or answered in dollars
    before any rate was set: filled in when an admin sets one, ``services.set_rate``)."""

    __tablename__ = "outcome_answer"
    __table_args__ = (
        CheckConstraint("activities > 0 AND activities < 64", name="activities_known"),
        CheckConstraint("platforms >= 0 AND platforms < 32", name="platforms_known"),
        CheckConstraint("earnings_currency IS NULL OR earnings_currency IN ('PKR', 'USD')", name="currency_known"),
        CheckConstraint("earnings_amount IS NULL OR earnings_amount >= 0", name="amount_not_negative"),
        CheckConstraint("earnings_amount IS NULL OR earnings_band IS NULL", name="amount_or_band"),
        CheckConstraint("hours_per_week IS NULL OR (hours_per_week >= 0 AND hours_per_week <= 100)", name="hours"),
        CheckConstraint("training_helped IS NULL OR (training_helped >= 1 AND training_helped <= 5)", name="helped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("outcome_wave.id"), unique=True)
    activities: Mapped[int] = mapped_column(Integer)
    platforms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    earnings_currency: Mapped[str | None] = mapped_column(String(3))
    earnings_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    earnings_band: Mapped[EarningsBand | None] = mapped_column(enum_type(EarningsBand, "earnings_band"))
    usd_pkr_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    monthly_earnings_pkr: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    hours_per_week: Mapped[int | None] = mapped_column(SmallInteger)
    training_helped: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    channel: Mapped[OutcomeChannel] = mapped_column(enum_type(OutcomeChannel, "channel"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    wave: Mapped[OutcomeWave] = relationship(back_populates="answer")
    entered_by: Mapped["UserAccount | None"] = relationship()

    SNAPSHOT_FIELDS = (
        "activities",
        "platforms",
        "earnings_currency",
        "earnings_amount",
        "earnings_band",
        "usd_pkr_rate",
        "monthly_earnings_pkr",
        "hours_per_week",
        "training_helped",
        "comment",
        "channel",
        "entered_by_id",
    )

    def snapshot(self) -> dict[str, Any]:
        """Its stored values (``SNAPSHOT_FIELDS``) as they are now: ``before`` for the tallies and the audit."""
        return {name: getattr(self, name) for name in self.SNAPSHOT_FIELDS}

    def __repr__(self) -> str:
        return f"<OutcomeAnswer {self.id} of wave {self.wave_id}>"


class ExchangeRate(db.Model):
    """Rupees per US dollar for one month (``month`` is its first day), set by an admin: answers in dollars
    given in that month are converted at it (a month without a rate uses the latest earlier month's)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (CheckConstraint("usd_pkr > 0", name="rate_positive"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    usd_pkr: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    set_by: Mapped["UserAccount | None"] = relationship()

    def __repr__(self) -> str:
        return f"<ExchangeRate {self.month:%Y-%m} {self.usd_pkr}>"
