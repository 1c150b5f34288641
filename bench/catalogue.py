"""Catalogue speed: requests per second of the public catalogue page (`/courses/`, 20 cohorts) against a
bare Flask page that renders the same 20 rows (bench/bare_catalogue.py). Target (DESIGN.md): at least
70% of the bare page's rate. The catalogue is measured as served (anonymous readers get a page at most
PUBLIC_PAGE_CACHE_SECONDS old: see pagecache.py) and rendered afresh for every request ("uncached").
Both run under gunicorn with the same number of workers, on a copy of the
demo data set; load comes from `wrk` (Debian package `wrk`), which is light enough to share the machine.

    .venv/bin/python bench/catalogue.py [--seconds 15] [--connections 8] [--workers 2] [--database-url URL]

Without --database-url it builds a fresh SQLite database with the demo seed in a temporary folder.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def bench_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment a benchmark runs the app in (``flask`` commands, gunicorn): its database, a throwaway
    secret and instance folder under ``workdir``, and the repository on the import path."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "MARKAZ_INSTANCE_PATH": str(workdir),
        "FLASK_APP": "app",
        "PYTHONPATH": str(ROOT),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def gunicorn(app_spec: str, port: int, workers: int, env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=cwd,
        env=env,
    )


def wrk(url: str, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rate": rate, "p50": latency["50"], "p99": latency["99"], "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = bench_env(database_url, workdir)
    print(f"database: {database_url}", flush=True)
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [str(VENV_BIN / "flask"), "seed", "demo", "--if-empty"], cwd=ROOT, env=env, check=True, capture_output=True
    )

    results = {}
    # The catalogue as served (anonymous readers get a page at most PUBLIC_PAGE_CACHE_SECONDS old), and
    # rendered afresh for every request (the cost for signed-in readers, and of each cache refill).
    uncached = env | {"MARKAZ_PUBLIC_PAGE_CACHE_SECONDS": "0"}
    servers = (
        ("catalogue", "app:create_app()", ROOT, env),
        ("uncached", "app:create_app()", ROOT, uncached),
        ("bare page", "bare_catalogue:app", ROOT / "bench", env),
    )
    for name, spec, cwd, server_env in servers:
        port = free_port()
        server = gunicorn(spec, port, args.workers, server_env, cwd)
        try:
            url = f"http://127.0.0.1:{port}/courses/"
            wait_until_up(url)
            wrk(url, 2, args.connections)  # warm up: imports, connection pools, template caches
            results[name] = wrk(url, args.seconds, args.connections)
        finally:
            server.terminate()
            server.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\ngunicorn --workers {args.workers}; wrk --threads 1 --connections {args.connections} "
        f"--duration {args.seconds}s; {os.cpu_count()} cores"
    )
    print(f"{'page':<12}{'req/s':>10}{'p50':>10}{'p99':>10}{'errors':>8}")
    for name, result in results.items():
        print(f"{name:<12}{result['rate']:>10.0f}{result['p50']:>10}{result['p99']:>10}{result['errors']:>8}")
    ratio = results["catalogue"]["rate"] / results["bare page"]["rate"]
    print(f"\ncatalogue / bare page = {ratio:.0%} (target: at least 70%)")
    print(f"uncached catalogue / bare page = {results['uncached']['rate'] / results['bare page']['rate']:.0%}")


if __name__ == "__main__":
    main()
