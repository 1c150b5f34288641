"""Export memory: peak resident memory of the gunicorn worker that streams the all-trainees export
(``GET /oversight/exports/trainees.csv``, or ``.xlsx``) to a national overseer, and how long it takes.
Target (issue 6, item 6): a CSV export of 1,000,000 trainees streams with peak memory under 200 MB.

    .venv/bin/python bench/export_memory.py [--trainees 1000000] [--format csv] [--workers 2]
                                            [--reader national] [--database-url URL] [--keep]

Without --database-url it builds a fresh SQLite database in a temporary folder (`flask db upgrade`,
`flask seed reference`) and fills it with --trainees trainees by batched multi-row INSERTs (SQLAlchemy
Core, 20,000 rows a statement batch; English and Urdu names, every province's districts). With
--enrollments N an empty database is filled by `flask seed scale` instead (500 centres, cohorts, N
enrollments): what a provincial overseer's export looks through (her province's residents, and
everyone who applied at one of its centres). A given URL
gets the same (both are idempotent); trainees are added only when it has fewer than --trainees, so a
second run on the same database measures at once.

The server is gunicorn as production runs it (`--workers 2`, the default sync workers); the client signs
in through the sign-in form as a new overseer account (national, or of Punjab with --reader punjab), warms
the worker up with a small page, then downloads the export, counting rows as they arrive and keeping none.
Memory is read from /proc/<pid>/status of each worker (VmHWM: the peak resident set since the process
started; VmRSS sampled every 0.2 s during the download) — psutil is not needed.
"""

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-export-password-1"
BATCH = 20_000


def flask(*args: str, env: dict) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def fill_trainees(database_url: str, wanted: int) -> float:
    """Add trainees until the database holds ``wanted``; the seconds it took."""
    from sqlalchemy import create_engine, func, insert, select

    from app import register_models
    from centres.models import District
    from database import configure_sqlite
    from enrollments.models import Trainee
    from vocabulary import Area, Education, Gender

    register_models()
    names = json.loads((ROOT / "seed" / "data" / "people.json").read_text(encoding="utf-8"))
    engine = create_engine(database_url)
    configure_sqlite(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        have = connection.scalar(select(func.count(Trainee.id)))
        districts = [row[0] for row in connection.execute(select(District.id))]
        first = connection.scalar(select(func.max(Trainee.id))) or 0
    rng = random.Random(11)
    today = date.today()
    now = datetime.now(UTC)
    educations, areas = list(Education), list(Area)
    for start in range(have, wanted, BATCH):
        rows = []
        for number in range(start, min(start + BATCH, wanted)):
            female = rng.random() < 0.6
            given = rng.choice(names["female_given" if female else "male_given"])
            family = rng.choice(names["family"])
            script = 1 if rng.random() < 0.25 else 0
            rows.append(
                {
                    "cnic": f"{3_000_000_000_000 + first + number:013d}",
                    "full_name": f"{given[script]} {family[script]}",
                    "gender": Gender.FEMALE if female else Gender.MALE,
                    "date_of_birth": today - timedelta(days=rng.randint(16 * 365, 35 * 365)),
                    "phone": f"+923{rng.randint(0, 49):02d}{rng.randint(0, 9_999_999):07d}",
                    "email": None,
                    "district_id": rng.choice(districts),
                    "area": rng.choice(areas),
                    "education": rng.choice(educations),
                    "disability": rng.random() < 0.02,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with engine.begin() as connection:
            connection.execute(insert(Trainee), rows)
        print(f"\r  trainees: {start + len(rows):,}", end="", flush=True)
    print()
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load: without statistics the planner takes a
        # million-row table for a small one.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE trainee")
    engine.dispose()
    return time.perf_counter() - started


def has_trainees(database_url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM trainee LIMIT 1")).first() is not None
    engine.dispose()
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in kB (VmRSS, VmHWM); 0 once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def signed_in_opener(base: str, email: str) -> urllib.request.OpenerDirector:
    """A client with the session cookie of ``email``, signed in through the sign-in form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    opener.open(f"{base}/auth/login", data=form).read()
    return opener


def mb(kb: int) -> str:
    return f"{kb / 1024:,.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainees", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=None, help="gunicorn --timeout (default: gunicorn's, 30 s)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn --threads (more than 1: gthread workers)")
    parser.add_argument("--reader", choices=("national", "punjab"), default="national")
    parser.add_argument(
        "--enrollments",
        type=int,
        default=0,
        help="fill an empty database with `flask seed scale` instead (500 centres, this many enrollments)",
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database (printed) for a rerun")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="markaz-export-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "MARKAZ_INSTANCE_PATH": str(workdir),
        "FLASK_APP": "app",
        "PYTHONPATH": str(ROOT),
    }
    print(f"database: {database_url}", flush=True)
    flask("db", "upgrade", env=env)  # idempotent: a given database is migrated as needed
    if args.enrollments and not has_trainees(database_url):
        started = time.perf_counter()
        sizes = ["--centres", "500", "--trainees", str(args.trainees), "--enrollments", str(args.enrollments)]
        print(flask("seed", "scale", *sizes, env=env).strip().splitlines()[-1])
        print(f"  seeded in {time.perf_counter() - started:,.1f} s", flush=True)
    else:
        flask("seed", "reference", env=env)  # idempotent too
        fill_seconds = fill_trainees(database_url, args.trainees)
        print(f"  filled in {fill_seconds:,.1f} s", flush=True)
    email = f"bench.{args.reader}.{os.getpid()}@markaz.test"
    province = ["--province", "PB"] if args.reader == "punjab" else []
    flask(
        "users",
        "create",
        "--email",
        email,
        "--name",
        "Bench Overseer",
        "--role",
        "overseer",
        *province,
        "--password",
        PASSWORD,
        env=env,
    )

    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"]
    if args.timeout is not None:
        command += ["--timeout", str(args.timeout)]
    if args.threads is not None:
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen([*command, "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/auth/login")
        opener = signed_in_opener(base, email)
        for _ in range(args.workers * 3):  # warm every worker up: imports, templates, connection pools
            opener.open(f"{base}/oversight/audit/").read()
        workers = workers_of(server.pid)
        before = {pid: (status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")) for pid in workers}
        samples: dict[int, list[int]] = {pid: [] for pid in workers}
        downloading = threading.Event()
        downloading.set()

        def sample() -> None:
            while downloading.is_set():
                for pid in workers:
                    samples[pid].append(status_kb(pid, "VmRSS"))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        size = lines = 0
        first_byte = None
        with opener.open(f"{base}/oversight/exports/trainees.{args.format}", timeout=3600) as response:
            while block := response.read(256 * 1024):
                first_byte = first_byte or time.perf_counter() - started
                size += len(block)
                lines += block.count(b"\n")
        elapsed = time.perf_counter() - started
        downloading.clear()
        sampler.join()
        after = {pid: (status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")) for pid in workers}
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    served = max(workers, key=lambda pid: after[pid][1] - before[pid][1] + max(samples[pid], default=0))
    rows = lines - 1 if args.format == "csv" else None
    print(
        f"\n{args.trainees:,} trainees in the database; export as {args.reader} overseer, {args.format}; "
        f"gunicorn {' '.join(command[1:])}; "
        f"{os.cpu_count()} cores; {database_url.split(':')[0]}"
    )
    counted = f", {rows:,} rows" if rows is not None else ""
    print(f"downloaded {size / 1e6:,.1f} MB{counted} in {elapsed:,.1f} s")
    print(f"first byte after {first_byte or 0:,.2f} s; {(rows or args.trainees) / elapsed:,.0f} rows/s")
    print(f"{'worker':>8}{'RSS before':>14}{'peak before':>14}{'RSS max (sampled)':>20}{'peak (VmHWM) after':>20}")
    for pid in workers:
        mark = " <- served the export" if pid == served else ""
        print(
            f"{pid:>8}{mb(before[pid][0]):>14}{mb(before[pid][1]):>14}{mb(max(samples[pid], default=0)):>20}"
            f"{mb(after[pid][1]):>20}{mark}"
        )
    peak = after[served][1]
    print(f"\npeak memory of the serving worker: {mb(peak)} (target: under 200 MB)")
    if args.keep:
        print(f"database kept: {database_url}")


if __name__ == "__main__":
    main()
