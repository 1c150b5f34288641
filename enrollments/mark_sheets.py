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
from enrollments.models import Enrollment
from enrollments.place_sheets import PLACE_COLUMNS, PlaceSheet, PlaceSheetRefused, read_place_sheet
from enrollments.services.marks import MarkEntry, check_marks

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


class MarkSheetRefused(PlaceSheetRefused):
    """The uploaded mark sheet has rows that are not right: ``problems`` says which and why; nothing is kept."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The mark sheet has rows that are not right: nothing was saved. Correct them and upload it again."),
            problems,
        )


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


def mark_entry(place: Enrollment, cells: dict) -> MarkEntry:
    mark = cells.get("mark")
    return MarkEntry(place.id, cell_text(mark) if isinstance(mark, str) else mark)


MARK_SHEET_KIND = PlaceSheet(
    layout=MARK_SHEET,
    entry_of=mark_entry,
    no_place_column=_l("Name each trainee by application number or by CNIC: the sheet has neither column."),
    no_rows=_l("The mark sheet has no rows of marks under its headings."),
    unknown_number=_l("no trainee who may be marked now has the application number %(number)s."),
    unknown_cnic=_l("no trainee who may be marked now has this CNIC."),
    column_labels={"enrollment_id": _l("Application number"), "mark": _l("Mark")},
    refused=MarkSheetRefused,
)


def read_marks(data: bytes, filename: str, cohort, places: list[Enrollment]) -> SheetMarks:
    """Read an uploaded mark sheet for ``cohort``, whose enrolled places are ``places``, and check every row as
    saving would (``marks.check_marks``). Raises ``ImportRefused`` for a file that cannot be read as a sheet or
    lacks a column, ``MarkSheetRefused`` listing each wrong row by its number and column (a trainee not found,
    given twice, a mark that is wrong, one below the attendance threshold) and ``NotPossibleNow`` as the
    service does."""
    entries, changes = read_place_sheet(
        data, filename, places, MARK_SHEET_KIND, lambda entries: check_marks(cohort, entries)
    )
    return SheetMarks({entry.enrollment_id: entry.mark for entry in entries}, len(changes or ()))
