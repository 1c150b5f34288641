"""How long a first-time visitor on a phone waits on slow mobile data, in English and Urdu (issue 20).

A 360×740 Chromium (Debian's /usr/bin/chromium through Playwright) with the network throttled by Chrome's
own emulation (CDP ``Network.emulateNetworkConditions``) opens the catalogue (``/courses/``) with an empty
cache: the first visit; then, in the same browser, the centres (``/centres/``): the next page. Each is timed
from the start of the navigation:

- "shown": the first contentful paint (the page's text is on the screen, in a fallback font if the Urdu font
  is still on its way: ``font-display: swap``);
- "complete": the load event or the last byte of any file the page asked for (the Urdu font included),
  whichever is later;

and weighed: bytes over the wire (Chrome's ``encodedDataLength``: headers and bodies as sent). Each figure is
the median of ``--runs`` runs. The app is served by gunicorn on a fresh demo database (SQLite).

    .venv/bin/python bench/slow_network.py                      # this checkout
    .venv/bin/python bench/slow_network.py --root /tmp/before   # another checkout (a worktree of an older commit)

Targets (issue 20): first visit under 3 s on slow 3G in both languages, about 120 KB; next page under 1 s.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import ROOT, VENV_BIN, free_port, gunicorn, wait_until_up

PHONE = {"width": 360, "height": 740}
# Chrome DevTools' presets: bytes per second down and up, and the round trip added to every request (ms).
CONNECTIONS = {
    "slow 3G": {"latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8},
    "fast 3G": {"latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8},
}
FIRST_PAGE = "/courses/"
NEXT_PAGE = "/centres/"

TIMINGS = """() => {
  const navigation = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const files = performance.getEntriesByType("resource").map((entry) => entry.responseEnd);
  return {shown: paint ? paint.startTime : null, complete: Math.max(navigation.loadEventEnd, ...files)};
}"""


class Visit:
    """One navigation in a throttled tab: its timings (ms) and the bytes and requests it cost."""

    def __init__(self, shown: float, complete: float, size: int, requests: int) -> None:
        self.shown, self.complete, self.size, self.requests = shown, complete, size, requests


def visit(context: BrowserContext, url: str, connection: dict) -> Visit:
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": False})
    session.send("Network.emulateNetworkConditions", {"offline": False, **connection})
    sizes: dict[str, float] = {}
    session.on("Network.loadingFinished", lambda event: sizes.update({event["requestId"]: event["encodedDataLength"]}))
    page.goto(url, wait_until="load")
    page.evaluate("() => document.fonts.ready")
    page.wait_for_load_state("networkidle")
    timings = page.evaluate(TIMINGS)
    page.close()
    return Visit(timings["shown"], timings["complete"], int(sum(sizes.values())), len(sizes))


def measure(browser, base: str, language: str, connection: dict) -> tuple[Visit, Visit]:
    """A first visit to the catalogue in a fresh browser profile, then the next page in the same one."""
    context = browser.new_context(viewport=PHONE, locale="ur-PK" if language == "ur" else "en-GB")
    context.add_cookies([{"name": "markaz_lang", "value": language, "url": f"{base}/"}])
    first = visit(context, f"{base}{FIRST_PAGE}", connection)
    following = visit(context, f"{base}{NEXT_PAGE}", connection)
    context.close()
    return first, following


def median_visit(visits: list[Visit]) -> Visit:
    return Visit(
        statistics.median(v.shown for v in visits),
        statistics.median(v.complete for v in visits),
        int(statistics.median(v.size for v in visits)),
        int(statistics.median(v.requests for v in visits)),
    )


def serve(root: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn serving ``root`` on a fresh demo database in ``workdir``; its base URL."""
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "SECRET_KEY": "bench",
        "MARKAZ_INSTANCE_PATH": str(workdir),
        "FLASK_APP": "app",
        "PYTHONPATH": str(root),
        "RATELIMIT_ENABLED": "false",
    }
    if not (root / "translations" / "ur" / "LC_MESSAGES" / "messages.mo").exists():
        subprocess.run([str(VENV_BIN / "pybabel"), "compile", "-d", "translations", "-l", "ur"], cwd=root, check=True)
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run([str(VENV_BIN / "flask"), "seed", "demo"], cwd=root, env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn("app:create_app()", port, 1, env, root)
    wait_until_up(f"{base}/")
    return server, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the median is shown")
    parser.add_argument("--connection", choices=list(CONNECTIONS), action="append", help="default: all")
    args = parser.parse_args()
    connections = args.connection or list(CONNECTIONS)

    workdir = Path(tempfile.mkdtemp(prefix="markaz-slow-network-"))
    server, base = serve(args.root.resolve(), workdir)
    results: dict[tuple[str, str], tuple[Visit, Visit]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            measure(browser, base, "en", CONNECTIONS["fast 3G"])  # warm the server up (templates, page cache)
            for name in connections:
                for language in ("en", "ur"):
                    runs = [measure(browser, base, language, CONNECTIONS[name]) for _ in range(args.runs)]
                    results[(name, language)] = (
                        median_visit([first for first, _ in runs]),
                        median_visit([following for _, following in runs]),
                    )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\n{args.root.resolve()}: {PHONE['width']}×{PHONE['height']} Chromium, {FIRST_PAGE} first, then {NEXT_PAGE};"
    )
    print(f"median of {args.runs} runs; shown = first contentful paint, complete = every file (font included)\n")
    print(
        "| connection | language | first visit: shown / complete | bytes (requests) | next page: shown / complete |",
        end="",
    )
    print(" bytes |")
    print("|---|---|---|---|---|---|")
    for (name, language), (first, following) in results.items():
        print(
            f"| {name} | {language} | {first.shown / 1000:.2f} s / {first.complete / 1000:.2f} s | "
            f"{first.size / 1024:.0f} KB ({first.requests}) | "
            f"{following.shown / 1000:.2f} s / {following.complete / 1000:.2f} s | {following.size / 1024:.0f} KB |"
        )


if __name__ == "__main__":
    main()
