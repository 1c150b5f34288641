"""The API in a real browser: the docs page renders the generated description with the vendored Swagger
UI, offline (every request to another host is blocked and would fail the test) and under the site's
Content-Security-Policy (a violation is logged to the console, and would fail it too); and a user makes an
API token on her tokens page, sees it once, and revokes it after confirming."""

import re
from urllib.parse import urlsplit

from harness import password_hash
from playwright.sync_api import ConsoleMessage, Page, Route, expect

from vocabulary import Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)


def keep_offline(page: Page, base_url: str) -> list[str]:
    """Abort every request that is not to the live server; returns the list of those attempted."""
    elsewhere: list[str] = []
    local = urlsplit(base_url).netloc

    def handle(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == local or url.startswith("data:"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", handle)
    return elsewhere


def console_errors(page: Page) -> list[str]:
    """Console errors and warnings as they arrive (CSP violations are reported there)."""
    messages: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            messages.append(f"{message.type}: {message.text}")

    page.on("console", note)
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def test_the_docs_page_renders_every_operation_offline_under_the_csp(page: Page, base_url: str):
    elsewhere = keep_offline(page, base_url)
    problems = console_errors(page)

    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Markaz API v1", level=1, exact=True)).to_be_visible()

    docs = page.locator("#api-docs")
    expect(docs.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/tokens$"))).to_be_visible()
    expect(docs.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/me$"))).to_be_visible()
    expect(docs.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/tokens/current$"))).to_be_visible()
    expect(docs.get_by_text("Get a token: email or mobile number", exact=False)).to_be_visible()

    # Swagger UI is live, not a static dump: an operation opens and shows its documented answers.
    docs.locator(".opblock-delete .opblock-summary").click()
    opened = docs.locator(".opblock-delete.is-open")
    expect(opened.get_by_text("Revoked: this token authenticates nobody from now on.")).to_be_visible()

    assert elsewhere == [], f"the docs page reached outside the site: {elsewhere}"
    assert [p for p in problems if "Content Security Policy" in p or "Refused to" in p] == []
    assert problems == [], problems


def test_a_user_makes_a_token_sees_it_once_and_revokes_it(page: Page, base_url: str, make_user):
    keep_offline(page, base_url)
    make_user(Role.STAFF, email="bilal@markaz.test", full_name="Bilal Ahmed", password_hash=PASSWORD_HASH)
    page.goto("/auth/login")
    page.get_by_label("Email").fill("bilal@markaz.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("button", name="Bilal Ahmed").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("You have no API tokens")).to_be_visible()

    page.get_by_label("Name").fill("Punjab IT Board dashboard")
    page.get_by_role("button", name="Make a token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert re.fullmatch(r"mkz_[A-Za-z0-9_-]{43}", secret)
    row = page.get_by_role("row", name=re.compile("Punjab IT Board dashboard"))
    expect(row.get_by_text("Active")).to_be_visible()
    expect(row.get_by_text(secret[:8] + "…")).to_be_visible()

    page.goto("/auth/tokens")
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    assert secret not in page.content()

    page.get_by_role("row", name=re.compile("Punjab IT Board dashboard")).get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke this token?", level=1)).to_be_visible()
    page.get_by_role("button", name="Revoke the token").click()
    expect(page).to_have_url(re.compile(r"/auth/tokens$"))
    expect(page.get_by_role("alert")).to_contain_text("is revoked: nothing can use it any more.")
    row = page.get_by_role("row", name=re.compile("Punjab IT Board dashboard"))
    expect(row.get_by_text("Revoked")).to_be_visible()
    expect(row.get_by_role("link", name="Revoke")).to_have_count(0)

    answer = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 401
