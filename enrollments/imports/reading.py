"""Reading an uploaded list (``read_sheet``): the file as rows of raw cells under its heading, whatever it
is — XLSX (``xlsx``), or CSV in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"),
Windows-1252 or Windows-1256 (Urdu Windows), separated by commas, semicolons or tabs — within the limits
of ``limits`` (rows, cells, unpacked sizes: no file can make the reading slow or large). Columns are
found by their heading, with common aliases (``columns``).

Nothing here touches the database: pages read the file before their first write (see ``pages``), so a
file being read holds no lock.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _

from enrollments.imports import limits
from enrollments.imports.columns import TRAINEE_LIST, URDU_YEH, Layout, heading_key
from enrollments.imports.limits import ImportRefused, cell_too_long, row_too_wide, too_many_cells, too_many_rows
from enrollments.imports.xlsx import Workbook

# Rows searched for the heading (a title line may come first).
HEADER_SEARCH_ROWS = 10
# Characters of a CSV file its delimiter is guessed from: the first lines, however long they are.
DELIMITER_SAMPLE_CHARS = 64 * 1024


@dataclass
class Sheet:
    """A file as read: ``columns`` maps each field found to its heading as written in the file, ``rows``
    are (spreadsheet row number, field → raw cell) for every non-blank row under the heading."""

    columns: dict[str, str]
    rows: list[tuple[int, dict[str, Any]]]
    ignored: list[str] = field(default_factory=list)
    epoch: datetime | None = None  # XLSX: the workbook's date system, for serial numbers


def read_sheet(data: bytes, filename: str = "", layout: Layout = TRAINEE_LIST) -> Sheet:
    """Read an uploaded list. Raises ``ImportRefused`` saying what to do when the file is empty, too
    big, not CSV or XLSX, unreadable, past one of the limits of ``limits`` (rows, cells, unpacked size),
    has more than ``MAX_ROWS`` rows of data, or lacks a required column. ``layout``: the columns looked for
    (a list of trainees unless said otherwise)."""
    if not data:
        raise ImportRefused(_("The file is empty."))
    if len(data) > limits.MAX_FILE_BYTES:
        raise ImportRefused(_("The file is larger than 5 MB: split it into smaller files."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _("This is an old Excel file (.xls): save it as Excel Workbook (.xlsx) or as CSV and upload it again.")
        )
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data, layout)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportRefused(_("This file is not a valid Excel workbook: save it again as .xlsx or CSV."))
    return read_csv(data, layout)


def read_xlsx(data: bytes, layout: Layout = TRAINEE_LIST) -> Sheet:
    """The first sheet of an XLSX workbook, read within bounds (``xlsx.Workbook``): cells
    formatted as dates arrive as dates, other numbers as numbers."""
    workbook = Workbook(data)
    try:
        return build_sheet(workbook.rows(), epoch=workbook.epoch, layout=layout)
    finally:
        workbook.close()


def read_csv(data: bytes, layout: Layout = TRAINEE_LIST) -> Sheet:
    text = decode_text(data).replace("\x00", "")
    delimiter = choose_delimiter(text, layout)
    try:
        return build_sheet(csv_rows(text, delimiter), layout=layout)
    except csv.Error as error:
        raise ImportRefused(
            _("The file could not be read as CSV (%(error)s): save it again as CSV or XLSX.", error=error)
        ) from error


def choose_delimiter(text: str, layout: Layout = TRAINEE_LIST) -> str:
    """The delimiter whose reading of the first rows finds the most known headings; ``csv.Sniffer``'s
    guess is tried first and wins ties, then comma, semicolon and tab."""
    sample = "\n".join(text[:DELIMITER_SAMPLE_CHARS].splitlines()[: HEADER_SEARCH_ROWS + 5])
    candidates = [",", ";", "\t"]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
        candidates.insert(0, sniffed)
    except csv.Error:
        pass

    def known_headings(delimiter: str) -> int:
        try:
            rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            return -1
        return max((len(mapped_fields(row, layout)) for row in rows[:HEADER_SEARCH_ROWS]), default=0)

    return max(candidates, key=known_headings)  # max keeps the first of equals


def mapped_fields(row: Iterable[Any], layout: Layout = TRAINEE_LIST) -> dict[str, str]:
    """Field → heading for the cells of ``row`` that are known headings (the first of duplicates)."""
    found: dict[str, str] = {}
    for cell in row:
        field_name = layout.field_of_heading.get(heading_key(cell))
        if field_name and field_name not in found:
            found[field_name] = str(cell).strip()
    return found


def is_blank(row: Iterable[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def build_sheet(
    rows: Iterable[tuple[int, Iterable[Any]]], *, epoch: datetime | None = None, layout: Layout = TRAINEE_LIST
) -> Sheet:
    """Find the heading among the first rows (the first one that names at least two known columns),
    map the columns, and keep every non-blank row under it with its spreadsheet row number. ``rows`` are
    (row number, cells), as ``csv_rows`` and ``xlsx.Workbook.rows`` give them."""
    rows = iter(rows)  # read once: the rows under the heading continue where the search stopped
    header: list[Any] | None = None
    header_number = 0
    for number, row in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        row = list(row)
        if len(mapped_fields(row, layout)) >= 2:
            header, header_number = row, number
            break
    if header is None:
        raise ImportRefused(
            _(
                "No row of headings was found at the top of the file. The first row should name the columns: "
                "%(columns)s.",
                columns=", ".join(str(layout.column_of[name].label) for name in layout.required),
            )
        )
    columns, positions, ignored = map_columns(header, layout)
    missing = [str(layout.column_of[name].label) for name in layout.required if name not in columns]
    if missing:
        raise ImportRefused(
            ngettext(
                "Required column missing: %(missing)s. The file's headings are: %(headings)s.",
                "Required columns missing: %(missing)s. The file's headings are: %(headings)s.",
                len(missing),
                missing=", ".join(missing),
                headings=", ".join(str(cell).strip() for cell in header if not is_blank([cell])),
            )
        )
    found: list[tuple[int, dict[str, Any]]] = []
    for number, row in rows:
        row = list(row)
        if number <= header_number or is_blank(row):
            continue
        if len(found) >= limits.MAX_ROWS:
            raise ImportRefused(
                _(
                    "The file has more than %(most)s rows: split it into smaller files.",
                    most=format_number(limits.MAX_ROWS),
                )
            )
        found.append((number, {name: row[index] if index < len(row) else None for name, index in positions.items()}))
    return Sheet(columns=columns, rows=found, ignored=ignored, epoch=epoch)


def map_columns(header: list[Any], layout: Layout = TRAINEE_LIST) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """(field → heading, field → position, headings ignored). Raises ``ImportRefused`` when two
    columns mean the same thing."""
    columns: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        heading = str(cell).strip() if cell is not None else ""
        field_name = layout.field_of_heading.get(heading_key(heading))
        if field_name is None:
            if heading:
                ignored.append(heading)
            continue
        if field_name in columns:
            raise ImportRefused(
                _(
                    "Two columns are read as %(column)s: “%(first)s” and “%(second)s”. Keep one of them.",
                    column=layout.column_of[field_name].label,
                    first=columns[field_name],
                    second=heading,
                )
            )
        columns[field_name] = heading
        positions[field_name] = index
    return columns, positions, ignored


# CSV --------------------------------------------------------------------------------------------------


LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, its first ``MAX_COLUMNS`` cells) for every record of a CSV text, blank ones included,
    stopping with ``ImportRefused`` at the first limit passed (rows, cells, cells in a row, characters in a
    cell). ``csv.Error`` for a malformed file propagates.

    The csv module gets the text a line at a time, and a record's delimiters are counted before it is
    split: a line of five million commas is refused without becoming a list of five million cells."""
    number = 0  # records read
    delimiters = 0  # in the lines of the record being read

    def lines() -> Iterator[str]:
        nonlocal delimiters
        for match in LINE.finditer(text):
            if line := match.group():
                delimiters += line.count(delimiter)
                if delimiters >= limits.MAX_ROW_CELLS:
                    raise row_too_wide(number + 1)
                yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    cells = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):  # the csv module's own, larger bound
                raise cell_too_long(number + 1) from error
            raise
        number += 1
        delimiters = 0
        if number > limits.MAX_SHEET_ROWS:
            raise too_many_rows()
        cells += len(row)
        if cells > limits.MAX_CELLS:
            raise too_many_cells()
        if any(len(cell) > limits.MAX_CELL_CHARS for cell in row):
            raise cell_too_long(number)
        yield number, row[: limits.MAX_COLUMNS]


def decode_text(data: bytes) -> str:
    """The text of a CSV file: UTF-8 or UTF-16 by their byte-order mark; UTF-16 without one by its
    zero bytes; then UTF-8 if it decodes; a file that is mostly UTF-8 but not all of it is refused naming
    the lines at fault (``not_quite_utf8``); anything else is Windows-1256 or Windows-1252
    (``windows_codepage``)."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        sample = data[:4096]
        if sample.count(0) > len(sample) // 4:  # ASCII text in UTF-16 is half zero bytes
            even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
            return data.decode("utf-16-be" if even_zeros > odd_zeros else "utf-16-le")
    except UnicodeDecodeError as error:
        if data.startswith(codecs.BOM_UTF8):
            raise not_quite_utf8(data) from error
        raise ImportRefused(
            _("The file could not be read as text: save it as CSV UTF-8 or as Excel Workbook (.xlsx).")
        ) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if mostly_utf8(data):
            raise not_quite_utf8(data) from error
    codepage = windows_codepage(data)
    text = data.decode(codepage)
    return text.translate(URDU_YEH) if codepage == "cp1256" else text


def mostly_utf8(data: bytes) -> bool:
    """Whether most bytes above 127 form valid UTF-8 characters. Text in Windows-1256 or -1252 almost
    never does (under 1% of an Urdu list in Windows-1256 does by chance); a UTF-8 file with a damaged
    byte or two nearly all does."""
    high = len(data.translate(None, bytes(range(128))))
    # Decoded with surrogateescape, each invalid byte becomes a lone surrogate, which encoding then drops.
    invalid = len(data) - len(data.decode("utf-8", errors="surrogateescape").encode("utf-8", errors="ignore"))
    return high - invalid > invalid


def not_quite_utf8(data: bytes) -> ImportRefused:
    """The refusal for a UTF-8 file with bytes that are not UTF-8: which lines hold them (the first ten)."""
    lines: list[int] = []
    line, position = 1, 0
    text = data.decode("utf-8", errors="surrogateescape")
    for match in re.finditer("[\udc80-\udcff]+", text):
        line += text.count("\n", position, match.start())
        position = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    shown = [str(number) for number in lines[:10]]  # as an editor numbers lines
    if len(lines) > 10:
        shown.append("…")
    return ImportRefused(
        ngettext(
            "Line %(lines)s of the file is not valid UTF-8, though the rest of the file is: a character there "
            "is damaged or was typed in another encoding. Correct it (or save the file again as CSV UTF-8) "
            "and upload it again.",
            "Lines %(lines)s of the file are not valid UTF-8, though the rest of the file is: characters there "
            "are damaged or were typed in another encoding. Correct them (or save the file again as CSV UTF-8) "
            "and upload it again.",
            len(lines),
            lines=", ".join(shown),
        )
    )


def windows_codepage(data: bytes) -> str:
    """Windows-1256 (Urdu/Arabic) or Windows-1252 (Western) for a file that is not UTF-8.

    Both decode almost any byte, so the shape of the text decides: Urdu words are runs of bytes above
    127, while accented Latin letters stand alone among ASCII ones (``Zoë``). Bytes Windows-1252 leaves
    undefined settle it at once."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "cp1256"
    runs = re.findall(rb"[\x80-\xff]+", data)
    high = sum(len(run) for run in runs)
    in_words = sum(len(run) for run in runs if len(run) > 1)
    return "cp1256" if high and in_words * 2 > high else "cp1252"
