"""Downloads of the audit tables as CSV and XLSX: streamed so that memory stays flat at any size, safe to
open in a spreadsheet, and each one kept in the audit trail.

- **Streaming.** Rows are read in keyset pages (``KeysetSource``: ``WHERE key > last ORDER BY key LIMIT
  n``), each page in its own short read transaction, so that neither database holds a snapshot open
  while a slow client downloads. A CSV goes out page by page as it is read; an XLSX is written row by
  row by openpyxl's write-only workbook into a temporary file (a zip cannot be sent before it is
  finished), and that file is then sent in blocks.
- **Formulas.** A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some,
  tab or carriage return) as a formula. Every text cell that starts so gets a leading ``'`` (OWASP, "CSV
  injection"), in both formats; numbers and dates stay numbers and dates.
- **Audit.** ``send`` records one ``export.<what>`` event (format, filters, row count) and commits it
  before the first byte leaves. Exports are GET requests, which on SQLite run in deferred read-only
  transactions (``database.register_request_hooks``): the read transaction is ended first and the event
  is written in a transaction of its own that starts with ``BEGIN IMMEDIATE``.
"""

import csv
import io
import os
import re
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any

from flask import Flask, Response, current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, Select, func

from audit.events import jsonable, record
from auth.models import UserAccount
from clock import local_today
from database import sqlite_may_write, sqlite_read_only
from enrollments.identity import format_cnic, format_phone, mask_cnic
from extensions import db

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Rows read per query. Large enough that a million rows take a few hundred short queries, small enough
# that a page of rows and its CSV text stay well under a megabyte or two.
PAGE_ROWS = 2000
# Excel's sheets hold 1,048,576 rows; the heading takes one. Longer exports continue on a new sheet.
XLSX_SHEET_ROWS = 1_048_575
SEND_BLOCK = 256 * 1024

# What a spreadsheet may take for the start of a formula (OWASP), with the full-width forms that some
# spreadsheet locales read as the same characters.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters no XML document (so no XLSX cell) may hold: control characters other than tab, LF and CR.
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# Cells -------------------------------------------------------------------------------------------------


def neutralised(text: str) -> str:
    """``text`` as a spreadsheet will show it rather than run it: a leading ``'`` when it starts like a
    formula (``=HYPERLINK(...)`` → ``'=HYPERLINK(...)``)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "seconds")


# By exact type, not ``isinstance`` chains: a million-row export converts twelve million cells.
CSV_CELLS: dict[type, Callable[[Any], Any]] = {
    str: neutralised,
    int: lambda value: value,
    bool: lambda value: "yes" if value else "no",
    float: lambda value: round(value, 4),
    type(None): lambda value: "",
    date: date.isoformat,
    datetime: _csv_datetime,
}


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: numbers as they are, ratios to four places, dates in ISO 8601 (times in
    UTC), yes/no for booleans, nothing for None, text (and anything else, as text) neutralised."""
    convert = CSV_CELLS.get(type(value))
    if convert is not None:
        return convert(value)
    for kind in (bool, int, float, datetime, date):  # subclasses (an IntEnum, a str enum's cousins)
        if isinstance(value, kind):
            return CSV_CELLS[kind](value)
    return neutralised(str(value))


def csv_row(row: Sequence[Any]) -> list[Any]:
    """``csv_cell`` of every value, with text and whole numbers (nearly every cell) converted inline: a
    third faster over a million rows than a call per cell."""
    return [
        ("'" + value if value.startswith(FORMULA_STARTS) else value)
        if type(value) is str
        else (value if type(value) is int else csv_cell(value))
        for value in row
    ]


def xlsx_cell(value: Any) -> Any:
    """A value as an XLSX cell: numbers and dates as numbers and dates (times as UTC: Excel has no time
    zones), yes/no for booleans, text neutralised and without the control characters XML refuses."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return neutralised(NOT_IN_XML.sub("", str(value)))


# Identity in exports --------------------------------------------------------------------------------------

PAKISTANI_MOBILE = re.compile(r"\+923\d{9}")


def exported_cnic(cnic: str, masked: bool) -> str:
    """A CNIC as printed on the card (``35202-1234567-1``), or masked (``35202-*******-1``)."""
    return mask_cnic(cnic) if masked else format_cnic(cnic)


def exported_phone(phone: str, masked: bool) -> str:
    """A phone number as people dial it from Pakistan: ``0300 1234567`` (``+923001234567`` stored), foreign
    numbers with ``00`` for the ``+`` (so that no cell starts like a formula). Masked, every digit but the
    trunk ``0`` and the last three is a star: ``0*** ****567``.

    Pakistani mobiles (nearly all trainees) are formatted directly: ``phonenumbers`` would take tens of
    microseconds per row, a minute over a million trainees."""
    if PAKISTANI_MOBILE.fullmatch(phone):
        return f"0*** ****{phone[-3:]}" if masked else f"0{phone[3:6]} {phone[6:]}"
    dialled = format_phone(phone)
    if dialled.startswith("+"):
        dialled = "00" + dialled[1:]
    if not masked:
        return dialled
    prefix = len(dialled) - len(dialled.lstrip("0"))
    digits = sum(char.isdigit() for char in dialled)
    shown, seen = [], 0
    for index, char in enumerate(dialled):
        if char.isdigit():
            seen += 1
            if index >= prefix and seen <= digits - 3:
                char = "*"
        shown.append(char)
    return "".join(shown)


# Sources of rows -----------------------------------------------------------------------------------------


class KeysetSource:
    """The rows of ``statement`` in pages of ``page_rows``: each page is the next rows after the last
    row seen (``after(statement, last_row)`` adds the condition), read in its own short read-only
    transaction. ``shape`` turns a page of database rows into rows of exported cells (a page at a time,
    so that it can look up names for the whole page at once).

    The statement is ordered by (or ending with) a unique key that ``after`` continues from; its first
    column is ``key``, the row's id. ``count`` also fixes the export to the rows that exist when it is
    called (ids up to the largest then): rows added while a long download streams (its own audit event
    among them) are left for the next one, so that the count recorded is the count sent. ``counted``, when
    given, is the same rows written for counting (its conditions in the form an index serves best)."""

    def __init__(
        self,
        statement: Select,
        key: ColumnElement[int],
        after: Callable[[Select, Any], Select],
        shape: Callable[[list[Any]], list[Sequence[Any]]],
        page_rows: int | None = None,
        counted: Select | None = None,
    ) -> None:
        self.statement, self.key, self.after, self.shape = statement, key, after, shape
        self.page_rows = page_rows or PAGE_ROWS
        self.counted = counted

    def count(self) -> int:
        # Two queries rather than one: a count alone can be answered from an index (PostgreSQL: an
        # index-only scan), and the largest key alone by walking the primary key from its end (written
        # as ORDER BY ... LIMIT 1, which PostgreSQL plans so even where it would not for max()).
        counted = (self.counted if self.counted is not None else self.statement).order_by(None)
        with sqlite_read_only():
            highest = db.session.scalar(counted.with_only_columns(self.key).order_by(self.key.desc()).limit(1))
            total = db.session.scalar(counted.with_only_columns(func.count()).select_from(*counted.get_final_froms()))
        self.statement = self.statement.where(self.key <= (highest or 0))
        return total

    def pages(self) -> Iterator[list[Sequence[Any]]]:
        last = None
        while True:
            statement = self.statement if last is None else self.after(self.statement, last)
            # Read-only whatever the request's state: a streamed body is read after the request's teardown
            # has reset the SQLite transaction mode. Each page ends its transaction, holding no snapshot.
            with sqlite_read_only():
                # Through the session's connection: plain Core rows, without the ORM's result machinery.
                rows = db.session.connection().execute(statement.limit(self.page_rows)).all()
                shaped = self.shape(rows) if rows else []
                db.session.rollback()
            if shaped:
                yield shaped
            if len(rows) < self.page_rows:
                return
            last = rows[-1]


class ListSource:
    """Rows already in memory (a report of a few hundred groups at most, one centre's cohorts)."""

    def __init__(self, rows: list[Sequence[Any]]) -> None:
        self.rows = rows

    def count(self) -> int:
        return len(self.rows)

    def pages(self) -> Iterator[list[Sequence[Any]]]:
        if self.rows:
            yield self.rows


@dataclass
class Table:
    """One export: what it is (``what``: ``export.<what>`` in the audit trail and ``markaz-<what>`` in the
    file name), its headings and rows, and what the audit event keeps (the filters, the object it is
    about and that object's centre)."""

    what: str
    title: str
    headings: list[str]
    source: KeysetSource | ListSource
    filters: dict[str, Any] = field(default_factory=dict)
    name_parts: tuple[str, ...] = ()
    about: Any = None
    centre_id: int | None = None
    # What the columns mean, (heading, definition) pairs: under the table after a blank row in CSV, on a
    # sheet of their own ("Definitions") in XLSX; not rows of the table (the audit event does not count them).
    notes: list[tuple[str, str]] = field(default_factory=list)

    def filename(self, fmt: str, today: date) -> str:
        """``markaz-capacity-province-2026-11-21.csv``."""
        parts = ["markaz", self.what.replace("_", "-"), *self.name_parts, today.isoformat()]
        return "-".join(re.sub(r"[^A-Za-z0-9]+", "-", part).strip("-") for part in parts if part) + "." + fmt


NOTES_SHEET = "Definitions"


# Writing ------------------------------------------------------------------------------------------------


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The CSV file, a page of rows at a time: UTF-8 with a byte-order mark (Excel then reads Urdu names
    right), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralised(heading) for heading in table.headings])
    yield ("\ufeff" + buffer.getvalue()).encode()
    for page in table.source.pages():
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(row) for row in page)
        yield buffer.getvalue().encode()
    if table.notes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([])
        writer.writerows(csv_row(note) for note in table.notes)
        yield buffer.getvalue().encode()


def write_xlsx(table: Table, into: IO[bytes]) -> int:
    """Write the table as an XLSX workbook into ``into``, returning the number of rows. openpyxl's
    write-only mode streams each row to a temporary file as it is appended, so memory stays flat; a
    table longer than a sheet continues on ``Title (2)``, ``Title (3)``..."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def new_sheet(number: int):
        sheet = workbook.create_sheet(table.title[:28] if number == 1 else f"{table.title[:24]} ({number})")
        for column, heading in enumerate(table.headings, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = max(10, min(len(heading) + 4, 40))
        sheet.freeze_panes = "A2"
        heading_row = []
        for heading in table.headings:
            cell = WriteOnlyCell(sheet, value=xlsx_cell(heading))
            cell.font = bold
            heading_row.append(cell)
        sheet.append(heading_row)
        return sheet

    sheets = 1
    sheet, on_sheet, total = new_sheet(sheets), 0, 0
    for page in table.source.pages():
        for row in page:
            if on_sheet == XLSX_SHEET_ROWS:
                sheets += 1
                sheet, on_sheet = new_sheet(sheets), 0
            sheet.append([xlsx_cell(value) for value in row])
            on_sheet += 1
            total += 1
    if table.notes:
        notes = workbook.create_sheet(NOTES_SHEET)
        notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 40, 120
        for note in table.notes:
            notes.append([xlsx_cell(value) for value in note])
    workbook.save(into)
    return total


def in_app_context(app: Flask, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks``, each produced inside a fresh app context (its own database session, removed with it).

    Not ``stream_with_context``: that re-pushes the request's contexts once and pops them after the last
    chunk, but a server may read successive chunks in different ``contextvars`` contexts (the test client
    reads the first while serving the request and the rest in the test), and a context variable cannot
    be reset from another context. Here every push is popped before the chunk is handed over. Rows need
    only the app; what they needed from the request was read before the response was returned."""
    iterator = iter(chunks)
    try:
        while True:
            with app.app_context():
                chunk = next(iterator, None)
            if chunk is None:
                return
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def record_export(actor: UserAccount, table: Table, fmt: str, rows: int) -> None:
    """Write and commit the ``export.<what>`` audit event of this download (see the module docstring
    for why it ends the request's read transaction first)."""
    db.session.rollback()  # a deferred SQLite read transaction cannot safely turn into a write one
    token = sqlite_may_write.set(True)
    try:
        record(
            actor,
            f"export.{table.what}",
            table.about if table.about is not None else actor,
            after={"format": fmt, "filters": jsonable_filters(table.filters), "rows": rows},
            centre_id=table.centre_id,
        )
        db.session.commit()
    finally:
        sqlite_may_write.reset(token)


def jsonable_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that narrowed an export, without those left unset, as JSON can hold them."""
    return {name: jsonable(value) for name, value in filters.items() if value not in (None, "", False)}


def send(table: Table, fmt: str, *, actor: UserAccount) -> Response:
    """The download of ``table`` in ``fmt`` (``csv`` or ``xlsx``), recorded in the audit trail first.

    CSV: the rows are counted, the event recorded, and the file streamed page by page as it is read.
    XLSX: the workbook is written to a temporary file (its rows counted as written), the event recorded,
    and the file sent in blocks; the file disappears when the response is closed."""
    filename = table.filename(fmt, local_today())
    if fmt == "csv":
        record_export(actor, table, fmt, table.source.count())
        response = Response(in_app_context(current_app._get_current_object(), csv_chunks(table)), mimetype="text/csv")
        response.headers["Content-Type"] = MEDIA_TYPES["csv"]
        response.headers.set("Content-Disposition", "attachment", filename=filename)
    else:
        response = send_workbook(table, actor, filename)
    # Proxies must pass the rows on as they come rather than gather the whole file first.
    response.headers["X-Accel-Buffering"] = "no"
    return response


class FileBlocks:
    """A finished file as a response body, read in blocks; closed (an unnamed temporary file is then gone)
    when the server closes the response, or when the body is dropped unread."""

    def __init__(self, file: IO[bytes], block: int = SEND_BLOCK) -> None:
        self.file, self.block = file, block
        self._close = weakref.finalize(self, file.close)

    def __iter__(self) -> Iterator[bytes]:
        while block := self.file.read(self.block):
            yield block

    def close(self) -> None:
        self._close()


def send_workbook(table: Table, actor: UserAccount, filename: str) -> Response:
    """Write ``table`` to a temporary XLSX file, record the export, and answer with the file, sent in
    blocks. The file has no name on disk: it is gone once the response is closed, or at once if anything
    fails before."""
    workbook = tempfile.TemporaryFile(prefix="markaz-export-", suffix=".xlsx")  # noqa: SIM115 (closed by FileBlocks)
    try:
        rows = write_xlsx(table, workbook)
        record_export(actor, table, "xlsx", rows)
        size = workbook.seek(0, os.SEEK_END)
        workbook.seek(0)
    except BaseException:
        workbook.close()
        raise
    response = Response(FileBlocks(workbook), mimetype=MEDIA_TYPES["xlsx"])
    response.headers["Content-Length"] = str(size)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
