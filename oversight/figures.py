"""What each figure of the capacity report means: one definition per figure, read by the audit pages ("How each
figure is worked out", in the reader's language), by the API's description of ``GET /reports/capacity`` and by
the downloads (a heading per column and the definitions under the table, in English, like the data).

The texts are marked with ``N_`` and translated where a page shows them (``gettext(figure.definition)``).
The numbers come from ``oversight.queries.capacity`` (sums of the cohort counters); the words here say what
those sums are. Places and people: a *place* is one enrollment (a person with two places counts twice); a
*person* is counted once, in the cohort of her first application (applicants) or of her first place
(trainees reached), so that people add up across groups like places do.

Cohort stages: *filling* (open or closed: still taking applications or about to start), *running*,
*finished*; cancelled cohorts are shown apart. Every figure counts the cohorts the filters select (the period
is the day a cohort starts).

The selection figures (issue 16: reserved seats, seat offers, how fast cohorts fill) are a section of their
own (``SELECTION``): the pages show them in a table of their own; the API and the downloads list them after
the others.
"""

from dataclasses import dataclass

from forms import N_


@dataclass(frozen=True)
class Figure:
    """One column of the report: ``key`` is the row's attribute and the API's field; ``heading`` and
    ``definition`` are English (marked for translation); ``share`` figures are ratios from 0 to 1 (null
    when their denominator is 0), ``days`` figures numbers of days to one decimal (null when there is
    nothing to average), the others whole numbers. ``section``: the table the pages show it in."""

    key: str
    heading: str
    definition: str
    share: bool = False
    days: bool = False
    section: str = "capacity"


CAPACITY, SELECTION = "capacity", "selection"


def selection(key: str, heading: str, definition: str, *, share: bool = False, days: bool = False) -> Figure:
    return Figure(key, heading, definition, share=share, days=days, section=SELECTION)


FIGURES: tuple[Figure, ...] = (
    Figure("cohorts", N_("Cohorts"), N_("Cohorts open, closed, running or finished (drafts and cancelled apart).")),
    Figure("seats", N_("Seats"), N_("Seats of those cohorts, at every stage.")),
    Figure(
        "seats_now",
        N_("Seats now (filling or running)"),
        N_(
            "Seats of cohorts still filling (open or closed) or running: the figure a centre's own page shows, "
            "under the same name."
        ),
    ),
    Figure(
        "applications",
        N_("Applications (places)"),
        N_("Every application ever made to those cohorts, whatever became of it (places, not people)."),
    ),
    Figure(
        "applicants",
        N_("Applicants (people)"),
        N_(
            "People whose first application was to one of these cohorts (cancelled ones included): each person "
            "once, however many times she applied."
        ),
    ),
    Figure("enrolled", N_("Enrolled now"), N_("Places held now and not yet ended (completed places are apart).")),
    Figure("waitlisted", N_("Waitlisted"), N_("Places in line now.")),
    Figure("pending", N_("Pending"), N_("Applications waiting for the centre's review.")),
    Figure(
        "utilisation",
        N_("Seats used (running + finished)"),
        N_(
            "(Enrolled + completed) ÷ seats, over running and finished cohorts only: cohorts still filling would "
            "pull it down, and their seats are not used yet."
        ),
        share=True,
    ),
    Figure(
        "utilisation_filling",
        N_("Filled so far (filling)"),
        N_("Enrolled ÷ seats in cohorts still filling (open or closed): how far this intake has come."),
        share=True,
    ),
    Figure(
        "utilisation_running",
        N_("Seats used (running)"),
        N_("(Enrolled + completed) ÷ seats in running cohorts."),
        share=True,
    ),
    Figure(
        "utilisation_finished",
        N_("Seats used (finished)"),
        N_("(Enrolled + completed) ÷ seats in finished cohorts."),
        share=True,
    ),
    Figure(
        "waitlist_pressure",
        N_("Waitlist pressure (filling)"),
        N_(
            "Waitlisted ÷ seats, over cohorts still filling (open or closed) only: lines of running and finished "
            "cohorts were closed when they started."
        ),
        share=True,
    ),
    Figure(
        "unmet_at_start",
        N_("Still waiting when the line closed"),
        N_(
            "People still waiting (in line or for review) when their cohort's line closed: at the end of its "
            "backfill window (the first days of training, 7 by default, when a freed seat still goes to the "
            "line) or when it finished, if sooner. Demand the seats did not meet, the figure to plan new seats by."
        ),
    ),
    Figure(
        "women_share",
        N_("Women (share of places)"),
        N_("Women among the enrolled and completed places."),
        share=True,
    ),
    Figure(
        "women_share_mixed",
        N_("Women in mixed cohorts (share of places)"),
        N_("Women among the enrolled and completed places of cohorts open to everyone (not women-only)."),
        share=True,
    ),
    Figure("men_share", N_("Men (share of places)"), N_("Men among the enrolled and completed places."), share=True),
    Figure(
        "transgender_share",
        N_("Transgender (share of places)"),
        N_("Transgender trainees among the enrolled and completed places (the three genders add up to all places)."),
        share=True,
    ),
    Figure(
        "rural_share",
        N_("Rural (share of places)"),
        N_("Trainees living in rural areas among the enrolled and completed places."),
        share=True,
    ),
    Figure(
        "reached",
        N_("Trainees reached (people)"),
        N_("People whose first place (enrolled, whatever came after) was in one of these cohorts: each person once."),
    ),
    Figure(
        "women_share_people",
        N_("Women (share of people reached)"),
        N_("Women among the trainees reached (people, not places)."),
        share=True,
    ),
    Figure(
        "rural_share_people",
        N_("Rural (share of people reached)"),
        N_("Trainees living in rural areas among the trainees reached (people, not places)."),
        share=True,
    ),
    Figure("camp_seats", N_("Camp seats"), N_("Seats of training camps, women-only or not.")),
    Figure("camp_fill", N_("Camp fill"), N_("(Enrolled + completed) ÷ seats of training camps."), share=True),
    Figure(
        "women_only_seats",
        N_("Women-only seats"),
        N_("Seats of women-only cohorts, camps and regular cohorts alike."),
    ),
    Figure(
        "women_only_fill",
        N_("Women-only fill"),
        N_("(Enrolled + completed) ÷ seats of women-only cohorts."),
        share=True,
    ),
    Figure("completed", N_("Completed"), N_("Places completed, in every cohort (a later cancellation keeps them).")),
    Figure(
        "completion_rate",
        N_("Completion"),
        N_(
            "In finished cohorts: completed ÷ places that started training (held when the cohort started). "
            "Completion, not completed, dropout and outcome missing add up to all of those places."
        ),
        share=True,
    ),
    Figure(
        "not_completed_rate",
        N_("Not completed"),
        N_(
            "In finished cohorts: places that did not meet the rule when the cohort finished (attendance below the "
            "course's threshold, or a mark below its pass mark) ÷ places that started training."
        ),
        share=True,
    ),
    Figure(
        "dropout_rate",
        N_("Dropout"),
        N_(
            "In finished cohorts: places that started training and ended before the end (dropped by staff or "
            "withdrawn by the trainee) ÷ places that started training."
        ),
        share=True,
    ),
    Figure(
        "outcome_missing_rate",
        N_("Outcome missing"),
        N_(
            "In finished cohorts: places still open (neither completed nor ended) ÷ places that started training. "
            "Staff resolve them; until then the row is flagged."
        ),
        share=True,
    ),
    Figure("cancelled_cohorts", N_("Cancelled cohorts"), N_("Cohorts cancelled, apart from every figure above.")),
    Figure(
        "cancelled_applications",
        N_("Applications to cancelled cohorts"),
        N_("Every application made to the cancelled cohorts: demand the programme did not serve."),
    ),
    selection(
        "reserved_seats",
        N_("Reserved seats"),
        N_(
            "Seats kept for a category (women, rural applicants, residents of the centre's district, persons with "
            "disability) until the release, in cohorts open, closed, running or finished."
        ),
    ),
    selection(
        "reserved_filled",
        N_("Reserved seats filled"),
        N_(
            "Reserved seats held by someone who qualified for them ÷ reserved seats, every category together. "
            "Held means enrolled or offered: now, until the release; as they were at the release, once released "
            "(then the seats left become open seats, and later changes do not rewrite this figure)."
        ),
        share=True,
    ),
    selection("reserved_women", N_("Reserved for women"), N_("Seats reserved for women.")),
    selection(
        "women_reserved_filled",
        N_("Women's seats filled"),
        N_("Seats reserved for women held by women ÷ seats reserved for women (held as for reserved seats filled)."),
        share=True,
    ),
    selection("reserved_rural", N_("Reserved for rural applicants"), N_("Seats reserved for rural applicants.")),
    selection(
        "rural_reserved_filled",
        N_("Rural seats filled"),
        N_("Seats reserved for rural applicants held by rural applicants ÷ seats reserved for them."),
        share=True,
    ),
    selection(
        "reserved_district",
        N_("Reserved for the district's residents"),
        N_("Seats reserved for residents of the centre's district."),
    ),
    selection(
        "district_reserved_filled",
        N_("District seats filled"),
        N_("Seats reserved for the district's residents held by residents ÷ seats reserved for them."),
        share=True,
    ),
    selection(
        "reserved_disability",
        N_("Reserved for persons with disability"),
        N_("Seats reserved for persons with disability."),
    ),
    selection(
        "disability_reserved_filled",
        N_("Disability seats filled"),
        N_("Seats reserved for persons with disability held by them ÷ seats reserved for them."),
        share=True,
    ),
    selection(
        "offers_made",
        N_("Offers made"),
        N_(
            "Seats offered from the line (held until a deadline), in every cohort, cancelled ones included. Each "
            "ends accepted, declined or expired, or is still open; an offer open when its cohort was cancelled "
            "ended with it and is in none of those."
        ),
    ),
    selection("offers_accepted", N_("Offers accepted"), N_("Offers she accepted before the deadline.")),
    selection(
        "offers_declined",
        N_("Offers declined"),
        N_("Offers she declined (or withdrew from) before the deadline."),
    ),
    selection("offers_expired", N_("Offers expired"), N_("Offers that reached their deadline without an answer.")),
    selection("offers_open", N_("Offers open now"), N_("Offers waiting for an answer now.")),
    selection(
        "acceptance_rate",
        N_("Offers accepted (share)"),
        N_("Offers accepted ÷ offers that ended (accepted, declined or expired); open offers are not counted."),
        share=True,
    ),
    selection(
        "cohorts_full",
        N_("Cohorts that filled"),
        N_(
            "Cohorts (open, closed, running or finished) whose seats were all held (enrolled or offered) at some "
            "moment: counted from the first such moment, even if seats were freed later."
        ),
    ),
    selection(
        "days_to_full",
        N_("Days from opening to full (average)"),
        N_(
            "For the cohorts that filled: the days from the opening of applications (or, for a cohort without "
            "a window, from its creation) to the moment its last seat was taken, averaged over those cohorts "
            "(a mean, not a median; 0 for one that filled before its window opened)."
        ),
        days=True,
    ),
)
FIGURE_KEYS = tuple(figure.key for figure in FIGURES)
SHARE_KEYS = frozenset(figure.key for figure in FIGURES if figure.share)
CAPACITY_FIGURES = tuple(figure for figure in FIGURES if figure.section == CAPACITY)
SELECTION_FIGURES = tuple(figure for figure in FIGURES if figure.section == SELECTION)


@dataclass(frozen=True)
class FlagRule:
    """What a flag means (its label lives with ``oversight.queries.Flag``)."""

    flag: str
    definition: str


FLAG_RULES: tuple[FlagRule, ...] = (
    FlagRule(
        "under_used",
        N_("Under-used: seats used (running + finished) below %(share)s."),
    ),
    FlagRule(
        "over_subscribed",
        N_("Over-subscribed: in cohorts still filling, people in line number at least half the seats."),
    ),
    FlagRule(
        "women_below_target",
        N_("Women below target: women hold less than %(share)s of the enrolled and completed places."),
    ),
    FlagRule(
        "outcome_missing",
        N_("Outcome missing: a finished cohort still has places neither completed nor ended."),
    ),
)

PLACES_AND_PEOPLE = N_(
    "A place is one enrollment: a person with places in two cohorts is two places. A person is counted once, "
    "in the cohort of her first application (applicants) or of her first place (trainees reached)."
)


def definitions_for_api(underused_below: float, women_share_target: float) -> str:
    """The definitions as the API's description gives them (English, Markdown)."""
    lines = [
        PLACES_AND_PEOPLE,
        "Shares are numbers from 0 to 1, null when their denominator is 0; days are numbers of days to one "
        "decimal, null when no cohort filled.",
        "",
        *(f"- `{figure.key}`: {figure.definition}" for figure in FIGURES),
        "",
        "`flags` (each row):",
        *(f"- `{rule.flag}`: {flag_text(rule, underused_below, women_share_target)}" for rule in FLAG_RULES),
    ]
    return "\n".join(lines)


def flag_text(rule: FlagRule, underused_below: float, women_share_target: float, translate=None) -> str:
    """``rule``'s definition with its threshold filled in (translated first when ``translate`` is given)."""
    text = translate(rule.definition) if translate else rule.definition
    share = underused_below if rule.flag == "under_used" else women_share_target
    return text % {"share": f"{share:.0%}"} if "%(share)s" in rule.definition else text


def definition_rows(underused_below: float, women_share_target: float) -> list[list[str]]:
    """The definitions as rows under a downloaded table: a heading row, then (column, definition)."""
    return [
        ["How each figure is worked out", ""],
        ["Places and people", PLACES_AND_PEOPLE],
        *([figure.heading, figure.definition] for figure in FIGURES),
        *(["Flag: " + rule.flag, flag_text(rule, underused_below, women_share_target)] for rule in FLAG_RULES),
    ]
