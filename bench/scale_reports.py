"""Reports at scale (issue 6, item 6; issue 17, item 7): p50 and p95 of the capacity report and of the
completion report (attendance, completion by rule, certificates: issue 17) grouped by province, district,
centre and track over a database of the programme's design size (500 centres, 5,000 cohorts, 1,000,000
trainees, 3,000,000 enrollments). Target: p95 under 100 ms, on SQLite and on PostgreSQL.

Measured twice: in-process (``oversight.queries.capacity_report`` / ``completion_report`` in an app context:
the query and the rows) and over HTTP (``GET /api/v1/reports/capacity?group_by=...`` and
``/reports/completion``, with an admin's API token, under gunicorn, one request at a time on a kept-alive
connection: the whole request). For comparison it also times the same figures counted from the tables
(``enrollments.counters.actual_counts`` and ``enrollments.tallies.actual_tallies``, what ``flask oversight
recount`` runs), which is what a report would cost without the counters and tallies.

    .venv/bin/python bench/scale_reports.py [--database-url URL] [--repeat 200] [--workers 2]
        [--reports capacity,completion] [--centres 500 --trainees 1000000 --enrollments 3000000] [--keep]

With --database-url the database must already be scaled (``flask seed scale``), or be empty: it is then
migrated and scaled here. Without it a SQLite database is built in a temporary folder (and deleted at
the end unless --keep). The scale seed creates admin@markaz.test, whose token the HTTP part uses.
"""

import argparse
import gc
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
VENV_BIN = Path(sys.executable).parent
GROUPINGS = ("province", "district", "centre", "track")
REPORTS = ("capacity", "completion")
TARGET_MS = 100.0

from catalogue import bench_env, free_port, gunicorn, wait_until_up  # noqa: E402  (bench/catalogue.py)


def flask(*args: str, env: dict, capture: bool = True) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=capture, text=True
    )
    return result.stdout if capture else ""


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile of ``samples`` (milliseconds)."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def summary(samples: list[float]) -> dict:
    return {"p50": percentile(samples, 0.50), "p95": percentile(samples, 0.95), "max": max(samples), "n": len(samples)}


def row_counts(env: dict) -> dict[str, int]:
    """Rows per table of interest, read in a child process (before this process opens the database)."""
    code = (
        "import json; from sqlalchemy import func, select; from app import create_app; from extensions import db;"
        "app = create_app(); ctx = app.app_context(); ctx.push();"
        "print(json.dumps({t: db.session.scalar(select(func.count()).select_from(db.metadata.tables[t]))"
        " for t in ('centre', 'cohort', 'trainee', 'enrollment', 'user_account')}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def in_process(repeat: int, reports: tuple[str, ...]) -> dict:
    """Time each report for each grouping in this process, national scope."""
    from app import create_app
    from auth.permissions import OversightScope
    from enrollments.counters import actual_counts
    from enrollments.tallies import actual_tallies
    from extensions import db
    from oversight.queries import capacity_report, completion_report

    queries = {"capacity": capacity_report, "completion": completion_report}
    app = create_app()
    # As a gunicorn worker does once the app is loaded (gunicorn.conf.py): the app's own objects out of the
    # collector's sight, so that a full collection does not pause a measured call for them.
    gc.collect()
    gc.freeze()
    results = {}
    with app.app_context():
        for report in reports:
            query = queries[report]
            for group_by in GROUPINGS:
                for _ in range(5):  # warm up: statement caches, the page cache of the database
                    query(OversightScope(), group_by)
                samples = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    rows = query(OversightScope(), group_by)
                    samples.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                results[(report, group_by)] = summary(samples) | {"rows": len(rows)}
        # The same counts from the tables: the GROUP BY the counters and tallies spare every report.
        for report, count in (
            ("capacity", lambda: db.session.execute(db.select(actual_counts())).all()),
            ("completion", actual_tallies),
        ):
            if report not in reports:
                continue
            samples = []
            for _ in range(3):
                started = time.perf_counter()
                counted = count()
                samples.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            results[(report, "from the tables")] = summary(samples) | {"rows": len(counted)}
        db.session.remove()
        db.engine.dispose()
    return results


def over_http(env: dict, repeat: int, workers: int, reports: tuple[str, ...]) -> dict:
    """Time ``GET /api/v1/reports/<report>`` under gunicorn, an admin's token, one request at a time."""
    token = flask("users", "token", "admin@markaz.test", "--name", "bench/scale_reports.py", env=env).strip()
    port = free_port()
    server = gunicorn("app:create_app()", port, workers, env, ROOT)
    results = {}
    try:
        # A busy machine takes a while to import the app in two workers.
        wait_until_up(f"http://127.0.0.1:{port}/api/v1/openapi.json", seconds=180)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        for report in reports:
            for group_by in GROUPINGS:
                path = f"/api/v1/reports/{report}?group_by={group_by}"
                samples = []
                for attempt in range(repeat + 10):  # the first ten warm up every worker
                    started = time.perf_counter()
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status != 200:
                        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
                    if attempt >= 10:
                        samples.append(elapsed)
                results[(report, group_by)] = summary(samples) | {
                    "rows": len(json.loads(body)["rows"]),
                    "bytes": len(body),
                }
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--centres", type=int, default=500)
    parser.add_argument("--trainees", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=3_000_000)
    parser.add_argument("--reports", default=",".join(REPORTS), help="Which reports: capacity, completion.")
    parser.add_argument("--keep", action="store_true", help="Keep the SQLite database built here.")
    args = parser.parse_args()
    reports = tuple(report for report in args.reports.split(",") if report)
    if not reports or set(reports) - set(REPORTS):
        parser.error(f"--reports: choose among {', '.join(REPORTS)}")

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'scale.db'}"
    env = bench_env(database_url, workdir)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "SECRET_KEY", "MARKAZ_INSTANCE_PATH")})
    print(f"database: {database_url}", flush=True)
    flask("db", "upgrade", env=env)
    counts = row_counts(env)
    if counts["enrollment"] == 0:
        print("empty: building it with flask seed scale", flush=True)
        started = time.perf_counter()
        flask(
            "seed",
            "scale",
            "--centres",
            str(args.centres),
            "--trainees",
            str(args.trainees),
            "--enrollments",
            str(args.enrollments),
            env=env,
            capture=False,
        )
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        counts = row_counts(env)
    print("rows: " + ", ".join(f"{count:,} {table}" for table, count in counts.items()), flush=True)

    local = in_process(args.repeat, reports)
    for (report, group_by), figures in local.items():  # printed now: kept even if the HTTP part fails
        print(f"in-process {report} {group_by}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms", flush=True)
    remote = over_http(env, args.repeat, args.workers, reports)

    worst = 0.0
    for report in reports:
        print(
            f"\n{report} report, national scope; {args.repeat} calls per grouping after warm-up; "
            f"gunicorn --workers {args.workers}; {os.cpu_count()} cores; load average "
            + " ".join(f"{value:.2f}" for value in os.getloadavg())
        )
        print(f"{'group_by':<10}{'rows':>6}{'in-process p50':>16}{'p95':>8}{'HTTP p50':>10}{'p95':>8}{'max':>8}  (ms)")
        for group_by in GROUPINGS:
            here, there = local[(report, group_by)], remote[(report, group_by)]
            worst = max(worst, here["p95"], there["p95"])
            print(
                f"{group_by:<10}{here['rows']:>6}{here['p50']:>16.1f}{here['p95']:>8.1f}"
                f"{there['p50']:>10.1f}{there['p95']:>8.1f}{there['max']:>8.1f}"
            )
        grouped = local[(report, "from the tables")]
        print(
            f"the same figures counted from the tables (no counters): {grouped['p50']:.0f} ms "
            f"(median of {grouped['n']}, {grouped['rows']:,} rows)"
        )
    verdict = "OK" if worst < TARGET_MS else "TOO SLOW"
    print(f"\nworst p95: {worst:.1f} ms (target: under {TARGET_MS:.0f} ms) -> {verdict}")
    if args.database_url is None and args.keep:
        print(f"kept: {database_url}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
