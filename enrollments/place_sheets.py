"""Sheets of places that staff download, fill in and upload back: merit scores (``merit_sheets``) and marks
(``mark_sheets``). Each row names one place of the cohort by application number or, failing that, by CNIC;
what the row gives is checked by the service's own rules, and every wrong row is reported by its number and
column, all at once, before anything is saved. Nothing here writes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from enrollments.identity import DECIMAL_DIGITS, InvalidInput
from enrollments.imports.cells import cell_text, read_cnic
from enrollments.imports.columns import COLUMN_OF, Column, Layout
from enrollments.imports.limits import MAX_FILE_BYTES, ImportRefused
from enrollments.imports.reading import read_sheet
from enrollments.models import Enrollment
from refusals import EntriesRefused, Refusal

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


class PlaceSheetRefused(Refusal):
    """The uploaded sheet has rows that are not right: ``problems`` says which and why; nothing is kept."""

    code = "invalid_sheet"

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class PlaceSheet:
    """What differs between sheets of places: the columns read, what a row gives (``entry_of(place, cells)``),
    the words of the refusals, the columns' names for the services' problems (by the entry field they name),
    and the refusal raised for wrong rows."""

    layout: Layout
    entry_of: Callable[[Enrollment, dict], Any]
    no_place_column: str  # neither an application number nor a CNIC column
    no_rows: str
    unknown_number: str  # with %(number)s
    unknown_cnic: str
    column_labels: dict[str, str]
    refused: Callable[[list[str]], PlaceSheetRefused]


def application_id(value: Any) -> int | None:
    """The enrollment id an application number names (``000123``, ``123``, ``#123``, a number cell)."""
    text = cell_text(value).translate(DECIMAL_DIGITS).strip().lstrip("#").strip()
    if text.endswith(".0"):  # a number cell read as text
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) <= 12 else None


def found_place(cells: dict, by_id: dict, by_cnic: dict, kind: PlaceSheet) -> tuple[Enrollment | None, str | None]:
    """The place a row names (by application number, else by CNIC), or why none is found."""
    number = cells.get("number")
    if cell_text(number).strip():
        enrollment_id = application_id(number)
        place = by_id.get(enrollment_id) if enrollment_id is not None else None
        if place is None:
            return None, str(kind.unknown_number) % {"number": cell_text(number).strip()}
        return place, None
    cnic = cells.get("cnic")
    if cell_text(cnic).strip():
        try:
            place = by_cnic.get(read_cnic(cnic))
        except InvalidInput as error:
            return None, str(error)
        if place is None:
            return None, str(kind.unknown_cnic)
        return place, None
    return None, _("give the application number or the CNIC.")


def read_place_sheet(
    data: bytes, filename: str, places: list[Enrollment], kind: PlaceSheet, check: Callable[[list], Any]
) -> tuple[list, Any]:
    """Read an uploaded sheet of ``kind`` about ``places`` (those it may name) and check its entries with
    ``check`` (the service's read-only check, which raises ``EntriesRefused``). Returns the entries and what
    ``check`` returned (None when no row gives anything). Raises ``ImportRefused`` for a file that cannot be
    read as a sheet, lacks a column or has no rows, ``kind.refused`` listing each wrong row by its number (and
    column, for the service's problems), and whatever else ``check`` raises."""
    sheet = read_sheet(data, filename, kind.layout)
    if "number" not in sheet.columns and "cnic" not in sheet.columns:
        raise ImportRefused(str(kind.no_place_column))
    by_id = {place.id: place for place in places}
    by_cnic = {place.trainee.cnic: place for place in places}
    problems: list[str] = []
    entries: list = []
    row_numbers: list[int] = []
    for row, cells in sheet.rows:
        place, problem = found_place(cells, by_id, by_cnic, kind)
        if problem:
            problems.append(_("Row %(row)s: %(problem)s", row=row, problem=problem))
            continue
        entries.append(kind.entry_of(place, cells))
        row_numbers.append(row)
    if not entries and not problems:
        raise ImportRefused(str(kind.no_rows))
    checked = None
    try:
        checked = check(entries) if entries else None
    except EntriesRefused as refused:
        problems += [
            _(
                "Row %(row)s, %(column)s: %(problem)s",
                row=row_numbers[problem.index],
                column=kind.column_labels[problem.field],
                problem=problem.message,
            )
            for problem in refused.problems
        ]
    if problems:
        raise kind.refused(problems)
    return entries, checked


def read_upload(upload, read: Callable[[bytes, str], Any]) -> tuple[Any, list[str]]:
    """What ``read(data, filename)`` makes of the file of ``upload`` (a validated upload form), with no wrong
    rows; or None and the wrong rows of a refused sheet (none when the file itself was refused), the refusal
    set as the file field's error for the page."""
    data = upload.file.data.stream.read(MAX_FILE_BYTES + 1)
    try:
        return read(data, upload.file.data.filename or ""), []
    except PlaceSheetRefused as refused:
        upload.file.errors = [refused.message]
        return None, refused.problems
    except Refusal as refused:
        upload.file.errors = [refused.message]
        return None, []
