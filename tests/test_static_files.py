"""Static files named by their content and kept a year; answers compressed for slow connections
(``static_files``). Static files touch no database: these run on SQLite only."""

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import url_for
from pages import act_as

from static_files import COMPRESSED_DIR, ONE_YEAR, StaticFiles, content_hash, hashed_name
from vocabulary import Role

pytestmark = pytest.mark.backends("sqlite")

STATIC = Path(__file__).resolve().parents[1] / "static"
HASHED = re.compile(r"^/static/css/markaz\.([0-9a-f]{12})\.css$")


def decoded(response) -> bytes:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    assert encoding is None, encoding
    return data


def kept_for_a_year(response) -> bool:
    control = response.cache_control
    return control.public and control.max_age == ONE_YEAR and control.immutable and not control.no_cache


def test_static_urls_carry_the_hash_of_the_content(app):
    with app.test_request_context():
        url = url_for("static", filename="css/markaz.css")
    match = HASHED.match(url)
    assert match, url
    assert match.group(1) == content_hash((STATIC / "css" / "markaz.css").read_bytes())


def test_a_url_for_a_missing_file_is_left_as_asked(app):
    with app.test_request_context():
        assert url_for("static", filename="css/no-such.css") == "/static/css/no-such.css"


def test_the_hashed_url_is_kept_for_a_year(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/markaz.css")
    response = client.get(url, buffered=True)
    assert response.status_code == 200
    assert kept_for_a_year(response), response.headers["Cache-Control"]
    assert response.mimetype == "text/css"
    assert decoded(response) == (STATIC / "css" / "markaz.css").read_bytes()


def test_the_plain_url_and_an_old_hash_are_revalidated_not_kept(client):
    for url in ("/static/css/markaz.css", "/static/css/markaz.000000000000.css"):
        response = client.get(url, buffered=True)
        assert response.status_code == 200, url
        assert decoded(response) == (STATIC / "css" / "markaz.css").read_bytes()
        assert response.cache_control.no_cache and not response.cache_control.immutable, url
        assert response.headers.get("ETag"), url


@pytest.mark.parametrize(
    "url",
    [
        "/static/css/nothing.css",
        "/static/css/nothing.0123456789ab.css",
        "/static/css/markaz.0123456789abc.css",  # not a hash: 13 digits
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/css/..%2f..%2fapp.0123456789ab.py",
    ],
)
def test_no_file_outside_the_static_folder_and_no_made_up_name(client, url):
    assert client.get(url, buffered=True).status_code == 404


@pytest.mark.parametrize(
    ("accepted", "encoding"), [("br, gzip", "br"), ("gzip, deflate", "gzip"), ("gzip;q=0, br", "br")]
)
def test_static_text_is_sent_compressed_as_the_browser_accepts(app, client, accepted, encoding):
    with app.test_request_context():
        url = url_for("static", filename="dist/bootstrap.css")
    response = client.get(url, headers={"Accept-Encoding": accepted}, buffered=True)
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert kept_for_a_year(response)
    assert response.mimetype == "text/css"
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    assert decoded(response) == (STATIC / "dist" / "bootstrap.css").read_bytes()


def test_the_copy_make_assets_compressed_is_what_is_sent(app, client):
    original = (STATIC / "dist" / "bootstrap.css").read_bytes()
    copy = STATIC / COMPRESSED_DIR / f"{content_hash(original)}.br"
    assert copy.is_file(), "no compressed copy of static/dist/bootstrap.css: run `make assets`"
    with app.test_request_context():
        url = url_for("static", filename="dist/bootstrap.css")
    response = client.get(url, headers={"Accept-Encoding": "br"}, buffered=True)
    assert response.get_data() == copy.read_bytes()
    assert len(response.get_data()) < len(original) / 4


def test_a_compressed_answer_is_revalidated_by_its_etag(client):
    first = client.get("/static/css/markaz.css", headers={"Accept-Encoding": "gzip"}, buffered=True)
    etag = first.headers["ETag"]
    again = client.get(
        "/static/css/markaz.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}, buffered=True
    )
    assert again.status_code == 304
    other = client.get(
        "/static/css/markaz.css", headers={"Accept-Encoding": "br", "If-None-Match": etag}, buffered=True
    )
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "br"


def test_without_accept_encoding_nothing_is_compressed(client):
    response = client.get("/static/css/markaz.css", buffered=True)
    assert "Content-Encoding" not in response.headers


def test_the_font_is_hashed_kept_and_not_compressed_twice(client):
    css = decoded(client.get("/static/dist/bootstrap.rtl.css", buffered=True))
    font_url = re.search(rb'url\("(fonts/[^"]+)"\)', css).group(1).decode()
    response = client.get(f"/static/dist/{font_url}", headers={"Accept-Encoding": "br, gzip"}, buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "font/woff2"
    assert "Content-Encoding" not in response.headers  # woff2 is brotli inside
    assert kept_for_a_year(response)


def test_a_file_without_a_compressed_copy_is_compressed_once_and_kept(tmp_path):
    """A file edited (or added) since the last ``make assets`` has no copy under its new hash: it is
    compressed on the first request and the same bytes are sent after."""
    (tmp_path / "site.css").write_text("body { color: #0b6e4f; }\n" * 200)
    files = StaticFiles(str(tmp_path))
    digest = files.hash_of("site.css")
    copy, data = files.compressed("site.css", digest, "br")
    assert copy is None and brotli.decompress(data) == (tmp_path / "site.css").read_bytes()
    assert files.compressed("site.css", digest, "br")[1] is data
    (tmp_path / "site.css").write_text("body { color: #07513a; }\n" * 200)
    assert files.hash_of("site.css") != digest
    assert files.compressed("site.css", digest, "gzip") == (None, None)  # never kept under the old hash


def test_a_file_without_a_suffix_is_hashed_and_found_too(app, client):
    with app.test_request_context():
        url = url_for("static", filename="vendor/bootstrap/LICENSE")
    assert re.fullmatch(r"/static/vendor/bootstrap/LICENSE\.[0-9a-f]{12}", url), url
    response = client.get(url, buffered=True)
    assert response.status_code == 200 and kept_for_a_year(response)
    assert b"MIT License" in response.get_data() or b"Permission is hereby granted" in response.get_data()


def test_hashed_names_keep_the_suffix():
    assert hashed_name("css/markaz.css", "0123456789ab") == "css/markaz.0123456789ab.css"
    assert hashed_name("vendor/x/chart.umd.min.js", "0123456789ab") == "vendor/x/chart.umd.min.0123456789ab.js"
    assert hashed_name("LICENSE", "0123456789ab") == "LICENSE.0123456789ab"


# Pages and the API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("accepted", "encoding"), [("br, gzip", "br"), ("gzip", "gzip")])
def test_pages_are_compressed_and_still_never_stored(client, accepted, encoding):
    plain = client.get("/courses/", buffered=True)
    response = client.get("/courses/", headers={"Accept-Encoding": accepted}, buffered=True)
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.get_data()) < len(plain.get_data()) / 3
    assert decoded(response).startswith(b"<!doctype html>")
    assert "Content-Encoding" not in plain.headers


def test_api_answers_are_compressed(client):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "br"}, buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert decoded(response).startswith(b"{")


def test_pages_link_hashed_assets_and_urdu_pages_the_right_to_left_css(client):
    english = client.get("/", buffered=True).get_data(as_text=True)
    client.set_cookie("markaz_lang", "ur")
    urdu = client.get("/", buffered=True).get_data(as_text=True)
    assert re.search(r'<link rel="stylesheet" href="/static/dist/bootstrap\.[0-9a-f]{12}\.css">', english)
    assert re.search(r'<link rel="stylesheet" href="/static/dist/bootstrap\.rtl\.[0-9a-f]{12}\.css">', urdu)
    for page in (english, urdu):
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
        assert assets and all(re.search(r"\.[0-9a-f]{12}\.(css|js|woff2)$", asset) for asset in assets), assets
        # Nothing render-blocking a first page does not need: one script, deferred, and no chart or docs code.
        assert re.findall(r"<script[^>]*>", page) == [
            next(tag for tag in re.findall(r"<script[^>]*>", page) if "bootstrap.bundle" in tag)
        ]
        assert " defer>" in re.search(r"<script[^>]*>", page).group(0)
        assert "chart" not in page.lower() and "swagger" not in page.lower()


def test_a_page_where_the_csrf_token_meets_the_query_is_not_compressed(client, make_user):
    """BREACH: a compressed page holding the session's CSRF token and echoing the query would leak the
    token through the answers' sizes. A signed-in reader's pages hold a token (the sign-out form)."""
    act_as(client, make_user(Role.ADMIN))
    searched = client.get("/courses/?q=python", headers={"Accept-Encoding": "br, gzip"}, buffered=True)
    assert searched.status_code == 200
    assert 'name="csrf_token"' in searched.get_data(as_text=True)
    assert "Content-Encoding" not in searched.headers
    assert "Accept-Encoding" in searched.headers["Vary"]
    plain = client.get("/courses/", headers={"Accept-Encoding": "br, gzip"}, buffered=True)
    assert plain.headers["Content-Encoding"] == "br"  # no input to echo: compressed
    act_as(client, None)
    anonymous = client.get("/courses/?q=python", headers={"Accept-Encoding": "br, gzip"}, buffered=True)
    assert "csrf_token" not in decoded(anonymous).decode()
    assert anonymous.headers["Content-Encoding"] == "br"  # no secret on the page: compressed
