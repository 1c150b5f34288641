"""Import speed: a 10,000-row list (CSV and XLSX) read, checked and imported through the service functions
of ``enrollments.imports.batches``. Target (issue 4, item 6): validate and import 10,000 rows in under 20 seconds.

    .venv/bin/python bench/imports.py [--rows 10000] [--existing 0.1] [--bad 0.01] [--database-url URL]

Without --database-url it builds a fresh SQLite database in a temporary folder with `flask db upgrade` and
`flask seed reference`; a given URL must point at an empty database, which gets the same treatment. The
list is realistic: English and Urdu names, CNICs and phone numbers typed in every common way, dates as
text in several formats (CSV) or as date cells (XLSX), districts of every province in any case; a share of
CNICs belongs to trainees registered already (reused), and a share of rows is wrong (reported, skipped).
Every row goes into one first-come cohort with enough seats for some: the rest are waitlisted.
"""

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

HEADER = ["CNIC No", "Full Name", "Gender", "Date of Birth", "Mobile No", "District", "Area", "Education", "Email"]
# Mobile network prefixes (030x–034x) that exist; 0338 does not.
MOBILE_PREFIXES = [f"3{network}{digit}" for network in range(5) for digit in range(10) if (network, digit) != (3, 8)]
EDUCATION = ["Matric", "Intermediate", "FSc", "BA", "BS", "bachelor", "MSc", "master", "inter", "matric"]


def flask(*args: str, env: dict) -> None:
    subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True)


def people() -> dict:
    return json.loads((ROOT / "seed" / "data" / "people.json").read_text(encoding="utf-8"))


def make_rows(count: int, bad_share: float, districts: list[str], seed: int = 7) -> list[list]:
    """``count`` rows as partner lists have them: about 85% women, Urdu script for a quarter of names,
    CNICs and phones in every common typing, dates of birth between 16 and 35 years ago."""
    rng = random.Random(seed)
    names = people()
    today = date.today()
    cnics: set[str] = set()
    rows = []
    for index in range(count):
        female = rng.random() < 0.85
        given = rng.choice(names["female_given" if female else "male_given"])
        family = rng.choice(names["family"])
        urdu = rng.random() < 0.25
        name = f"{given[1]} {family[1]}" if urdu else f"{given[0]} {family[0]}"
        while (cnic := f"{rng.randint(1, 7)}{rng.randint(0, 10**12 - 1):012d}") in cnics:
            pass
        cnics.add(cnic)
        cnic_text = rng.choice([cnic, f"{cnic[:5]}-{cnic[5:12]}-{cnic[12]}", f"{cnic[:5]} {cnic[5:12]} {cnic[12]}"])
        mobile = f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
        phone = rng.choice(
            [f"0{mobile[:3]} {mobile[3:]}", f"+92 {mobile[:3]} {mobile[3:]}", f"92-{mobile[:3]}-{mobile[3:]}"]
        )
        born = today - timedelta(days=rng.randint(16 * 365 + 5, 35 * 365))
        gender = rng.choice(["F", "Female", "female", "خاتون"] if female else ["M", "Male", "male"])
        district = rng.choice(districts)
        district = rng.choice([district, district.lower(), district.upper()])
        email = f"trainee{index}@example.pk" if rng.random() < 0.3 else ""
        rows.append([cnic_text, name, gender, born, phone, district, "", rng.choice(EDUCATION), email])
    for row in rng.sample(rows, int(count * bad_share)):
        column = rng.choice([0, 4, 5])
        row[column] = {0: "35202-12345-1", 4: "0300 12345", 5: "Atlantis"}[column]
    return rows


def as_text_date(born: date, rng: random.Random) -> str:
    return rng.choice(
        [born.isoformat(), f"{born:%d/%m/%Y}", f"{born.day}.{born.month}.{born.year}", f"{born:%d-%m-%Y}"]
    )


def write_csv(rows: list[list], path: Path) -> None:
    rng = random.Random(11)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([*row[:3], as_text_date(row[3], rng), *row[4:]] for row in rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def write_xlsx(rows: list[list], path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Trainees")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def timed(label: str, results: dict, function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    results[label] = time.perf_counter() - started
    print(f"  {label:<58} {results[label]:6.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=float, default=0.1, help="share of rows whose CNIC is registered already")
    parser.add_argument("--bad", type=float, default=0.01, help="share of rows with a wrong value")
    parser.add_argument("--seats", type=int, default=5_000, help="seats of the target cohort")
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (files, SQLite database)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-imports-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "FLASK_APP": "app", "DATABASE_URL": database_url, "MARKAZ_INSTANCE_PATH": str(workdir)}
    os.environ.update(env)
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"database {database_url.split('@')[-1]}, {args.rows:,} rows, {args.existing:.0%} registered already, "
          f"{args.bad:.0%} wrong, {args.seats:,} seats; working in {workdir}")  # fmt: skip
    flask("db", "upgrade", env=env)
    flask("seed", "reference", env=env)

    from sqlalchemy import func, insert, select

    from app import create_app
    from auth.models import UserAccount
    from centres.models import Centre, District
    from courses.models import Cohort, Course
    from enrollments.identity import normalise_cnic, normalise_phone
    from enrollments.imports.batches import confirm_import, preview_file, stage_import
    from enrollments.models import Enrollment, Trainee
    from extensions import db
    from vocabulary import Admission, Area, CohortStatus, Education, Gender, Mode, PartnerType, Role, Shift, Track

    app = create_app()
    with app.app_context():
        districts = db.session.scalars(select(District).order_by(District.id)).all()
        lahore = next(district for district in districts if district.name == "Lahore")
        rows = make_rows(args.rows, args.bad, [district.name for district in districts])
        csv_path, xlsx_path = workdir / "trainees.csv", workdir / "trainees.xlsx"
        write_csv(rows, csv_path)
        write_xlsx(rows, xlsx_path)
        print(f"files: {csv_path.name} {csv_path.stat().st_size / 1e6:.1f} MB, "
              f"{xlsx_path.name} {xlsx_path.stat().st_size / 1e6:.1f} MB")  # fmt: skip

        centre = Centre(code="PB-LHR-99", name="Bench Centre", district=lahore, partner_type=PartnerType.NGO,
                        partner_name="Bench NGO", lab_seats=40)  # fmt: skip
        course = Course(code="BENCH-1", title="Bench Course", track=Track.DIGITAL_MARKETING, weeks=8,
                        min_age=None, max_age=None, min_education=Education.NONE)  # fmt: skip
        now = datetime.now(UTC)
        starts_on = now.date() + timedelta(days=30)
        cohort = Cohort(code="PB-LHR-99-BENCH", course=course, centre=centre, starts_on=starts_on,
                        ends_on=starts_on + timedelta(days=55), shift=Shift.MORNING, mode=Mode.ON_SITE,
                        seats=args.seats, admission=Admission.FIRST_COME, status=CohortStatus.OPEN,
                        applications_open_at=now - timedelta(days=1),
                        applications_close_at=now + timedelta(days=20))  # fmt: skip
        staff = UserAccount(email="bench.staff@markaz.test", password_hash="!", role=Role.ADMIN, full_name="Bench")
        db.session.add_all([centre, course, cohort, staff])
        # A share of the list is registered already (one bulk insert, not part of the measure).
        registered = random.Random(3).sample([row for row in rows if row[0] != "35202-12345-1"],
                                             int(args.rows * args.existing))  # fmt: skip
        values = []
        for row in registered:
            try:
                values.append({"cnic": normalise_cnic(row[0]), "full_name": "Registered Trainee",
                               "gender": Gender.FEMALE, "date_of_birth": date(2000, 1, 1),
                               "phone": normalise_phone("0300 1234567"), "district_id": lahore.id,
                               "area": Area.URBAN, "education": Education.MATRIC, "disability": False,
                               "created_at": now, "updated_at": now})  # fmt: skip
            except Exception:  # a deliberately wrong CNIC: leave it new
                continue
        if values:
            db.session.execute(insert(Trainee), values)
        db.session.commit()
        before = db.session.scalar(select(func.count(Trainee.id)))

        results: dict[str, float] = {}
        print("steps:")
        for path in (csv_path, xlsx_path):
            preview = timed(f"read + check {path.name} (preview, nothing written)", results, preview_file,
                            path.read_bytes(), path.name, centre, cohort)  # fmt: skip
        counts = preview.counts()
        batch = timed("upload: read + check + store the batch (CSV), commit", results,
                      lambda: (stage_import(csv_path.read_bytes(), csv_path.name, centre, cohort, actor=staff),
                               db.session.commit())[0])  # fmt: skip
        result = timed("confirm: check again + create + register every row, commit", results,
                       lambda: (confirm_import(batch, actor=staff), db.session.commit())[0])  # fmt: skip
        total = (
            results[f"read + check {csv_path.name} (preview, nothing written)"]
            + results["confirm: check again + create + register every row, commit"]
        )
        print(f"preview counts: {counts}")
        print(f"result: {result.counts()}")
        trainees = db.session.scalar(select(func.count(Trainee.id))) - before
        enrollments = db.session.scalar(select(func.count(Enrollment.id)))
        print(f"written: {trainees:,} trainees, {enrollments:,} enrollments")
        print(f"validate (CSV) + import: {total:.2f} s for {args.rows:,} rows (target: under 20 s)")
        db.engine.dispose()
    if not args.keep:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
