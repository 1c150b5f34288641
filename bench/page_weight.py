"""Page weight of the trainee journey on a phone: bytes each page costs over the wire, in English and Urdu.

A phone-sized Chromium (360×740, Debian's /usr/bin/chromium through Playwright) opens the front page, the
catalogue, a cohort, the sign-up and sign-in pages and, signed in as a demo trainee, "My applications".
For each page it counts what crossed the network (Chrome's encodedDataLength: headers and bodies, as sent,
compressed as the app sends them since issue 20): "first visit" in a fresh browser, "next visit" once the
browser has cached what it may (static files are revalidated: 304s). Served by gunicorn on the demo data.

    .venv/bin/python bench/page_weight.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import ROOT, VENV_BIN, free_port, gunicorn, wait_until_up

PHONE = {"width": 360, "height": 740}
DEMO_TRAINEE = ("trainee1@markaz.test", "markaz-demo")


def weigh(context: BrowserContext, url: str) -> tuple[int, int, bool]:
    """Bytes over the wire and requests for one navigation to ``url``; and whether the page scrolls sideways."""
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    sizes: dict[str, float] = {}
    session.on("Network.loadingFinished", lambda event: sizes.update({event["requestId"]: event["encodedDataLength"]}))
    page.goto(url, wait_until="load")
    page.evaluate("() => document.fonts.ready")
    page.wait_for_load_state("networkidle")
    sideways = page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")
    page.close()
    return int(sum(sizes.values())), len(sizes), sideways


def journey_urls(context: BrowserContext, base: str) -> list[tuple[str, str]]:
    page = context.new_page()
    page.goto(f"{base}/courses/")
    cohort = page.locator("main a[href^='/courses/'][href*='/cohorts/']").first.get_attribute("href")
    page.close()
    return [
        ("front page", f"{base}/"),
        ("catalogue", f"{base}/courses/"),
        ("a cohort", f"{base}{cohort}"),
        ("sign up", f"{base}/auth/signup"),
        ("sign in", f"{base}/auth/login"),
    ]


def sign_in(context: BrowserContext, base: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/auth/login")
    page.locator("input[name=email]").fill(DEMO_TRAINEE[0])
    page.locator("input[name=password]").fill(DEMO_TRAINEE[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    page.close()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="markaz-weight-"))
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "SECRET_KEY": "bench",
        "MARKAZ_INSTANCE_PATH": str(workdir),
        "FLASK_APP": "app",
        "PYTHONPATH": str(ROOT),
        "RATELIMIT_ENABLED": "false",
    }
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([str(VENV_BIN / "flask"), "seed", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn("app:create_app()", port, 1, env, ROOT)
    rows = []
    try:
        wait_until_up(f"{base}/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for language in ("en", "ur"):
                context = browser.new_context(viewport=PHONE, locale="ur-PK" if language == "ur" else "en-GB")
                context.add_cookies([{"name": "markaz_lang", "value": language, "url": f"{base}/"}])
                urls = journey_urls(context, base)
                context.close()
                for name, url in [*urls, ("my applications", f"{base}/auth/profile")]:
                    fresh = browser.new_context(viewport=PHONE)
                    fresh.add_cookies([{"name": "markaz_lang", "value": language, "url": f"{base}/"}])
                    if name == "my applications":  # its first visit follows signing in (static files cached)
                        sign_in(fresh, base)
                    cold = weigh(fresh, url)
                    warm = weigh(fresh, url)
                    fresh.close()
                    rows.append((language, name, cold, warm))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nviewport {PHONE['width']}×{PHONE['height']}; bytes over the wire, requests in brackets")
    print(f"{'lang':<6}{'page':<18}{'first visit':>20}{'next visit':>18}  sideways scroll")
    for language, name, cold, warm in rows:
        print(
            f"{language:<6}{name:<18}{cold[0] / 1024:>12.0f} KB ({cold[1]:>2}){warm[0] / 1024:>10.0f} KB ({warm[1]:>2})"
            f"  {'YES' if cold[2] or warm[2] else 'no'}"
        )


if __name__ == "__main__":
    main()
