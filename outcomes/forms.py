"""Forms of the outcome pages. They carry what was ticked and typed; the rules (which choices go together,
ranges, earnings with work that pays) are ``services.answer_details``, whose refusal is shown next to its field.
Choice fields accept anything here so that the service, not WTForms, words the message."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from auth.admin_forms import strip_text
from forms import Form
from outcomes.models import (
    ACTIVITY_LABELS,
    BANDS,
    PLATFORM_LABELS,
    Currency,
    EarningsBand,
    FreelancePlatform,
    OutcomeActivity,
    OutcomeAnswer,
    flag_members,
)
from outcomes.services import COMMENT_LENGTH

ACTIVITY_CHOICES = [SelectChoice(member.name.lower(), label) for member, label in ACTIVITY_LABELS.items()]
PLATFORM_CHOICES = [SelectChoice(member.name.lower(), label) for member, label in PLATFORM_LABELS.items()]
HELPED_CHOICES = [SelectChoice(str(number), str(number)) for number in range(1, 6)]


def band_choices(currency: Currency | None) -> list[SelectChoice]:
    """The bands of one currency (``None``: "nothing yet"), for one group of the band radios."""
    if currency is None:
        return [SelectChoice(EarningsBand.NOTHING.value, EarningsBand.NOTHING.lazy_label)]
    return [
        SelectChoice(band.value, band.lazy_label)
        for band, spec in BANDS.items()
        if spec.currency is currency and band is not EarningsBand.NOTHING
    ]


# The band radios in groups: nothing yet, then each currency's bands.
BAND_GROUPS = [
    (None, [choice.value for choice in band_choices(None)]),
    (_l("In rupees"), [choice.value for choice in band_choices(Currency.PKR)]),
    (_l("In US dollars"), [choice.value for choice in band_choices(Currency.USD)]),
]


class OutcomeAnswerForm(Form):
    """The one-minute form: what she does now, and for paid work where and how much."""

    band_groups = BAND_GROUPS

    activities = SelectMultipleField(_l("What do you do now?"), choices=ACTIVITY_CHOICES, validate_choice=False)
    platforms = SelectMultipleField(
        _l("Where do you find freelance work?"), choices=PLATFORM_CHOICES, validate_choice=False
    )
    earnings_band = RadioField(
        _l("About how much do you earn a month?"),
        choices=band_choices(None) + band_choices(Currency.PKR) + band_choices(Currency.USD),
        validate_choice=False,
    )
    earnings_amount = StringField(_l("Or the exact amount a month"), filters=[strip_text])
    earnings_currency = RadioField(
        _l("Currency of the exact amount"), choices=Currency.choices(), default="PKR", validate_choice=False
    )
    hours_per_week = StringField(_l("Hours of work a week"), filters=[strip_text])
    training_helped = RadioField(
        _l("Did the training help? 1 = not at all, 5 = a lot"), choices=HELPED_CHOICES, validate_choice=False
    )
    comment = TextAreaField(
        _l("Anything else you want to tell us? (optional)"),
        filters=[strip_text],
        validators=[Length(max=COMMENT_LENGTH)],
        render_kw={"rows": 3},
    )

    def answer_data(self) -> dict:
        """What the service checks (``services.answer_details``)."""
        return {name: self[name].data for name in self.ANSWER_FIELDS}

    ANSWER_FIELDS = (
        "activities",
        "platforms",
        "earnings_band",
        "earnings_amount",
        "earnings_currency",
        "hours_per_week",
        "training_helped",
        "comment",
    )

    def fill_from(self, answer: OutcomeAnswer) -> None:
        """Show a saved answer, to correct it."""
        self.activities.data = [member.name.lower() for member in flag_members(OutcomeActivity, answer.activities)]
        self.platforms.data = [member.name.lower() for member in flag_members(FreelancePlatform, answer.platforms)]
        self.earnings_band.data = answer.earnings_band.value if answer.earnings_band else None
        self.earnings_amount.data = f"{answer.earnings_amount:f}".removesuffix(".00") if answer.earnings_amount else ""
        if answer.earnings_amount is not None and answer.earnings_amount == 0:
            self.earnings_amount.data = "0"
        self.earnings_currency.data = answer.earnings_currency or "PKR"
        self.hours_per_week.data = "" if answer.hours_per_week is None else str(answer.hours_per_week)
        self.training_helped.data = None if answer.training_helped is None else str(answer.training_helped)
        self.comment.data = answer.comment


class OptOutForm(Form):
    """The button that stops outcome messages (no fields but the CSRF token)."""


class ConsentForm(Form):
    """Her choice on her profile (or staff's on her record): may we ask, after a course, what work she does?"""

    outcome_consent = RadioField(
        _l("Messages about your work after a course"),
        choices=[SelectChoice("yes", _l("Yes, you may ask me")), SelectChoice("no", _l("No, do not ask me"))],
        validators=[InputRequired(_l("Choose yes or no."))],
    )


class RateForm(Form):
    """An admin sets a month's rupees per dollar."""

    month = DateField(_l("Month (any day of it)"), validators=[InputRequired(_l("Choose the month."))])
    usd_pkr = StringField(_l("Rupees for one US dollar"), filters=[strip_text], validators=[InputRequired()])

    def month_value(self) -> date:
        return self.month.data
