"""Bulk import of trainees from the lists partner universities and NGOs send (CSV or XLSX), optionally
registering them all into one cohort of the centre (DESIGN.md, "Input people will really type").

Three steps, each a plain function:

1. ``read_sheet``: the file as rows of raw cells, whatever it is — XLSX, or CSV in UTF-8 (with or
   without BOM), UTF-16 (Excel's "Unicode text"), Windows-1252 or Windows-1256 (Urdu Windows),
   separated by commas, semicolons or tabs — read within the limits of ``enrollments.import_reading``
   (rows, cells, unpacked sizes: no file can make the reading slow or large). Columns are found by their
   heading, with common aliases. Pages read the file before their first write (``import_pages``).
2. ``check_rows``: every row normalised and checked, problems listed by spreadsheet row (the heading
   is row 1, as the spreadsheet numbers it) and column. Existing CNICs, enrollments and districts are
   looked up in bulk, one query per chunk of rows. Nothing is written.
3. ``confirm_import``: the stored file checked again (the data may have changed since the preview),
   then every valid row created and registered in the caller's transaction. A row the enrollment rules
   refuse is rolled back on its own (a savepoint) and reported; any other error propagates, and the
   request rolls back everything.

The upload waits between preview and confirmation in ``ImportBatch`` (the app keeps no state in its
processes). Nothing here commits.
"""

import csv
import difflib
import io
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from babel.lists import format_list
from flask_babel import format_number, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_handle_import, can_manage_centre
from centres.models import Centre, District
from courses.models import Cohort
from database import chunked, utcnow
from enrollments.eligibility import unmet_requirements
from enrollments.identity import (
    URDU_DIGITS,
    InvalidInput,
    check_date_of_birth,
    format_cnic,
    normalise_cnic,
    normalise_name,
    normalise_phone,
)
from enrollments.import_models import ImportBatch, ImportStatus
from enrollments.import_reading import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    URDU_YEH,
    ImportRefused,
    Workbook,
    csv_rows,
    decode_text,
)
from enrollments.models import Enrollment, Trainee
from enrollments.services import NotAllowed, closed_reason, places_refusal, register_many
from enrollments.trainees import TraineeDetails, create_trainees, record_lookups
from extensions import db
from refusals import Conflict, Refusal
from vocabulary import (
    ACTIVE_ENROLLMENT_STATUSES,
    Area,
    CohortStatus,
    Education,
    EnrollmentSource,
    EnrollmentStatus,
    Gender,
)

# How long an upload waits for its confirmation; after that it must be uploaded again.
BATCH_LIFETIME = timedelta(days=1)
# Rows searched for the heading (a title line may come first).
HEADER_SEARCH_ROWS = 10
# Characters of a CSV file its delimiter is guessed from: the first lines, however long they are.
DELIMITER_SAMPLE_CHARS = 64 * 1024


class ImportNotPossible(Conflict):
    """The batch cannot be confirmed (imported already, too old, its cohort stopped taking applications)."""

    code = "import_not_possible"


# Permission -----------------------------------------------------------------------------------------


# Columns --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column the import reads: ``label`` is how pages name it; ``aliases`` are headings that mean it,
    compared as ``heading_key`` makes them (case, spaces and punctuation ignored)."""

    field: str
    label: str
    required: bool
    aliases: tuple[str, ...]
    hint: str = ""


COLUMNS = (
    Column(
        "cnic",
        _l("CNIC"),
        True,
        ("cnic", "cnicno", "cnicnumber", "cnicnum", "nic", "nicno", "nicnumber", "idcardno", "idcardnumber",
         "cnicbform", "cnicorbform", "bform", "bformno", "شناختی کارڈ", "شناختی کارڈ نمبر"),
        _l("13 digits, with or without dashes: 35202-1234567-1."),
    ),
    Column(
        "full_name",
        _l("Name"),
        True,
        ("name", "fullname", "traineename", "studentname", "candidatename", "applicantname", "participantname",
         "nameoftrainee", "nameofstudent", "nameofcandidate", "نام", "پورا نام"),
        _l("As on the CNIC, in Urdu or English script."),
    ),
    Column("gender", _l("Gender"), True, ("gender", "sex", "جنس"), _l("Female, male or transgender (or F, M, T).")),
    Column(
        "date_of_birth",
        _l("Date of birth"),
        True,
        ("dob", "dateofbirth", "birthdate", "dateofbirthdob", "born", "تاریخ پیدائش"),
        _l("A date cell, or 15/01/2000, 15-01-2000, 15.1.2000, 2000-01-15."),
    ),
    Column(
        "phone",
        _l("Phone"),
        True,
        ("phone", "phoneno", "phonenumber", "mobile", "mobileno", "mobilenumber", "cell", "cellno", "cellnumber",
         "contact", "contactno", "contactnumber", "موبائل", "موبائل نمبر", "فون", "فون نمبر"),
        _l("0300 1234567, +92 300 1234567 or 92-300-1234567."),
    ),
    Column(
        "district",
        _l("District"),
        True,
        ("district", "districtname", "ضلع"),
        _l("Its name in English or Urdu. A name found in several provinces means the centre's province."),
    ),
    Column(
        "area",
        _l("Area"),
        False,
        ("area", "areatype", "urbanrural", "locality", "علاقہ"),
        _l("Urban, semi-urban or rural. Empty: rural for a rural district, otherwise urban."),
    ),
    Column(
        "education",
        _l("Education"),
        False,
        ("education", "qualification", "highestqualification", "highesteducation", "تعلیم", "تعلیمی قابلیت"),
        _l(
            "Highest completed: none, primary, middle, matric, intermediate (FA/FSc), bachelor, master, doctorate. "
            "Empty: matric, except for a course that asks for some education: then it must be given."
        ),
    ),
    Column("email", _l("Email"), False, ("email", "emailaddress", "mail", "ای میل"), _l("May be empty.")),
    Column(
        "disability",
        _l("Disability"),
        False,
        ("disability", "disabled", "pwd", "personwithdisability", "معذوری"),
        _l("Yes or no. Empty: no."),
    ),
)  # fmt: skip
COLUMN_OF = {column.field: column for column in COLUMNS}
REQUIRED = tuple(column.field for column in COLUMNS if column.required)


def listed(items: Iterable[object]) -> str:
    """``a and b`` (``a, b, and c``) in the reader's language: provinces, row numbers."""
    return format_list([str(item) for item in items], locale=get_locale() or "en")


def heading_key(text: object) -> str:
    """A heading or a word as compared: NFC, case-folded, without hints in brackets, spaces or
    punctuation (``"CNIC No."`` → ``"cnicno"``, ``"Date of birth (dd/mm/yyyy)"`` → ``"dateofbirth"``)."""
    value = unicodedata.normalize("NFC", str(text or "")).casefold().translate(URDU_YEH)
    value = re.sub(r"\(.*?\)|\[.*?\]", "", value)
    return "".join(char for char in value if char.isalnum())


FIELD_OF_HEADING = {heading_key(alias): column.field for column in COLUMNS for alias in column.aliases}


# Reading a file -------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A file as read: ``columns`` maps each field found to its heading as written in the file, ``rows``
    are (spreadsheet row number, field → raw cell) for every non-blank row under the heading."""

    columns: dict[str, str]
    rows: list[tuple[int, dict[str, Any]]]
    ignored: list[str] = field(default_factory=list)
    epoch: datetime | None = None  # XLSX: the workbook's date system, for serial numbers


def read_sheet(data: bytes, filename: str = "") -> Sheet:
    """Read an uploaded list. Raises ``ImportRefused`` saying what to do when the file is empty, too
    big, not CSV or XLSX, unreadable, past one of the limits of ``enrollments.import_reading`` (rows,
    cells, unpacked size), has more than ``MAX_ROWS`` rows of data, or lacks a required column."""
    if not data:
        raise ImportRefused(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(_("The file is larger than 5 MB: split it into smaller files."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _("This is an old Excel file (.xls): save it as Excel Workbook (.xlsx) or as CSV and upload it again.")
        )
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportRefused(_("This file is not a valid Excel workbook: save it again as .xlsx or CSV."))
    return read_csv(data)


def read_xlsx(data: bytes) -> Sheet:
    """The first sheet of an XLSX workbook, read within bounds (``import_reading.Workbook``): cells
    formatted as dates arrive as dates, other numbers as numbers."""
    workbook = Workbook(data)
    try:
        return build_sheet(workbook.rows(), epoch=workbook.epoch)
    finally:
        workbook.close()


def read_csv(data: bytes) -> Sheet:
    text = decode_text(data).replace("\x00", "")
    delimiter = choose_delimiter(text)
    try:
        return build_sheet(csv_rows(text, delimiter))
    except csv.Error as error:
        raise ImportRefused(
            _("The file could not be read as CSV (%(error)s): save it again as CSV or XLSX.", error=error)
        ) from error


def choose_delimiter(text: str) -> str:
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
        return max((len(mapped_fields(row)) for row in rows[:HEADER_SEARCH_ROWS]), default=0)

    return max(candidates, key=known_headings)  # max keeps the first of equals


def mapped_fields(row: Iterable[Any]) -> dict[str, str]:
    """Field → heading for the cells of ``row`` that are known headings (the first of duplicates)."""
    found: dict[str, str] = {}
    for cell in row:
        field_name = FIELD_OF_HEADING.get(heading_key(cell))
        if field_name and field_name not in found:
            found[field_name] = str(cell).strip()
    return found


def is_blank(row: Iterable[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def build_sheet(rows: Iterable[tuple[int, Iterable[Any]]], *, epoch: datetime | None = None) -> Sheet:
    """Find the heading among the first rows (the first one that names at least two known columns),
    map the columns, and keep every non-blank row under it with its spreadsheet row number. ``rows`` are
    (row number, cells), as the readers of ``import_reading`` give them."""
    rows = iter(rows)  # read once: the rows under the heading continue where the search stopped
    header: list[Any] | None = None
    header_number = 0
    for number, row in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        row = list(row)
        if len(mapped_fields(row)) >= 2:
            header, header_number = row, number
            break
    if header is None:
        raise ImportRefused(
            _(
                "No row of headings was found at the top of the file. The first row should name the columns: "
                "%(columns)s.",
                columns=", ".join(str(COLUMN_OF[name].label) for name in REQUIRED),
            )
        )
    columns, positions, ignored = map_columns(header)
    missing = [str(COLUMN_OF[name].label) for name in REQUIRED if name not in columns]
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
        if len(found) >= MAX_ROWS:
            raise ImportRefused(
                _("The file has more than %(most)s rows: split it into smaller files.", most=format_number(MAX_ROWS))
            )
        found.append((number, {name: row[index] if index < len(row) else None for name, index in positions.items()}))
    return Sheet(columns=columns, rows=found, ignored=ignored, epoch=epoch)


def map_columns(header: list[Any]) -> tuple[dict[str, str], dict[str, int], list[str]]:
    """(field → heading, field → position, headings ignored). Raises ``ImportRefused`` when two
    columns mean the same thing."""
    columns: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        heading = str(cell).strip() if cell is not None else ""
        field_name = FIELD_OF_HEADING.get(heading_key(heading))
        if field_name is None:
            if heading:
                ignored.append(heading)
            continue
        if field_name in columns:
            raise ImportRefused(
                _(
                    "Two columns are read as %(column)s: “%(first)s” and “%(second)s”. Keep one of them.",
                    column=COLUMN_OF[field_name].label,
                    first=columns[field_name],
                    second=heading,
                )
            )
        columns[field_name] = heading
        positions[field_name] = index
    return columns, positions, ignored


# Reading cells --------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ``.0`` (Excel stores CNICs and phones typed as numbers as
    floats), control characters (line breaks in a cell among them) made spaces, spaces stripped. Format
    characters stay: Urdu spelling uses the zero-width non-joiner."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in str(value)).strip()


EXPONENT = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")


def digits_dropped(number: str) -> InvalidInput:
    return InvalidInput(
        _(
            "Excel turned this CNIC into a number (%(number)s) and dropped digits: format the column as Text, "
            "type the CNICs again and save.",
            number=number,
        )
    )


def read_cnic(value: Any) -> str:
    """A CNIC cell, as text or as a number (``read_numeric_cnic``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_numeric_cnic(value)
    text = cell_text(value)
    if EXPONENT.match(text):
        raise digits_dropped(text)
    return normalise_cnic(text)


def read_numeric_cnic(number: float) -> str:
    """A CNIC that Excel stored as a number: accepted only when it is an exact 13-digit whole number.

    Excel shows a 13-digit number as ``3.52029E+12``; once the file has been saved as CSV and opened
    again, or the number typed as it showed, only those six digits are left: ``3520290000000``. So a
    number with a fraction, or one whose last seven digits are all zeros (no CNIC's serial number is
    0000000 with a last digit of 0), is refused, telling staff to format the column as Text."""
    if isinstance(number, float) and not number.is_integer():
        raise digits_dropped(cell_text(number))
    whole = int(number)
    if 10**12 <= whole < 10**13 and whole % 10**7 == 0:
        raise digits_dropped(f"{whole:.6G}")  # as Excel showed it: 3.52029E+12
    return normalise_cnic(str(whole))


def read_phone(value: Any) -> str:
    text = cell_text(value)
    if EXPONENT.match(text):
        raise InvalidInput(
            _("Excel turned this number into %(number)s: format the column as Text and save again.", number=text)
        )
    return normalise_phone(text)


def word_table(words: dict[Any, tuple[str, ...]]) -> dict[str, Any]:
    return {heading_key(word): member for member, spelled in words.items() for word in spelled}


GENDER_WORDS = word_table(
    {
        Gender.FEMALE: ("f", "female", "woman", "women", "w", "girl", "fem", "خاتون", "عورت", "لڑکی", "مونث", "مؤنث"),
        Gender.MALE: ("m", "male", "man", "men", "boy", "مرد", "لڑکا", "مذکر"),
        Gender.TRANSGENDER: ("t", "tg", "transgender", "trans", "trans gender", "khawaja sira", "خواجہ سرا"),
    }
)
AREA_WORDS = word_table(
    {
        Area.URBAN: ("urban", "city", "شہری"),
        Area.SEMI_URBAN: ("semi urban", "semi-urban", "semi_urban", "suburban", "peri-urban", "town", "نیم شہری"),
        Area.RURAL: ("rural", "village", "دیہی", "دیہاتی", "گاؤں"),
    }
)
EDUCATION_WORDS = word_table({member: (member.value, member.label) for member in Education}) | word_table(
    {
        Education.NONE: ("none", "nil", "no formal education", "illiterate", "uneducated", "ناخواندہ"),
        Education.PRIMARY: ("primary", "5th", "grade 5", "class 5", "پرائمری"),
        Education.MIDDLE: ("middle", "8th", "grade 8", "class 8", "elementary", "مڈل"),
        Education.MATRIC: ("matric", "matriculation", "ssc", "secondary", "10th", "grade 10", "o level", "o levels",
                           "میٹرک"),
        Education.INTERMEDIATE: ("intermediate", "inter", "fa", "fsc", "ics", "icom", "hssc", "12th", "a level",
                                 "a levels", "dae", "fa/fsc", "انٹر", "انٹرمیڈیٹ"),
        Education.BACHELOR: ("bachelor", "bachelors", "bachelor's degree", "ba", "bsc", "bs", "bcom", "bba", "bscs",
                             "bsit", "be", "graduate", "graduation", "بیچلر", "گریجویٹ"),
        Education.MASTER: ("master", "masters", "master's degree", "ma", "msc", "ms", "mphil", "mba", "mcs", "mcom",
                           "ماسٹر"),
        Education.DOCTORATE: ("doctorate", "phd", "ph.d", "dphil", "ڈاکٹریٹ"),
    }
)  # fmt: skip
YES_NO = word_table({True: ("yes", "y", "true", "1", "ہاں", "جی ہاں"), False: ("no", "n", "false", "0", "نہیں")})


def read_gender(value: Any) -> Gender:
    text = cell_text(value)
    if not text:
        raise InvalidInput(_("Enter the gender: female, male or transgender."))
    if (gender := GENDER_WORDS.get(heading_key(text))) is None:
        raise InvalidInput(
            _("“%(text)s” is not a gender we record: write female, male or transgender (F, M or T).", text=text)
        )
    return gender


def read_area(value: Any, district: District | None) -> Area:
    """The area written, or — when the cell is empty — rural for a predominantly rural district."""
    text = cell_text(value)
    if not text:
        return Area.RURAL if district is not None and district.rural else Area.URBAN
    if (area := AREA_WORDS.get(heading_key(text))) is None:
        raise InvalidInput(
            _("“%(text)s” is not an area: write urban, semi-urban or rural (or leave it empty).", text=text)
        )
    return area


def read_education(value: Any) -> Education:
    text = cell_text(value)
    if not text:
        return Education.MATRIC  # as for any trainee whose education nobody gave (``TraineeDetails``)
    if (education := EDUCATION_WORDS.get(heading_key(text))) is None:
        raise InvalidInput(
            _(
                "“%(text)s” is not a level of education we know: write one of %(levels)s.",
                text=text,
                levels=", ".join(member.value for member in Education),
            )
        )
    return education


def read_email(value: Any) -> str | None:
    # The same rule as ``enrollments.trainees.normalised``, which checks it again on creation.
    email = cell_text(value).lower() or None
    if email is not None and ("@" not in email or len(email) > 254 or " " in email):
        raise InvalidInput(_("Enter an email address like name@example.com, or leave it empty."))
    return email


def read_disability(value: Any) -> bool:
    text = cell_text(value)
    if not text:
        return False
    if (answer := YES_NO.get(heading_key(text))) is None:
        raise InvalidInput(_("“%(text)s”: write yes or no (or leave it empty).", text=text))
    return answer


# Dates ------------------------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
            ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
            ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?"
ISO_DATE = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){TIME_SUFFIX}$")
NUMERIC_DATE = re.compile(rf"^(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}})\s*[-/.]\s*(\d{{2}}|\d{{4}}){TIME_SUFFIX}$")
DAY_MONTH_NAME = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([A-Za-z]{3,9})[\s\-/.,]*(\d{2}|\d{4})$")
MONTH_NAME_DAY = re.compile(r"^([A-Za-z]{3,9})[\s\-/.]*(\d{1,2})(?:st|nd|rd|th)?[\s,\-/.]+(\d{2}|\d{4})$")
SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
BAD_DATE = _l("Write the date of birth as day/month/year, e.g. 15/01/2000.")
SHORT_YEAR = _l("Write the year with four digits, e.g. 15/01/2000.")


def month_first(values: Iterable[Any]) -> bool:
    """Whether the numeric dates of a file are written month first (``1/15/2000``, as US-set Excel
    exports them): only when some have a second part over 12 and none a first part over 12. Pakistan
    writes the day first, so that is the default."""
    firsts = seconds = False
    for value in values:
        if isinstance(value, str) and (match := NUMERIC_DATE.match(value.strip().translate(URDU_DIGITS))):
            firsts = firsts or int(match.group(1)) > 12
            seconds = seconds or int(match.group(2)) > 12
    return seconds and not firsts


def read_date(value: Any, *, epoch: datetime | None = None, month_first_order: bool = False) -> date:
    """A date of birth as a spreadsheet gives it: a date cell, an Excel serial number, or text in ISO
    (``2000-01-15``), ``15/01/2000``, ``15-01-2000``, ``15.1.2000`` or ``15 Jan 2000``. A number or text
    that is a year alone (``2001``) is refused as such, not read as a serial."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and int(value) in YEARS:
            raise year_only(int(value))
        return from_serial(value, epoch)
    text = cell_text(value).translate(URDU_DIGITS)
    if not text:
        raise InvalidInput(_("Enter the date of birth."))
    if text.isdigit() and len(text) == 4 and int(text) in YEARS:
        raise year_only(int(text))
    if SERIAL.match(text):
        return from_serial(float(text), epoch)
    if match := ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := NUMERIC_DATE.match(text):
        first, second, year_text = match.groups()
        if len(year_text) == 2:
            raise InvalidInput(str(SHORT_YEAR))
        day, month = (int(second), int(first)) if month_first_order else (int(first), int(second))
        year = int(year_text)
    elif (match := DAY_MONTH_NAME.match(text)) or (match := MONTH_NAME_DAY.match(text)):
        parts = match.groups()
        day_text, month_name = (parts[0], parts[1]) if match.re is DAY_MONTH_NAME else (parts[1], parts[0])
        if (month := MONTHS.get(month_name.lower())) is None:
            raise InvalidInput(str(BAD_DATE))
        if len(parts[2]) == 2:
            raise InvalidInput(str(SHORT_YEAR))
        day, year = int(day_text), int(parts[2])
    else:
        raise InvalidInput(str(BAD_DATE))
    try:
        return date(year, month, day)
    except ValueError as error:
        raise InvalidInput(_("There is no such date: %(text)s.", text=text)) from error


# A number in this range written for a date of birth is a year, not an Excel serial (which would be a day
# in 1905: nobody applying was born then).
YEARS = range(1900, 2101)


def year_only(year: int) -> InvalidInput:
    return InvalidInput(
        _(
            "%(year)s looks like a year only: write the whole date of birth, e.g. 15/01/%(year)s.",
            year=str(year),
        )
    )


def from_serial(number: float, epoch: datetime | None) -> date:
    """An Excel date serial (days since the workbook's epoch; 1900 system unless it says 1904)."""
    from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

    if not 1 <= number < 2958466:
        raise InvalidInput(str(BAD_DATE))
    return from_excel(number, epoch or CALENDAR_WINDOWS_1900).date()


# Districts --------------------------------------------------------------------------------------------


class DistrictIndex:
    """Every district, loaded in one query, found by name (English or Urdu, any case). A name held by
    districts of several provinces means the one in the centre's province; failing that, the province
    must be written too (``Hyderabad, Sindh`` or ``Hyderabad (Sindh)``)."""

    def __init__(self, home_province_id: int | None) -> None:
        self.home_province_id = home_province_id
        self.districts = list(db.session.scalars(select(District).options(selectinload(District.province))))
        self.by_name: dict[str, list[District]] = defaultdict(list)
        for district in self.districts:
            for name in {heading_key(district.name), heading_key(district.name_ur)} - {""}:
                self.by_name[name].append(district)
        self.provinces = {
            key: district.province
            for district in self.districts
            for key in (heading_key(district.province.name), heading_key(district.province.code))
        }
        self.names = sorted({district.name for district in self.districts})
        self.by_id = {district.id: district for district in self.districts}

    def find(self, value: Any) -> District:
        text = cell_text(value)
        if not text:
            raise InvalidInput(_("Enter the district."))
        # heading_key drops a bracketed hint: "Hyderabad (Sindh)" is looked up as "Hyderabad" first.
        named = self.by_name.get(heading_key(text), [])
        if qualified := re.match(r"^(.*?)\s*(?:,|\()\s*([^,()]+?)\)?$", text):
            province = self.provinces.get(heading_key(qualified.group(2)))
            in_province = [
                district
                for district in self.by_name.get(heading_key(qualified.group(1)), [])
                if province is not None and district.province_id == province.id
            ]
            named = in_province or named
        candidates = named
        if len(named) > 1:
            candidates = [district for district in named if district.province_id == self.home_province_id]
        if len(candidates) > 1 or (named and not candidates):
            provinces = sorted({district.province.name for district in named})
            raise InvalidInput(
                _(
                    "There is a district called “%(text)s” in %(provinces)s: write the province too, "
                    "e.g. “%(text)s, %(province)s”.",
                    text=text,
                    provinces=listed(provinces),
                    province=provinces[0],
                )
            )
        if not candidates:
            close = difflib.get_close_matches(text.title(), self.names, n=1, cutoff=0.75)
            if close:
                raise InvalidInput(
                    _("There is no district called “%(text)s”. Did you mean %(name)s?", text=text, name=close[0])
                )
            raise InvalidInput(_("There is no district called “%(text)s”. Check the spelling.", text=text))
        return candidates[0]


# Checking rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be imported: ``row`` as the spreadsheet numbers it, ``column`` the heading as
    written in the file (empty when the problem is the row as a whole)."""

    row: int
    column: str
    message: str


@dataclass
class RowCheck:
    """One row, checked: ``details`` are its normalised values (None when a value is wrong),
    ``existing`` the national record of its CNIC when there is one."""

    number: int
    cnic: str
    full_name: str
    details: TraineeDetails | None = None
    existing: Trainee | None = None
    problems: list[Problem] = field(default_factory=list)
    education_given: bool = True

    @property
    def is_valid(self) -> bool:
        return self.details is not None and not self.problems


@dataclass
class Preview:
    """Every row of a file, checked against the data as it is now."""

    sheet: Sheet
    rows: list[RowCheck]

    @property
    def valid(self) -> list[RowCheck]:
        return [row for row in self.rows if row.is_valid]

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.problems]

    def counts(self) -> dict[str, int]:
        valid = self.valid
        existing = sum(row.existing is not None for row in valid)
        return {
            "rows": len(self.rows),
            "new": len(valid) - existing,
            "existing": existing,
            "problems": len(self.rows) - len(valid),
        }

    def report(self) -> dict[str, Any]:
        """The preview as JSON (kept on the batch for its page)."""
        return {
            "stage": "preview",
            "columns": self.sheet.columns,
            "ignored": self.sheet.ignored,
            "counts": self.counts(),
            "problems": [[problem.row, problem.column, problem.message] for problem in self.problems],
            "rows": [
                [row.number, format_cnic(row.cnic), row.full_name, "existing" if row.existing else "new"]
                for row in self.valid
            ],
        }


def check_rows(sheet: Sheet, centre: Centre, cohort: Cohort | None, *, today: date | None = None) -> Preview:
    """Normalise and check every row of ``sheet`` for an import at ``centre`` (into ``cohort`` if given).

    A row's problems: a value that is wrong (each normaliser's message, per column), a CNIC on several
    rows of the file (every such row, naming the others), and with a cohort: no education given for a
    course that asks for some (for the whole file when it has no such column), not eligible for it
    (``unmet_requirements``), already in it, or held back by her other places. A CNIC registered
    already is no problem: the national record is reused as it is. Reads in bulk, writes nothing."""
    today = today or utcnow().date()
    if cohort is not None and "education" not in sheet.columns and cohort.course.min_education is not Education.NONE:
        raise ImportRefused(
            _(
                "%(course)s needs %(level)s or higher: add a column with each trainee's education (Education), or "
                "import the list without a cohort.",
                course=cohort.course.title,
                level=cohort.course.min_education.label,
            )
        )
    districts = DistrictIndex(centre.district.province_id)
    dates_month_first = month_first(values.get("date_of_birth") for _, values in sheet.rows)
    rows = [check_values(number, values, sheet, districts, today, dates_month_first) for number, values in sheet.rows]
    flag_duplicates(rows, sheet.columns["cnic"])
    by_cnic = {row.cnic: row for row in rows if row.details is not None and not row.problems}
    for chunk in chunked(list(by_cnic)):
        for trainee in db.session.scalars(select(Trainee).where(Trainee.cnic.in_(chunk))):
            by_cnic[trainee.cnic].existing = trainee
    if cohort is not None:
        check_places(rows, cohort, districts.by_id, sheet.columns)
    return Preview(sheet=sheet, rows=rows)


def check_values(
    number: int, values: dict[str, Any], sheet: Sheet, districts: DistrictIndex, today: date, dates_month_first: bool
) -> RowCheck:
    """One row's values, normalised; a problem per wrong value, named by the file's heading."""
    problems: list[Problem] = []
    read: dict[str, Any] = {}

    def attempt(field_name: str, reader, *args) -> None:
        try:
            read[field_name] = reader(values.get(field_name), *args)
        except InvalidInput as error:
            problems.append(
                Problem(number, sheet.columns.get(field_name, str(COLUMN_OF[field_name].label)), error.message)
            )

    attempt("cnic", read_cnic)
    attempt("full_name", lambda value: normalise_name(cell_text(value)))
    attempt("gender", read_gender)
    attempt(
        "date_of_birth",
        lambda value: check_date_of_birth(
            read_date(value, epoch=sheet.epoch, month_first_order=dates_month_first), today
        ),
    )
    attempt("phone", read_phone)
    attempt("district", districts.find)
    attempt("area", read_area, read.get("district"))
    attempt("education", read_education)
    attempt("email", read_email)
    attempt("disability", read_disability)
    row = RowCheck(
        number=number,
        cnic=read.get("cnic") or cell_text(values.get("cnic")),
        full_name=read.get("full_name") or cell_text(values.get("full_name")),
        problems=problems,
        education_given=bool(cell_text(values.get("education"))),
    )
    if not problems:
        row.details = TraineeDetails(
            cnic=read["cnic"],
            full_name=read["full_name"],
            gender=read["gender"],
            date_of_birth=read["date_of_birth"],
            phone=read["phone"],
            district_id=read["district"].id,
            area=read["area"],
            education=read["education"],
            email=read["email"],
            disability=read["disability"],
        )
    return row


def flag_duplicates(rows: list[RowCheck], column: str) -> None:
    """Every row whose (valid) CNIC is on another row too gets a problem naming the other rows: which
    one is right is for the person who made the list to say."""
    numbers: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.details is not None:
            numbers[row.cnic].append(row.number)
    for row in rows:
        others = [number for number in numbers.get(row.cnic, []) if number != row.number]
        if row.details is not None and others:
            rows_listed = listed(str(number) for number in sorted([row.number, *others]))
            row.problems.append(
                Problem(
                    row.number,
                    column,
                    _("The same CNIC is on rows %(rows)s of this file: keep one of them.", rows=rows_listed),
                )
            )


def check_places(rows: list[RowCheck], cohort: Cohort, districts: dict[int, District], columns: dict[str, str]) -> None:
    """With a target cohort: eligibility (the cohort's requirements, met by the existing record or by
    the row's values; a new trainee's education must be given when the course asks for some), and
    for existing records a place in the cohort already or the limits set by her
    other places. Places are read in bulk, one query per chunk."""
    candidates = [row for row in rows if row.is_valid]
    existing = {row.existing.id: row for row in candidates if row.existing is not None}
    in_cohort: dict[int, Enrollment] = {}
    held: dict[int, list[Enrollment]] = defaultdict(list)
    for chunk in chunked(list(existing)):
        for enrollment in db.session.scalars(
            select(Enrollment)
            .where(Enrollment.trainee_id.in_(chunk))
            .where((Enrollment.cohort_id == cohort.id) | Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES))
            .options(selectinload(Enrollment.cohort).selectinload(Cohort.course))
        ):
            if enrollment.cohort_id == cohort.id:
                in_cohort[enrollment.trainee_id] = enrollment
            else:
                held[enrollment.trainee_id].append(enrollment)
    for row in candidates:
        trainee = row.existing or applicant(row.details, districts)
        if row.existing is not None and (enrollment := in_cohort.get(row.existing.id)) is not None:
            row.problems.append(
                Problem(
                    row.number, "", _("Already in this cohort (%(status)s).", status=enrollment.status.label.lower())
                )
            )
            continue
        minimum = cohort.course.min_education
        if row.existing is None and not row.education_given and minimum is not Education.NONE:
            # Matric, assumed when nobody says, must not decide who gets a place.
            row.problems.append(
                Problem(
                    row.number,
                    columns.get("education", str(COLUMN_OF["education"].label)),
                    _("Give her education: this course needs %(level)s or higher.", level=minimum.label),
                )
            )
            continue
        if unmet := unmet_requirements(cohort, trainee):
            reasons = " ".join(requirement.refusal for requirement in unmet)
            row.problems.append(
                Problem(row.number, "", _("Not eligible for this cohort: %(reasons)s", reasons=reasons))
            )
            continue
        places = held.get(trainee.id, []) if row.existing is not None else []
        if (refusal := places_refusal(places, cohort, to_trainee=False)) is not None:
            row.problems.append(Problem(row.number, "", refusal.message))


def applicant(details: TraineeDetails, districts: dict[int, District]) -> Trainee:
    """A trainee who does not exist yet, as the eligibility rules read her (never added to the session)."""
    return Trainee(
        gender=details.gender,
        date_of_birth=details.date_of_birth,
        education=details.education,
        district_id=details.district_id,
        district=districts[details.district_id],
    )


def preview_file(data: bytes, filename: str, centre: Centre, cohort: Cohort | None) -> Preview:
    """Read and check a file (``read_sheet`` then ``check_rows``); writes nothing."""
    return check_rows(read_sheet(data, filename), centre, cohort)


# The batch: upload, confirm ---------------------------------------------------------------------------


def clean_filename(filename: str | None) -> str:
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:255] or "upload"


def check_may_upload(centre: Centre, cohort: Cohort | None, *, actor: UserAccount, now: datetime) -> None:
    """Only staff of ``centre`` and admins may upload a list there (``NotAllowed``); ``cohort`` must be one
    of the centre's, taking applications (``ImportRefused`` on the cohort field)."""
    if not can_manage_centre(actor, centre):
        raise NotAllowed(_("Only staff of this centre can import lists of trainees here."))
    if cohort is not None:
        if cohort.centre_id != centre.id:
            raise ImportRefused(_("Choose a cohort of this centre."), "cohort")
        if (reason := closed_reason(cohort, now)) is not None:
            raise ImportRefused(reason, "cohort")


def preview_upload(
    data: bytes, filename: str | None, centre: Centre, cohort: Cohort | None, *, actor: UserAccount
) -> Preview:
    """Read and check an uploaded list for ``stage_import``, refusing first what ``check_may_upload``
    refuses. Reads only: pages call it before their request starts writing, so that reading a file, however
    long it takes, holds no lock. Raises ``NotAllowed`` or ``ImportRefused``."""
    check_may_upload(centre, cohort, actor=actor, now=utcnow())
    return preview_file(data, filename or "", centre, cohort)


def stage_import(
    data: bytes,
    filename: str | None,
    centre: Centre,
    cohort: Cohort | None,
    *,
    actor: UserAccount,
    preview: Preview | None = None,
) -> ImportBatch:
    """Check an uploaded list and keep it, with its preview, as an ``ImportBatch`` waiting for
    confirmation. Only staff of ``centre`` and admins may; ``cohort`` must be one of the centre's,
    taking applications (``check_may_upload``, checked here whatever was checked before). Raises
    ``ImportRefused`` (nothing kept) when the file cannot be read at all. ``preview`` is the file as
    ``preview_upload`` read and checked it earlier in the request; without it the file is read here.

    Writes to the batch table, and one ``trainee.lookup`` audit event per record on file whose CNIC the
    list holds (the preview shows staff that she is on record, and what her places allow); also marks
    batches left unconfirmed for more than a day as expired, dropping their files (they hold personal data
    that nobody imported)."""
    now = utcnow()
    check_may_upload(centre, cohort, actor=actor, now=now)
    if preview is None:
        preview = preview_file(data, filename or "", centre, cohort)
    # The preview tells which rows' CNICs are on record, and what their records' places allow: lookups.
    record_lookups([row.existing for row in preview.rows if row.existing is not None], actor=actor, centre=centre)
    expire_old_batches(now)
    batch = ImportBatch(
        centre=centre,
        cohort=cohort,
        uploaded_by=actor,
        filename=clean_filename(filename),
        size=len(data),
        content=data,
        status=ImportStatus.UPLOADED,
        report=preview.report(),
        created_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def expire_old_batches(now: datetime) -> None:
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.status == ImportStatus.UPLOADED, ImportBatch.created_at < now - BATCH_LIFETIME)
        .values(status=ImportStatus.EXPIRED, content=b"", report={})
        .execution_options(synchronize_session=False)
    )


def is_expired(batch: ImportBatch, now: datetime | None = None) -> bool:
    return batch.status is ImportStatus.EXPIRED or (
        batch.status is ImportStatus.UPLOADED and batch.created_at < (now or utcnow()) - BATCH_LIFETIME
    )


def refusal_for_confirming(batch: ImportBatch, now: datetime | None = None) -> str | None:
    """Why ``batch`` cannot be confirmed now (None: it can)."""
    if batch.status is ImportStatus.IMPORTED:
        return _("This list has been imported already.")
    if is_expired(batch, now):
        return _("This upload is more than a day old: upload it again.")
    if batch.cohort is not None and (reason := closed_reason(batch.cohort, now or utcnow())) is not None:
        return _(
            "%(code)s is no longer taking applications (%(reason)s): upload the list again and choose another "
            "cohort, or none.",
            code=batch.cohort.code,
            reason=reason.rstrip(".۔"),
        )
    return None


@dataclass
class ImportResult:
    """What ``confirm_import`` did, row by row."""

    created: int = 0
    reused: int = 0
    placed: dict[str, int] = field(default_factory=lambda: {status.value: 0 for status in PLACED})
    problems: list[Problem] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len({problem.row for problem in self.problems})

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "reused": self.reused, **self.placed, "skipped": self.skipped}


PLACED = (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED, EnrollmentStatus.PENDING)


def read_batch(batch: ImportBatch) -> Sheet | None:
    """The stored file of ``batch`` as ``read_sheet`` reads it, for ``confirm_import``; None when there is
    no file to read (the batch was imported or has expired: confirming it is refused anyway). Reads no
    table: pages call it before their request starts writing."""
    if batch.status is not ImportStatus.UPLOADED or not batch.content:
        return None
    return read_sheet(batch.content, batch.filename)


def confirm_import(
    batch: ImportBatch, *, actor: UserAccount, now: datetime | None = None, sheet: Sheet | None = None
) -> ImportResult:
    """Import a previewed batch: only its uploader (while she manages the centre) or an admin, once,
    within a day of the upload, and — with a cohort — while it takes applications (``ImportNotPossible``
    otherwise; ``NotAllowed`` for anyone else).

    The file is checked again against the data as it is now; then, in the caller's transaction, the
    valid rows create the trainees whose CNICs are new (``create_trainees``, registered at the batch's
    centre) and, with a cohort, register them all in file order (``register_many``, source import:
    enrolled, waitlisted when full, or pending for reviewed admission) — the same rules as one by one,
    in a few statements per 500 rows. A row the enrollment rules refuse at this point is reported with
    the rows that had problems; a refusal about the whole list (the cohort stopped taking applications meanwhile, the
    actor may no longer register here) raises ``ImportNotPossible``, and like any other error leaves
    the caller to roll back everything.

    The batch is marked imported first (so that it is imported once), its file dropped and its result
    kept; one audit event records the import (the trainees and enrollments write their own). ``sheet``
    is the stored file as ``read_batch`` read it earlier in the request; without it the file is read here.
    """
    if not can_handle_import(actor, batch):
        raise NotAllowed(_("Only the person who uploaded this list, or an admin, can import it."))
    now = now or utcnow()
    if (reason := refusal_for_confirming(batch, now)) is not None:
        raise ImportNotPossible(reason)
    # Claim the batch first, atomically: of two confirmations at once (a double click), the second
    # waits for the first and then finds it imported (or, if the first rolled back, imports it).
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.UPLOADED)
        .values(status=ImportStatus.IMPORTED, imported_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ImportNotPossible(_("This list has been imported already."))
    cohort = batch.cohort
    preview = check_rows(sheet or read_sheet(batch.content, batch.filename), batch.centre, cohort)
    result = ImportResult(problems=preview.problems)
    valid = preview.valid
    try:
        made = create_trainees([row.details for row in valid if row.existing is None], actor=actor, centre=batch.centre)
        trainees = [row.existing or made.created.get(row.cnic) or made.existing[row.cnic] for row in valid]
        placed = None
        if cohort is not None:
            placed = register_many(trainees, cohort, actor=actor, source=EnrollmentSource.IMPORT, now=now)
    except Refusal as refusal:  # about the whole list, not a row: the cohort closed meanwhile, say
        raise ImportNotPossible(_("%(refusal)s Nothing was imported.", refusal=refusal.message)) from refusal
    for row, trainee in zip(valid, trainees, strict=True):
        created = row.cnic in made.created
        result.created += created
        status = None
        if placed is not None:
            # Refusals here come only from changes since the preview (her places elsewhere, the cohort's
            # rules): her new record stays, without a place.
            note = " " + _("Her record was created; she was not registered.") if created else ""
            if (refusal := placed.refused.get(trainee.id)) is not None:
                result.problems.append(Problem(row.number, "", refusal.message + note))
                continue
            if (enrollment := placed.existing.get(trainee.id)) is not None:
                result.problems.append(
                    Problem(
                        row.number,
                        "",
                        _("Already in this cohort (%(status)s).", status=enrollment.status.label.lower()) + note,
                    )
                )
                continue
            status = placed.placed[trainee.id].status
            result.placed[status.value] += 1
        result.reused += not created
        outcome = "new" if created else "existing"
        result.rows.append([row.number, format_cnic(row.cnic), row.full_name, outcome, status and status.value])
    result.problems.sort(key=lambda problem: problem.row)
    batch.status = ImportStatus.IMPORTED
    batch.imported_at = now
    batch.content = b""
    batch.report = {
        "stage": "result",
        "columns": preview.sheet.columns,
        "ignored": preview.sheet.ignored,
        "counts": {"rows": len(preview.rows), **result.counts()},
        "problems": [[problem.row, problem.column, problem.message] for problem in result.problems],
        "rows": result.rows,
    }
    db.session.flush()
    record(
        actor,
        "import.confirm",
        batch,
        after={"filename": batch.filename, "cohort": cohort.code if cohort else None, **result.counts()},
        centre_id=batch.centre_id,
    )
    return result


def open_cohorts(centre: Centre, now: datetime | None = None) -> list[Cohort]:
    """The centre's cohorts taking applications now, by start date: the cohorts a list may go into."""
    now = now or utcnow()
    cohorts = db.session.scalars(
        select(Cohort)
        .where(Cohort.centre_id == centre.id, Cohort.status == CohortStatus.OPEN)
        .options(selectinload(Cohort.course))
        .order_by(Cohort.starts_on, Cohort.code)
    )
    return [cohort for cohort in cohorts if closed_reason(cohort, now) is None]
