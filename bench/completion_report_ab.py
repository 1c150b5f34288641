"""The completion report against an earlier revision of itself, on the same database, alternately (so that a
busy machine slows both alike): the rows must be identical; prints wall p50/p95 and the CPU time of this process
(the Python side, and SQLite's work when on SQLite; PostgreSQL's own CPU is not in it) per grouping.

    .venv/bin/python bench/completion_report_ab.py --database-url URL [--against REV] [--repeat 20]

``--against`` (default ``HEAD~1``): the git revision whose ``oversight/queries/completion.py`` is the
"before"; it must read the same tables (it is loaded as a module beside the current one). The database must be
scaled (``flask seed scale``) and migrated to the current head.
"""

import argparse
import dataclasses
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GROUPINGS = ("province", "district", "centre", "track")


def load_revision(revision: str):
    source = subprocess.run(
        ["git", "show", f"{revision}:oversight/queries/completion.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="markaz-ab-")) / "completion_before.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("completion_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--against", default="HEAD~1")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY=os.environ.get("SECRET_KEY", "bench"))

    from app import create_app
    from auth.permissions import OversightScope
    from extensions import db
    from oversight.queries.completion import completion_report

    reports = {"before": load_revision(args.against).completion_report, "now": completion_report}
    app = create_app()
    with app.app_context():
        for group_by in GROUPINGS:
            answers = {name: report(OversightScope(), group_by) for name, report in reports.items()}
            before, now = ([dataclasses.asdict(row) for row in rows] for rows in answers.values())
            if before != now:
                sys.exit(f"{group_by}: the rows differ")
            samples = {name: ([], []) for name in reports}
            for _ in range(args.repeat):
                for name, report in reports.items():
                    cpu, wall = time.process_time(), time.perf_counter()
                    report(OversightScope(), group_by)
                    samples[name][0].append((time.perf_counter() - wall) * 1000)
                    samples[name][1].append((time.process_time() - cpu) * 1000)
                    db.session.rollback()
            print(
                f"{group_by:<9} {len(answers['now']):>4} rows (identical) | "
                + " | ".join(
                    f"{name}: wall p50 {percentile(wall, 0.5):.1f} p95 {percentile(wall, 0.95):.1f} ms, "
                    f"CPU p50 {percentile(cpu, 0.5):.1f} ms"
                    for name, (wall, cpu) in samples.items()
                ),
                flush=True,
            )
    print("load average " + " ".join(f"{value:.2f}" for value in os.getloadavg()))


if __name__ == "__main__":
    main()
