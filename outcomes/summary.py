"""An answer as sentences a person reads back (the thank-you page, the call page): what she said, in the
reader's language."""

from flask_babel import format_decimal
from flask_babel import gettext as _

from outcomes.models import (
    ACTIVITY_LABELS,
    PLATFORM_LABELS,
    FreelancePlatform,
    OutcomeActivity,
    OutcomeAnswer,
    flag_members,
)


def answer_summary(answer: OutcomeAnswer) -> list[tuple[str, str]]:
    """(question, what she answered) pairs, for the questions she answered."""
    rows = [
        (
            _("What you do now"),
            ", ".join(str(ACTIVITY_LABELS[member]) for member in flag_members(OutcomeActivity, answer.activities)),
        )
    ]
    if answer.platforms:
        platforms = flag_members(FreelancePlatform, answer.platforms)
        rows.append((_("Where you freelance"), ", ".join(str(PLATFORM_LABELS[member]) for member in platforms)))
    if answer.earnings_band is not None:
        rows.append((_("Earnings a month"), answer.earnings_band.label))
    elif answer.earnings_amount is not None:
        rows.append((_("Earnings a month"), f"{format_decimal(answer.earnings_amount)} {answer.earnings_currency}"))
    if answer.hours_per_week is not None:
        rows.append((_("Hours a week"), format_decimal(answer.hours_per_week)))
    if answer.training_helped is not None:
        rows.append((_("Did the training help (1 to 5)"), format_decimal(answer.training_helped)))
    if answer.comment:
        rows.append((_("Your comment"), answer.comment))
    return rows
