"""Certificate verification speed: p50/p95/p99 of the public page `GET /verify/<number>` and of the API's
`GET /api/v1/certificates/<number>`, under gunicorn, over 10,000 certificates, each request for a random one of
them (as people scanning different certificates do). Target (DESIGN.md): p95 under 20 ms.

    .venv/bin/python bench/verify.py [--certificates 10000] [--seconds 15] [--connections 4] [--workers 2]
                                     [--database-url URL]

Without --database-url it builds a fresh SQLite database in a temporary folder: the demo seed (which issues
a certificate to every completed place: some 2,800), then revoked copies up to --certificates, written in
batches (one valid certificate per place; the verification query is the same whatever the status). Load comes from `wrk`
(Debian package `wrk`) with a Lua script that picks a random number for every request and prints the
percentiles. Anonymous readers: no session, the page's `Cache-Control` is ignored by wrk (every request
reaches gunicorn).
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from catalogue import bench_env, free_port, gunicorn, wait_until_up  # noqa: E402  (bench/catalogue.py's helpers)

LUA = """
numbers = {}
for line in io.lines("%(numbers)s") do numbers[#numbers + 1] = line end
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", "%(prefix)s" .. numbers[math.random(#numbers)])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%.2f %%.2f %%.2f %%.2f\\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout
  io.write(string.format("ERRORS %%d\\n", errors))
end
"""


def write_certificates(count: int) -> list[str]:
    """Top the table up to ``count`` certificates: the demo issues one per completed place; the rest are
    revoked copies over the demo's places (only one may be valid per place; the verification query is the same
    whatever the status), in batched INSERTs. Every number in the table."""
    from sqlalchemy import func, insert, select

    from app import create_app
    from certificates.models import Certificate
    from certificates.numbers import new_number
    from certificates.services import printed_facts
    from config import Config
    from database import utcnow
    from enrollments.models import Enrollment
    from extensions import db
    from vocabulary import CertificateStatus

    app = create_app(Config())
    with app.app_context():
        places = list(db.session.scalars(select(Enrollment).order_by(Enrollment.id).limit(2000)))
        missing = count - db.session.scalar(select(func.count(Certificate.id)))
        now, rows = utcnow(), []
        for index in range(max(missing, 0)):
            place = places[index % len(places)]
            rows.append(
                {
                    "number": new_number(),
                    "enrollment_id": place.id,
                    "trainee_id": place.trainee_id,
                    "cohort_id": place.cohort_id,
                    "issued_on": date.today(),
                    "status": CertificateStatus.REVOKED,
                    "revoked_reason": "A copy made by bench/verify.py",
                    "revoked_at": now,
                    "created_at": now,
                    **printed_facts(place, place.trainee.full_name),
                }
            )
            if len(rows) == 1000:
                db.session.execute(insert(Certificate), rows)
                rows = []
        if rows:
            db.session.execute(insert(Certificate), rows)
        db.session.commit()
        numbers = list(db.session.scalars(select(Certificate.number)))
        db.engine.dispose()
    return numbers


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = next(line for line in output.splitlines() if line.startswith("RESULT")).split()
    errors = int(next(line for line in output.splitlines() if line.startswith("ERRORS")).split()[1])
    non_2xx = 0
    for line in output.splitlines():
        if line.strip().startswith("Non-2xx"):
            non_2xx = int(line.split(":")[1])
    return {
        "requests": int(result[1]),
        "p50": float(result[2]),
        "p95": float(result[3]),
        "p99": float(result[4]),
        "rate": float(result[5]),
        "errors": errors + non_2xx,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="markaz-verify-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = bench_env(database_url, workdir)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "SECRET_KEY", "MARKAZ_INSTANCE_PATH")})
    print(f"database: {database_url}", flush=True)
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "seed", "demo", "--if-empty"], cwd=ROOT, env=env, check=True, capture_output=True)
    numbers = write_certificates(args.certificates)
    print(f"{len(numbers):,} certificates", flush=True)
    numbers_file = workdir / "numbers.txt"
    numbers_file.write_text("\n".join(numbers) + "\n")

    results = {}
    load_before = os.getloadavg()[0]  # other work on the machine slows every figure: say how busy it was
    port = free_port()
    server = gunicorn("app:create_app()", port, args.workers, env, ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/verify/{numbers[0]}")
        for name, prefix in (("page /verify/<number>", "/verify/"), ("API /certificates/<n>", "/api/v1/certificates/")):
            script = workdir / f"{prefix.strip('/').replace('/', '-')}.lua"
            script.write_text(LUA % {"numbers": numbers_file, "seed": random.randrange(1 << 30), "prefix": prefix})
            wrk(base, script, 2, args.connections)  # warm up: imports, connection pools, template caches
            results[name] = wrk(base, script, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\n{len(numbers):,} certificates; gunicorn --workers {args.workers}; wrk --threads 1 --connections "
        f"{args.connections} --duration {args.seconds}s, a random number per request; {os.cpu_count()} cores; "
        f"load average before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}"
    )
    print(f"{'what':<24}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, result in results.items():
        print(
            f"{name:<24}{result['rate']:>8.0f}{result['p50']:>9.1f}{result['p95']:>9.1f}{result['p99']:>9.1f}"
            f"{result['errors']:>8}"
        )
    worst = max(result["p95"] for result in results.values())
    print(f"\nworst p95 = {worst:.1f} ms (target: under 20 ms): {'met' if worst < 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
