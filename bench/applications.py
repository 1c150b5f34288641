"""Applications per second through the API (issue 16, item 6), against the framework's floor in the same run.

What it does, in one run on one PostgreSQL database (made afresh: ``--database-url``, default
``markaz_bench_apply`` on the local server):

1. migrates it (``flask db upgrade``) and seeds one first-come cohort of ``--seats`` seats (100,000) with
   reserved seats in all four pools (women, rural, the centre's district, disability: 10,000 each, so the
   rules check the pools on every application) and ``--trainees`` trainees, each with an account and an API
   token made by the service (``auth.tokens.issue_token``), not through HTTP;
2. counts the SQL statements of one application in-process (the test client, SQLAlchemy's
   ``before_cursor_execute``; BEGIN and COMMIT left out, as in ``tests/test_application_statements.py``);
3. serves the app with gunicorn (``--workers`` sync workers, default 2) in production settings
   (``MARKAZ_ENV=production``, a ``SECRET_KEY``, ``MARKAZ_BASE_URL``, rate-limit counters in Redis at
   127.0.0.1:6379 as production keeps them, under a key prefix of its own; no limit applies to applying);
4. runs ``--clients`` client processes (8), each posting ``POST /api/v1/cohorts/<id>/enrollments`` with an
   empty body for a different trainee every time, on a fresh TCP connection each time (gunicorn's sync
   workers close every connection anyway); ``--warmup`` seconds (3) are not counted, then ``--seconds``
   (20) are: applications per second (answers 201 to requests started in that window), p50/p95/p99 latency;
5. checks the outcome: enrolled places == 201 answers (+1, the counting run's), counters agree with a recount,
   no pool holds more than its reserve and no more seats are held than the cohort has, one audit event each;
6. does the same with ``../shared/bench/floor_app.py`` (``--floor``): a bare Flask + SQLAlchemy app whose
   ``POST /enrol/<id>`` takes a seat with one conditional UPDATE and inserts a row, under the same gunicorn
   and clients, on the same database (its tables in a schema of their own, ``floor``), checked the same way.

It prints a table and a line for the README. The machine is shared: it prints the load average before and
after, so that runs can be compared.

    .venv/bin/python bench/applications.py [--seconds 20] [--warmup 3] [--clients 8] [--workers 2]
        [--trainees 16000] [--database-url URL] [--floor PATH] [--skip-floor]
"""

import argparse
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/markaz_bench_apply"
SITE = "markaz.example.pk"  # the production host name requests must name (Flask's TRUSTED_HOSTS)
RESERVED_PER_POOL = 10_000


# The database ----------------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    """Drop and create the database of ``url`` (connecting to the server's ``postgres`` database), and give the
    floor app a schema of its own in it."""
    import sqlalchemy as sa

    target = sa.make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    server.dispose()
    engine = sa.create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE SCHEMA floor")
    engine.dispose()


def floor_url(url: str) -> str:
    """``url`` with the floor app's tables in the ``floor`` schema (its ``cohort`` would clash with ours)."""
    return url + ("&" if "?" in url else "?") + "options=" + quote("-csearch_path=floor")


def app_environment(url: str, *, production: bool) -> dict[str, str]:
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "MARKAZ_INSTANCE_PATH": "/tmp/markaz-bench-applications",
        "FLASK_APP": "app",
        "PYTHONPATH": str(ROOT),
    }
    if production:
        env |= {
            "MARKAZ_ENV": "production",
            "MARKAZ_BASE_URL": f"https://{SITE}",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "RATELIMIT_KEY_PREFIX": f"markaz-bench-applications-{os.getpid()}",
        }
    return env


def seed(trainees: int, seats: int) -> tuple[int, list[str]]:
    """The cohort and ``trainees`` trainees with a token each (the app's models and token service, in an app
    context): the cohort's id and the tokens, in trainee order."""
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import select

    from auth.models import UserAccount
    from auth.tokens import issue_token
    from centres.models import Centre, District
    from courses.models import Cohort, Course
    from enrollments.models import Trainee
    from extensions import db
    from seed.reference import load_reference_data
    from vocabulary import (
        Admission,
        Area,
        CohortKind,
        CohortStatus,
        Education,
        Gender,
        Mode,
        PartnerType,
        Role,
        Shift,
        Track,
    )

    load_reference_data()
    district = db.session.scalars(select(District).order_by(District.id)).first()
    centre = Centre(
        code="PB-BEN-01",
        name="Bench Centre",
        district=district,
        partner_type=PartnerType.IT_BOARD,
        partner_name="Bench",
        lab_seats=40,
    )
    course = Course(code="BENCH-1", title="Freelancing Basics", track=Track.SOFTWARE_DEVELOPMENT, weeks=8)
    now = datetime.now(UTC)
    starts_on = (now + timedelta(days=60)).date()
    cohort = Cohort(
        code="BENCH-APPLY",
        course=course,
        centre=centre,
        kind=CohortKind.REGULAR,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=55),
        shift=Shift.EVENING,
        mode=Mode.ONLINE,
        seats=seats,
        applications_open_at=now - timedelta(days=1),
        applications_close_at=now + timedelta(days=30),
        admission=Admission.FIRST_COME,
        status=CohortStatus.OPEN,
        **{f"reserved_{pool}": RESERVED_PER_POOL for pool in ("women", "rural", "district", "disability")},
    )
    db.session.add(cohort)
    genders, areas = (Gender.FEMALE, Gender.MALE), (Area.URBAN, Area.SEMI_URBAN, Area.RURAL)
    users = [
        UserAccount(email=f"bench{number}@markaz.test", password_hash="!", role=Role.TRAINEE, full_name=f"B {number}")
        for number in range(trainees)
    ]
    db.session.add_all(users)
    db.session.add_all(
        Trainee(
            cnic=f"35202{number:07d}{number % 10}",
            full_name=f"Bench Trainee {number}",
            gender=genders[number % 2],
            date_of_birth=date(2000, 1, 15),
            phone=f"+92300{number:07d}",
            district=district,
            area=areas[number % 3],
            education=Education.INTERMEDIATE,
            disability=number % 17 == 0,
            user=user,
        )
        for number, user in enumerate(users)
    )
    db.session.flush()
    tokens = []
    for number, user in enumerate(users, 1):
        tokens.append(issue_token(user, name="bench", actor=user)[1])
        if number % 2000 == 0:
            db.session.commit()
    db.session.commit()
    return cohort.id, tokens


def count_statements(app, cohort_id: int, token: str) -> list[str]:
    """The statements one application sends (BEGIN and COMMIT left out), made in-process by the test client."""
    import sqlalchemy as sa

    from extensions import db

    sent: list[str] = []

    def note(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(" ".join(statement.split()))

    client = app.test_client()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            response = client.post(
                f"/api/v1/cohorts/{cohort_id}/enrollments", headers={"Authorization": f"Bearer {token}"}, json={}
            )
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
    if response.status_code != 201:
        sys.exit(f"the counting application was answered {response.status_code}: {response.get_data(as_text=True)}")
    return sent


# Serving and loading ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(spec: str, port: int, workers: int, env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    """gunicorn serving ``spec``, its output in ``log`` (printed when the run finds a problem)."""
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    with log.open("ab") as output:
        return subprocess.Popen(
            [*command, "--log-level", "warning", spec],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: only what it started
            server.wait(timeout=5)


def wait_until_up(port: int, path: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path, headers={"Host": SITE})
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} within {seconds} s")


def post_one(port: int, path: str, headers: dict) -> int:
    """One POST with an empty body on a new connection: the answer's status."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, headers=headers | {"Host": SITE, "Content-Length": "0"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def client(job: tuple) -> tuple[list[tuple[float, float, int]], bool]:
    """One client (a process of its own): posts one request after another until ``until``, a token of its own
    each time (None: no token, the floor app), from ``start`` on. Returns (started, seconds, status) per
    request, relative to ``start``, and whether it ran out of tokens."""
    port, path, tokens, start, until = job
    while time.monotonic() < start:
        time.sleep(0.001)
    done = []
    for token in tokens:
        began = time.monotonic()
        if began >= until:
            return done, False
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            status = post_one(port, path, headers)
        except OSError:
            status = 0
        done.append((began - start, time.monotonic() - began, status))
    return done, True


def load(port: int, path: str, tokens: list[str | None], clients: int, warmup: float, seconds: float) -> dict:
    """Run ``clients`` clients at once on ``path``, each with its own share of ``tokens``: what was measured."""
    start = time.monotonic() + 1.0
    until = start + warmup + seconds
    shares = [tokens[index::clients] for index in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(client, [(port, path, share, start, until) for share in shares])
    requests = [request for done, _ in results for request in done]
    measured = [
        (seconds_taken, status) for began, seconds_taken, status in requests if warmup <= began < warmup + seconds
    ]
    accepted = sorted(seconds_taken for seconds_taken, status in measured if status == 201)
    statuses = Counter(status for _, _, status in requests)

    def percentile(share: float) -> float:
        return accepted[min(int(share * len(accepted)), len(accepted) - 1)] * 1000 if accepted else float("nan")

    return {
        "rate": len(accepted) / seconds,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "errors": sum(1 for _, status in measured if status != 201),
        "created": statuses[201],
        "statuses": dict(statuses),
        "ran_out": any(ran_out for _, ran_out in results),
    }


# Checking the outcome --------------------------------------------------------------------------------------


def check_markaz(app, cohort_id: int, created: int) -> list[str]:
    """What is wrong with the cohort after the run (empty: nothing): every 201 is one enrolled place, nobody
    holds a seat the cohort does not have, counters agree with the enrollment table, one audit event each."""
    from sqlalchemy import func, select

    from audit.models import AuditEvent
    from courses.models import Cohort
    from enrollments.counters import recount
    from enrollments.models import Enrollment
    from extensions import db
    from vocabulary import RESERVED_POOLS, EnrollmentStatus

    problems = []
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        by_status = dict(
            db.session.execute(
                select(Enrollment.status, func.count())
                .where(Enrollment.cohort_id == cohort_id)
                .group_by(Enrollment.status)
            ).all()
        )
        enrolled = by_status.get(EnrollmentStatus.ENROLLED, 0)
        if enrolled != created:
            problems.append(f"{enrolled} enrolled places but {created} answers 201 (counting run included)")
        if sum(by_status.values()) != enrolled:
            problems.append(f"places other than enrolled: {by_status}")
        if cohort.enrolled_count + cohort.offered_count > cohort.seats:
            problems.append(f"overbooked: {cohort.enrolled_count} enrolled of {cohort.seats} seats")
        for pool in RESERVED_POOLS:
            if getattr(cohort, f"held_{pool.value}") > getattr(cohort, f"reserved_{pool.value}"):
                problems.append(f"the {pool.value} pool holds more than its reserve")
        if drifts := recount():
            problems.append(f"{len(drifts)} counters disagree with the enrollment table, e.g. {drifts[0]}")
        audited = db.session.scalar(select(func.count()).where(AuditEvent.action == "enrollment.apply"))
        if audited != enrolled:
            problems.append(f"{audited} audit events for {enrolled} applications")
    return problems


def check_floor(url: str, created: int) -> list[str]:
    import sqlalchemy as sa

    engine = sa.create_engine(floor_url(url))
    with engine.connect() as connection:
        taken = connection.exec_driver_sql("SELECT taken, seats FROM cohort WHERE id = 1").one()
        rows = connection.exec_driver_sql("SELECT count(*) FROM enrol").scalar()
    engine.dispose()
    problems = []
    if not taken[0] == rows == created:
        problems.append(f"floor: {taken[0]} seats taken, {rows} rows, {created} answers 201")
    if taken[0] > taken[1]:
        problems.append("floor: overbooked")
    return problems


# The run ---------------------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trainees", type=int, default=16_000)
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--floor", type=Path, default=ROOT.parent / "shared" / "bench" / "floor_app.py")
    parser.add_argument("--skip-floor", action="store_true")
    args = parser.parse_args()
    if not args.skip_floor and not args.floor.exists():
        sys.exit(f"{args.floor} not found: give --floor PATH (or --skip-floor)")
    print(f"load average before: {load_average()}", flush=True)

    url = args.database_url
    print(f"database: {url} (made afresh)", flush=True)
    recreate_database(url)
    subprocess.run(
        [str(VENV_BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=os.environ | app_environment(url, production=False),
        check=True,
        capture_output=True,
    )
    os.environ.update(app_environment(url, production=False))
    from app import create_app
    from extensions import db

    app = create_app()
    started = time.monotonic()
    with app.app_context():
        cohort_id, tokens = seed(args.trainees + 1, args.seats)
    print(f"seeded {args.trainees + 1} trainees with tokens in {time.monotonic() - started:.0f} s", flush=True)
    statements = count_statements(app, cohort_id, tokens.pop())
    print(f"statements per application (counted in-process): {len(statements)}")
    for number, statement in enumerate(statements, 1):
        print(f"  {number:>2}. {statement[:110]}")
    with app.app_context():
        db.engine.dispose()  # no connection of this process is carried into the clients

    results = {}
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="markaz-bench-applications-")) / "gunicorn.log"
    server = gunicorn(
        "app:create_app()", port, args.workers, os.environ | app_environment(url, production=True), ROOT, log
    )
    try:
        wait_until_up(port, "/api/v1/centres")
        results["markaz"] = load(
            port, f"/api/v1/cohorts/{cohort_id}/enrollments", tokens, args.clients, args.warmup, args.seconds
        )
    finally:
        stop(server)
    problems = check_markaz(app, cohort_id, results["markaz"]["created"] + 1)

    if not args.skip_floor:
        floor_env = os.environ | {"FLOOR_DB": floor_url(url)}
        subprocess.run(
            [sys.executable, args.floor.name, "seed", "0"],
            cwd=args.floor.parent,
            env=floor_env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        server = gunicorn("floor_app:app", port, args.workers, floor_env, args.floor.parent, log.with_name("floor.log"))
        try:
            wait_until_up(port, "/hello")
            enough = [None] * len(tokens)  # as many requests as the app's clients could make
            results["floor"] = load(port, "/enrol/1", enough, args.clients, args.warmup, args.seconds)
        finally:
            stop(server)
        problems += check_floor(url, results["floor"]["created"])

    print(
        f"\ngunicorn --workers {args.workers} (sync); {args.clients} client processes, a new connection per "
        f"request; {args.warmup:g} s warm-up, {args.seconds:g} s measured; {os.cpu_count()} cores; "
        f"load average after: {load_average()}"
    )
    print(f"{'app':<8}{'applications/s':>16}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'not 201':>9}")
    for name, result in results.items():
        print(
            f"{name:<8}{result['rate']:>16.0f}{result['p50']:>9.1f}{result['p95']:>9.1f}{result['p99']:>9.1f}"
            f"{result['errors']:>9}"
        )
    for name, result in results.items():
        if result["ran_out"]:
            problems.append(f"{name}: the clients ran out of trainees: give more --trainees")
    if set(results["markaz"]["statuses"]) != {201}:
        problems.append(f"markaz: answers other than 201: {results['markaz']['statuses']}")
    if "floor" in results and set(results["floor"]["statuses"]) != {201}:
        # floor_app stores str(random.random()) in a 20-character column: now and then it is longer (a 500).
        print(f"floor_app answered other than 201 (its own bug, not counted): {results['floor']['statuses']}")
    markaz = results["markaz"]
    line = (
        f"{markaz['rate']:.0f}/s, p50/p95/p99 {markaz['p50']:.0f}/{markaz['p95']:.0f}/{markaz['p99']:.0f} ms, "
        f"{len(statements)} statements"
    )
    if "floor" in results:
        line += f"; floor_app {results['floor']['rate']:.0f}/s ({markaz['rate'] / results['floor']['rate']:.0%})"
    print(f"\nREADME: {line}")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems) + f"\n(gunicorn's output: {log.parent})")
        sys.exit(1)
    print("outcome checked: enrolled places = answers 201, no pool over its reserve, counters agree, one audit each")


if __name__ == "__main__":
    main()
