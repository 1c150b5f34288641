"""Uploads built to make reading slow or large (issue 12, item 6): every one is refused at the limit it
passes, with a message naming that limit, quickly and with nothing written; and no file, however long it
takes to read, keeps others from writing meanwhile (on SQLite the upload held the write lock, and a
sign-in failed with "database is locked").

The hostile files are those of ``bench/hostile_imports.py``, at full size."""

import html
import io
import re
import threading
import time
import zipfile
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest
from flask import g
from harness import password_hash
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from auth.models import UserAccount
from bench import hostile_imports as hostile
from database import sqlite_may_write, start_writing
from enrollments.imports import batches, limits
from enrollments.imports.limits import ImportRefused
from enrollments.imports.models import ImportBatch, ImportStatus
from enrollments.imports.reading import read_sheet
from enrollments.imports.xlsx import Workbook
from extensions import db
from tests.test_imports import AYESHA, HEADER, csv_bytes, latest_batch, page_text, xlsx_bytes
from vocabulary import Education, Role

TOO_MANY_ROWS = (
    "The sheet has more than 50,000 rows, empty ones included: delete the empty rows under the list, or copy the "
    "list alone into a new file, and save it again."
)
UNREADABLE = "This file could not be read as an Excel workbook (.xlsx): save it again."


def too_wide(row: int) -> str:
    return (
        f"Row {row} has more than 16,384 cells, more than Excel allows: copy the list alone into a new file and save "
        "it again."
    )


@pytest.fixture
def place(make_district, make_centre, make_course, make_cohort, make_user):
    """A centre in Lahore with an open cohort that asks for no education, and its staff member."""
    centre = make_centre(make_district(name="Lahore", name_ur="لاہور"), code="PB-LHR-01")
    cohort = make_cohort(centre=centre, course=make_course(min_education=Education.NONE), code="PB-LHR-01-WEB-1")
    return SimpleNamespace(centre=centre, cohort=cohort, staff=make_user(Role.STAFF, centres=(centre,)))


def upload(client, csrf_token, place, data: bytes, filename: str, cohort=None):
    """Post ``data`` to the upload form, the multipart body built in memory: the test client would spool
    a body this large to a temporary file and leave it open."""
    path = f"/enrollments/centres/{place.centre.code}/import"
    fields = {"csrf_token": csrf_token(path), "file": FileStorage(io.BytesIO(data), filename), "cohort": ""}
    if cohort is not None:
        fields["cohort"] = str(cohort.id)
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def colleague_with_a_password(make_user) -> UserAccount:
    return make_user(Role.STAFF, email="colleague@markaz.test", password_hash=password_hash(PASSWORD))


PASSWORD = "pass-1234567"


# The hostile files, uploaded --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "filename", "message"),
    [
        (hostile.shared_strings_bomb, "list.xlsx",
         "The workbook's text is larger than 20 MB once unpacked: copy the list alone into a new file and save it "
         "again."),
        (hostile.lying_directory, "list.xlsx", UNREADABLE),
        (hostile.wide_row, "list.xlsx", too_wide(2)),
        (hostile.blank_rows, "list.xlsx", TOO_MANY_ROWS),
        (hostile.csv_long_line, "list.csv", too_wide(3)),
        (hostile.csv_blank_lines, "list.csv", TOO_MANY_ROWS),
    ],
    ids=["shared-strings-99MB", "lying-zip-directory", "row-of-2.7M-cells", "1M-blank-rows", "csv-5MB-line",
         "csv-2.6M-blank-lines"],
)  # fmt: skip
def test_hostile_files_are_refused_at_their_limit(
    client, sign_in, csrf_token, place, row_counts, build, filename, message
):
    data = build()
    sign_in(place.staff)
    before = row_counts()
    started = time.perf_counter()
    response = upload(client, csrf_token, place, data, filename, place.cohort)
    seconds = time.perf_counter() - started
    assert response.status_code == 422
    assert message in html.unescape(page_text(response))
    assert row_counts() == before
    assert seconds < 10  # before: 26 s and 1.8 GB for the wide row; now a fraction of a second


def test_a_sheet_claiming_the_whole_grid_is_read_as_the_rows_it_writes(app):
    started = time.perf_counter()
    sheet = read_sheet(hostile.far_cell(), "list.xlsx")
    assert time.perf_counter() - started < 2
    assert [number for number, _ in sheet.rows] == [2]  # row 1048576 has a cell only beyond the columns read
    assert sheet.rows[0][1]["cnic"] == "35202-1234567-1"


def test_a_zip_whose_directory_understates_a_size_is_refused_even_with_a_matching_checksum(app):
    data = hostile.xlsx(hostile.sheet_xml(hostile.text_row(1, HEADER), hostile.text_row(2, AYESHA)))
    sheet = "xl/worksheets/sheet1.xml"
    half = zipfile.ZipFile(io.BytesIO(data)).getinfo(sheet).file_size // 2
    lying = hostile.understate_size(data, sheet, half, matching_checksum=True)
    assert len(zipfile.ZipFile(io.BytesIO(lying)).read(sheet)) == half  # what the zip library gives: half a sheet
    with pytest.raises(ImportRefused) as refused:
        read_sheet(lying, "list.xlsx")
    assert refused.value.message == UNREADABLE


# Each limit, at its edge --------------------------------------------------------------------------------


def rows_of(count: int) -> list[list[str]]:
    return [[f"352021234{number:04d}", "Ayesha Khan", "F", "15/01/2000", "0300 1234567", "Lahore"]
            for number in range(count)]  # fmt: skip


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_read_are_limited_empty_ones_included(app, monkeypatch, kind):
    monkeypatch.setattr(limits, "MAX_SHEET_ROWS", 6)
    make = csv_bytes if kind == "csv" else xlsx_bytes
    assert len(read_sheet(make([*rows_of(2), [""] * 6, *rows_of(2)], header=HEADER[:6]), f"l.{kind}").rows) == 4
    with pytest.raises(ImportRefused) as refused:
        read_sheet(make([*rows_of(2), [""] * 6, [""] * 6, *rows_of(2)], header=HEADER[:6]), f"l.{kind}")
    assert refused.value.message == (
        "The sheet has more than 6 rows, empty ones included: delete the empty rows under the list, or copy the "
        "list alone into a new file, and save it again."
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_cells_read_are_limited(app, monkeypatch, kind):
    monkeypatch.setattr(limits, "MAX_CELLS", 18)
    make = csv_bytes if kind == "csv" else xlsx_bytes
    assert len(read_sheet(make(rows_of(2), header=HEADER[:6]), f"l.{kind}").rows) == 2  # 18 cells
    with pytest.raises(ImportRefused) as refused:
        read_sheet(make(rows_of(3), header=HEADER[:6]), f"l.{kind}")
    assert refused.value.message == (
        "The sheet has more than 18 cells, empty ones included: copy the list alone (only its columns) into a new "
        "file and save it again."
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_cells_in_a_row_are_limited(app, monkeypatch, kind):
    monkeypatch.setattr(limits, "MAX_ROW_CELLS", 8)
    make = csv_bytes if kind == "csv" else xlsx_bytes
    assert len(read_sheet(make([[*AYESHA[:6], "", "x"]], header=HEADER[:6]), f"l.{kind}").rows) == 1
    with pytest.raises(ImportRefused) as refused:
        read_sheet(make([AYESHA[:6], [*AYESHA[:6], "", "", "x"]], header=HEADER[:6]), f"l.{kind}")
    assert refused.value.message == (
        "Row 3 has more than 8 cells, more than Excel allows: copy the list alone into a new file and save it again."
    )


def test_a_cell_beyond_excels_last_column_is_refused(app):
    cells = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="XFE2"><v>1</v></c></row>'
    data = hostile.xlsx(hostile.sheet_xml(hostile.text_row(1, HEADER), cells))
    with pytest.raises(ImportRefused) as refused:
        read_sheet(data, "list.xlsx")
    assert refused.value.message == too_wide(2)


@pytest.mark.parametrize("kind", ["csv", "xlsx", "xlsx-shared"])
def test_characters_in_a_cell_are_limited(app, monkeypatch, kind):
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 15)
    fits, too_long = [AYESHA[:6]], [AYESHA[:6], ["3520212345672", "Sana Tariq Khan Bibi", *AYESHA[2:6]]]
    make = {"csv": csv_bytes, "xlsx": inline_xlsx, "xlsx-shared": shared_xlsx}[kind]
    assert len(read_sheet(make(fits, header=HEADER[:6]), "list." + kind[:4]).rows) == 1  # "35202-1234567-1": 15
    with pytest.raises(ImportRefused) as refused:
        read_sheet(make(too_long, header=HEADER[:6]), "list." + kind[:4])
    assert refused.value.message == (
        "A cell of this workbook holds more than 15 characters, more than Excel allows: copy the list alone into a "
        "new file and save it again."
        if kind == "xlsx-shared"
        else "Row 3 has a cell of more than 15 characters, more than Excel allows: correct that row and save the "
        "file again."
    )


def inline_xlsx(rows, *, header) -> bytes:
    """A workbook with each cell's text in the cell (as openpyxl writes it)."""
    numbered = [hostile.text_row(number, row) for number, row in enumerate([header, *rows], start=1)]
    return hostile.xlsx(hostile.sheet_xml(*numbered))


def shared_xlsx(rows, *, header) -> bytes:
    """A workbook with the text of its cells in shared strings (as Excel writes it)."""
    strings: dict[str, int] = {}
    sheet = []
    for number, row in enumerate([header, *rows], start=1):
        cells = "".join(f'<c t="s"><v>{strings.setdefault(value, len(strings))}</v></c>' for value in row)
        sheet.append(f'<row r="{number}">{cells}</row>'.encode())
    table = "".join(f"<si><t>{escape(value)}</t></si>" for value in strings)
    return hostile.xlsx(hostile.sheet_xml(*sheet), [f'<sst xmlns="{hostile.MAIN_NS}">{table}</sst>'.encode()])


def padded(data: bytes, name: str, size: int) -> bytes:
    """``data`` (a workbook) with the part ``name`` made ``size`` bytes longer by an XML comment."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == name:
                head, _, rest = content.partition(b"?>")
                content = head + b"?><!--" + b" " * size + b"-->" + rest
            target.writestr(member.filename, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("MAX_SHEET_BYTES", "The sheet is larger than 1 MB once unpacked: copy the list alone into a new file and "
                            "save it again."),
        ("MAX_SHARED_TEXT_BYTES", "The workbook's text is larger than 1 MB once unpacked: copy the list alone into "
                                  "a new file and save it again."),
        ("MAX_PART_BYTES", "A part of this workbook (xl/workbook.xml) is larger than 1 MB once unpacked: save the "
                           "list alone, as CSV or XLSX."),
        ("MAX_UNPACKED_BYTES", "This workbook is larger than 1 MB once unpacked: save the list alone, as CSV or "
                               "XLSX."),
    ],
)  # fmt: skip
def test_each_part_read_is_limited_once_unpacked(app, monkeypatch, limit, message):
    # 30,000 rows: a sheet of about 1.8 MB and shared strings of 1.2 MB; the workbook part padded to 1.1 MB.
    data = shared_xlsx([[f"35202{number:08d}", f"Name {number}", "F", "15/01/2000", "0300 1234567", "Lahore"]
                       for number in range(30_000)], header=HEADER[:6])  # fmt: skip
    data = padded(data, "xl/workbook.xml", 1_100_000)
    sizes = {member.filename: member.file_size for member in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert min(sizes["xl/worksheets/sheet1.xml"], sizes["xl/sharedStrings.xml"], sizes["xl/workbook.xml"]) > 2**20
    for each in ("MAX_SHEET_BYTES", "MAX_SHARED_TEXT_BYTES", "MAX_PART_BYTES", "MAX_UNPACKED_BYTES"):
        monkeypatch.setattr(limits, each, 2**20 if each == limit else 10 * 2**20)
    with pytest.raises(ImportRefused) as refused:
        read_sheet(data, "list.xlsx")
    assert refused.value.message == message


def test_shared_strings_are_limited_in_number(app, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CELLS", 20)
    with pytest.raises(ImportRefused) as refused:
        read_sheet(shared_xlsx(rows_of(3), header=HEADER[:6]), "list.xlsx")  # 21 distinct strings
    assert refused.value.message.startswith("The sheet has more than 20 cells")


def test_a_document_type_declaration_is_not_expanded(app):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(ImportRefused) as refused:
        read_sheet(hostile.xlsx([laughs]), "list.xlsx")
    assert refused.value.message == UNREADABLE


def test_a_workbook_written_with_prefixed_element_names_is_read(app):
    rows = [hostile.text_row(1, HEADER), hostile.text_row(2, AYESHA)]
    prefixed = [re.sub(rb"<(/?)(\w)", rb"<\1x:\2", row) for row in rows]
    sheet = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
             + b"".join(prefixed) + b"</x:sheetData></x:worksheet>")  # fmt: skip
    read = read_sheet(hostile.xlsx([sheet]), "list.xlsx")
    assert read.rows[0][1]["full_name"] == "Ayesha Khan"


def test_a_zip_that_is_not_a_workbook_is_refused(app):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(ImportRefused) as refused:
        read_sheet(buffer.getvalue(), "list.xlsx")
    assert refused.value.message == UNREADABLE


def test_a_zip_of_a_version_the_library_cannot_read_is_refused_not_an_error(app):
    data = bytearray(xlsx_bytes([AYESHA]))
    directory = data.index(b"PK\x01\x02")
    data[directory + 6] = 68  # "version needed to extract": 6.8 (zipfile raises NotImplementedError)
    with pytest.raises(ImportRefused) as refused:
        read_sheet(bytes(data), "list.xlsx")
    assert refused.value.message == UNREADABLE


def test_the_reader_gives_what_openpyxl_gave(app):
    # The values the import read through openpyxl before: dates, serials, numbers, booleans, rich text.
    import openpyxl

    data = xlsx_bytes([[3520212345671, "Ayesha", "F", 36540, 3001234567, "Lahore", True, 2.5, "x"]])
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    ours = Workbook(data)
    assert [values for _, values in ours.rows()] == expected
    assert ours.epoch == workbook.epoch


# Reading holds no lock ------------------------------------------------------------------------------------


def sign_in_through_the_form(client, email: str, password: str):
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/auth/login", data={"csrf_token": token, "email": email, "password": password})


def while_reading(app, monkeypatch, request_in_thread, meanwhile):
    """Run ``request_in_thread`` in a thread; once its request is reading the file, run ``meanwhile`` here.
    Returns (the thread's response, ``meanwhile``'s result, whether ``meanwhile`` finished while the
    file was still being read). If ``meanwhile`` has to wait for the request, the reading is let go on
    after 8 s, so that a failure takes 8 s, not the 30 s of SQLite's busy timeout."""
    reading, let_go = threading.Event(), threading.Event()
    real_read_sheet = batches.read_sheet

    def slow_read_sheet(*args, **kwargs):
        reading.set()
        let_go.wait(20)
        return real_read_sheet(*args, **kwargs)

    monkeypatch.setattr(batches, "read_sheet", slow_read_sheet)
    answers = []

    def run():
        with app.app_context():
            answers.append(request_in_thread())

    db.session.commit()  # the test's own transaction must hold no lock while the request runs
    thread = threading.Thread(target=run)
    thread.start()
    assert reading.wait(20)
    timer = threading.Timer(8, let_go.set)
    timer.start()
    try:
        result = meanwhile()
        in_time = not let_go.is_set()
    finally:
        let_go.set()
        timer.cancel()
        thread.join(30)
    return answers[0], result, in_time


def test_others_can_write_while_an_upload_is_read(app, client, sign_in, csrf_token, place, row_counts, make_user,
                                                  monkeypatch):  # fmt: skip
    colleague = make_user(Role.STAFF, email="colleague@markaz.test", password_hash=password_hash("pass-1234567"))
    sign_in(place.staff)
    token = csrf_token(f"/enrollments/centres/{place.centre.code}/import")
    before = row_counts()
    other = app.test_client()

    fields = {"csrf_token": token, "file": FileStorage(io.BytesIO(hostile.wide_row()), "list.xlsx"), "cohort": ""}
    boundary, body = encode_multipart(fields)

    path = f"/enrollments/centres/{place.centre.code}/import"  # read here: the thread must not load objects

    def upload_hostile_file():
        return client.post(
            path,
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    response, signed_in, in_time = while_reading(
        app, monkeypatch, upload_hostile_file, lambda: sign_in_through_the_form(other, colleague.email, PASSWORD)
    )
    assert signed_in.status_code == 302 and in_time  # before: it waited for the upload (then 30 s: "locked")
    assert response.status_code == 422 and too_wide(2) in page_text(response)
    assert row_counts() == before
    db.session.expire_all()
    assert db.session.get(UserAccount, colleague.id).last_login_at is not None


def test_others_can_write_while_a_confirmed_list_is_read(app, client, sign_in, csrf_token, place, make_user,
                                                         monkeypatch):  # fmt: skip
    colleague = make_user(Role.STAFF, email="colleague@markaz.test", password_hash=password_hash("pass-1234567"))
    sign_in(place.staff)
    upload(client, csrf_token, place, csv_bytes(rows_of(2), header=HEADER[:6]), "list.csv", place.cohort)
    batch_id = latest_batch().id
    token = csrf_token(f"/enrollments/imports/{batch_id}")
    other = app.test_client()

    def confirm():
        return client.post(f"/enrollments/imports/{batch_id}/confirm", data={"csrf_token": token})

    response, signed_in, in_time = while_reading(
        app, monkeypatch, confirm, lambda: sign_in_through_the_form(other, colleague.email, PASSWORD)
    )
    assert signed_in.status_code == 302 and in_time
    assert response.status_code == 302
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch.status is ImportStatus.IMPORTED and batch.report["counts"]["created"] == 2


def test_start_writing_ends_the_read_only_start_and_refuses_after_changes(app, place):
    with app.test_request_context("/", method="POST"):
        g.sqlite_read_only_token = sqlite_may_write.set(False)
        place.centre.name = "Changed while reading"
        with pytest.raises(RuntimeError):
            start_writing()
        db.session.rollback()
        start_writing()
        assert sqlite_may_write.get() is True and "sqlite_read_only_token" not in g
        assert place.centre.name != "Changed while reading"
