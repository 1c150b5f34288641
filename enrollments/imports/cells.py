"""Reading the cells of a row: each value as staff type it into a spreadsheet (or as Excel turns it into
a number or a date), read into what a trainee's record holds, or refused with ``InvalidInput`` saying what
to write instead. Words are recognised in English or Urdu (``columns.heading_key``)."""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from centres.models import District
from enrollments.identity import URDU_DIGITS, InvalidInput, normalise_cnic, normalise_phone
from enrollments.imports.columns import heading_key
from vocabulary import Area, Education, Gender


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


def read_outcome_consent(value: Any) -> bool:
    """Consent to be asked about her work after the course: yes unless the cell says no."""
    text = cell_text(value)
    if not text:
        return True
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
