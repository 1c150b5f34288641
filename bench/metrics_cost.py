"""What Prometheus metrics cost: requests per second of a page under gunicorn with the request histogram on
(``MARKAZ_METRICS=1``, multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR``) and off, measured in turns
(off, on, off, on, …) so that a busy machine weighs on both alike; the median of each. Target (issue 19):
metrics cost under 5% of the throughput.

    .venv/bin/python bench/metrics_cost.py [--seconds 10] [--rounds 3] [--connections 8] [--workers 2]
        [--path /centres/]

The page is served from a fresh SQLite database with the reference data (provinces and districts): a cheap
page, so the histogram's share of each request is as large as it gets (a heavier page hides it more).
Request log lines are at WARNING in both runs, to measure the metrics alone.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalogue import ROOT, VENV_BIN, bench_env, free_port, gunicorn, wait_until_up, wrk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--path", default="/centres/")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-metrics-"))
    env = bench_env(f"sqlite:///{workdir / 'bench.db'}", workdir) | {"MARKAZ_LOG_LEVEL": "WARNING"}
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([str(VENV_BIN / "flask"), "seed", "reference"], cwd=ROOT, env=env, check=True, capture_output=True)

    rates: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.rounds):
        for name in ("off", "on"):
            run_env = env | {"MARKAZ_METRICS": "0" if name == "off" else "1"}
            if name == "on":
                multiproc = workdir / "prometheus"
                shutil.rmtree(multiproc, ignore_errors=True)
                multiproc.mkdir()
                run_env["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc)
            port = free_port()
            server = gunicorn("app:create_app()", port, args.workers, run_env, ROOT)
            try:
                url = f"http://127.0.0.1:{port}{args.path}"
                wait_until_up(url, 180)
                wrk(url, 2, args.connections)  # warm up
                result = wrk(url, args.seconds, args.connections)
                assert result["errors"] == 0, result
                rates[name].append(result["rate"])
            finally:
                server.terminate()
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:  # a busy machine: gunicorn's graceful stop can take long
                    server.kill()
                    server.wait()
    shutil.rmtree(workdir, ignore_errors=True)

    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    print(
        f"GET {args.path}; gunicorn --workers {args.workers}; wrk --connections {args.connections} "
        f"--duration {args.seconds}s; {args.rounds} rounds; {os.cpu_count()} cores"
    )
    print(f"metrics off: {off:.0f} req/s (runs: {', '.join(f'{r:.0f}' for r in rates['off'])})")
    print(f"metrics on:  {on:.0f} req/s (runs: {', '.join(f'{r:.0f}' for r in rates['on'])})")
    print(f"cost: {(off - on) / off:.1%} of the throughput (target: under 5%)")
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
