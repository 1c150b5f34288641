"""Where a verification request spends its time: ``GET /verify/<number>`` (found, and a number nobody has) and
the API's ``GET /api/v1/certificates/<number>``, run in-process through the test client (no network, no
gunicorn) under cProfile; prints the milliseconds per request and the functions that cost most.

    .venv/bin/python bench/verify_profile.py [--database-url URL] [--requests 500] [--top 25] [--lang ur]

Without --database-url it builds a SQLite database in a temporary folder with the demo seed (which issues a
certificate to every completed place). With one, the database must hold certificates (e.g. a scaled one:
``flask seed scale`` issues some 700,000).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
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

from catalogue import bench_env  # noqa: E402  (bench/catalogue.py)

UNKNOWN_BODY = "2222222222"  # a well-formed number nobody has (``formatted`` adds its check character)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--lang", default="en", choices=("en", "ur"))
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--callees", default="", help="Also print what this function calls (a name).")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="markaz-verify-profile-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'verify.db'}"
    env = bench_env(database_url, workdir)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "SECRET_KEY", "MARKAZ_INSTANCE_PATH")})
    if args.database_url is None:
        for command in (["db", "upgrade"], ["seed", "demo"]):
            subprocess.run([str(VENV_BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True)

    from sqlalchemy import select

    from app import create_app
    from certificates.models import Certificate
    from certificates.numbers import formatted
    from extensions import db, limiter

    app = create_app()
    # Unknown numbers are throttled per address (30 per 10 minutes): not what is measured here.
    limiter.enabled = False
    with app.app_context():
        numbers = list(db.session.scalars(select(Certificate.number).limit(2000)))
        db.session.remove()
    if not numbers:
        sys.exit("no certificates in this database")
    unknown = formatted(UNKNOWN_BODY)
    client = app.test_client()
    headers = {"Accept-Language": args.lang}
    cases = {
        "page, found": lambda: f"/verify/{random.choice(numbers)}",
        "page, unknown number (404)": lambda: f"/verify/{unknown}",
        "API, found": lambda: f"/api/v1/certificates/{random.choice(numbers)}",
    }
    for name, path in cases.items():
        for _ in range(50):  # warm up: templates compiled, statements cached, catalogues loaded
            client.get(path(), headers=headers)
        started = time.perf_counter()
        for _ in range(args.requests):
            response = client.get(path(), headers=headers)
        plain = (time.perf_counter() - started) * 1000 / args.requests
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            client.get(path(), headers=headers)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callees:
            stats.print_callees(args.callees)
        print(f"\n== {name}: {plain:.2f} ms per request in-process (status {response.status_code}) ==")
        print("\n".join(out.getvalue().splitlines()[4:]))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
