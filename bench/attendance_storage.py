"""Attendance at scale (issue 17, item 7): what the registers of a scaled database cost to store, against a row
per mark, and how long the attendance pages' queries take there.

Reads a database filled by ``flask seed scale`` (SQLite, ``--database-url``) and:

1. counts its registers and marks, and the bytes of ``attendance_register`` (SQLite's ``dbstat``);
2. loads the same registers into a scratch schema on PostgreSQL (``--postgres-url``) twice: as they are (one
   row a day) and exploded into one row per mark (``attendance_mark``: register, enrollment, status, with
   its primary key and its unique (class day, enrollment) index), and prints ``pg_total_relation_size``
   of each (heap, TOAST and indexes), then drops the schema;
3. times, on the scaled database, p50 and p95 of what staff pages run: a day's register (``on_register`` and
   the calendar), saving a register (``take_attendance``, rolled back), and the centre dashboard's at-risk
   count.

    .venv/bin/python bench/attendance_storage.py --database-url sqlite:////tmp/scale.db \
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 50]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

SCHEMA = "attendance_storage_bench"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(share * (len(ordered) - 1)), len(ordered) - 1)]


def sqlite_numbers(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        registers, marks, absent_late = connection.execute(
            sa.text(
                "SELECT count(*), sum(marked_count), sum(marked_count - present_count + json_array_length(late)) "
                "FROM attendance_register"
            )
        ).one()
        try:
            size = connection.execute(
                sa.text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%attendance_register%'")
            ).scalar()
        except sa.exc.OperationalError:  # SQLite built without dbstat
            size = None
        enrollments = connection.execute(sa.text("SELECT count(*) FROM enrollment")).scalar()
    engine.dispose()
    return {
        "registers": registers,
        "marks": marks,
        "absent_or_late": absent_late,
        "sqlite_bytes": size,
        "enrollments": enrollments,
    }


def postgres_sizes(sqlite_url: str, postgres_url: str) -> dict:
    source = sa.create_engine(sqlite_url)
    target = sa.create_engine(postgres_url)
    with target.begin() as pg:
        pg.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        pg.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
        pg.exec_driver_sql(
            f"CREATE TABLE {SCHEMA}.attendance_register (id serial PRIMARY KEY, cohort_id integer NOT NULL, "
            "day date NOT NULL, marked json NOT NULL, absent json NOT NULL, late json NOT NULL, "
            "marked_count integer NOT NULL, present_count integer NOT NULL, corrections integer NOT NULL, "
            "taken_by_id integer, taken_at timestamptz NOT NULL, UNIQUE (cohort_id, day))"
        )
        pg.exec_driver_sql(
            f"CREATE TABLE {SCHEMA}.attendance_mark (id serial PRIMARY KEY, register_id integer NOT NULL, "
            "enrollment_id integer NOT NULL, status smallint NOT NULL, UNIQUE (register_id, enrollment_id))"
        )
    driver = target.raw_connection()
    try:
        cursor = driver.cursor()
        query = sa.text(
            "SELECT id, cohort_id, day, marked, absent, late, marked_count, present_count FROM attendance_register"
        )
        with source.connect() as sq:  # two passes, so that no list of millions of marks is held
            with cursor.copy(
                f"COPY {SCHEMA}.attendance_register (id, cohort_id, day, marked, absent, late, marked_count, "
                "present_count, corrections, taken_at) FROM STDIN"
            ) as copy:
                for row in sq.execute(query):
                    copy.write_row((*row, 0, "2026-12-01 06:00:00+00"))
            with cursor.copy(f"COPY {SCHEMA}.attendance_mark (register_id, enrollment_id, status) FROM STDIN") as copy:
                for row in sq.execute(query):
                    absent, late = set(json.loads(row.absent)), set(json.loads(row.late))
                    for enrollment in json.loads(row.marked):
                        copy.write_row(
                            (row.id, enrollment, 2 if enrollment in absent else 1 if enrollment in late else 0)
                        )
        driver.commit()
        sizes = {}
        for table in ("attendance_register", "attendance_mark"):
            cursor.execute(
                f"SELECT pg_total_relation_size('{SCHEMA}.{table}'), pg_relation_size('{SCHEMA}.{table}'), "
                f"(SELECT count(*) FROM {SCHEMA}.{table})"
            )
            total, heap, count = cursor.fetchone()
            sizes[table] = {"total_bytes": total, "heap_bytes": heap, "rows": count}
        cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        driver.commit()
    finally:
        driver.close()
    source.dispose()
    target.dispose()
    return sizes


def page_timings(url: str, repeat: int) -> dict:
    from app import create_app
    from config import Config

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    from sqlalchemy import select

    from attendance.calendar import calendar_of
    from attendance.services import at_risk_count, on_register, register_of, take_attendance
    from auth.models import UserAccount
    from clock import local_today
    from courses.models import Cohort
    from extensions import db
    from vocabulary import CohortStatus, Role

    timings: dict[str, list[float]] = {"register page queries": [], "save a register": [], "at-risk count": []}
    with app.app_context():
        cohorts = db.session.scalars(
            select(Cohort).where(Cohort.status == CohortStatus.RUNNING).order_by(Cohort.id).limit(repeat)
        ).all()
        admin = db.session.scalar(select(UserAccount).where(UserAccount.role == Role.ADMIN))
        today = local_today()
        for cohort in cohorts:
            days = [entry.day for entry in calendar_of(cohort) if entry.meets and entry.day <= today]
            if not days:
                continue
            day = days[-1]
            started = time.perf_counter()
            calendar_of(cohort)
            on_register(cohort, day, register_of(cohort, day))
            timings["register page queries"].append((time.perf_counter() - started) * 1000)
            db.session.rollback()
            started = time.perf_counter()
            take_attendance(cohort, day, absent=[], late=[], actor=admin, reason="bench")
            db.session.flush()
            timings["save a register"].append((time.perf_counter() - started) * 1000)
            db.session.rollback()
            started = time.perf_counter()
            at_risk_count(cohort.centre_id)
            timings["at-risk count"].append((time.perf_counter() - started) * 1000)
            db.session.rollback()
    return {
        name: {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
        }
        for name, values in timings.items()
        if values
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--postgres-url")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps({"sqlite": sqlite_numbers(args.database_url)}, indent=1))
    if args.postgres_url:
        print(json.dumps({"postgresql": postgres_sizes(args.database_url, args.postgres_url)}, indent=1))
    print(json.dumps({"timings": page_timings(args.database_url, args.repeat)}, indent=1))


if __name__ == "__main__":
    main()
