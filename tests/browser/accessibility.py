"""axe-core (vendored from npm: ``tests/browser/vendor``) run inside a page by Playwright.

``assert_accessible(page)`` fails with a readable list when axe finds a serious or critical violation
of WCAG 2.0/2.1 A and AA on the page as it stands (run it after the page has settled: fonts, charts).
"""

from pathlib import Path

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict]:
    """axe's violations of WCAG 2.1 A/AA on ``page``, every impact."""

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    page.evaluate("() => document.fonts.ready")
    results = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    return results["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(f"    {' '.join(node['target'])}: {node['failureSummary']}" for node in violation["nodes"][:5])
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No serious or critical axe violation on ``page`` (the page's URL is named in the failure)."""
    blocking = [violation for violation in axe_violations(page) if violation["impact"] in BLOCKING]
    assert not blocking, f"axe on {page.url}:\n{describe(blocking)}"
