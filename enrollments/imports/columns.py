"""The columns a list of trainees has (``COLUMNS``), how a heading (or a word in a cell) is recognised in
English or Urdu whatever its case, spacing and punctuation (``heading_key``), and how the import lists
things to the reader (``listed``)."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Windows-1256 has no Urdu yeh (ی): Windows writes the Arabic one (ي, or ى at the end of a word) in its
# place, and an Urdu file means the Urdu letter.
URDU_YEH = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc"})


@dataclass(frozen=True)
class Column:
    """A column the import reads: ``label`` is how pages name it; ``aliases`` are headings that mean it,
    compared as ``heading_key`` makes them (case, spaces and punctuation ignored)."""

    field: str
    label: str
    required: bool
    aliases: tuple[str, ...]
    hint: str = ""
    # What the sample files (``enrollments.imports.samples``) write in this column for two trainees, a woman
    # and a man: values as people type them, which the import reads. The district is the centre's own.
    examples: tuple[str, str] = ("", "")


COLUMNS = (
    Column(
        "cnic",
        _l("CNIC"),
        True,
        ("cnic", "cnicno", "cnicnumber", "cnicnum", "nic", "nicno", "nicnumber", "idcardno", "idcardnumber",
         "cnicbform", "cnicorbform", "bform", "bformno", "شناختی کارڈ", "شناختی کارڈ نمبر"),
        _l("13 digits, with or without dashes: 35202-1234567-1."),
        ("35202-1234567-2", "3520276543213"),
    ),
    Column(
        "full_name",
        _l("Name"),
        True,
        ("name", "fullname", "traineename", "studentname", "candidatename", "applicantname", "participantname",
         "nameoftrainee", "nameofstudent", "nameofcandidate", "نام", "پورا نام"),
        _l("As on the CNIC, in Urdu or English script."),
        ("عائشہ خان", "Bilal Ahmed"),
    ),
    Column("gender", _l("Gender"), True, ("gender", "sex", "جنس"), _l("Female, male or transgender (or F, M, T)."),
           ("Female", "M")),
    Column(
        "date_of_birth",
        _l("Date of birth"),
        True,
        ("dob", "dateofbirth", "birthdate", "dateofbirthdob", "born", "تاریخ پیدائش"),
        _l("A date cell, or 15/01/2000, 15-01-2000, 15.1.2000, 2000-01-15."),
        ("15/01/2000", "2001-03-09"),
    ),
    Column(
        "phone",
        _l("Phone"),
        True,
        ("phone", "phoneno", "phonenumber", "mobile", "mobileno", "mobilenumber", "cell", "cellno", "cellnumber",
         "contact", "contactno", "contactnumber", "موبائل", "موبائل نمبر", "فون", "فون نمبر"),
        _l("0300 1234567, +92 300 1234567 or 92-300-1234567."),
        ("0300 1234567", "92-321-7654321"),  # not "+92 ...": a spreadsheet reads "+" as a formula
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
        ("Rural", ""),
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
        ("Intermediate", "Bachelor"),
    ),
    Column("email", _l("Email"), False, ("email", "emailaddress", "mail", "ای میل"), _l("May be empty."),
           ("", "bilal.ahmed@example.org")),
    Column(
        "disability",
        _l("Disability"),
        False,
        ("disability", "disabled", "pwd", "personwithdisability", "معذوری"),
        _l("Yes or no. Empty: no."),
        ("No", "Yes"),
    ),
    Column(
        "outcome_consent",
        _l("Follow-up by SMS"),
        False,
        ("followupbysms", "followup", "outcomeconsent", "outcomefollowup", "smsfollowup", "فالو اپ"),
        _l(
            "May we ask her by SMS, 3, 6 and 12 months after the course, what work she does? Yes or no. "
            "Empty: yes (she can say no at any time)."
        ),
        ("Yes", ""),
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


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of sheet, as ``reading`` finds them: each column by field, the field each
    heading means (``heading_key``'s form), and the fields a sheet must have."""

    column_of: dict[str, Column]
    field_of_heading: dict[str, str]
    required: tuple[str, ...]


def layout_of(columns: tuple[Column, ...]) -> Layout:
    return Layout(
        {column.field: column for column in columns},
        {heading_key(alias): column.field for column in columns for alias in column.aliases},
        tuple(column.field for column in columns if column.required),
    )


# A list of trainees to import (``COLUMNS``); score sheets have their own (``enrollments.merit_sheets``).
TRAINEE_LIST = layout_of(COLUMNS)
