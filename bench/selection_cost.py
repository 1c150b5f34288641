"""What the selection figures (issue 16, item 4) add to the capacity report: the report's query with and
without their sums, interleaved in one process over the same database (so that both see the same load),
per grouping; CPU time of the query and its rows, median and p95.

    .venv/bin/python bench/selection_cost.py --database-url sqlite:////path/to/scaled.db [--repeat 30]

The database must be scaled already (``flask seed scale``, or ``bench/scale_reports.py --keep``).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GROUPINGS = ("province", "district", "centre", "track")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url

    from sqlalchemy import select

    from app import create_app
    from auth.permissions import OversightScope
    from courses.models import Cohort
    from extensions import db
    from oversight.queries import capacity

    app = create_app()
    with app.app_context():
        columns = capacity.figure_columns()
        without = columns[: capacity.COUNTED_FIELDS.index("reserved_women")]

        def timed(group_by: str, chosen: list) -> float:
            keys, name = capacity._report_keys(group_by)
            labels = [*keys, *([name] if name is not None else [])]
            stmt = capacity.reported_cohorts(
                select(*labels, *chosen).select_from(Cohort), OversightScope(), None, None, None
            ).group_by(*labels)
            started = time.process_time()
            db.session.execute(stmt).all()
            return (time.process_time() - started) * 1000

        print(f"{'group_by':10s} {'without p50':>12s} {'p95':>7s} {'with p50':>9s} {'p95':>7s}  (ms, CPU)")
        for group_by in GROUPINGS:
            for _ in range(3):  # warm up: statement caches, the page cache
                timed(group_by, columns)
            plain, full = [], []
            for _ in range(args.repeat):
                plain.append(timed(group_by, without))
                full.append(timed(group_by, columns))

            def p95(samples: list[float]) -> float:
                return sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]

            print(
                f"{group_by:10s} {statistics.median(plain):12.1f} {p95(plain):7.1f} "
                f"{statistics.median(full):9.1f} {p95(full):7.1f}"
            )


if __name__ == "__main__":
    main()
