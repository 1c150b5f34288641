"""The limits of an upload, and the refusal of a file as a whole (``ImportRefused``).

The limits (README, "Importing lists") are set so that a real list (20,000 trainees) passes with room to
spare and any file they accept is read and checked in well under 10 s and 200 MB (issue 12, item 6):

===========================  ===========  ========================================================
``MAX_FILE_BYTES``           5 MB         the upload itself
``MAX_UNPACKED_BYTES``       100 MB       every part of a workbook together, as its zip declares them
``MAX_SHEET_BYTES``          50 MB        the sheet read, unpacked (counted, not taken from the zip)
``MAX_SHARED_TEXT_BYTES``    20 MB        the workbook's shared strings, unpacked (counted)
``MAX_PART_BYTES``           5 MB         any other part read (workbook, relationships, styles)
``MAX_SHEET_ROWS``           50,000       rows read, empty ones included (a CSV's records)
``MAX_CELLS``                1,000,000    cells read, empty ones included; also shared strings
``MAX_ROW_CELLS``            16,384       cells in one row (Excel's own column count)
``MAX_CELL_CHARS``           32,767       characters in one cell (Excel's own limit)
``MAX_ROWS``                 20,000       rows with data under the heading (``reading.build_sheet``)
===========================  ===========  ========================================================

A file over a limit is refused at the moment the count passes it, with a message that names the limit;
nothing past it is read or kept. The readers (``reading``, ``xlsx``) look each limit up here when they
check it (``limits.MAX_CELLS``), so that a test can lower one in one place.
"""

from flask_babel import format_number
from flask_babel import gettext as _

from refusals import Refusal

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_SHEET_BYTES = 50 * 1024 * 1024
MAX_SHARED_TEXT_BYTES = 20 * 1024 * 1024
MAX_PART_BYTES = 5 * 1024 * 1024
MAX_SHEET_ROWS = 50_000
MAX_CELLS = 1_000_000
MAX_ROW_CELLS = 16_384
MAX_CELL_CHARS = 32_767
MAX_ROWS = 20_000
# Columns kept from each row: the list's columns are among the first ones.
MAX_COLUMNS = 60


class ImportRefused(Refusal):
    """The file as a whole cannot be imported (unreadable, too big, required columns missing)."""

    code, status = "import_refused", 422

    def __init__(self, message: str, field: str | None = "file") -> None:
        super().__init__(message, field)


def too_many_rows() -> ImportRefused:
    return ImportRefused(
        _(
            "The sheet has more than %(most)s rows, empty ones included: delete the empty rows under the list, "
            "or copy the list alone into a new file, and save it again.",
            most=format_number(MAX_SHEET_ROWS),
        )
    )


def too_many_cells() -> ImportRefused:
    return ImportRefused(
        _(
            "The sheet has more than %(most)s cells, empty ones included: copy the list alone (only its "
            "columns) into a new file and save it again.",
            most=format_number(MAX_CELLS),
        )
    )


def row_too_wide(row: int) -> ImportRefused:
    return ImportRefused(
        _(
            "Row %(row)s has more than %(most)s cells, more than Excel allows: copy the list alone into a new "
            "file and save it again.",
            row=row,  # as the spreadsheet numbers it, without separators
            most=format_number(MAX_ROW_CELLS),
        )
    )


def cell_too_long(row: int | None) -> ImportRefused:
    if row is None:  # a shared string: which row uses it is not known yet
        return ImportRefused(
            _(
                "A cell of this workbook holds more than %(most)s characters, more than Excel allows: copy the "
                "list alone into a new file and save it again.",
                most=format_number(MAX_CELL_CHARS),
            )
        )
    return ImportRefused(
        _(
            "Row %(row)s has a cell of more than %(most)s characters, more than Excel allows: correct that row "
            "and save the file again.",
            row=row,
            most=format_number(MAX_CELL_CHARS),
        )
    )
