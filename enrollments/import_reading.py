"""Reading an uploaded list into rows of raw cells, within bounds that no file can push past.

An XLSX file is a zip of XML parts: 5 MB of it can unpack to gigabytes, and openpyxl, even read-only,
expands every shared string into memory, builds a whole row before it hands it over, and trusts the
sheet's own idea of its size. Outside review found a 242 KB workbook that took 47 s and 938 MB, and rows
of millions of cells that took a worker down (issue 12, item 6). So the workbook is read here, not by
openpyxl: each part it needs (package relationships, workbook, styles, shared strings, the first sheet)
streamed out of the zip in chunks, counted as it unpacks, and parsed with expat as it arrives, with every
limit below checked as the count goes up. A file over a limit is refused at that moment with a message that
names the limit; nothing past it is unpacked or kept. Only the first ``MAX_COLUMNS`` columns of each row are
kept. CSV files get the same row, cell and cell-length limits.

The limits (README, "Importing lists"), set so that a real list (20,000 trainees) passes with room to spare
and any file they accept is read and checked in well under 10 s and 200 MB:

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
``MAX_ROWS``                 20,000       rows with data under the heading (``enrollments.imports``)
===========================  ===========  ========================================================

Nothing here touches the database: pages read the file before their first write (see
``import_pages``), so a file being read holds no lock.
"""

import codecs
import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from xml.parsers import expat

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

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
# Excel's grid: 1,048,576 rows.
LAST_ROW = 1_048_576
CHUNK_BYTES = 64 * 1024
# What the zip library raises for a damaged or unusual zip (an unknown version or compression, encryption).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, ValueError,
              struct.error)  # fmt: skip

# Windows-1256 has no Urdu yeh (ی): Windows writes the Arabic one (ي, or ى at the end of a word) in its
# place, and an Urdu file means the Urdu letter.
URDU_YEH = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc"})


class ImportRefused(Refusal):
    """The file as a whole cannot be imported (unreadable, too big, required columns missing)."""

    code, status = "import_refused", 422

    def __init__(self, message: str, field: str | None = "file") -> None:
        super().__init__(message, field)


def megabytes(size: int) -> str:
    return format_number(size // (1024 * 1024))


def unreadable_workbook() -> ImportRefused:
    return ImportRefused(_("This file could not be read as an Excel workbook (.xlsx): save it again."))


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
                if delimiters >= MAX_ROW_CELLS:
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
        if number > MAX_SHEET_ROWS:
            raise too_many_rows()
        cells += len(row)
        if cells > MAX_CELLS:
            raise too_many_cells()
        if any(len(cell) > MAX_CELL_CHARS for cell in row):
            raise cell_too_long(number)
        yield number, row[:MAX_COLUMNS]


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


# XLSX -------------------------------------------------------------------------------------------------


class Workbook:
    """An XLSX workbook opened for reading its first worksheet: ``epoch`` (its date system) and ``rows()``.

    Opening reads the package relationships, the workbook, its relationships, its styles (which cells
    hold dates) and its shared strings; ``rows()`` then streams the sheet. Each part is unpacked in
    chunks and counted (``part``), so a zip whose directory understates a size is caught too. Raises
    ``ImportRefused`` for a file that is not a workbook, is damaged, or passes a limit."""

    sheet_path = ""  # until the workbook names it

    def __init__(self, data: bytes) -> None:
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            members = self.archive.infolist()
        except ZIP_ERRORS as error:
            raise unreadable_workbook() from error
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise ImportRefused(
                _(
                    "This workbook is larger than %(most)s MB once unpacked: save the list alone, as CSV or XLSX.",
                    most=megabytes(MAX_UNPACKED_BYTES),
                )
            )
        self.names = {member.filename for member in members}
        workbook_path = self.target("_rels/.rels", "officeDocument", "") or "xl/workbook.xml"
        folder, name = posixpath.split(workbook_path)
        relationships = self.relationships(posixpath.join(folder, "_rels", name + ".rels"), folder)
        sheets: list[str] = []
        date1904 = False

        def on_workbook(tag: str, attributes: dict[str, str]) -> None:
            nonlocal date1904
            if tag == "workbookPr":
                date1904 = attributes.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet":
                relationship = next((value for key, value in attributes.items() if key.endswith(":id")), "")
                kind, target = relationships.get(relationship, ("", ""))
                if kind == "worksheet":
                    sheets.append(target)
            elif name := unprefixed(tag):
                on_workbook(name, attributes)

        parse_xml(self.part(workbook_path, MAX_PART_BYTES), on_workbook)
        if not sheets:
            raise ImportRefused(_("This workbook has no sheet."))
        self.sheet_path = sheets[0]
        self.epoch: datetime = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        kinds = dict(relationships.values())
        self.date_styles, self.duration_styles = self.read_styles(kinds.get("styles"))
        self.strings = self.read_strings(kinds.get("sharedStrings"))

    def part(self, path: str, limit: int) -> Iterator[bytes]:
        """The unpacked bytes of the member at ``path``, in chunks; ``ImportRefused`` as soon as more than
        ``limit`` bytes have come out, whatever the zip declared."""
        if path not in self.names:
            raise unreadable_workbook()
        member = self.archive.getinfo(path)
        if member.file_size > limit:
            raise self.too_large(path, limit)
        unpacked = 0
        try:
            with self.archive.open(member) as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    unpacked += len(chunk)
                    if unpacked > limit:
                        raise self.too_large(path, limit)
                    yield chunk
        except ZIP_ERRORS as error:
            raise unreadable_workbook() from error

    def too_large(self, path: str, limit: int) -> ImportRefused:
        if path == self.sheet_path:
            return ImportRefused(
                _(
                    "The sheet is larger than %(most)s MB once unpacked: copy the list alone into a new file and "
                    "save it again.",
                    most=megabytes(limit),
                )
            )
        if limit == MAX_SHARED_TEXT_BYTES:
            return ImportRefused(
                _(
                    "The workbook's text is larger than %(most)s MB once unpacked: copy the list alone into a "
                    "new file and save it again.",
                    most=megabytes(limit),
                )
            )
        return ImportRefused(
            _(
                "A part of this workbook (%(part)s) is larger than %(most)s MB once unpacked: save the list alone, "
                "as CSV or XLSX.",
                part=path,
                most=megabytes(limit),
            )
        )

    def relationships(self, path: str, folder: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (kind, e.g. ``worksheet``; the target's path in the zip) of the part whose
        relationships are at ``path``, targets relative to ``folder``."""
        found: dict[str, tuple[str, str]] = {}
        if path not in self.names:
            return found

        def on_start(tag: str, attributes: dict[str, str]) -> None:
            if tag == "Relationship" and attributes.get("TargetMode") != "External":
                target = attributes.get("Target", "")
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
                found[attributes.get("Id", "")] = (attributes.get("Type", "").rpartition("/")[2], target)
            elif name := unprefixed(tag):
                on_start(name, attributes)

        parse_xml(self.part(path, MAX_PART_BYTES), on_start)
        return found

    def target(self, path: str, kind: str, folder: str) -> str | None:
        return next((target for found, target in self.relationships(path, folder).values() if found == kind), None)

    def read_styles(self, path: str | None) -> tuple[frozenset[int], frozenset[int]]:
        """(cell styles whose number format is a date, those among them that are durations), as openpyxl
        decides it (``is_date_format``)."""
        if path is None or path not in self.names:
            return frozenset(), frozenset()
        custom: dict[int, str] = {}
        formats: list[int] = []
        in_cell_formats = False

        def on_start(tag: str, attributes: dict[str, str]) -> None:
            nonlocal in_cell_formats
            if tag == "numFmt":
                custom[number(attributes.get("numFmtId"))] = attributes.get("formatCode", "")
            elif tag == "cellXfs":
                in_cell_formats = True
            elif tag == "xf":
                if in_cell_formats:
                    formats.append(number(attributes.get("numFmtId")))
            elif name := unprefixed(tag):
                on_start(name, attributes)

        def on_end(tag: str) -> None:
            nonlocal in_cell_formats
            if tag == "cellXfs":
                in_cell_formats = False
            elif name := unprefixed(tag):
                on_end(name)

        parse_xml(self.part(path, MAX_PART_BYTES), on_start, on_end)
        dates, durations = set(), set()
        for style, format_id in enumerate(formats):
            code = custom.get(format_id) or BUILTIN_FORMATS.get(format_id)
            if is_date_format(code):
                dates.add(style)
                if is_timedelta_format(code):
                    durations.add(style)
        return frozenset(dates), frozenset(durations)

    def read_strings(self, path: str | None) -> "SharedStrings":
        """The shared strings: each ``<si>``'s text runs joined, phonetic guides (``<rPh>``) left out."""
        strings = SharedStrings()
        if path is None or path not in self.names:
            return strings
        parts: list[str] = []
        length = 0
        capturing = False
        phonetic = 0

        def on_start(tag: str, _attributes: dict[str, str]) -> None:
            nonlocal capturing, length, phonetic
            if tag == "si":
                parts.clear()
                length = 0
            elif tag == "t":
                capturing = not phonetic
            elif tag == "rPh":
                phonetic += 1
            elif name := unprefixed(tag):
                on_start(name, _attributes)

        def on_end(tag: str) -> None:
            nonlocal capturing, phonetic
            if tag == "si":
                if len(strings) >= MAX_CELLS:
                    raise too_many_cells()
                strings.append("".join(parts) if len(parts) != 1 else parts[0])
            elif tag == "t":
                capturing = False
            elif tag == "rPh":
                phonetic -= 1
            elif name := unprefixed(tag):
                on_end(name)

        def on_text(text: str) -> None:
            nonlocal length
            if capturing:
                length += len(text)
                if length > MAX_CELL_CHARS:
                    raise cell_too_long(None)
                parts.append(text)

        parse_xml(self.part(path, MAX_SHARED_TEXT_BYTES), on_start, on_end, on_text)
        return strings

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, values of its first ``MAX_COLUMNS`` columns) for each row the sheet writes, as
        openpyxl gives values with ``data_only=True``: numbers, dates for date-formatted numbers, text,
        booleans, the cached result of a formula. Rows the sheet leaves out are not produced."""
        reader = SheetReader(self.strings, self.date_styles, self.duration_styles, self.epoch)
        parser = xml_parser(reader.start, reader.end, reader.text)
        try:
            for chunk in self.part(self.sheet_path, MAX_SHEET_BYTES):
                parser.Parse(chunk, False)
                yield from reader.take()
            parser.Parse(b"", True)
        except EndOfData:
            pass
        except (expat.ExpatError, ValueError, IndexError, OverflowError) as error:
            raise unreadable_workbook() from error
        yield from reader.take()

    def close(self) -> None:
        self.archive.close()


class SharedStrings:
    """A workbook's shared strings, kept as one UTF-8 buffer and the offset of each: a list of Python
    strings costs about 60 bytes per string more, 40 MB more for the 640,000 strings a workbook within
    the limits can hold. ``strings[i]`` decodes string ``i``; IndexError when there is none."""

    def __init__(self) -> None:
        self.text = bytearray()
        self.ends = array("I")

    def append(self, string: str) -> None:
        self.text += string.encode("utf-8", errors="surrogatepass")
        self.ends.append(len(self.text))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self.ends[index - 1] if index else 0
        return self.text[start : self.ends[index]].decode("utf-8", errors="surrogatepass")


class EndOfData(Exception):
    """The sheet's data has ended: what follows it (print settings, merged cells) is not read."""


class SheetReader:
    """The expat handlers reading a worksheet's ``<sheetData>``, counting rows and cells against the
    limits as they come."""

    def __init__(self, strings: SharedStrings, dates: frozenset[int], durations: frozenset[int], epoch: datetime):
        self.strings, self.dates, self.durations, self.epoch = strings, dates, durations, epoch
        self.done: list[tuple[int, list[Any]]] = []
        self.rows = self.cells = self.row_cells = 0
        self.row = self.column = 0
        self.values: list[Any] = []
        self.kind, self.style = "n", 0
        self.parts: list[str] = []
        self.length = 0
        self.capturing = self.in_cell = self.inline = False
        self.phonetic = 0

    def take(self) -> list[tuple[int, list[Any]]]:
        done, self.done = self.done, []
        return done

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == "c":
            self.cells += 1
            self.row_cells += 1
            if self.cells > MAX_CELLS:
                raise too_many_cells()
            if self.row_cells > MAX_ROW_CELLS:
                raise row_too_wide(self.row)
            reference = attributes.get("r")
            self.column = column_of(reference) if reference else self.column + 1
            if self.column > MAX_ROW_CELLS:
                raise row_too_wide(self.row)
            self.kind = attributes.get("t", "n")
            self.style = int(attributes.get("s") or 0)
            self.parts = []
            self.length = 0
            self.in_cell = True
        elif tag == "v":
            self.capturing = self.in_cell
        elif tag == "is":
            self.inline = True
        elif tag == "t":
            self.capturing = self.inline and not self.phonetic
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "row":
            self.rows += 1
            if self.rows > MAX_SHEET_ROWS:
                raise too_many_rows()
            self.row = int(attributes["r"]) if attributes.get("r") else self.row + 1
            if not 1 <= self.row <= LAST_ROW:
                raise ValueError(f"row {self.row}")
            self.row_cells = self.column = 0
            self.values = []
        elif name := unprefixed(tag):
            self.start(name, attributes)

    def end(self, tag: str) -> None:
        if tag == "c":
            self.in_cell = self.capturing = self.inline = False
            if self.column <= MAX_COLUMNS and (value := self.value()) is not None:
                if len(self.values) < self.column:
                    self.values.extend([None] * (self.column - len(self.values)))
                self.values[self.column - 1] = value
        elif tag in ("v", "t"):
            self.capturing = False
        elif tag == "is":
            self.inline = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "row":
            self.done.append((self.row, self.values))
        elif tag == "sheetData":
            raise EndOfData
        elif name := unprefixed(tag):
            self.end(name)

    def text(self, text: str) -> None:
        if self.capturing:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS:
                raise cell_too_long(self.row)
            self.parts.append(text)

    def value(self) -> Any:
        """The cell just read, as openpyxl's reader gives it (``data_only=True``)."""
        text = "".join(self.parts)
        kind = self.kind
        if kind == "inlineStr":
            return text if self.parts else None
        if not text:
            return None
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        value = float(text) if "." in text or "e" in text or "E" in text else int(text)
        if self.style in self.dates:
            try:
                return from_excel(value, self.epoch, timedelta=self.style in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return value


COLUMNS_BY_LETTERS: dict[str, int] = {}


def column_of(reference: str) -> int:
    """``"AB12"`` → 28 (cached for capital letters, as Excel writes them: it is asked for every cell). Raises
    ValueError for a reference without column letters."""
    letters = reference.rstrip("0123456789")
    column = COLUMNS_BY_LETTERS.get(letters)
    if column is None:
        if not letters.isalpha() or not letters.isascii() or len(letters) > 3:
            raise ValueError(reference)
        column = 0
        for letter in letters.upper():
            column = column * 26 + ord(letter) - 64
        if letters.isupper():
            COLUMNS_BY_LETTERS[letters] = column  # at most 18,278 of them
    return column


def number(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return -1


def xml_parser(
    on_start: Callable[[str, dict[str, str]], None],
    on_end: Callable[[str], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> "expat.XMLParserType":
    """An expat parser calling the handlers directly (they are called millions of times: no wrapper) and
    refusing document type declarations, so that no entity can expand. Handlers get element names as
    written; each passes a prefixed name (``x:row``, as some tools write them) on to itself without the
    prefix (``unprefixed``): namespaces play no part in what is read. Handler exceptions propagate out
    of ``Parse``."""
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse_doctype(*_args) -> None:
        raise ValueError("document type declarations are not read")

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = on_start
    if on_end is not None:
        parser.EndElementHandler = on_end
    if on_text is not None:
        parser.CharacterDataHandler = on_text
    return parser


def unprefixed(tag: str) -> str | None:
    """``"x:row"`` → ``"row"``; None for a name without a prefix (the handler has seen it already)."""
    _prefix, colon, name = tag.rpartition(":")
    return name if colon else None


def parse_xml(
    chunks: Iterable[bytes],
    on_start: Callable[[str, dict[str, str]], None],
    on_end: Callable[[str], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> None:
    """Parse a whole part with ``xml_parser``'s handlers; a part that is not XML is an unreadable workbook."""
    parser = xml_parser(on_start, on_end, on_text)
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, ValueError) as error:
        raise unreadable_workbook() from error
