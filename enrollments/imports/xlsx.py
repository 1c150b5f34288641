"""Reading the first sheet of an XLSX workbook into rows of raw cells, within the limits of ``limits``.

An XLSX file is a zip of XML parts: 5 MB of it can unpack to gigabytes, and openpyxl, even read-only,
expands every shared string into memory, builds a whole row before it hands it over, and trusts the
sheet's own idea of its size. Outside review found a 242 KB workbook that took 47 s and 938 MB, and rows
of millions of cells that took a worker down (issue 12, item 6). So the workbook is read here, not by
openpyxl: each part it needs (package relationships, workbook, styles, shared strings, the first sheet)
streamed out of the zip in chunks, counted as it unpacks, and parsed with expat as it arrives, with every
limit checked as the count goes up. A file over a limit is refused at that moment with a message that
names the limit; nothing past it is unpacked or kept. Only the first ``MAX_COLUMNS`` columns of each row are
kept.

Nothing here touches the database: pages read the file before their first write (see ``pages``), so a
file being read holds no lock.
"""

import io
import posixpath
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from xml.parsers import expat

from flask_babel import format_number
from flask_babel import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from enrollments.imports import limits
from enrollments.imports.limits import ImportRefused, cell_too_long, row_too_wide, too_many_cells, too_many_rows

# Excel's grid: 1,048,576 rows.
LAST_ROW = 1_048_576
CHUNK_BYTES = 64 * 1024
# What the zip library raises for a damaged or unusual zip (an unknown version or compression, encryption).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, ValueError,
              struct.error)  # fmt: skip


def megabytes(size: int) -> str:
    return format_number(size // (1024 * 1024))


def unreadable_workbook() -> ImportRefused:
    return ImportRefused(_("This file could not be read as an Excel workbook (.xlsx): save it again."))


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
        if sum(member.file_size for member in members) > limits.MAX_UNPACKED_BYTES:
            raise ImportRefused(
                _(
                    "This workbook is larger than %(most)s MB once unpacked: save the list alone, as CSV or XLSX.",
                    most=megabytes(limits.MAX_UNPACKED_BYTES),
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

        parse_xml(self.part(workbook_path, limits.MAX_PART_BYTES), on_workbook)
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
        if limit == limits.MAX_SHARED_TEXT_BYTES:
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

        parse_xml(self.part(path, limits.MAX_PART_BYTES), on_start)
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

        parse_xml(self.part(path, limits.MAX_PART_BYTES), on_start, on_end)
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
                if len(strings) >= limits.MAX_CELLS:
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
                if length > limits.MAX_CELL_CHARS:
                    raise cell_too_long(None)
                parts.append(text)

        parse_xml(self.part(path, limits.MAX_SHARED_TEXT_BYTES), on_start, on_end, on_text)
        return strings

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, values of its first ``MAX_COLUMNS`` columns) for each row the sheet writes, as
        openpyxl gives values with ``data_only=True``: numbers, dates for date-formatted numbers, text,
        booleans, the cached result of a formula. Rows the sheet leaves out are not produced."""
        reader = SheetReader(self.strings, self.date_styles, self.duration_styles, self.epoch)
        parser = xml_parser(reader.start, reader.end, reader.text)
        try:
            for chunk in self.part(self.sheet_path, limits.MAX_SHEET_BYTES):
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
            if self.cells > limits.MAX_CELLS:
                raise too_many_cells()
            if self.row_cells > limits.MAX_ROW_CELLS:
                raise row_too_wide(self.row)
            reference = attributes.get("r")
            self.column = column_of(reference) if reference else self.column + 1
            if self.column > limits.MAX_ROW_CELLS:
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
            if self.rows > limits.MAX_SHEET_ROWS:
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
            if self.column <= limits.MAX_COLUMNS and (value := self.value()) is not None:
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
            if self.length > limits.MAX_CELL_CHARS:
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
