"""The outcomes report at scale (issue 18, item 6): p50 and p95 of the outcomes report for each wave and grouping,
nationally and for one province, over a database of the programme's design size with outcome answers for about a
million graduates (``flask seed scale`` then ``flask seed graduates --total 1000000``). Target: p95 under 100 ms,
on SQLite and on PostgreSQL.

Measured twice, as ``bench/scale_reports.py`` measures the capacity report: in-process
(``oversight.queries.outcomes_report`` with its total: the query and the figures, quartiles included; wall and
CPU time of this process) and over HTTP (``GET /api/v1/reports/outcomes?wave=...&group_by=...[&province=..]``
under gunicorn, an admin's token, one request at a time). For comparison it times the exact median of one wave
straight from the answers (what a report would cost without the tallies) and the same report summed from the
per-cohort tallies (``per_cohort``: what a national report cost before the roll-ups), a few times each.

    .venv/bin/python bench/outcomes_report.py [--database-url URL] [--repeat 50] [--workers 2]
        [--centres 500 --trainees 1000000 --enrollments 3000000] [--graduates 1000000] [--waves 3,6,12]
        [--province PB] [--keep]

With --database-url the database must already be scaled (``flask seed scale``), or be empty: it is then migrated
and scaled here; either way ``flask seed graduates --total GRADUATES`` then adds past graduates up to
--graduates (nothing when there are as many; 0: skip). Without it a SQLite database is built in a temporary
folder (deleted unless --keep).
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
GROUPINGS = ("province", "district", "centre", "track", "course", "gender", "area", "partner", "month")
TARGET_MS = 100.0

from catalogue import bench_env, free_port, gunicorn, wait_until_up  # noqa: E402  (bench/catalogue.py)
from scale_reports import flask, summary  # noqa: E402


def counts(env: dict) -> dict[str, int]:
    code = (
        "import json; from sqlalchemy import func, select; from app import create_app; from extensions import db;"
        "app = create_app(); ctx = app.app_context(); ctx.push();"
        "print(json.dumps({t: db.session.scalar(select(func.count()).select_from(db.metadata.tables[t]))"
        " for t in ('cohort', 'enrollment', 'outcome_wave', 'outcome_answer', 'outcome_tally', 'outcome_rollup')}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def in_process(repeat: int, waves: list[int], province: str) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from auth.permissions import OversightScope
    from centres.models import Province
    from extensions import db
    from outcomes.models import OutcomeAnswer, OutcomeWave
    from oversight.queries.outcomes import outcome_totals, outcomes_report, per_cohort

    app = create_app()
    # As a gunicorn worker does once the app is loaded (gunicorn.conf.py): the app's own objects out of the
    # collector's sight, so that a full collection does not pause a measured call for them.
    gc.collect()
    gc.freeze()
    results = {}
    with app.app_context():
        province_id = db.session.scalar(select(Province.id).where(Province.code == province))
        scopes = {"national": OversightScope(), province: OversightScope(province_id=province_id)}
        for scope_name, scope in scopes.items():
            for wave in waves:
                for group_by in GROUPINGS:
                    for _ in range(3):
                        outcomes_report(scope, wave, group_by)
                    samples, cpu = [], []
                    for _ in range(repeat):
                        started, started_cpu = time.perf_counter(), time.process_time()
                        report = outcomes_report(scope, wave, group_by)
                        rows, total = report.rows, report.total
                        _figures = [
                            (row.earnings_median, row.women_gap_median, row.rural_gap_median) for row in [*rows, total]
                        ]
                        samples.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - started_cpu) * 1000)
                        db.session.rollback()
                    results[(scope_name, wave, group_by)] = summary(samples) | {
                        "rows": len(rows),
                        "answers": total.all.answers,
                        "cpu_p50": summary(cpu)["p50"],
                        "cpu_p95": summary(cpu)["p95"],
                    }
        # Without the roll-ups: the national report by centre summed from the per-cohort tallies.
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            outcome_totals(per_cohort(OversightScope(), waves[0], "centre"))
            samples.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        results["per_cohort"] = summary(samples)
        # Without tallies: the exact national median of one wave, sorting its earnings.
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            earnings = db.session.scalars(
                select(OutcomeAnswer.monthly_earnings_pkr)
                .join(OutcomeWave, OutcomeWave.id == OutcomeAnswer.wave_id)
                .where(OutcomeWave.months == waves[0], OutcomeAnswer.monthly_earnings_pkr > 0)
                .order_by(OutcomeAnswer.monthly_earnings_pkr)
            ).all()
            _median = earnings[len(earnings) // 2] if earnings else None
            samples.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        results["exact"] = summary(samples) | {"rows": len(earnings)}
        db.session.execute(select(func.count()).select_from(OutcomeWave))
        db.session.remove()
        db.engine.dispose()
    return results


def over_http(env: dict, repeat: int, workers: int, waves: list[int], province: str) -> dict:
    token = flask("users", "token", "admin@markaz.test", "--name", "bench/outcomes_report.py", env=env).strip()
    port = free_port()
    server = gunicorn("app:create_app()", port, workers, env, ROOT)
    results = {}
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v1/openapi.json")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        for scope_name, narrowing in (("national", ""), (province, f"&province={province}")):
            for wave in waves:
                for group_by in GROUPINGS:
                    path = f"/api/v1/reports/outcomes?wave={wave}&group_by={group_by}{narrowing}"
                    samples = []
                    for attempt in range(repeat + 6):  # the first six warm up every worker
                        started = time.perf_counter()
                        connection.request("GET", path, headers=headers)
                        response = connection.getresponse()
                        body = response.read()
                        elapsed = (time.perf_counter() - started) * 1000
                        if response.status != 200:
                            raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
                        if attempt >= 6:
                            samples.append(elapsed)
                    results[(scope_name, wave, group_by)] = summary(samples) | {"bytes": len(body)}
        connection.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)  # a busy machine can take a while to stop two workers
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--centres", type=int, default=500)
    parser.add_argument("--trainees", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=3_000_000)
    parser.add_argument("--graduates", type=int, default=1_000_000)
    parser.add_argument("--waves", default="3,6,12")
    parser.add_argument("--province", default="PB", help="The province measured besides the nation.")
    parser.add_argument("--keep", action="store_true", help="Keep the SQLite database built here.")
    args = parser.parse_args()
    waves = [int(wave) for wave in args.waves.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'scale.db'}"
    env = bench_env(database_url, workdir)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "SECRET_KEY", "MARKAZ_INSTANCE_PATH")})
    print(f"database: {database_url}", flush=True)
    flask("db", "upgrade", env=env)
    found = counts(env)
    if found["enrollment"] == 0:
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
        found = counts(env)
    if args.graduates:
        print(f"adding graduates up to {args.graduates:,} with flask seed graduates", flush=True)
        started = time.perf_counter()
        flask("seed", "graduates", "--total", str(args.graduates), env=env, capture=False)
        print(f"added in {time.perf_counter() - started:.0f} s", flush=True)
        found = counts(env)
    print("rows: " + ", ".join(f"{count:,} {table}" for table, count in found.items()), flush=True)

    load_before = os.getloadavg()
    local = in_process(args.repeat, waves, args.province)
    remote = over_http(env, args.repeat, args.workers, waves, args.province)
    load = os.getloadavg()
    print(
        f"\noutcomes report; {args.repeat} calls per scope, wave and grouping after warm-up; "
        f"gunicorn --workers {args.workers}; {os.cpu_count()} cores; load average (1, 5 min) before "
        f"{load_before[0]:.1f} {load_before[1]:.1f}, after {load[0]:.1f} {load[1]:.1f}"
    )
    print(
        f"{'scope':<9}{'wave':>4} {'group_by':<10}{'rows':>6}{'answers':>9}{'in-process p50':>16}{'p95':>8}"
        f"{'CPU p95':>9}{'HTTP p50':>10}{'p95':>8}{'max':>8}  (ms)"
    )
    worst = 0.0
    for scope_name in ("national", args.province):
        for wave in waves:
            for group_by in GROUPINGS:
                here, there = local[(scope_name, wave, group_by)], remote[(scope_name, wave, group_by)]
                worst = max(worst, here["p95"], there["p95"])
                print(
                    f"{scope_name:<9}{wave:>4} {group_by:<10}{here['rows']:>6}{here['answers'] or 0:>9,}"
                    f"{here['p50']:>16.1f}{here['p95']:>8.1f}{here['cpu_p95']:>9.1f}"
                    f"{there['p50']:>10.1f}{there['p95']:>8.1f}{there['max']:>8.1f}"
                )
    before = local["per_cohort"]
    print(f"\nthe national report by centre of wave {waves[0]} from the per-cohort tallies: {before['p50']:.0f} ms")
    exact = local["exact"]
    print(
        f"\nexact national median of wave {waves[0]} from the answers (no tallies): {exact['p50']:.0f} ms "
        f"(median of {exact['n']}, {exact['rows']:,} earners)"
    )
    verdict = "OK" if worst < TARGET_MS else "TOO SLOW"
    print(f"worst p95: {worst:.1f} ms (target: under {TARGET_MS:.0f} ms) -> {verdict}")
    if args.database_url is None and args.keep:
        print(f"kept: {database_url}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
