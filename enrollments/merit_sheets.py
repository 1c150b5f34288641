"""Score sheets for merit admission (``enrollments.services.merit``): the sheet staff download, filled with
the applicants who may be scored now (``template_rows``), and the sheet they upload back, CSV or XLSX,
read by the imports' reader within its limits (``enrollments.imports.reading``: size, rows, cells, any
common encoding) as every sheet of places is (``enrollments.place_sheets``). A row names its applicant by
application number or, failing that, by CNIC; its test and interview scores are checked by the service's
rules. Nothing here writes."""

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from enrollments.imports.columns import Column, layout_of
from enrollments.models import Enrollment
from enrollments.place_sheets import PLACE_COLUMNS, PlaceSheet, PlaceSheetRefused, read_place_sheet
from enrollments.services.merit import ScoreEntry, check_scores

SCORE_COLUMNS = (
    *PLACE_COLUMNS,
    Column(
        "test",
        _l("Test score"),
        True,
        ("test", "testscore", "testmarks", "testresult", "writtentest", "ٹیسٹ", "ٹیسٹ کے نمبر"),
        _l("0 to 100."),
    ),
    Column(
        "interview",
        _l("Interview score"),
        True,
        ("interview", "interviewscore", "interviewmarks", "interviewresult", "انٹرویو", "انٹرویو کے نمبر"),
        _l("0 to 100."),
    ),
)  # fmt: skip
SCORE_SHEET = layout_of(SCORE_COLUMNS)
# The headings of the downloaded sheet (English: a download is the same file for every reader).
TEMPLATE_HEADINGS = ["Application number", "CNIC", "Name", "Test score", "Interview score"]


class SheetRefused(PlaceSheetRefused):
    """The uploaded score sheet has rows that are not right: ``problems`` says which and why; nothing is kept."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The score sheet has rows that are not right: nothing was saved. Correct them and upload it again."),
            problems,
        )


@dataclass(frozen=True)
class SheetScores:
    """What an uploaded sheet gives, checked: the scores by enrollment id (test, interview), and how many
    of them change a score."""

    scores: dict[int, tuple[Any, Any]]
    changed: int


def template_rows(places: list[Enrollment]) -> list[list]:
    """The downloaded sheet's rows: one per place that may be scored, with its scores as they are."""
    return [
        [place.number, place.trainee.cnic, place.trainee.full_name, place.test_score, place.interview_score]
        for place in places
    ]


SCORE_SHEET_KIND = PlaceSheet(
    layout=SCORE_SHEET,
    entry_of=lambda place, cells: ScoreEntry(place.id, cells.get("test"), cells.get("interview")),
    no_place_column=_l("Name each applicant by application number or by CNIC: the sheet has neither column."),
    no_rows=_l("The score sheet has no rows of scores under its headings."),
    unknown_number=_l("no applicant who may be scored now has the application number %(number)s."),
    unknown_cnic=_l("no applicant who may be scored now has this CNIC."),
    column_labels={
        "enrollment_id": _l("Application number"),
        "test": _l("Test score"),
        "interview": _l("Interview score"),
    },
    refused=SheetRefused,
)


def read_scores(data: bytes, filename: str, cohort, places: list[Enrollment]) -> SheetScores:
    """Read an uploaded score sheet for ``cohort``, whose places that may be scored now are ``places``, and
    check every row as saving would (``merit.check_scores``). Raises ``ImportRefused`` for a file that
    cannot be read as a sheet or lacks a column, ``SheetRefused`` listing each wrong row (an applicant not
    found, given twice, a score that is wrong) and ``NotPossibleNow`` as the service does."""
    entries, changes = read_place_sheet(
        data, filename, places, SCORE_SHEET_KIND, lambda entries: check_scores(cohort, entries)
    )
    return SheetScores({entry.enrollment_id: (entry.test, entry.interview) for entry in entries}, len(changes or ()))
