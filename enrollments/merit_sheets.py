"""Score sheets for merit admission (``enrollments.services.merit``): the sheet staff download, filled with
the applicants who may be scored now (``template_rows``), and the sheet they upload back, CSV or XLSX,
read by the imports' reader within its limits (``enrollments.imports.reading``: size, rows, cells, any
common encoding). A row names its applicant by application number or, failing that, by CNIC; its test and
interview scores are checked by the service's rules. Nothing here writes."""

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from enrollments.identity import DECIMAL_DIGITS, InvalidInput
from enrollments.imports.cells import cell_text, read_cnic
from enrollments.imports.columns import COLUMN_OF, Column, layout_of
from enrollments.imports.limits import ImportRefused
from enrollments.imports.reading import read_sheet
from enrollments.models import Enrollment
from enrollments.services.merit import ScoreEntry, ScoresRefused, check_scores
from refusals import Refusal

# Who a row is about, the same on every sheet of places (scores, marks): any one of them finds her.
PLACE_COLUMNS = (
    Column(
        "number",
        _l("Application number"),
        False,
        ("applicationnumber", "applicationno", "application", "appno", "applicationid", "enrollmentid",
         "درخواست نمبر", "درخواست"),
        _l("As on the downloaded sheet: 000123."),
    ),
    Column("cnic", COLUMN_OF["cnic"].label, False, COLUMN_OF["cnic"].aliases, COLUMN_OF["cnic"].hint),
    Column("name", _l("Name"), False, COLUMN_OF["full_name"].aliases, _l("For people reading the sheet: not read.")),
)  # fmt: skip

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


class SheetRefused(Refusal):
    """The uploaded sheet has rows that are not right: ``problems`` says which and why; nothing is kept."""

    code = "invalid_sheet"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The score sheet has rows that are not right: nothing was saved. Correct them and upload it again.")
        )
        self.problems = problems


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


def application_id(value: Any) -> int | None:
    """The enrollment id an application number names (``000123``, ``123``, ``#123``, a number cell)."""
    text = cell_text(value).translate(DECIMAL_DIGITS).strip().lstrip("#").strip()
    if text.endswith(".0"):  # a number cell read as text
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) <= 12 else None


def read_scores(data: bytes, filename: str, cohort, places: list[Enrollment]) -> SheetScores:
    """Read an uploaded score sheet for ``cohort``, whose places that may be scored now are ``places``, and
    check every row as saving would (``merit.check_scores``). Raises ``ImportRefused`` for a file that
    cannot be read as a sheet or lacks a column, ``SheetRefused`` listing each wrong row (an applicant not
    found, given twice, a score that is wrong) and ``NotPossibleNow`` as the service does."""
    sheet = read_sheet(data, filename, SCORE_SHEET)
    if "number" not in sheet.columns and "cnic" not in sheet.columns:
        raise ImportRefused(_("Name each applicant by application number or by CNIC: the sheet has neither column."))
    by_id = {place.id: place for place in places}
    by_cnic = {place.trainee.cnic: place for place in places}
    problems: list[str] = []
    entries: list[ScoreEntry] = []
    row_numbers: list[int] = []
    for row, cells in sheet.rows:
        place, problem = found_place(cells, by_id, by_cnic)
        if problem:
            problems.append(_("Row %(row)s: %(problem)s", row=row, problem=problem))
            continue
        entries.append(ScoreEntry(place.id, cells.get("test"), cells.get("interview")))
        row_numbers.append(row)
    if not entries and not problems:
        raise ImportRefused(_("The score sheet has no rows of scores under its headings."))
    try:
        changes = check_scores(cohort, entries) if entries else []
    except ScoresRefused as refused:
        labels = {"enrollment_id": _("Application number"), "test": _("Test score"), "interview": _("Interview score")}
        problems += [
            _(
                "Row %(row)s, %(column)s: %(problem)s",
                row=row_numbers[problem.index],
                column=labels[problem.field],
                problem=problem.message,
            )
            for problem in refused.problems
        ]
    if problems:
        raise SheetRefused(problems)
    return SheetScores({entry.enrollment_id: (entry.test, entry.interview) for entry in entries}, len(changes))


def found_place(cells: dict, by_id: dict, by_cnic: dict) -> tuple[Enrollment | None, str | None]:
    """The place a row names (by application number, else by CNIC), or why none is found."""
    number = cells.get("number")
    if cell_text(number).strip():
        enrollment_id = application_id(number)
        place = by_id.get(enrollment_id) if enrollment_id is not None else None
        if place is None:
            return None, _(
                "no applicant who may be scored now has the application number %(number)s.",
                number=cell_text(number).strip(),
            )
        return place, None
    cnic = cells.get("cnic")
    if cell_text(cnic).strip():
        try:
            place = by_cnic.get(read_cnic(cnic))
        except InvalidInput as error:
            return None, str(error)
        if place is None:
            return None, _("no applicant who may be scored now has this CNIC.")
        return place, None
    return None, _("give the application number or the CNIC.")
