"""Hostile imports (issue 12, item 6): files built to make reading a list slow or large, each uploaded
through the import page (signed in as staff, with the CSRF token, as a browser posts it), and the largest
files the limits accept. For each: the page's answer, the seconds the upload took, and the peak resident
memory (VmHWM, reset before each upload) of this process, which serves the requests in-process.
Target: every upload under 10 s and 200 MB; every hostile file refused at its limit.

    .venv/bin/python bench/hostile_imports.py [--database-url URL] [--only NAME ...] [--keep]

Without --database-url it builds a fresh SQLite database in a temporary folder (`flask db upgrade`,
`flask seed reference`); a given URL must point at an empty database, which gets the same treatment.

The generators below are the files the tests refuse too (tests/test_import_limits.py imports them):

- ``shared_strings_bomb``: a 242 KB workbook whose shared strings unpack to 99 MB;
- ``lying_directory``: the same, with a zip directory that says the shared strings are 90 KB;
- ``wide_row``: a 300 KB workbook with one row of 2.7 million cells;
- ``blank_rows``: a workbook with a million blank rows under a valid list;
- ``far_cell``: a valid list whose sheet says it spans A1:XFD1048576 and has a cell in its last row (accepted);
- ``csv_long_line``: a 5 MB CSV whose third line is 5 million commas;
- ``csv_blank_lines``: a 5 MB CSV of 2.6 million blank lines under a valid list;
- ``largest_xlsx`` / ``largest_shared_xlsx`` / ``largest_csv``: 20,000 trainees (the most rows a list
  may have) with extra columns towards the cell limit, as wide as the 5 MB upload limit allows: text in
  the cells (inline strings) or in shared strings (as Excel writes it), and CSV.
"""

import argparse
import csv
import html
import io
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["CNIC", "Name", "Gender", "DOB", "Phone", "District", "Area", "Education", "Email"]
AYESHA = ["35202-1234567-1", "Ayesha Khan", "F", "15/01/2000", "0300 1234567", "Lahore", "", "Intermediate", ""]


# Building workbooks -----------------------------------------------------------------------------------


def xlsx(sheet: Iterable[bytes], shared_strings: Iterable[bytes] | None = None) -> bytes:
    """A minimal workbook: one worksheet whose XML is the chunks of ``sheet`` (streamed into the zip, so
    that a 99 MB part never sits in memory), and shared strings from ``shared_strings`` if given."""
    overrides = [("/xl/workbook.xml", "sheet.main"), ("/xl/worksheets/sheet1.xml", "worksheet")]
    relationships = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if shared_strings is not None:
        overrides.append(("/xl/sharedStrings.xml", "sharedStrings"))
        relationships.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(
            f'<Override PartName="{part}" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.{kind}+xml"/>'
            for part, kind in overrides
        )
        + "</Types>"
    )
    package = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS}">'
        '<sheets><sheet name="Trainees" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_relationships = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        + "".join(
            f'<Relationship Id="{rid}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"/>'
            for rid, kind, target in relationships
        )
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", package)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_relationships)
        parts = [("xl/worksheets/sheet1.xml", sheet)]
        if shared_strings is not None:
            parts.append(("xl/sharedStrings.xml", shared_strings))
        for name, chunks in parts:
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
    return buffer.getvalue()


def sheet_xml(*rows: bytes | Iterable[bytes], dimension: str = "") -> Iterator[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    for row in rows:
        if isinstance(row, bytes):
            yield row
        else:
            yield from row
    yield b"</sheetData></worksheet>"


def text_row(number: int, values: list[str]) -> bytes:
    """A row of inline strings (so that it needs no shared strings)."""
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(value)}</t></is></c>' for value in values if value is not None)
    return f'<row r="{number}">{cells}</row>'.encode()


def in_chunks(pieces: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    buffered: list[bytes] = []
    length = 0
    for piece in pieces:
        buffered.append(piece)
        length += len(piece)
        if length >= size:
            yield b"".join(buffered)
            buffered, length = [], 0
    yield b"".join(buffered)


def understate_size(data: bytes, name: str, declared: int, *, matching_checksum: bool = False) -> bytes:
    """``data`` (a zip) with the unpacked size of member ``name`` given as ``declared`` in its local
    header and in the central directory: a zip whose directory lies. With ``matching_checksum`` the CRC
    is that of the first ``declared`` bytes too, so that the zip library finds nothing wrong with them."""
    patched = bytearray(data)
    member = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    local = member.header_offset
    struct.pack_into("<I", patched, local + 22, declared)
    if matching_checksum:
        name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
        start = local + 30 + name_length + extra_length
        unpacked = zlib.decompressobj(-15).decompress(data[start : start + member.compress_size], declared)
        struct.pack_into("<I", patched, local + 14, zlib.crc32(unpacked[:declared]))
    end = data.rindex(b"PK\x05\x06")
    position = struct.unpack_from("<I", data, end + 16)[0]
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46 : position + 46 + name_length].decode() == name:
            struct.pack_into("<I", patched, position + 24, declared)
            patched[position + 16 : position + 20] = patched[local + 14 : local + 18]
        position += 46 + name_length + extra_length + comment_length
    return bytes(patched)


# The hostile files --------------------------------------------------------------------------------------


def shared_strings_bomb(count: int = 900_000) -> bytes:
    """A valid list whose shared strings (one used, 900,000 not) unpack to 99 MB."""

    def strings() -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{count}">'.encode()
        yield from in_chunks(b"<si><t>" + b"A" * 94 + b"</t></si>" for _ in range(count))
        yield b"</sst>"

    used = b'<row r="3"><c r="A3" t="s"><v>0</v></c></row>'
    return xlsx(sheet_xml(text_row(1, HEADER), text_row(2, AYESHA), used), strings())


def lying_directory() -> bytes:
    """The shared-strings bomb, its zip directory saying the shared strings unpack to 90 KB."""
    return understate_size(shared_strings_bomb(), "xl/sharedStrings.xml", 90 * 1024)


def wide_row(cells: int = 2_700_000) -> bytes:
    """A heading, then one row of 2.7 million cells (40 MB unpacked: under the sheet's size limit)."""
    row = in_chunks([b'<row r="2">', *(b"<c><v>1</v></c>" for _ in range(cells)), b"</row>"])
    return xlsx(sheet_xml(text_row(1, HEADER), row))


def blank_rows(rows: int = 1_000_000) -> bytes:
    """A valid list, then a million blank rows."""
    blank = in_chunks(b"<row/>" for _ in range(rows))
    return xlsx(sheet_xml(text_row(1, HEADER), text_row(2, AYESHA), blank))


def far_cell() -> bytes:
    """A valid list whose sheet claims the whole grid and writes a cell in its very last row: read as the
    rows it writes, not as the million its dimension claims (accepted)."""
    last = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return xlsx(sheet_xml(text_row(1, HEADER), text_row(2, AYESHA), last, dimension="A1:XFD1048576"))


def csv_long_line(size: int = 5 * 1024 * 1024 - 1) -> bytes:
    head = ",".join(HEADER).encode() + b"\r\n" + ",".join(AYESHA).encode() + b"\r\n"
    return head + b"," * (size - len(head))


def csv_blank_lines(size: int = 5 * 1024 * 1024 - 1) -> bytes:
    head = ",".join(HEADER).encode() + b"\r\n" + ",".join(AYESHA).encode() + b"\r\n"
    return head + b"\r\n" * ((size - len(head)) // 2)


# The largest files the limits accept --------------------------------------------------------------------

FEMALE = ["Ayesha", "Fatima", "Sana", "Hina", "Rabia", "Maryam", "Zainab", "Amna", "Iqra", "Mahnoor"]
FAMILY = ["Khan", "Ahmed", "Malik", "Butt", "Chaudhry", "Qureshi", "Sheikh", "Raza", "Hussain", "Iqbal"]
DISTRICTS = ["Lahore", "Kasur", "Faisalabad", "Multan", "Rawalpindi", "Karachi South", "Peshawar", "Quetta"]


def trainees(count: int, seed: int = 12) -> list[list[str]]:
    """``count`` valid rows with distinct CNICs, phones and emails."""
    rng = random.Random(seed)
    born = date(1995, 1, 1)
    return [
        [
            f"3520{number:09d}",
            f"{rng.choice(FEMALE)} {rng.choice(FAMILY)}",
            "F",
            (born + timedelta(days=rng.randint(0, 3000))).strftime("%d/%m/%Y"),
            f"0300 {number:07d}",
            rng.choice(DISTRICTS),
            "",
            rng.choice(["Matric", "Intermediate", "BA", "BS"]),
            f"trainee{number}@example.pk",
        ]
        for number in range(1, count + 1)
    ]


def filler(row: int, column: int) -> str:
    """Text for an extra column: 16 characters varying from cell to cell (so that it compresses as
    real text does, not to nothing)."""
    return f"note {row * 131 + column * 7919:011d}"


def within_limits(data: bytes) -> bool:
    """Whether ``data`` is within the upload limit and, for a workbook, the unpacked sizes its zip
    declares are within the limits on the sheet, the shared strings and the whole."""
    from enrollments.imports import limits

    if len(data) > limits.MAX_FILE_BYTES:
        return False
    if not data.startswith(b"PK"):
        return True
    sizes = {member.filename: member.file_size for member in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    return (
        sizes.get("xl/worksheets/sheet1.xml", 0) <= limits.MAX_SHEET_BYTES
        and sizes.get("xl/sharedStrings.xml", 0) <= limits.MAX_SHARED_TEXT_BYTES
        and sum(sizes.values()) <= limits.MAX_UNPACKED_BYTES
    )


def widest_under(build: Callable[[int, int], bytes], rows: int, cells: int, limit: int) -> bytes:
    """``build(rows, columns)`` with the most columns that keep it within ``cells`` cells, ``limit`` bytes
    and the unpacked sizes the reader allows (``within_limits``): guessed from a tenth of the rows, then
    narrowed until it fits."""
    columns = cells // (rows + 1)
    sample = build(rows // 10, columns)
    scale = min(limit / (len(sample) * 10), 1.0)
    if sample.startswith(b"PK"):
        from enrollments.imports import limits

        sizes = {member.filename: member.file_size for member in zipfile.ZipFile(io.BytesIO(sample)).infolist()}
        scale = min(scale, limits.MAX_SHEET_BYTES / (sizes.get("xl/worksheets/sheet1.xml", 0) * 10 + 1))
        scale = min(scale, limits.MAX_SHARED_TEXT_BYTES / (sizes.get("xl/sharedStrings.xml", 0) * 10 + 1))
    if scale < 1:
        columns = len(HEADER) + int((columns - len(HEADER)) * (scale * 0.98))
    while len(data := build(rows, columns)) > limit or not within_limits(data):
        columns -= 1
    return data


def xlsx_list(rows: int, columns: int) -> bytes:
    extra = [f"Note {number}" for number in range(1, columns - len(HEADER) + 1)]

    def body() -> Iterator[bytes]:
        yield text_row(1, HEADER + extra)
        for number, trainee in enumerate(trainees(rows), start=2):
            yield text_row(number, trainee + [filler(number, column) for column in range(len(extra))])

    return xlsx(sheet_xml(in_chunks(body())))


def csv_list(rows: int, columns: int) -> bytes:
    extra = [f"Note {number}" for number in range(1, columns - len(HEADER) + 1)]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER + extra)
    for number, trainee in enumerate(trainees(rows), start=2):
        writer.writerow(trainee + [filler(number, column) for column in range(len(extra))])
    return out.getvalue().encode()


def shared_xlsx_list(rows: int, columns: int) -> bytes:
    extra = [f"Note {number}" for number in range(1, columns - len(HEADER) + 1)]
    table = [HEADER + extra] + [
        trainee + [filler(number, column) for column in range(len(extra))]
        for number, trainee in enumerate(trainees(rows), start=2)
    ]
    index: dict[str, int] = {}
    for row in table:
        for value in row:
            index.setdefault(value, len(index))

    def body() -> Iterator[bytes]:
        for number, row in enumerate(table, start=1):
            cells = "".join(f'<c t="s"><v>{index[value]}</v></c>' for value in row)
            yield f'<row r="{number}">{cells}</row>'.encode()

    def strings() -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
        yield from in_chunks(f"<si><t>{escape(value)}</t></si>".encode() for value in index)
        yield b"</sst>"

    return xlsx(sheet_xml(in_chunks(body())), strings())


def largest_xlsx(rows: int = 20_000, cells: int = 1_000_000, limit: int = 5 * 1024 * 1024) -> bytes:
    """20,000 trainees, each row filled out with extra text columns towards the cell limit (inline strings,
    as some tools write them), as wide as the upload limit allows."""
    return widest_under(xlsx_list, rows, cells, limit)


def largest_shared_xlsx(rows: int = 20_000, cells: int = 1_000_000, limit: int = 5 * 1024 * 1024) -> bytes:
    """The same with every cell's text a shared string (as Excel writes them), nearly all distinct."""
    return widest_under(shared_xlsx_list, rows, cells, limit)


def largest_csv(rows: int = 20_000, cells: int = 1_000_000, limit: int = 5 * 1024 * 1024) -> bytes:
    """20,000 trainees with extra columns towards the cell limit, as wide as the upload limit allows."""
    return widest_under(csv_list, rows, cells, limit)


FILES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "shared-strings": ("shared_strings_bomb.xlsx", shared_strings_bomb, "refused"),
    "lying-directory": ("lying_directory.xlsx", lying_directory, "refused"),
    "wide-row": ("wide_row.xlsx", wide_row, "refused"),
    "blank-rows": ("blank_rows.xlsx", blank_rows, "refused"),
    "far-cell": ("far_cell.xlsx", far_cell, "accepted"),
    "csv-long-line": ("long_line.csv", csv_long_line, "refused"),
    "csv-blank-lines": ("blank_lines.csv", csv_blank_lines, "refused"),
    "largest-xlsx": ("largest.xlsx", largest_xlsx, "accepted"),
    "largest-shared-xlsx": ("largest_shared.xlsx", largest_shared_xlsx, "accepted"),
    "largest-csv": ("largest.csv", largest_csv, "accepted"),
}


# Measuring ------------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """The process's peak resident memory (VmHWM) since it was last reset, in MB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def reset_peak_rss() -> float:
    """Start measuring the peak again from the current resident memory (Linux), which is returned (MB)."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss_mb()


def unpacked_size(data: bytes) -> str:
    if not data.startswith(b"PK"):
        return ""
    members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    return f", unpacks to {sum(member.file_size for member in members) / 1e6:.1f} MB (as its zip declares)"


STAFF_EMAIL, STAFF_PASSWORD, CENTRE = "bench.staff@markaz.test", "bench-password-1", "PB-LHR-99"


def set_up() -> int:
    """A centre in Lahore with an open cohort (no education asked) and its staff member; the cohort's id."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from app import create_app
    from auth.models import CentreMembership, UserAccount
    from centres.models import Centre, District
    from courses.models import Cohort, Course
    from extensions import db
    from vocabulary import Admission, CohortStatus, Education, Mode, PartnerType, Role, Shift, Track

    app = create_app()
    with app.app_context():
        lahore = db.session.scalar(select(District).where(District.name == "Lahore"))
        centre = Centre(code=CENTRE, name="Bench Centre", district=lahore, partner_type=PartnerType.NGO,
                        partner_name="Bench NGO", lab_seats=40)  # fmt: skip
        course = Course(code="BENCH-1", title="Bench Course", track=Track.DIGITAL_MARKETING, weeks=8,
                        min_age=None, max_age=None, min_education=Education.NONE)  # fmt: skip
        now = datetime.now(UTC)
        starts_on = now.date() + timedelta(days=30)
        cohort = Cohort(code=f"{CENTRE}-BENCH", course=course, centre=centre, starts_on=starts_on,
                        ends_on=starts_on + timedelta(days=55), shift=Shift.MORNING, mode=Mode.ON_SITE,
                        seats=25_000, admission=Admission.FIRST_COME, status=CohortStatus.OPEN,
                        applications_open_at=now - timedelta(days=1),
                        applications_close_at=now + timedelta(days=20))  # fmt: skip
        staff = UserAccount(email=STAFF_EMAIL, password_hash=generate_password_hash(STAFF_PASSWORD), role=Role.STAFF,
                            full_name="Bench Staff")  # fmt: skip
        staff.memberships = [CentreMembership(centre=centre)]
        db.session.add_all([centre, course, cohort, staff])
        db.session.commit()
        cohort_id = cohort.id
        db.engine.dispose()
    return cohort_id


def upload(path: Path, cohort_id: int) -> dict:
    """Sign in through the form and upload the file at ``path`` through the import page, into the cohort,
    in this process (a fresh one: as a worker that just started). What the page answered, the seconds
    the upload took, the peak resident memory during it and the resident memory before it."""
    from sqlalchemy import select

    from app import create_app
    from enrollments.imports.models import ImportBatch
    from extensions import db

    app = create_app()
    client = app.test_client()
    csrf = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def token(page: str) -> str:
        return csrf.search(client.get(page).get_data(as_text=True)).group(1)

    client.post("/auth/login", data={"csrf_token": token("/auth/login"), "email": STAFF_EMAIL,
                                     "password": STAFF_PASSWORD})  # fmt: skip
    page = f"/enrollments/centres/{CENTRE}/import"
    form_token = token(page)
    data = path.read_bytes()
    before = reset_peak_rss()
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.post(
        page,
        data={"csrf_token": form_token, "file": (io.BytesIO(data), path.name), "cohort": str(cohort_id)},
        content_type="multipart/form-data",
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = peak_rss_mb()
    if response.status_code == 302:
        answer = "accepted"
        with app.app_context():
            batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
            said = "kept for confirmation: " + ", ".join(f"{count:,} {what}" for what, count
                                                         in batch.report["counts"].items())  # fmt: skip
    else:
        answer = "refused"
        found = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S)
        said = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", " ".join(found))).strip())
        said = f"{response.status_code}: {said}"
    return {"answer": answer, "seconds": seconds, "cpu": cpu, "peak": peak, "before": before, "said": said}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--only", nargs="*", choices=sorted(FILES), help="upload only these files")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (files, SQLite database)")
    parser.add_argument("--upload", help=argparse.SUPPRESS)  # in a child process: upload this file
    parser.add_argument("--cohort", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.upload:
        print(json.dumps(upload(Path(args.upload), args.cohort)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-hostile-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "FLASK_APP": "app", "DATABASE_URL": database_url, "MARKAZ_INSTANCE_PATH": str(workdir)}
    os.environ.update(env)
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"database {database_url.split('@')[-1]}; working in {workdir}; each upload in a fresh process; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    for command in (["db", "upgrade"], ["seed", "reference"]):
        subprocess.run([str(VENV_BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True)
    cohort_id = set_up()

    print(f"{'file':<24} {'size':>8}  {'answer':<9} {'seconds':>7} {'(CPU)':>6} {'peak RSS':>9} {'(before)':>9}  "
          "the page said")  # fmt: skip
    failures = 0
    for name in args.only or FILES:
        filename, build, expected = FILES[name]
        data = build()
        path = workdir / filename
        path.write_bytes(data)
        child = subprocess.run(
            [sys.executable, __file__, "--upload", str(path), "--cohort", str(cohort_id)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = json.loads(child.stdout.strip().splitlines()[-1])
        ok = result["answer"] == expected and result["seconds"] < 10 and result["peak"] < 200
        failures += not ok
        print(f"{filename:<24} {len(data) / 1e3:>6.0f}KB  {result['answer']:<9} {result['seconds']:>7.2f} "
              f"{result['cpu']:>6.2f} "
              f"{result['peak']:>7.1f}MB {result['before']:>7.1f}MB  {result['said']}"
              f"{'' if ok else '  <-- NOT AS EXPECTED'}")  # fmt: skip
        print(f"{'':<24} ({len(data):,} bytes{unpacked_size(data)})")
    print(f"{'all as expected' if not failures else f'{failures} not as expected'} (each upload under 10 s and "
          f"200 MB peak RSS; hostile files refused, the others accepted)")  # fmt: skip
    if not args.keep:
        shutil.rmtree(workdir)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
