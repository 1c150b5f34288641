"""What each figure of the completion report means (issue 17): attendance, assessment, completion by rule,
certificates, trainees at risk and backfilled seats. One definition per figure, read by the completion page
("How each figure is worked out", in the reader's language, with each share's sample size), by the API's
description of ``GET /reports/completion`` and by the downloads (English, like the data).

The numbers come from ``oversight.queries.completion`` (sums of ``enrollments.tallies``). Every figure counts
places (enrollments), not people, in the cohorts the filters select, as the capacity report does; each splits
by the trainees' gender and area as they are recorded now.
"""

from dataclasses import dataclass

from forms import N_
from oversight.figures import Figure


@dataclass(frozen=True)
class CompletionFigure(Figure):
    """A figure of the completion report; a share names its denominator (``sample``: the figure whose
    value is its sample size, shown beside it)."""

    sample: str = ""
    section: str = "completion"


def share(key: str, heading: str, definition: str, sample: str) -> CompletionFigure:
    return CompletionFigure(key, heading, definition, share=True, sample=sample)


COMPLETION_FIGURES: tuple[CompletionFigure, ...] = (
    share(
        "attendance_rate",
        N_("Attendance"),
        N_(
            "Present marks ÷ class-day marks held: every place on a saved register counts once for each class "
            "day (late counts as present). Sample: the class-day marks held."
        ),
        "marks_held",
    ),
    CompletionFigure(
        "marks_held",
        N_("Class-day marks held"),
        N_("Places marked on the saved registers of class days, one per place and day (present, late or absent)."),
    ),
    CompletionFigure(
        "marks_present",
        N_("Present marks"),
        N_("Of the class-day marks held, those present or late."),
    ),
    CompletionFigure(
        "attended",
        N_("Attended (places)"),
        N_("Places marked present (or late) on at least one class day: the funnel's “attended”."),
    ),
    CompletionFigure(
        "at_risk",
        N_("At risk now"),
        N_(
            "Places still enrolled whose trainee was absent on the latest class days in a row, as many as the "
            "at-risk setting says (3 by default): counted now, not over the period."
        ),
    ),
    CompletionFigure(
        "assessed",
        N_("Marked (places)"),
        N_("Places with an assessment mark entered by staff."),
    ),
    CompletionFigure(
        "passed",
        N_("Passed (places)"),
        N_(
            "Places whose mark is at or above the course's pass mark (50 out of 100 by default): the funnel's “passed”."
        ),
    ),
    share(
        "pass_rate",
        N_("Passed (share of marked)"),
        N_("Passed ÷ places with a mark. Sample: the places marked."),
        "assessed",
    ),
    CompletionFigure(
        "finished",
        N_("Finished places"),
        N_(
            "Places that ended when their cohort finished, completed or not completed by the rule (staff "
            "overrides included). Places dropped or withdrawn before the end are not among them."
        ),
    ),
    CompletionFigure(
        "completed",
        N_("Completed (places)"),
        N_("Finished places that met the attendance threshold and passed, or that staff completed by override."),
    ),
    share(
        "completion_rate",
        N_("Completion by rule"),
        N_("Completed ÷ finished places. Sample: the finished places."),
        "finished",
    ),
    CompletionFigure(
        "not_completed_attendance",
        N_("Not completed: attendance"),
        N_(
            N_(
                "Finished places not completed because attendance stayed below the course's threshold (70 out of 100 "
                "class days by default)."
            ),
        ),
    ),
    share(
        "not_completed_attendance_share",
        N_("Not completed: attendance (share)"),
        N_("Not completed for attendance ÷ finished places. Sample: the finished places."),
        "finished",
    ),
    CompletionFigure(
        "not_completed_marks",
        N_("Not completed: marks"),
        N_("Finished places not completed because the mark was below the pass mark (or there was none)."),
    ),
    share(
        "not_completed_marks_share",
        N_("Not completed: marks (share)"),
        N_("Not completed for marks ÷ finished places. Sample: the finished places."),
        "finished",
    ),
    CompletionFigure(
        "overridden",
        N_("Outcomes overridden"),
        N_("Finished places whose outcome staff overrode, with a written reason, instead of the rule's."),
    ),
    CompletionFigure(
        "certificates_issued",
        N_("Certificates issued"),
        N_("Certificates numbered for these places, reissues (a corrected name, a new number) included."),
    ),
    CompletionFigure(
        "certificates_revoked",
        N_("Certificates revoked"),
        N_("Certificates revoked by staff with a reason: their verification page says so."),
    ),
    CompletionFigure(
        "certified",
        N_("Certified (places)"),
        N_("Places holding a valid certificate now (a replaced one counts through its reissue): the funnel's end."),
    ),
    CompletionFigure(
        "backfilled",
        N_("Backfilled seats"),
        N_(
            "Seats freed during a cohort's backfill window (its first days of training, 7 by default) and given "
            "to the next in line, who then started training."
        ),
    ),
)
COMPLETION_KEYS = tuple(figure.key for figure in COMPLETION_FIGURES)

SPLIT_NOTE = N_(
    "Women and men, rural and urban: each figure is also worked out for the trainees of each gender and each "
    "area as their records say now (a corrected record moves her figures). The parts add up to the total."
)


def completion_definitions_for_api() -> str:
    """The definitions as the API's description gives them (English, Markdown)."""
    return "\n".join(
        [
            "Places, not people. Shares are numbers from 0 to 1, null when their denominator (named as the "
            "sample) is 0.",
            SPLIT_NOTE,
            "",
            *(f"- `{figure.key}`: {figure.definition}" for figure in COMPLETION_FIGURES),
        ]
    )


def completion_definition_rows() -> list[list[str]]:
    """The definitions as rows under a downloaded table: a heading row, then (column, definition)."""
    return [
        ["How each figure is worked out", ""],
        ["Split", SPLIT_NOTE],
        *([figure.heading, figure.definition] for figure in COMPLETION_FIGURES),
    ]
