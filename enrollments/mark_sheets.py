"""Mark sheets (``enrollments.services.marks``): the sheet staff download, filled with the enrolled trainees
(``template_rows``), and the sheet they upload back, CSV or XLSX, read by the imports' reader within its limits
(``enrollments.imports.reading``: size, rows, cells, any common encoding), as merit score sheets are. A row
names its trainee by application number or, failing that, by CNIC; its mark is checked by the service's rules
(``check_marks``: the attendance to sit the assessment among them). Nothing here writes."""

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from enrollments.imports.cells import cell_text
from enrollments.imports.columns import Column, layout_of
from enrollments.imports.limits import ImportRefused
from enrollments.imports.reading import read_sheet
from enrollments.merit_sheets import PLACE_COLUMNS, found_place
from enrollments.models import Enrollment
from enrollments.services.marks import MarkEntry, MarksRefused, check_marks
from refusals import Refusal

MARK_COLUMNS = (
    *PLACE_COLUMNS,
    Column(
        "mark",
        _l("Mark"),
        True,
        ("mark", "marks", "markpercent", "percent", "percentage", "score", "result", "assessment", "نمبر", "مارکس"),
        _l("0 to 100; empty: not marked."),
    ),
)  # fmt: skip
MARK_SHEET = layout_of(MARK_COLUMNS)
# The headings of the downloaded sheet (English: a download is the same file for every reader).
TEMPLATE_HEADINGS = ["Application number", "CNIC", "Name", "Mark"]


class MarkSheetRefused(Refusal):
    """The uploaded sheet has rows that are not right: ``problems`` says which and why; nothing is kept."""

    code = "invalid_sheet"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The mark sheet has rows that are not right: nothing was saved. Correct them and upload it again.")
        )
        self.problems = problems


@dataclass(frozen=True)
class SheetMarks:
    """What an uploaded sheet gives, checked: the marks by enrollment id, and how many of them change a mark."""

    marks: dict[int, Any]
    changed: int


def template_rows(places: list[Enrollment]) -> list[list]:
    """The downloaded sheet's rows: one per enrolled place, with its mark as it is."""
    return [
        [place.number, place.trainee.cnic, place.trainee.full_name, None if place.mark is None else float(place.mark)]
        for place in places
    ]


def read_marks(data: bytes, filename: str, cohort, places: list[Enrollment]) -> SheetMarks:
    """Read an uploaded mark sheet for ``cohort``, whose enrolled places are ``places``, and check every row as
    saving would (``marks.check_marks``). Raises ``ImportRefused`` for a file that cannot be read as a sheet or
    lacks a column, ``MarkSheetRefused`` listing each wrong row by its number and column (a trainee not found,
    given twice, a mark that is wrong, one below the attendance threshold) and ``NotPossibleNow`` as the
    service does."""
    sheet = read_sheet(data, filename, MARK_SHEET)
    if "number" not in sheet.columns and "cnic" not in sheet.columns:
        raise ImportRefused(_("Name each trainee by application number or by CNIC: the sheet has neither column."))
    by_id = {place.id: place for place in places}
    by_cnic = {place.trainee.cnic: place for place in places}
    problems: list[str] = []
    entries: list[MarkEntry] = []
    row_numbers: list[int] = []
    for row, cells in sheet.rows:
        place, problem = found_place(cells, by_id, by_cnic)
        if problem:
            problems.append(_("Row %(row)s: %(problem)s", row=row, problem=problem))
            continue
        mark = cells.get("mark")
        entries.append(MarkEntry(place.id, cell_text(mark) if isinstance(mark, str) else mark))
        row_numbers.append(row)
    if not entries and not problems:
        raise ImportRefused(_("The mark sheet has no rows of marks under its headings."))
    changed = 0
    try:
        changed = len(check_marks(cohort, entries)) if entries else 0
    except MarksRefused as refused:
        labels = {"enrollment_id": _("Application number"), "mark": _("Mark")}
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
        raise MarkSheetRefused(problems)
    return SheetMarks({entry.enrollment_id: entry.mark for entry in entries}, changed)
