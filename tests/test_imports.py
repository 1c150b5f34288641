"""Bulk import of trainees (issue 4, item 6): files as partner universities and NGOs really send them
(any common encoding, delimiter or Excel date), every row problem with its row, column and message, a
preview that writes nothing but the batch, and a confirmation that imports every valid row in one
transaction — or, on an unexpected error, nothing at all.

Service tests call the modules of ``enrollments.imports`` directly; page tests go through the client."""

import codecs
import csv
import html
import io
from datetime import date, timedelta

import openpyxl
import pytest
from pages import page_text
from sqlalchemy import func, select

from audit.models import AuditEvent
from courses.models import Cohort
from database import utcnow
from enrollments.imports import batches, limits
from enrollments.imports.batches import ImportNotPossible, confirm_import, stage_import
from enrollments.imports.cells import read_date
from enrollments.imports.checks import Problem, check_rows
from enrollments.imports.limits import ImportRefused
from enrollments.imports.models import ImportBatch, ImportStatus
from enrollments.imports.reading import decode_text, read_sheet
from enrollments.models import Enrollment, Trainee
from enrollments.services import NotAllowed
from extensions import db
from vocabulary import Admission, Area, CohortStatus, Education, EnrollmentSource, EnrollmentStatus, Gender, Role

HEADER = ["CNIC", "Name", "Gender", "DOB", "Phone", "District", "Area", "Education", "Email"]
AYESHA = ["35202-1234567-1", "Ayesha Khan", "F", "15/01/2000", "0300 1234567", "Lahore", "", "Intermediate", ""]
AISHA_URDU = ["3520276543211", "عائشہ بی بی", "خاتون", "2001-03-05", "+92 301 7654321", "lahore", "rural", "matric", ""]
SANA = [
    "3520111111111",
    "Sana Tariq",
    "female",
    "5.6.1999",
    "92-333-1112223",
    "Kasur",
    "",
    "bachelor",
    "sana@example.pk",
]
HINA = ["3520122222222", "Hina Shah", "Female", "1998-12-01", "0321 2223334", "LAHORE", "urban", "BA", ""]


def csv_bytes(rows, *, encoding: str = "utf-8", delimiter: str = ",", header=HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if encoding == "cp1256":  # as Windows saves Urdu: it has no Urdu yeh (ی) and writes the Arabic one
        text = text.replace("ی", "ي")
    return text.encode(encoding)


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The world -----------------------------------------------------------------------------------------


@pytest.fixture
def place(make_province, make_district, make_centre, make_course, make_cohort, make_user):
    """A centre in Lahore (Punjab) with an open cohort (women and men, age 16–40, matric or higher), its
    staff member, staff of another centre, an overseer and an admin."""
    punjab = make_province(code="PB", name="Punjab")
    sindh = make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore", name_ur="لاہور", rural=False)
    kasur = make_district(punjab, code="KSR", name="Kasur", name_ur="قصور", rural=True)
    karachi = make_district(sindh, code="KHS", name="Karachi South", rural=False)
    centre = make_centre(lahore, code="PB-LHR-01", name="Lahore Digital Centre")
    other_centre = make_centre(karachi, code="SD-KHS-01", name="Karachi Digital Centre")
    course = make_course(code="WEB-101", title="Web Development Foundations", min_education=Education.MATRIC)
    cohort = make_cohort(centre=centre, course=course, code="PB-LHR-01-WEB-1", seats=10)

    class Place:
        pass

    world = Place()
    world.punjab, world.sindh, world.lahore, world.kasur, world.karachi = punjab, sindh, lahore, kasur, karachi
    world.centre, world.other_centre, world.course, world.cohort = centre, other_centre, course, cohort
    world.staff = make_user(Role.STAFF, centres=(centre,))
    world.colleague = make_user(Role.STAFF, centres=(centre,))
    world.other_staff = make_user(Role.STAFF, centres=(other_centre,))
    world.overseer = make_user(Role.OVERSEER)
    world.admin = make_user(Role.ADMIN)
    return world


def problems_of(preview) -> list[tuple[int, str, str]]:
    return [(problem.row, problem.column, problem.message) for problem in preview.problems]


def check(data: bytes, place, cohort=None, filename: str = "list.csv"):
    return check_rows(read_sheet(data, filename), place.centre, cohort)


# Reading files: encodings, delimiters, XLSX ----------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),  # Excel's "CSV UTF-8": with a byte-order mark
        ("utf-8", ";"),  # Excel in locales where the comma is the decimal mark
        ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        ("utf-16-le", ","),  # UTF-16 without a BOM
        ("cp1256", ","),  # Urdu Windows
        ("cp1256", ";"),
    ],
)
def test_reads_csv_in_every_common_encoding_and_delimiter(encoding, delimiter):
    urdu = ["3520276543211", "عائشہ بی بی", "خاتون", "05/03/2001", "0301 7654321", "لاہور", "", "", ""]
    data = csv_bytes([AYESHA, urdu], encoding=encoding, delimiter=delimiter)
    if encoding == "utf-8-sig":
        assert data.startswith(codecs.BOM_UTF8)
    sheet = read_sheet(data, "list.csv")
    assert sheet.columns == {
        "cnic": "CNIC",
        "full_name": "Name",
        "gender": "Gender",
        "date_of_birth": "DOB",
        "phone": "Phone",
        "district": "District",
        "area": "Area",
        "education": "Education",
        "email": "Email",
    }
    assert [number for number, _ in sheet.rows] == [2, 3]
    assert sheet.rows[0][1]["cnic"] == "35202-1234567-1"
    assert sheet.rows[1][1]["full_name"] == "عائشہ بی بی"
    assert sheet.rows[1][1]["district"] == "لاہور"


def test_windows_1252_is_told_from_urdu_windows():
    data = csv_bytes([["3520212345671", "Zoë Müller", "F", "15/01/2000", "03001234567", "Lahore"]], encoding="cp1252",
                     header=HEADER[:6])  # fmt: skip
    assert read_sheet(data).rows[0][1]["full_name"] == "Zoë Müller"
    urdu = csv_bytes([["3520212345671", "عائشہ خان", "خاتون", "15/01/2000", "03001234567", "لاہور"]], encoding="cp1256",
                     header=HEADER[:6])  # fmt: skip
    assert read_sheet(urdu).rows[0][1]["full_name"] == "عائشہ خان"


def urdu_rows(count: int) -> list[list[str]]:
    names = ["عائشہ بی بی", "فاطمہ خان", "ثناء طارق", "حنا شاہ", "مریم نواز"]
    return [[f"35202{number:07d}2", names[number % 5], "خاتون", "15/01/2000", "0300 1234567", "لاہور"]
            for number in range(count)]  # fmt: skip


def test_a_utf8_file_with_a_damaged_byte_names_its_line_instead_of_guessing(app, client, sign_in, csrf_token, place,
                                                                            row_counts):  # fmt: skip
    lines = csv_bytes(urdu_rows(2_000), header=HEADER[:6]).split(b"\r\n")
    lines[1233] = lines[1233].replace(b",", "ف".encode()[:1] + b",", 1)  # line 1234: half a letter
    sign_in(place.staff)
    before = row_counts()
    response = upload(client, csrf_token, place, b"\r\n".join(lines))
    assert response.status_code == 422
    assert (
        "Line 1234 of the file is not valid UTF-8, though the rest of the file is: a character there is damaged "
        "or was typed in another encoding. Correct it (or save the file again as CSV UTF-8) and upload it again."
        in page_text(response)
    )  # before: read as Windows-1256, and each of the 2,000 names refused
    assert row_counts() == before


def test_damaged_bytes_on_several_lines_of_a_utf8_file_with_its_mark_are_all_named():
    lines = csv_bytes(urdu_rows(30), encoding="utf-8-sig", header=HEADER[:6]).split(b"\r\n")
    for number in (3, 7, 8):
        lines[number - 1] += b"\xa0"  # a Windows-1252 no-break space
    with pytest.raises(ImportRefused) as refused:
        read_sheet(b"\r\n".join(lines))
    assert refused.value.message.startswith("Lines 3, 7, 8 of the file are not valid UTF-8, though the rest")


def test_long_urdu_lists_in_windows_1256_are_still_read_as_such():
    sheet = read_sheet(csv_bytes(urdu_rows(2_000), encoding="cp1256", header=HEADER[:6]))
    assert len(sheet.rows) == 2_000
    assert sheet.rows[1][1]["full_name"] == "فاطمہ خان"


def test_unreadable_text_is_refused_with_what_to_do():
    with pytest.raises(ImportRefused) as refused:
        decode_text(codecs.BOM_UTF16_LE + b"\x00\xd8")  # an unpaired surrogate
    assert refused.value.message == (
        "The file could not be read as text: save it as CSV UTF-8 or as Excel Workbook (.xlsx)."
    )
    assert refused.value.field == "file"


def test_headings_are_matched_whatever_their_case_spacing_or_alias():
    header = ["  cnic_number ", "Full Name", "SEX", "Date of Birth (dd/mm/yyyy)", "Mobile No.", "DISTRICT", "Father"]
    sheet = read_sheet(csv_bytes([[*AYESHA[:6], "Khan"]], header=header))
    assert sheet.columns == {
        "cnic": "cnic_number",
        "full_name": "Full Name",
        "gender": "SEX",
        "date_of_birth": "Date of Birth (dd/mm/yyyy)",
        "phone": "Mobile No.",
        "district": "DISTRICT",
    }
    assert sheet.ignored == ["Father"]


def test_a_title_line_above_the_headings_keeps_spreadsheet_row_numbers():
    data = ("Trainees from Punjab University, batch 3\r\n\r\n" + csv_bytes([AYESHA, SANA]).decode()).encode()
    sheet = read_sheet(data)
    assert [number for number, _ in sheet.rows] == [4, 5]


def test_blank_rows_are_skipped_but_still_counted():
    sheet = read_sheet(csv_bytes([AYESHA, [""] * 9, SANA]))
    assert [number for number, _ in sheet.rows] == [2, 4]


def test_missing_required_columns_are_named():
    data = csv_bytes(
        [["3520212345671", "Ayesha", "Lahore", "03001234567"]], header=["CNIC No", "Name", "District", "Mobile"]
    )
    with pytest.raises(ImportRefused) as refused:
        read_sheet(data)
    assert refused.value.message == (
        "Required columns missing: Gender, Date of birth. The file's headings are: CNIC No, Name, District, Mobile."
    )


def test_a_file_without_headings_is_refused():
    with pytest.raises(ImportRefused) as refused:
        read_sheet(b"3520212345671,Ayesha\r\n")
    assert refused.value.message == (
        "No row of headings was found at the top of the file. The first row should name the columns: "
        "CNIC, Name, Gender, Date of birth, Phone, District."
    )


def test_two_columns_meaning_the_same_thing_are_refused():
    with pytest.raises(ImportRefused) as refused:
        read_sheet(csv_bytes([], header=[*HEADER, "CNIC No"]))
    assert refused.value.message == "Two columns are read as CNIC: “CNIC” and “CNIC No”. Keep one of them."


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "list.csv", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "list.xls",
         "This is an old Excel file (.xls): save it as Excel Workbook (.xlsx) or as CSV and upload it again."),
        (b"PK\x03\x04 not really a zip", "list.xlsx",
         "This file could not be read as an Excel workbook (.xlsx): save it again."),
        (b"CNIC,Name\r\n", "list.xlsx", "This file is not a valid Excel workbook: save it again as .xlsx or CSV."),
    ],
)  # fmt: skip
def test_files_that_are_not_lists_are_refused(data, filename, message):
    with pytest.raises(ImportRefused) as refused:
        read_sheet(data, filename)
    assert refused.value.message == message


def test_too_big_and_too_long_files_are_refused(monkeypatch):
    with pytest.raises(ImportRefused) as refused:
        read_sheet(b"x" * (5 * 1024 * 1024 + 1))
    assert refused.value.message == "The file is larger than 5 MB: split it into smaller files."
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    with pytest.raises(ImportRefused) as refused:
        read_sheet(csv_bytes([AYESHA, SANA, HINA]))
    assert refused.value.message == "The file has more than 2 rows: split it into smaller files."


def test_xlsx_with_excel_dates_serials_numbers_and_text():
    rows = [
        [3520212345671, "Ayesha Khan", "F", date(2000, 1, 15), 3001234567, "Lahore"],  # a date cell; numbers
        ["35201-1111111-1", "عائشہ بی بی", "خاتون", 36540, "0301 7654321", "Kasur"],  # a serial: 15 Jan 2000
        ["3520122222222", "Hina Shah", "M", "15.1.2000", "0321 2223334", "Lahore"],  # text
    ]
    sheet = read_sheet(xlsx_bytes(rows, header=HEADER[:6]), "list.xlsx")
    assert [number for number, _ in sheet.rows] == [2, 3, 4]
    dates = [read_date(values["date_of_birth"], epoch=sheet.epoch) for _, values in sheet.rows]
    assert dates == [date(2000, 1, 15)] * 3
    assert sheet.rows[0][1]["cnic"] == 3520212345671


@pytest.mark.parametrize(
    "text",
    ["2000-01-15", "15/01/2000", "15-01-2000", "15.1.2000", "15 Jan 2000", "15-January-2000", "Jan 15, 2000",
     "36540", "١٥/٠١/٢٠٠٠", "2000-01-15 00:00:00", "15/01/2000 12:00 AM"],
)  # fmt: skip
def test_dates_as_people_write_them(text):
    assert read_date(text) == date(2000, 1, 15)


def test_a_cnic_stored_as_a_number_is_read_only_when_no_digit_was_lost(app, client, sign_in, csrf_token, place,
                                                                        row_counts):  # fmt: skip
    rows = [
        [3520212345671, "Ayesha Khan", "F", "15/01/2000", "0300 1234567", "Lahore"],  # a number, every digit: fine
        [3520290000000, "Sana Tariq", "F", "15/01/2000", "0300 1234568", "Lahore"],  # 3.52029E+12 kept as it showed
        [3.5e12, "Hina Shah", "F", "15/01/2000", "0300 1234569", "Lahore"],  # 3.5E+12
        [3520212345.5, "Rabia Bibi", "F", "15/01/2000", "0300 1234570", "Lahore"],  # not a whole number
    ]
    data = xlsx_bytes(rows, header=HEADER[:6])
    preview = check(data, place, filename="list.xlsx")
    excel_number = (
        "Excel turned this CNIC into a number ({}) and dropped digits: format the column as Text, type the CNICs "
        "again and save."
    )
    assert problems_of(preview) == [
        (3, "CNIC", excel_number.format("3.52029E+12")),
        (4, "CNIC", excel_number.format("3.5E+12")),
        (5, "CNIC", excel_number.format("3520212345.5")),
    ]  # before: 3520290000000 and 3500000000000 were taken as CNICs
    assert preview.valid[0].details.cnic == "3520212345671"
    sign_in(place.staff)
    upload(client, csrf_token, place, data, "list.xlsx")
    before = row_counts()
    assert confirm(client, csrf_token, latest_batch().id).status_code == 302
    after = row_counts()
    assert after["trainee"] - before["trainee"] == 1
    assert db.session.scalars(select(Trainee.cnic)).all() == ["3520212345671"]


def test_a_date_of_birth_that_is_a_year_alone_says_so(app, place):
    rows = [
        [*AYESHA[:3], 2001, *AYESHA[4:6]],  # a number: before, read as day 2001 of 1900 ("over 100 years old")
        [*SANA[:3], "2001", *SANA[4:6]],  # text
        [*HINA[:3], 36540, *HINA[4:6]],  # a serial still reads: 15 Jan 2000
    ]
    preview = check_rows(read_sheet(xlsx_bytes(rows, header=HEADER[:6]), "list.xlsx"), place.centre, None)
    year_only = "2001 looks like a year only: write the whole date of birth, e.g. 15/01/2001."
    assert problems_of(preview) == [(2, "DOB", year_only), (3, "DOB", year_only)]
    assert preview.valid[0].details.date_of_birth == date(2000, 1, 15)


def test_month_first_dates_are_recognised_when_the_file_shows_it(app, place):
    rows = [[*AYESHA[:3], "1/15/2000", *AYESHA[4:]], [*SANA[:3], "6/5/1999", *SANA[4:]]]
    preview = check(csv_bytes(rows), place)
    assert [row.details.date_of_birth for row in preview.rows] == [date(2000, 1, 15), date(1999, 6, 5)]


# Checking rows: every problem with its row, column and message ---------------------------------------


def test_valid_rows_are_normalised(app, place):
    preview = check(csv_bytes([AYESHA, AISHA_URDU, SANA]), place)
    assert preview.problems == []
    ayesha, aisha, sana = (row.details for row in preview.rows)
    assert (ayesha.cnic, ayesha.phone, ayesha.gender, ayesha.date_of_birth) == (
        "3520212345671",
        "+923001234567",
        Gender.FEMALE,
        date(2000, 1, 15),
    )
    assert (ayesha.district_id, ayesha.area, ayesha.education, ayesha.email) == (
        place.lahore.id,
        Area.URBAN,
        Education.INTERMEDIATE,
        None,
    )
    assert (aisha.full_name, aisha.gender, aisha.area, aisha.education) == (
        "عائشہ بی بی",
        Gender.FEMALE,
        Area.RURAL,
        Education.MATRIC,
    )
    # Kasur is a rural district: an empty area follows it.
    assert (sana.area, sana.education, sana.email, sana.phone) == (
        Area.RURAL,
        Education.BACHELOR,
        "sana@example.pk",
        "+923331112223",
    )
    assert preview.counts() == {"rows": 3, "new": 3, "existing": 0, "problems": 0}


def test_each_row_problem_names_its_row_column_and_reason(app, place):
    rows = [
        AYESHA,  # row 2: fine
        ["35202-123456-1", *AYESHA[1:]],  # 3: a digit short
        [SANA[0], SANA[1], "F", "15/01/2000", "0300 12345", "Lahore", "", "", ""],  # 4: phone
        [HINA[0], "Hina", "F", "31/02/2000", "0321 2223334", "Lahore", "", "", ""],  # 5: no such date
        ["3520133333333", "Rabia", "F", "15/01/2000", "0321 3334445", "Lahor", "", "", ""],  # 6: district
        ["3520144444444", "Nida", "F", "01/01/2025", "0321 4445556", "Lahore", "", "", ""],  # 7: too young
        ["3520155555555", "Zara", "Miss", "15/01/2000", "0321 5556667", "Lahore", "village", "", "zara"],  # 8
        ["35202 1234567 1", "Ayesha K.", "F", "15/01/2000", "0300 1234568", "Lahore", "", "", ""],  # 9: dup of 2
        ["3.52021E+12", "Mona", "F", "15/01/2000", "0300 1234569", "Lahore", "", "Diploma", ""],  # 10: Excel number
        ["3520166666666", "Uzma 2", "F", "15/01/00", "0300 1234570", "Lahore", "", "", ""],  # 11: name, 2-digit year
    ]
    preview = check_rows(read_sheet(csv_bytes(rows)), place.centre, None, today=date(2026, 11, 21))
    assert problems_of(preview) == [
        (2, "CNIC", "The same CNIC is on rows 2 and 9 of this file: keep one of them."),
        (3, "CNIC", "A CNIC has 13 digits; this one has 12."),
        (4, "Phone", "This phone number does not exist; check the digits, e.g. 0300 1234567."),
        (5, "DOB", "There is no such date: 31/02/2000."),
        (6, "District", "There is no district called “Lahor”. Did you mean Lahore?"),
        (7, "DOB", "Trainees must be at least 14 years old."),
        (8, "Gender", "“Miss” is not a gender we record: write female, male or transgender (F, M or T)."),
        (8, "Email", "Enter an email address like name@example.com, or leave it empty."),
        (9, "CNIC", "The same CNIC is on rows 2 and 9 of this file: keep one of them."),
        (
            10,
            "CNIC",
            "Excel turned this CNIC into a number (3.52021E+12) and dropped digits: format the column as Text, "
            "type the CNICs again and save.",
        ),
        (
            10,
            "Education",
            "“Diploma” is not a level of education we know: write one of none, primary, middle, matric, "
            "intermediate, bachelor, master, doctorate.",
        ),
        (11, "Name", "A name has letters only (Urdu or English), with spaces, dots or dashes."),
        (11, "DOB", "Write the year with four digits, e.g. 15/01/2000."),
    ]
    assert preview.counts() == {"rows": 10, "new": 0, "existing": 0, "problems": 10}


def test_empty_required_cells_say_what_to_enter(app, place):
    preview = check(csv_bytes([["", "", "", "", "", "", "urban", "", ""], [""] * 9, AYESHA]), place)
    assert problems_of(preview) == [
        (2, "CNIC", "Enter the 13-digit CNIC number, e.g. 35202-1234567-1."),
        (2, "Name", "Enter the full name as on the CNIC."),
        (2, "Gender", "Enter the gender: female, male or transgender."),
        (2, "DOB", "Enter the date of birth."),
        (2, "Phone", "Enter a mobile number, e.g. 0300 1234567."),
        (2, "District", "Enter the district."),
    ]
    assert [row.number for row in preview.rows] == [2, 4]  # a wholly empty row is skipped, not a problem


def test_a_registered_cnic_is_reused_not_a_problem(app, place, make_trainee):
    existing = make_trainee(place.lahore, cnic="3520212345671", full_name="Ayesha Khan")
    preview = check(csv_bytes([AYESHA, SANA]), place, place.cohort)
    assert preview.problems == []
    assert [row.existing for row in preview.rows] == [existing, None]
    assert preview.counts() == {"rows": 2, "new": 1, "existing": 1, "problems": 0}
    assert preview.report()["rows"] == [
        [2, "35202-1234567-1", "Ayesha Khan", "existing"],
        [3, "35201-1111111-1", "Sana Tariq", "new"],
    ]


def test_eligibility_and_places_in_the_target_cohort(app, place, make_trainee, make_enrollment, make_cohort):
    camp = make_cohort(centre=place.centre, course=place.course, code="PB-LHR-01-CAMP", women_only=True)
    enrolled = make_trainee(place.lahore, cnic="3520111111111")  # Sana: already in the camp
    make_enrollment(enrolled, camp, status=EnrollmentStatus.WAITLISTED)
    busy = make_trainee(place.lahore, cnic="3520122222222")  # Hina: two places elsewhere
    for code in ("PB-LHR-01-X", "PB-LHR-01-Y"):
        make_enrollment(busy, make_cohort(centre=place.centre, course=place.course, code=code,
                                          starts_on=date(2030, 1, 1)))  # fmt: skip
    rows = [
        AYESHA,  # 2: fine
        ["3520177777777", "Bilal Ahmed", "M", "15/01/2000", "0300 7777777", "Lahore", "", "matric", ""],  # 3: a man
        ["3520188888888", "Amna", "F", "15/01/1970", "0300 8888888", "Lahore", "", "primary", ""],  # 4: age, education
        SANA,  # 5: in the camp already
        HINA,  # 6: holds two places
    ]
    preview = check(csv_bytes(rows), place, camp)
    starts = camp.starts_on.strftime("%d %b %Y")
    assert problems_of(preview) == [
        (3, "", "Not eligible for this cohort: This is a women-only cohort."),
        (4, "", f"Not eligible for this cohort: Age 16–40 on the day the course starts ({starts}). "
                "This course needs Matriculation or higher."),
        (5, "", "Already in this cohort (waitlisted)."),
        (6, "", "This trainee already holds 2 places (the most anyone may hold at once is 2). "
                "One must be given up before registering here."),
    ]  # fmt: skip


def test_a_list_that_finds_other_centres_records_keeps_one_lookup_per_record(
    app, place, make_trainee, make_enrollment, make_cohort, row_counts
):
    """The preview tells staff that a CNIC is on record, and what her record's places allow: for each record
    found (a row that is fine, a row her places elsewhere hold back) one ``trainee.lookup``, at upload.
    New CNICs and rows with a wrong value find no record and leave no lookup."""
    ayesha = make_trainee(place.karachi, cnic="3520212345671", registered_centre_id=place.other_centre.id)
    hina = make_trainee(place.karachi, cnic="3520122222222", registered_centre_id=place.other_centre.id)
    for code in ("SD-KHS-01-X", "SD-KHS-01-Y"):
        make_enrollment(hina, make_cohort(centre=place.other_centre, course=place.course, code=code,
                                          starts_on=date(2030, 1, 1)))  # fmt: skip
    make_trainee(place.lahore, cnic="3520111111111")  # Sana is on record, but her row has a wrong phone
    before = row_counts()
    rows = [AYESHA, HINA, [*SANA[:4], "0300 12", *SANA[5:]], AISHA_URDU]
    batch = stage_import(csv_bytes(rows), "list.csv", place.centre, place.cohort, actor=place.staff)
    assert batch.report["counts"] == {"rows": 4, "new": 1, "existing": 1, "problems": 2}
    after = row_counts()
    assert {table: after[table] - count for table, count in before.items() if after[table] != count} == {
        "import_batch": 1, "audit_event": 2}  # fmt: skip
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert sorted((e.action, e.object_id, e.actor_id, e.centre_id) for e in events) == sorted(
        ("trainee.lookup", trainee.id, place.staff.id, place.centre.id) for trainee in (ayesha, hina))  # fmt: skip


def test_a_district_name_in_several_provinces_means_the_one_in_the_centres_province(
    app, place, make_province, make_district, make_centre
):
    in_sindh = make_district(place.sindh, code="HYD", name="Hyderabad")
    in_punjab = make_district(place.punjab, code="HYP", name="Hyderabad")
    rows = [
        [*AYESHA[:5], "hyderabad", *AYESHA[6:]],
        [*SANA[:5], "Hyderabad, Sindh", *SANA[6:]],
        [*HINA[:5], "Hyderabad (Sindh)", *HINA[6:]],
    ]
    preview = check(csv_bytes(rows), place)  # the centre is in Punjab
    assert preview.problems == []
    assert [row.details.district_id for row in preview.rows] == [in_punjab.id, in_sindh.id, in_sindh.id]
    # From a province without a Hyderabad, the province must be written.
    kp = make_province(code="KP", name="Khyber Pakhtunkhwa")
    peshawar = make_centre(make_district(kp, code="PSH", name="Peshawar"), code="KP-PSH-01")
    preview = check_rows(read_sheet(csv_bytes(rows)), peshawar, None)
    assert problems_of(preview) == [
        (
            2,
            "District",
            "There is a district called “hyderabad” in Punjab and Sindh: write the province too, "
            "e.g. “hyderabad, Punjab”.",
        )
    ]
    assert [row.details.district_id for row in preview.rows[1:]] == [in_sindh.id, in_sindh.id]


# Staging and confirming (services) --------------------------------------------------------------------


def test_staging_refuses_staff_of_another_centre_and_cohorts_of_another_centre(app, place, make_cohort):
    data = csv_bytes([AYESHA])
    with pytest.raises(NotAllowed):
        stage_import(data, "list.csv", place.centre, None, actor=place.other_staff)
    elsewhere = make_cohort(centre=place.other_centre, course=place.course, code="SD-KHS-01-WEB-1")
    with pytest.raises(ImportRefused) as refused:
        stage_import(data, "list.csv", place.centre, elsewhere, actor=place.staff)
    assert (refused.value.message, refused.value.field) == ("Choose a cohort of this centre.", "cohort")


def test_confirming_imports_every_valid_row_and_skips_the_others(app, place, make_trainee, row_counts):
    existing = make_trainee(place.lahore, cnic="3520122222222", full_name="Hina Shah")
    rows = [AYESHA, AISHA_URDU, ["bad", *SANA[1:]], HINA]
    batch = stage_import(csv_bytes(rows), "list.csv", place.centre, place.cohort, actor=place.staff)
    db.session.commit()
    before = row_counts()
    result = confirm_import(batch, actor=place.staff)
    db.session.commit()
    assert result.counts() == {"created": 2, "reused": 1, "enrolled": 3, "waitlisted": 0, "pending": 0, "skipped": 1}
    assert [(p.row, p.column) for p in result.problems] == [(4, "CNIC")]
    after = row_counts()
    assert after["trainee"] - before["trainee"] == 2
    assert after["enrollment"] - before["enrollment"] == 3
    names = db.session.scalars(select(Trainee.full_name).order_by(Trainee.id)).all()
    assert names == ["Hina Shah", "Ayesha Khan", "عائشہ بی بی"]
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.cohort_id == place.cohort.id)).all()
    assert {e.source for e in enrollments} == {EnrollmentSource.IMPORT}
    assert existing.id in {e.trainee_id for e in enrollments}
    assert batch.status is ImportStatus.IMPORTED and batch.content == b""
    assert batch.report["counts"]["created"] == 2
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.confirm"))
    assert audit.object_id == batch.id and audit.after["enrolled"] == 3 and audit.centre_id == place.centre.id


def test_a_full_cohort_waitlists_and_reviewed_admission_leaves_pending(app, place, make_cohort):
    small = make_cohort(centre=place.centre, course=place.course, code="PB-LHR-01-SMALL", seats=1)
    batch = stage_import(csv_bytes([AYESHA, SANA]), "list.csv", place.centre, small, actor=place.staff)
    assert confirm_import(batch, actor=place.staff).counts()["waitlisted"] == 1
    reviewed = make_cohort(centre=place.centre, course=place.course, code="PB-LHR-01-REV", admission=Admission.REVIEWED)
    batch = stage_import(csv_bytes([HINA]), "list.csv", place.centre, reviewed, actor=place.staff)
    assert confirm_import(batch, actor=place.staff).counts()["pending"] == 1


def test_confirming_checks_again_what_changed_since_the_preview(app, place, make_trainee, make_enrollment):
    batch = stage_import(csv_bytes([AYESHA, SANA, HINA]), "list.csv", place.centre, place.cohort, actor=place.staff)
    assert batch.report["counts"] == {"rows": 3, "new": 3, "existing": 0, "problems": 0}
    # Meanwhile Ayesha registered herself, and Sana got a place in the cohort.
    make_trainee(place.lahore, cnic="3520212345671", full_name="Ayesha Khan")
    make_enrollment(make_trainee(place.lahore, cnic="3520111111111"), place.cohort)
    result = confirm_import(batch, actor=place.staff)
    assert result.counts() == {"created": 1, "reused": 1, "enrolled": 2, "waitlisted": 0, "pending": 0, "skipped": 1}
    assert [(p.row, p.message) for p in result.problems] == [(3, "Already in this cohort (enrolled).")]
    assert db.session.scalar(select(func.count(Trainee.id)).where(Trainee.cnic == "3520212345671")) == 1


def test_a_row_refused_at_confirmation_is_reported_and_the_others_imported(app, place, monkeypatch):
    real_register_many = batches.register_many

    def correct_sana_first(trainees, cohort, **kwargs):
        # As if staff corrected Sana's date of birth between the check and the registration.
        trainees[1].date_of_birth = date(1970, 1, 15)
        db.session.flush()
        return real_register_many(trainees, cohort, **kwargs)

    monkeypatch.setattr(batches, "register_many", correct_sana_first)
    batch = stage_import(csv_bytes([AYESHA, SANA, HINA]), "list.csv", place.centre, place.cohort, actor=place.staff)
    result = confirm_import(batch, actor=place.staff)
    assert result.counts() == {"created": 3, "reused": 0, "enrolled": 2, "waitlisted": 0, "pending": 0, "skipped": 1}
    starts = place.cohort.starts_on.strftime("%d %b %Y")
    assert result.problems == [
        Problem(3, "", f"Age 16–40 on the day the course starts ({starts}). "
                       "The record was created; the trainee was not registered.")
    ]  # fmt: skip
    sana = db.session.scalar(select(Trainee).where(Trainee.cnic == "3520111111111"))
    assert db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.trainee_id == sana.id)) == 0


def test_a_cohort_closing_during_the_import_stops_all_of_it(app, client, sign_in, csrf_token, place, row_counts,
                                                            monkeypatch):  # fmt: skip
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA, SANA, HINA]), cohort=place.cohort)
    batch_id = latest_batch().id
    real_register_many = batches.register_many

    def close_first(trainees, cohort, **kwargs):
        # As if a colleague closed the cohort between the check and the registration.
        cohort.status = CohortStatus.CLOSED
        db.session.flush()
        return real_register_many(trainees, cohort, **kwargs)

    monkeypatch.setattr(batches, "register_many", close_first)
    token = csrf_token(f"/enrollments/imports/{batch_id}")
    before = row_counts()
    response = client.post(f"/enrollments/imports/{batch_id}/confirm", data={"csrf_token": token})
    assert response.status_code == 409
    assert "This cohort is not taking applications (closed). Nothing was imported." in page_text(response)
    assert row_counts() == before
    assert db.session.get(ImportBatch, batch_id).status is ImportStatus.UPLOADED
    assert db.session.get(Cohort, place.cohort.id).status is CohortStatus.OPEN


def test_only_the_uploader_or_an_admin_confirms_once_within_a_day(app, place):
    batch = stage_import(csv_bytes([AYESHA]), "list.csv", place.centre, None, actor=place.staff)
    for someone in (place.colleague, place.other_staff, place.overseer):
        with pytest.raises(NotAllowed):
            confirm_import(batch, actor=someone)
    batch.created_at = utcnow() - timedelta(hours=25)
    with pytest.raises(ImportNotPossible) as refused:
        confirm_import(batch, actor=place.admin)
    assert refused.value.message == "This upload is more than a day old: upload it again."
    batch.created_at = utcnow()
    assert confirm_import(batch, actor=place.admin).created == 1
    with pytest.raises(ImportNotPossible) as refused:
        confirm_import(batch, actor=place.admin)
    assert refused.value.message == "This list has been imported already."


def test_the_batch_is_claimed_atomically_so_it_is_imported_once(app, place, row_counts, monkeypatch):
    batch = stage_import(csv_bytes([AYESHA]), "list.csv", place.centre, place.cohort, actor=place.staff)
    confirm_import(batch, actor=place.staff)
    db.session.commit()
    before = row_counts()
    # A second request that read the batch before the first one committed gets past the status check...
    monkeypatch.setattr(batches, "refusal_for_confirming", lambda batch, now=None: None)
    with pytest.raises(ImportNotPossible) as refused:
        confirm_import(batch, actor=place.staff)
    # ...but not past the claim.
    assert refused.value.message == "This list has been imported already."
    db.session.rollback()
    assert row_counts() == before


def test_a_new_upload_expires_old_unconfirmed_ones(app, place):
    old = stage_import(csv_bytes([AYESHA]), "old.csv", place.centre, None, actor=place.staff)
    old.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    stage_import(csv_bytes([SANA]), "new.csv", place.centre, None, actor=place.staff)
    db.session.commit()
    db.session.refresh(old)
    assert (old.status, old.content, old.report) == (ImportStatus.EXPIRED, b"", {})


def test_an_expired_upload_says_to_upload_again(app, client, sign_in, place):
    old = stage_import(csv_bytes([AYESHA]), "old.csv", place.centre, None, actor=place.staff)
    old.created_at = utcnow() - timedelta(days=2)
    stage_import(csv_bytes([SANA]), "new.csv", place.centre, None, actor=place.staff)
    db.session.commit()
    page = page_text(sign_in(place.staff).get(f"/enrollments/imports/{old.id}"))
    assert "This upload is more than a day old: upload it again." in page
    assert "This upload has expired" in page and "Ayesha" not in page


# Pages ------------------------------------------------------------------------------------------------


def upload_path(place) -> str:
    return f"/enrollments/centres/{place.centre.code}/import"


def upload(client, csrf_token, place, data: bytes, filename: str = "list.csv", cohort: Cohort | None = None):
    token = csrf_token(upload_path(place))
    return client.post(
        upload_path(place),
        data={"csrf_token": token, "file": (io.BytesIO(data), filename), "cohort": str(cohort.id) if cohort else ""},
        content_type="multipart/form-data",
    )


def latest_batch() -> ImportBatch:
    return db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()


def confirm(client, csrf_token, batch_id: int):
    token = csrf_token(f"/enrollments/imports/{batch_id}")
    return client.post(f"/enrollments/imports/{batch_id}/confirm", data={"csrf_token": token})


def test_the_upload_page_offers_the_centres_open_cohorts_only(app, client, sign_in, place, make_cohort):
    make_cohort(centre=place.other_centre, course=place.course, code="SD-KHS-01-WEB-1")
    make_cohort(centre=place.centre, course=place.course, code="PB-LHR-01-DRAFT", status=CohortStatus.DRAFT)
    page = page_text(sign_in(place.staff).get(upload_path(place)))
    assert "PB-LHR-01-WEB-1" in page
    assert "SD-KHS-01-WEB-1" not in page and "PB-LHR-01-DRAFT" not in page
    assert 'enctype="multipart/form-data"' in page


def test_uploading_shows_the_preview_and_writes_nothing_but_the_batch(app, client, sign_in, csrf_token, place,
                                                                      row_counts):  # fmt: skip
    sign_in(place.staff)
    before = row_counts()
    rows = [AYESHA, ["35202-123456-1", *SANA[1:]], AISHA_URDU, [*HINA[:5], "Lahor", *HINA[6:]]]
    response = upload(client, csrf_token, place, csv_bytes(rows, encoding="utf-8-sig"), cohort=place.cohort)
    assert response.status_code == 302
    batch = latest_batch()
    assert response.headers["Location"] == f"/enrollments/imports/{batch.id}"
    after = row_counts()
    assert after.pop("import_batch") == before.pop("import_batch") + 1
    assert after == before
    assert (batch.uploaded_by_id, batch.centre_id, batch.cohort_id, batch.filename) == (
        place.staff.id, place.centre.id, place.cohort.id, "list.csv")  # fmt: skip

    page = page_text(client.get(response.headers["Location"]))
    assert "Check the list before importing" in page
    assert "A CNIC has 13 digits; this one has 12." in page
    assert "There is no district called “Lahor”. Did you mean Lahore?" in page
    assert "Import 2 rows" in page
    rows_page = page_text(client.get(f"/enrollments/imports/{batch.id}?show=rows"))
    assert "عائشہ بی بی" in rows_page and "New record" in rows_page


def test_problems_are_paginated(app, client, sign_in, csrf_token, place):
    sign_in(place.staff)
    rows = [[f"35202{number:07d}1", "Ayesha", "F", "15/01/2000", "0300 12345", "Lahore"] for number in range(30)]
    upload(client, csrf_token, place, csv_bytes(rows, header=HEADER[:6]))
    batch = latest_batch()
    first = page_text(client.get(f"/enrollments/imports/{batch.id}?per_page=20"))
    second = page_text(client.get(f"/enrollments/imports/{batch.id}?per_page=20&page=2"))
    assert "Showing 1–20 of 30 problems" in first and "Showing 21–30 of 30 problems" in second
    assert "No row can be imported" in first


def test_a_file_that_cannot_be_read_stays_on_the_form_with_the_reason(app, client, sign_in, csrf_token, place,
                                                                      row_counts):  # fmt: skip
    sign_in(place.staff)
    before = row_counts()
    bad = csv_bytes([["3520212345671", "Ayesha"]], header=["CNIC", "Name"])
    response = upload(client, csrf_token, place, bad)
    assert response.status_code == 422
    assert "Required columns missing: Gender, Date of birth, Phone, District." in page_text(response)
    response = client.post(upload_path(place), data={"csrf_token": csrf_token(upload_path(place))})
    assert response.status_code == 422
    assert "Choose the file to import: a CSV or an Excel workbook (.xlsx)." in page_text(response)
    assert row_counts() == before


def test_confirming_through_the_page(app, client, sign_in, csrf_token, place, row_counts):
    sign_in(place.staff)
    upload(client, csrf_token, place, xlsx_bytes([AYESHA, AISHA_URDU, ["bad", *SANA[1:]]]), "list.xlsx", place.cohort)
    batch_id = latest_batch().id
    before = row_counts()
    response = confirm(client, csrf_token, batch_id)
    assert response.status_code == 302 and response.headers["Location"] == f"/enrollments/imports/{batch_id}"
    after = row_counts()
    assert after["trainee"] - before["trainee"] == 2 and after["enrollment"] - before["enrollment"] == 2
    page = page_text(client.get(f"/enrollments/imports/{batch_id}"))
    assert "List imported: 2 new records, 0 existing, 1 rows skipped." in page
    assert "List imported" in page and "rows skipped" in page
    # A second confirmation is refused and writes nothing.
    before = row_counts()
    response = confirm(client, csrf_token, batch_id)
    assert response.status_code == 409
    assert "This list has been imported already." in page_text(response)
    assert row_counts() == before


def test_an_unexpected_error_mid_import_leaves_nothing(app, client, sign_in, csrf_token, place, row_counts,
                                                       monkeypatch):  # fmt: skip
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA, AISHA_URDU, SANA, HINA]), cohort=place.cohort)
    batch_id = latest_batch().id
    calls = []
    real_register_many = batches.register_many

    def fail_after_writing(trainees, cohort, **kwargs):
        calls.append(real_register_many(trainees, cohort, **kwargs))  # records, places, audit, outbox written
        raise RuntimeError("the database went away")

    monkeypatch.setattr(batches, "register_many", fail_after_writing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = csrf_token(f"/enrollments/imports/{batch_id}")
    before = row_counts()
    response = client.post(f"/enrollments/imports/{batch_id}/confirm", data={"csrf_token": token})
    assert response.status_code == 500
    assert len(calls) == 1 and len(calls[0].placed) == 4
    assert row_counts() == before
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch.status is ImportStatus.UPLOADED and batch.content
    assert db.session.get(Cohort, place.cohort.id).enrolled_count == 0


def test_an_expired_upload_is_refused_on_confirmation(app, client, sign_in, csrf_token, place, row_counts):
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA]))
    batch = latest_batch()
    batch.created_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    page = page_text(client.get(f"/enrollments/imports/{batch.id}"))
    assert "This upload is more than a day old: upload it again." in page and "Import 1 row" not in page
    before = row_counts()
    response = confirm(client, csrf_token, batch.id)
    assert response.status_code == 409
    assert "This upload is more than a day old: upload it again." in page_text(response)
    assert row_counts() == before


@pytest.mark.parametrize("who", ["other_staff", "overseer", "colleague"])
def test_who_may_not_see_or_confirm_an_upload(app, client, sign_in, csrf_token, place, row_counts, who):
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA]))
    batch_id = latest_batch().id
    app.config["WTF_CSRF_ENABLED"] = False
    before = row_counts()
    sign_in(getattr(place, who))
    assert client.get(f"/enrollments/imports/{batch_id}").status_code == 403
    assert client.post(f"/enrollments/imports/{batch_id}/confirm").status_code == 403
    expected = 200 if who == "colleague" else 403  # a colleague may upload her own lists
    assert client.get(upload_path(place)).status_code == expected
    assert row_counts() == before


def test_an_admin_may_confirm_someone_elses_upload(app, client, sign_in, csrf_token, place):
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA]))
    batch_id = latest_batch().id
    sign_in(place.admin)
    assert confirm(client, csrf_token, batch_id).status_code == 302
    assert db.session.scalar(select(func.count(Trainee.id))) == 1


def test_staff_of_another_centre_and_overseers_cannot_upload(app, client, sign_in, place, row_counts):
    app.config["WTF_CSRF_ENABLED"] = False
    before = row_counts()
    for someone in (place.other_staff, place.overseer):
        sign_in(someone)
        assert client.get(upload_path(place)).status_code == 403
        response = client.post(
            upload_path(place),
            data={"file": (io.BytesIO(csv_bytes([AYESHA])), "list.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 403
    assert row_counts() == before


def test_anonymous_visitors_are_sent_to_sign_in(app, client, place):
    batch = ImportBatch(centre=place.centre, uploaded_by=place.staff, filename="x.csv", size=1, content=b"x", report={})
    db.session.add(batch)
    db.session.commit()
    for path in (upload_path(place), f"/enrollments/imports/{batch.id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")


def test_posts_without_a_csrf_token_are_refused(app, client, sign_in, csrf_token, place, row_counts):
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA]))
    batch_id = latest_batch().id
    before = row_counts()
    response = client.post(
        upload_path(place),
        data={"file": (io.BytesIO(csv_bytes([SANA])), "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert client.post(f"/enrollments/imports/{batch_id}/confirm").status_code == 400
    assert row_counts() == before


def test_a_missing_batch_is_404(app, client, sign_in, place):
    sign_in(place.staff)
    assert client.get("/enrollments/imports/987654").status_code == 404
    assert client.get(f"/enrollments/imports/{2**40}").status_code == 404


# Education, when the course asks for some -----------------------------------------------------------


def test_an_empty_education_is_a_problem_only_when_the_course_asks_for_some(place, make_course, make_cohort):
    no_schooling_needed = make_cohort(
        centre=place.centre, course=make_course(min_education=Education.NONE), code="PB-LHR-01-ANY"
    )
    ayesha_unsaid = [*AYESHA[:7], "", ""]
    preview = check(csv_bytes([ayesha_unsaid, HINA]), place, place.cohort)
    message = "Give the trainee's education: this course needs Matriculation or higher."
    assert problems_of(preview) == [(2, "Education", message)]
    assert check(csv_bytes([ayesha_unsaid, HINA]), place, no_schooling_needed).problems == []
    assert check(csv_bytes([ayesha_unsaid, HINA]), place).problems == []  # no cohort: matric, as documented
    assert check(csv_bytes([ayesha_unsaid]), place).valid[0].details.education is Education.MATRIC


def test_a_list_without_education_for_a_course_that_asks_for_it_is_refused_whole(
    client, sign_in, csrf_token, place, row_counts
):
    sign_in(place.staff)
    header = HEADER[:7]
    data = csv_bytes([AYESHA[:7], HINA[:7]], header=header)
    before = row_counts()
    response = upload(client, csrf_token, place, data, cohort=place.cohort)
    assert response.status_code == 422
    assert (
        "Web Development Foundations needs Matriculation or higher: add a column with each trainee's education "
        "(Education), or import the list without a cohort." in html.unescape(page_text(response))
    )
    assert row_counts() == before
    response = upload(client, csrf_token, place, data)  # without a cohort it goes in, education matric
    assert response.status_code == 302


def test_staff_open_the_records_they_imported_without_a_cohort(client, sign_in, csrf_token, place):
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes([AYESHA]))
    assert confirm(client, csrf_token, latest_batch().id).status_code == 302
    ayesha = db.session.scalar(select(Trainee).where(Trainee.cnic == "3520212345671"))
    assert ayesha.registered_centre_id == place.centre.id
    assert "Ayesha Khan" in page_text(client.get(f"/enrollments/trainees/{ayesha.id}"))
    sign_in(place.other_staff)
    assert client.get(f"/enrollments/trainees/{ayesha.id}").status_code == 403
