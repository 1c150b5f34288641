"""Reading pages as a test reads them, in one place: a page's text, its flashes, the error next to a field,
a form's CSRF token, a row of a table, a CSV download, the audit trail a request left; signing in without
the form (for the test client and for the browser). The JSON API's half is ``api_helpers``.

    page = text(client.get("/auth/login"))          # fails unless 200 (or the status given)
    assert error_next_to(page, "email") == "Enter an email address."
    assert "Saved." in flashed(text(client.get(redirected_to(response))))
"""

import csv
import html
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import g, session
from flask_wtf.csrf import generate_csrf

from audit.models import AuditEvent
from auth.models import UserAccount
from auth.sessions import cookie_values, open_session
from database import utcnow
from extensions import db
from language import LANGUAGE_COOKIE
from notifications.models import OutboxMessage

ALERT = re.compile(r'<div class="alert alert-\w+" role="alert">(.*?)</div>', re.S)
ALERT_WITH_KIND = re.compile(r'<div class="alert alert-(\w+)" role="alert">(.*?)</div>', re.S)
DANGER_ALERT = re.compile(r'<div class="alert alert-danger" role="alert">(.*?)</div>', re.S)
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')

# Answers ---------------------------------------------------------------------------------------------------


def text(response, status: int = 200) -> str:
    """The body of ``response``, which must have ``status``."""
    assert response.status_code == status, (response.status_code, response.headers.get("Location"))
    return response.get_data(as_text=True)


def decoded(response, status: int = 200) -> str:
    """``text`` with HTML entities decoded (``'`` for ``&#39;``)."""
    return html.unescape(text(response, status))


def page_text(response) -> str:
    """The body with every run of white space made one space: a sentence the template wraps reads as one."""
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def shown(page: str) -> str:
    """The page's text as read (tags dropped, entities decoded, whitespace collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def redirected_to(response) -> str:
    """The path ``response`` redirects to (it must be a redirect)."""
    assert response.status_code in (302, 303), response.status_code
    return urlsplit(response.headers["Location"]).path


# Messages on a page ------------------------------------------------------------------------------------------


def alerts(page: str) -> list[tuple[str, str]]:
    """The flashed messages on ``page``: (kind, text)."""
    return [(kind, html.unescape(" ".join(text.split()))) for kind, text in ALERT_WITH_KIND.findall(page)]


def flashed(page: str) -> str:
    """Every flashed message (alert) of ``page``, joined, entities decoded."""
    return html.unescape(" ".join(ALERT.findall(page)))


def error_next_to(page: str, field: str) -> str:
    """The error shown next to ``field`` (tied to it with aria-describedby), or fail."""
    match = re.search(rf'<div id="{field}-error" class="invalid-feedback d-block">(.*?)</div>', page, re.S)
    assert match, f"no error shown next to {field}"
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', page), f"{field} is not tied to its error"
    return html.unescape(match.group(1))


def error_at_top(page: str) -> str:
    """The error shown at the top of a form (a danger alert), or fail."""
    match = DANGER_ALERT.search(page)
    assert match, "no error shown at the top of the form"
    return html.unescape(match.group(1))


def alert_text(response) -> str:
    """The danger alert of ``response``'s page, stripped ("" when there is none)."""
    match = DANGER_ALERT.search(response.get_data(as_text=True))
    return match.group(1).strip() if match else ""


def row_for(page: str, needle: str) -> str:
    """The table row of ``page`` (entities decoded) that mentions ``needle``, or fail."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(needle)}(?:(?!</tr>).)*</tr>", html.unescape(page), re.S)
    assert match, f"no row mentions {needle!r}"
    return match.group(0)


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download."""
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff"), "a CSV starts with a byte-order mark, so that Excel reads UTF-8"
    rows = list(csv.reader(io.StringIO(body[1:])))
    # The table ends at its first blank row: what follows (an audit table's definitions) is notes.
    return rows[: rows.index([])] if [] in rows else rows


def csv_notes(response) -> dict[str, str]:
    """The notes under a CSV download's table (after its first blank row): first cell → second."""
    body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body[1:])))
    return {row[0]: row[1] for row in rows[rows.index([]) + 1 :]} if [] in rows else {}


# Forms -------------------------------------------------------------------------------------------------------


def csrf_token_of(client, path: str, **request) -> str:
    """GET ``path`` (``request``: more arguments of ``client.get``; it must answer 200) and return the CSRF
    token of its form, as a browser would submit it."""
    page = text(client.get(path, **request))
    found = CSRF_INPUT.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def signed_csrf_token(client) -> str:
    """A CSRF token for ``client``'s session, signed by Flask-WTF itself, without fetching a page. Call it
    after ``act_as``, which clears the session (and the token's secret with it)."""
    with client.application.test_request_context():
        g.pop("csrf_token", None)  # Flask-WTF caches the token of the current request context in g
        token = generate_csrf()
        secret = session["csrf_token"]
    g.pop("csrf_token", None)
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = secret
    return token


def post_form(client, path: str, data: dict | None = None, *, form_path: str | None = None):
    """POST ``data`` to ``path`` with the CSRF token of the page at ``form_path`` (default ``path``), as a
    person submitting that page's form does."""
    return client.post(path, data=(data or {}) | {"csrf_token": csrf_token_of(client, form_path or path)})


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST ``data`` to ``path`` as a page's form would: with a valid CSRF token."""
    return client.post(path, data={"csrf_token": signed_csrf_token(client), **(data or {})}, **kwargs)


# Who is signed in --------------------------------------------------------------------------------------------


def session_values(user: UserAccount) -> dict:
    """What the session cookie of a new session of ``user`` holds, as ``auth.sessions`` makes it at sign-in;
    its server-side record is committed, so that requests (their own database sessions) can see it."""
    key = open_session(user, user_agent="test", address="127.0.0.1")
    db.session.commit()
    return cookie_values(user, key, utcnow())


def act_as(client, user: UserAccount | None):
    """Make ``client`` signed in as ``user`` (None: anonymous) with a session of its own, as signing in
    makes one. The test's app context outlives each request, so Flask-Login's cached user is dropped too."""
    with client.session_transaction() as client_session:
        client_session.clear()
        if user is not None:
            client_session.update(session_values(user))
    g.pop("_login_user", None)
    return client


def sign_in_browser(context, app, base_url: str, user: UserAccount) -> None:
    """In the browser (a Playwright ``BrowserContext``): the session cookie signing in leaves, as ``act_as``
    does for the test client. The sign-in form itself is tested in ``test_account_journeys``."""
    value = app.session_interface.get_signing_serializer(app).dumps(session_values(user))
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base_url + "/"}])


def sign_in_post(client, email: str, password: str):
    """Submit the sign-in form (with its CSRF token) as ``email``."""
    token = csrf_token_of(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


def is_signed_in(client) -> bool:
    """Whether ``client``'s session cookie is a signed-in one (/auth/password is for anyone signed in)."""
    status = client.get("/auth/password").status_code
    assert status in (200, 302), status
    return status == 200


def sign_in_with_the_form(page, email: str, password: str) -> None:
    """In the browser (a Playwright ``Page``): sign in as a person does, on the sign-in page's form."""
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def choose_language(context, base_url: str, language: str) -> None:
    """In the browser: what the language switch leaves behind, the ``markaz_lang`` cookie."""
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": base_url + "/"}])


# What a request left in the database -------------------------------------------------------------------------


def audit_events(action: str | None = None) -> list[AuditEvent]:
    """The audit trail in the order written, of ``action`` only if given."""
    statement = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def code_sent_to(phone: str) -> str:
    """The 6-digit code in the last SMS with a code (``code.confirm``, ``code.reset``) queued for ``phone``
    (E.164), as she reads it on her phone."""
    db.session.commit()  # end this session's read transaction, if any: see what the server has committed since
    body = db.session.scalar(
        sa.select(OutboxMessage.body)
        .where(OutboxMessage.recipient == phone, OutboxMessage.kind.like("code.%"))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    assert body is not None, f"no code was sent to {phone}"
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", body).group(0)


def audit_actions() -> list[str]:
    """The actions of the audit trail, in the order written."""
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def export_events() -> list[AuditEvent]:
    """The audit events of downloads (``export.*``), in the order written."""
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("export.%")).order_by(AuditEvent.id))
    )


def every_stored_value() -> str:
    """Every value of every row of every table, as text: to prove a secret is nowhere in the database."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            values.extend(str(value) for value in row)
    return "\n".join(values)


# Tables ------------------------------------------------------------------------------------------------------


class TableReader(HTMLParser):
    """Every ``<table id=...>`` of a page: its rows (``data-key``), each row's header text and cells by
    ``data-figure``, with text as a reader gets it (entities decoded, whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.table: list[dict] | None = None
        self.row: dict | None = None
        self.cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self.table = self.tables.setdefault(found["id"], [])
        elif tag == "tr" and self.table is not None:
            self.row = {"key": found.get("data-key"), "cells": [], "figures": {}, "links": []}
        elif tag in ("th", "td") and self.row is not None:
            self.cell = {"figure": found.get("data-figure"), "value": found.get("data-value"), "text": []}
        elif tag == "a" and self.row is not None:
            self.row["links"].append(found.get("href"))

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell["text"].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None:
            text = " ".join(" ".join(self.cell["text"]).split())
            self.row["cells"].append({"text": text, "value": self.cell["value"]})
            if self.cell["figure"]:
                self.row["figures"][self.cell["figure"]] = text
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.table.append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None


def tables_of(page: str) -> dict[str, list[dict]]:
    reader = TableReader()
    reader.feed(page)
    return reader.tables
