"""Attendance from a file (a lab's biometric device, an online session's report): CSV or XLSX with the columns
date, CNIC or application number, and status (present, absent or late), read within the limits of the list
imports (``enrollments.imports.limits``: size, rows, cells).

All or nothing: every row is checked before anything is written, and the first wrong cell is named by its row
and column. Each day in the file is then saved as ``take_attendance`` saves a register (one audit event a day);
everyone on a day's register whom the file does not list for that day is marked absent: a device lists who
came.
"""

import csv
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _

from attendance.models import AttendanceRegister
from attendance.services import AttendanceRefused, on_register, register_of, take_attendance
from auth.models import UserAccount
from courses.models import Cohort
from enrollments.identity import InvalidInput
from enrollments.imports import limits
from enrollments.imports.cells import cell_text, read_cnic, read_date
from enrollments.imports.limits import ImportRefused
from enrollments.imports.reading import csv_rows, decode_text
from enrollments.imports.xlsx import Workbook
from language import long_date
from refusals import Refusal

# Headings each column is found by (compared lower-case, spaces and punctuation as typed).
HEADINGS = {
    "date": ("date", "day", "class day", "تاریخ", "دن"),
    "cnic": ("cnic", "cnic number", "cnic no", "شناختی کارڈ", "شناختی کارڈ نمبر"),
    "application": ("application", "application number", "application no", "enrollment", "enrollment id", "place"),
    "status": ("status", "attendance", "mark", "حاضری", "کیفیت"),
}
STATUS_WORDS = {
    "present": "present",
    "p": "present",
    "حاضر": "present",
    "absent": "absent",
    "a": "absent",
    "غیر حاضر": "absent",
    "late": "late",
    "l": "late",
    "دیر": "late",
    "دیر سے": "late",
}


@dataclass(frozen=True)
class MarkRow:
    """One row of the file: its spreadsheet number and raw cells."""

    number: int
    cells: dict[str, Any]


def field_of(heading: Any) -> str | None:
    key = " ".join(cell_text(heading).lower().replace("_", " ").split())
    return next((name for name, words in HEADINGS.items() if key in words), None)


def read_rows(data: bytes, filename: str = "") -> tuple[list[MarkRow], Any]:
    """The file's rows under its heading row (the first row naming at least two columns), with the XLSX
    date system. Raises ``ImportRefused`` (on "file") for an empty, too big or unreadable file, one past the
    import limits, or one without the columns."""
    if not data:
        raise ImportRefused(_("The file is empty."), "file")
    if len(data) > limits.MAX_FILE_BYTES:
        raise ImportRefused(_("The file is larger than 5 MB: split it into smaller files."), "file")
    epoch = None
    if data.startswith(b"PK\x03\x04"):
        workbook = Workbook(data)
        try:
            raw, epoch = list(workbook.rows()), workbook.epoch
        finally:
            workbook.close()
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportRefused(_("This file is not a valid Excel workbook: save it again as .xlsx or CSV."), "file")
    else:
        text = decode_text(data).replace("\x00", "")
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        try:
            raw = list(csv_rows(text, delimiter))
        except csv.Error as error:
            raise ImportRefused(
                _("The file could not be read as CSV (%(error)s): save it again as CSV or XLSX.", error=error), "file"
            ) from error
    index, positions = heading_of(raw)
    rows = []
    for number, cells in raw[index + 1 :]:
        values = {name: cells[at] if at < len(cells) else None for name, at in positions.items()}
        if all(cell_text(value) == "" for value in values.values()):
            continue
        if len(rows) >= limits.MAX_ROWS:
            raise ImportRefused(
                _(
                    "The file has more than %(most)s rows: split it into smaller files.",
                    most=format_number(limits.MAX_ROWS),
                ),
                "file",
            )
        rows.append(MarkRow(number, values))
    if not rows:
        raise ImportRefused(_("The file has headings but no rows of attendance."), "file")
    return rows, epoch


def heading_of(raw: list[tuple[int, list[Any]]]) -> tuple[int, dict[str, int]]:
    """The heading row among the first ten (the first naming at least two columns): its index, and each
    column's position. Raises ``ImportRefused`` when the date, the status or who (CNIC or application number)
    is missing."""
    for index, (_number, cells) in enumerate(raw[:10]):
        positions = {name: at for at, cell in enumerate(cells) if (name := field_of(cell))}
        if len(positions) >= 2:
            if "date" in positions and "status" in positions and {"cnic", "application"} & set(positions):
                return index, positions
            break
    raise ImportRefused(missing_columns(), "file")


def missing_columns() -> str:
    return _("The first row should name the columns: date, CNIC (or application number), and status.")


def row_refusal(row: MarkRow, column: str, message: str) -> AttendanceRefused:
    return AttendanceRefused(
        _("Row %(row)s, %(column)s: %(message)s", row=format_number(row.number), column=column, message=message),
        "file",
    )


def marks_by_day(cohort: Cohort, rows: list[MarkRow], epoch) -> dict[date, tuple[list[int], list[int]]]:
    """Each day's absent and late enrollment ids, from ``rows``: every row checked (its date, its trainee on
    that day's register, its status), the first wrong cell refused with its row and column."""
    seen: dict[date, dict[int, str]] = {}
    places_of: dict[date, dict[str, Any]] = {}
    for row in rows:
        try:
            day = read_date(row.cells["date"], epoch=epoch)
        except InvalidInput:
            raise row_refusal(row, _("date"), _("write the date as day/month/year, e.g. 18/11/2026.")) from None
        if day not in places_of:
            places = on_register(cohort, day, register_of(cohort, day))
            places_of[day] = {
                "cnic": {place.trainee.cnic: place.id for place in places},
                "ids": {place.id for place in places},
            }
        enrollment_id = place_in_row(row, day, places_of[day])
        status = STATUS_WORDS.get(" ".join(cell_text(row.cells["status"]).lower().split()))
        if status is None:
            raise row_refusal(row, _("status"), _("write present, absent or late."))
        if seen.setdefault(day, {}).setdefault(enrollment_id, status) != status:
            raise row_refusal(row, _("status"), _("this trainee is listed twice on %(day)s.", day=long_date(day)))
    marks = {}
    for day, statuses in seen.items():
        listed = set(statuses)
        absent = [i for i in places_of[day]["ids"] if i not in listed or statuses[i] == "absent"]
        late = [i for i, status in statuses.items() if status == "late"]
        marks[day] = (absent, late)
    return marks


def place_in_row(row: MarkRow, day: date, places: dict[str, Any]) -> int:
    """The enrollment a row is about, on ``day``'s register: by CNIC, else by application number."""
    if cell_text(row.cells.get("cnic")):
        try:
            cnic = read_cnic(row.cells["cnic"])
        except InvalidInput as error:
            raise row_refusal(row, _("CNIC"), str(error)) from None
        if cnic not in places["cnic"]:
            raise row_refusal(
                row, _("CNIC"), _("nobody with this CNIC is on the register of %(day)s.", day=long_date(day))
            )
        return places["cnic"][cnic]
    number = cell_text(row.cells.get("application"))
    if not number.isdigit() or int(number) not in places["ids"]:
        raise row_refusal(
            row,
            _("application number"),
            _("no place with this number is on the register of %(day)s.", day=long_date(day)),
        )
    return int(number)


def upload_attendance(
    cohort: Cohort, data: bytes, filename: str, *, actor: UserAccount, reason: str = ""
) -> list[AttendanceRegister]:
    """Save the days of an attendance file (see the module's docstring): all of them, or, when any row or
    day is refused, none. A day marked before is replaced (a correction: a past day needs ``reason``, as on
    the register page). Returns the registers saved, by day."""
    rows, epoch = read_rows(data, filename)
    marks = marks_by_day(cohort, rows, epoch)
    saved = []
    for day in sorted(marks):
        absent, late = marks[day]
        try:
            saved.append(take_attendance(cohort, day, absent=absent, late=late, actor=actor, reason=reason))
        except Refusal as error:
            field = error.field if error.field == "reason" else "file"
            raise AttendanceRefused(
                _("%(day)s: %(message)s", day=long_date(day), message=error.message), field
            ) from None
    return saved
