"""What each figure of the outcomes report means: one definition per figure, read by the outcomes page ("How each
figure is worked out", in the reader's language), by the API's description of ``GET /reports/outcomes`` and by the
downloads (in English, like the data). The numbers come from ``oversight.queries.outcomes``; the words here say
what they are, with the sample each rests on (``sample``: the figure holding that sample size)."""

from dataclasses import dataclass

from forms import N_
from outcomes.tallies import RATIO, TOP
from oversight.queries.outcomes import SUPPRESS_BELOW


@dataclass(frozen=True)
class OutcomeFigure:
    """One column: ``key`` is the row's attribute and the API's field; ``kind`` says how it is printed (count,
    share from 0 to 1, pkr, points: a difference of two shares, relative: a ratio − 1); ``sample`` the figure
    giving its sample size (None: it is one)."""

    key: str
    heading: str
    definition: str
    kind: str = "count"
    sample: str | None = None


OUTCOME_FIGURES: tuple[OutcomeFigure, ...] = (
    OutcomeFigure(
        "waves",
        N_("Graduates asked"),
        N_(
            "Graduates whose follow-up for this wave has fallen due (3, 6 or 12 months after their cohort ended), one "
            "per completed place, whether or not she answered; graduates who said no to being asked are not counted."
        ),
    ),
    OutcomeFigure(
        "answers",
        N_("Answers"),
        N_("Graduates who answered this wave, online or by phone (a corrected answer counts once, as corrected)."),
    ),
    OutcomeFigure(
        "response_rate",
        N_("Response rate"),
        N_("Answers ÷ graduates asked."),
        kind="share",
        sample="waves",
    ),
    OutcomeFigure(
        "share_working",
        N_("Working"),
        N_("Answers saying she freelances, is employed or runs her own business ÷ answers."),
        kind="share",
        sample="answers",
    ),
    OutcomeFigure(
        "share_freelancing",
        N_("Freelancing"),
        N_("Answers saying she freelances (with or without other work) ÷ answers."),
        kind="share",
        sample="answers",
    ),
    OutcomeFigure(
        "share_earning",
        N_("Earning"),
        N_(
            "Answers reporting monthly earnings above PKR 0 ÷ answers (an answer that leaves earnings out counts "
            "as not earning)."
        ),
        kind="share",
        sample="answers",
    ),
    OutcomeFigure(
        "earners",
        N_("Earners"),
        N_("Answers reporting monthly earnings above PKR 0: the sample of the earnings quartiles."),
    ),
    OutcomeFigure(
        "earnings_q1",
        N_("Monthly earnings, lower quartile (PKR)"),
        N_("A quarter of the earners report less than this a month."),
        kind="pkr",
        sample="earners",
    ),
    OutcomeFigure(
        "earnings_median",
        N_("Monthly earnings, median (PKR)"),
        N_("Half of the earners report less than this a month, half more (earners only: PKR 0 is left out)."),
        kind="pkr",
        sample="earners",
    ),
    OutcomeFigure(
        "earnings_q3",
        N_("Monthly earnings, upper quartile (PKR)"),
        N_("Three quarters of the earners report less than this a month."),
        kind="pkr",
        sample="earners",
    ),
    OutcomeFigure(
        "reported_monthly_pkr",
        N_("Reported earnings in total (PKR a month)"),
        N_(
            "The sum of the monthly earnings the answers report (PKR 0 included): what those who answered earn, "
            "not an estimate for those who did not."
        ),
        kind="pkr",
        sample="answers",
    ),
    OutcomeFigure("women_answers", N_("Answers from women"), N_("Answers from women graduates.")),
    OutcomeFigure("men_answers", N_("Answers from men"), N_("Answers from men graduates.")),
    OutcomeFigure(
        "women_gap_earning",
        N_("Women's gap in earning (points)"),
        N_("Women's share earning − men's share earning, in percentage points (negative: fewer women earn)."),
        kind="points",
        sample="women_answers",
    ),
    OutcomeFigure(
        "women_gap_median",
        N_("Women's gap in median earnings"),
        N_("Women earners' median ÷ men earners' median − 1 (−0.2: women's median is a fifth lower than men's)."),
        kind="relative",
        sample="women_answers",
    ),
    OutcomeFigure("rural_answers", N_("Answers from rural graduates"), N_("Answers from graduates in rural areas.")),
    OutcomeFigure("urban_answers", N_("Answers from urban graduates"), N_("Answers from graduates in urban areas.")),
    OutcomeFigure(
        "rural_gap_earning",
        N_("Rural gap in earning (points)"),
        N_(
            "Rural graduates' share earning − urban graduates' share earning, in percentage points (semi-urban "
            "graduates are on neither side)."
        ),
        kind="points",
        sample="rural_answers",
    ),
    OutcomeFigure(
        "rural_gap_median",
        N_("Rural gap in median earnings"),
        N_("Rural earners' median ÷ urban earners' median − 1."),
        kind="relative",
        sample="rural_answers",
    ),
)
OUTCOME_FIGURE_KEYS = tuple(figure.key for figure in OUTCOME_FIGURES)

# Said once above the figures, on the page, in the API description and under the downloads.
EARNINGS_RULE = N_(
    "Monthly earnings in PKR: the exact figure she gave, or the middle of the band she chose (the open top band: "
    "its lower bound); answers in US dollars are converted at the stored rate of the answer's month (or the latest "
    "earlier month with a rate). Quartiles and medians are read from a histogram of buckets each 10%% wider than "
    "the one before: between PKR 1,000 and PKR %(top)s they are within 10%% of the exact figure; above it the "
    "figure shows that bound."
)
SUPPRESSION_RULE = N_(
    "A figure resting on fewer than %(minimum)s answers (or, for earnings, fewer than %(minimum)s earners) is not "
    "shown (“fewer than %(minimum)s”): too few to be reliable, and too few to keep a graduate's answer private. A "
    "gap is not shown when either side is not."
)
RESPONSE_RULE = N_(
    "Every figure describes the graduates who answered, never those who did not: graduates who answer may differ "
    "from those who do not (earners answer more readily), so read each figure with its response rate."
)


def rule_texts(gettext=lambda text: text) -> list[str]:
    """The three rules above, filled in (``gettext``: the reader's language on pages, English elsewhere)."""
    return [
        gettext(EARNINGS_RULE) % {"top": f"{round(TOP):,}"},
        gettext(SUPPRESSION_RULE) % {"minimum": SUPPRESS_BELOW},
        gettext(RESPONSE_RULE),
    ]


def outcome_definitions_for_api() -> str:
    """The definitions as the API's description gives them (English, Markdown)."""
    return "\n".join(
        [
            *rule_texts(),
            "",
            "Shares are numbers from 0 to 1; gaps in points are differences of two shares (−0.05: five points "
            "fewer); relative gaps are ratios − 1; amounts are whole PKR. A suppressed figure is null.",
            "",
            *(f"- `{figure.key}`: {figure.definition}" for figure in OUTCOME_FIGURES),
        ]
    )


def outcome_definition_rows() -> list[list[str]]:
    """The definitions as rows under a downloaded table."""
    return [
        ["How each figure is worked out", ""],
        *([name, text] for name, text in zip(("Earnings", "Suppression", "Who answered"), rule_texts(), strict=True)),
        *([figure.heading, figure.definition] for figure in OUTCOME_FIGURES),
    ]


__all__ = ["OUTCOME_FIGURES", "OUTCOME_FIGURE_KEYS", "RATIO", "OutcomeFigure", "outcome_definitions_for_api"]
