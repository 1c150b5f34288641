"""Where one application's time goes: CPU and wall milliseconds per step of ``POST /api/v1/cohorts/<id>/enrollments``,
in-process, in production settings, on PostgreSQL (issue 16, item 6).

``applications.py`` measures the rate under gunicorn; this says what an application costs the worker, step by
step, so that work on the rate starts from figures. It builds the same world (``applications.seed``: a
first-come cohort with reserved seats in every pool, trainees with tokens) on a fresh database, serves
``--warmup`` applications unmeasured, then ``--applications`` measured ones through Flask's test client, with each
step wrapped in a timer (``time.process_time`` for CPU, ``time.perf_counter`` for wall). Wall minus CPU is mostly
time spent waiting for the database. No profiler runs: its own cost would distort the figures it reports.

    .venv/bin/python bench/application_cost.py [--applications 1000] [--warmup 50] [--database-url URL]

The steps (nested: "the rules and writes" contains the two after it):
- the whole request (``app.wsgi_app``) and, inside it,
- reading the token (``auth.tokens.user_for_token``: one SELECT with her account and trainee record),
- reading the cohort and her places (``auth.permissions.get_cohort_and_places_or_404``: one SELECT),
- the rules and writes (``enrollments.services.apply``): her message's text (``messages.new_place_message``),
  and the writes (``changes.write_open_place``: the seat, the place, her record's stamp, the audit event and
  her message, in one statement on PostgreSQL),
- the commit (``submitting.committed``).
What is left of the whole request is Flask, the API's argument parsing and answer, sign-in and headers.
"""

import argparse
import collections
import functools
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import applications as world  # the same world and settings as the rate benchmark

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/markaz_bench_apply_cost"


class Steps:
    """CPU and wall seconds spent in each wrapped function, summed over calls."""

    def __init__(self) -> None:
        self.cpu: collections.Counter = collections.Counter()
        self.wall: collections.Counter = collections.Counter()

    def timed(self, label: str, function):
        @functools.wraps(function)
        def measured(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[label] += time.process_time() - cpu
                self.wall[label] += time.perf_counter() - wall

        return measured

    def wrap(self, module, name: str, label: str) -> None:
        setattr(module, name, self.timed(label, getattr(module, name)))

    def clear(self) -> None:
        self.cpu.clear()
        self.wall.clear()


def instrument(app, steps: Steps) -> None:
    """Wrap the steps where the request looks them up (a name imported into a module is wrapped there)."""
    import api.auth
    import api.enrollments
    import enrollments.services.applying as applying

    steps.wrap(api.auth, "user_for_token", "reading the token")
    steps.wrap(api.enrollments, "get_cohort_and_places_or_404", "reading the cohort and her places")
    steps.wrap(api.enrollments.services, "apply", "the rules and writes")
    for name, label in (
        ("new_place_message", "  her message's text (Babel)"),
        ("write_open_place", "  the five writes (one statement)"),
    ):
        steps.wrap(applying, name, label)
    steps.wrap(api.enrollments, "committed", "the commit")
    app.wsgi_app = steps.timed("the whole request", app.wsgi_app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args()

    url = args.database_url
    print(f"load average before: {world.load_average()}; database {url} (made afresh)", flush=True)
    world.recreate_database(url)
    subprocess.run(
        [str(world.VENV_BIN / "flask"), "db", "upgrade"],
        cwd=world.ROOT,
        env=os.environ | world.app_environment(url, production=False),
        check=True,
        capture_output=True,
    )
    os.environ.update(world.app_environment(url, production=False))
    from app import create_app

    with create_app().app_context():
        cohort_id, tokens = world.seed(args.warmup + args.applications, 100_000)

    os.environ.update(world.app_environment(url, production=True))
    app = create_app()
    steps = Steps()
    instrument(app, steps)
    client = app.test_client()
    path = f"/api/v1/cohorts/{cohort_id}/enrollments"

    def apply(token: str) -> None:
        answer = client.post(path, headers={"Authorization": f"Bearer {token}"}, base_url=f"https://{world.SITE}")
        if answer.status_code != 201:
            sys.exit(f"an application was answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")

    for token in tokens[: args.warmup]:
        apply(token)
    steps.clear()
    for token in tokens[args.warmup :]:
        apply(token)

    count = args.applications
    print(f"\n{count} applications after {args.warmup} unmeasured; load average after: {world.load_average()}")
    print(f"{'step (ms per application)':<40}{'CPU':>8}{'wall':>8}")
    for label in steps.wall:
        print(f"{label:<40}{1000 * steps.cpu[label] / count:>8.2f}{1000 * steps.wall[label] / count:>8.2f}")
    inner = ("reading the token", "reading the cohort and her places", "the rules and writes", "the commit")
    rest_cpu = steps.cpu["the whole request"] - sum(steps.cpu[label] for label in inner)
    rest_wall = steps.wall["the whole request"] - sum(steps.wall[label] for label in inner)
    print(f"{'the rest (Flask, API, headers)':<40}{1000 * rest_cpu / count:>8.2f}{1000 * rest_wall / count:>8.2f}")


if __name__ == "__main__":
    main()
