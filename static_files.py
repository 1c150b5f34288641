"""Static files that travel once, small: content-hashed URLs kept for a year, and compressed answers.

A trainee on slow mobile data pays for every byte and every round trip. So:

- ``url_for("static", filename="css/markaz.css")`` gives ``/static/css/markaz.<hash>.css``, where the hash
  is of the file's content (``content_hash``). That URL is answered with ``Cache-Control: public,
  max-age=31536000, immutable``: a returning reader's browser asks for nothing but the page. A changed
  file gets a new URL, so nobody keeps a stale one. A URL whose hash is not the file's current one (a page
  rendered before a deploy) still gets the file, revalidated like a plain URL, never kept for a year.
- Pages and JSON answers are compressed (brotli, else gzip) by Flask-Compress as they leave. Static files
  are served from the copies ``make assets`` compressed at the highest settings (``static/dist/compressed/
  <hash>.br`` and ``.gz``, named by the content they were made from, so a file edited since is never
  answered with an old copy); a file with no such copy is compressed once here and kept in memory.

Pages themselves stay ``no-store`` (security.py): they can show personal data.

Behind nginx (deploy/nginx.conf), ``flask static collect DIR`` writes every static file under its hashed
name with its ``.br`` and ``.gz`` copies beside it, so that nginx answers hashed URLs from disk
(``brotli_static``/``gzip_static``) without asking the app; anything not found there (a plain name, an old
hash) still goes to the app as above.
"""

import functools
import gzip
import hashlib
import mimetypes
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import brotli
import click
from flask import Flask, Response, current_app, g, request, send_from_directory
from flask.cli import AppGroup
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

from extensions import compress

HASH_LENGTH = 12
ONE_YEAR = 365 * 24 * 3600
# Where ``make assets`` keeps the compressed copies of the static files, named ``<content hash>.<encoding>``.
COMPRESSED_DIR = "dist/compressed"
# The encodings a compressed copy exists in, the browser's preferred first (brotli is 15-20% smaller).
ENCODINGS = {"br": ".br", "gzip": ".gz"}
# What is worth compressing; images and fonts (woff2 is brotli inside) are compressed already.
COMPRESSIBLE_TYPES = frozenset(
    {"text/html", "text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml"}
)
# A static file answered with its hash looks like ``name.<12 hex digits>.ext`` (``hashed_name``).
HASHED_NAME = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[A-Za-z0-9]+)?$")


def content_hash(data: bytes) -> str:
    """The hash that names a static file's content in its URL and its compressed copies."""
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(filename: str, digest: str) -> str:
    """``css/markaz.css`` with digest ``abc…`` → ``css/markaz.abc….css`` (the hash goes before the suffix, so
    the name keeps the type a browser and a proxy see)."""
    head, dot, suffix = filename.rpartition(".")
    if not dot or "/" in suffix:
        return f"{filename}.{digest}"
    return f"{head}.{digest}.{suffix}"


def compress_for_transfer(data: bytes, encoding: str, *, best: bool) -> bytes:
    """``data`` compressed in ``encoding`` ("br" or "gzip"); ``best`` takes the slowest, smallest settings
    (``make assets``), otherwise settings fast enough for a request."""
    if encoding == "br":
        return brotli.compress(data, quality=11 if best else 5)
    return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)


def is_compressible(filename: str) -> bool:
    return static_type(filename) in COMPRESSIBLE_TYPES


def static_type(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    if filename.endswith(".js"):
        return "text/javascript"
    return guessed or "application/octet-stream"


class StaticFiles:
    """Content hashes of the files under one static folder, recomputed when a file's size or modification
    time changes (so that editing a stylesheet while ``flask run`` serves needs no restart), and the
    compressed copies made on demand for files ``make assets`` has not compressed."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._hashes: dict[str, tuple[int, int, str]] = {}
        self._compressed: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def path_of(self, filename: str) -> str | None:
        path = safe_join(self.folder, filename)
        return path if path is not None and os.path.isfile(path) else None

    def hash_of(self, filename: str) -> str | None:
        """The content hash of ``filename`` (relative to the folder), or None if there is no such file."""
        path = self.path_of(filename)
        if path is None:
            return None
        stat = os.stat(path)
        known = self._hashes.get(filename)
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = content_hash(Path(path).read_bytes())
        self._hashes[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def compressed(self, filename: str, digest: str, encoding: str) -> tuple[str | None, bytes | None]:
        """``filename``'s content in ``encoding``: the path of the copy ``make assets`` made, or else the
        bytes compressed here (once per content and encoding: files change only with a deploy)."""
        copy = os.path.join(self.folder, COMPRESSED_DIR, digest + ENCODINGS[encoding])
        if os.path.isfile(copy):
            return copy, None
        key = (digest, encoding)
        with self._lock:
            data = self._compressed.get(key)
        if data is None:
            path = self.path_of(filename)
            raw = Path(path).read_bytes() if path else b""
            if content_hash(raw) != digest:  # changed between hashing and reading: do not keep it under this hash
                return None, None
            data = compress_for_transfer(raw, encoding, best=False)
            with self._lock:
                self._compressed[key] = data
        return None, data


def static_files() -> StaticFiles:
    return current_app.extensions["markaz_static_files"]


def accepted_encoding() -> str | None:
    """The encoding of a compressed copy the browser accepts, preferring brotli."""
    accepted = request.accept_encodings
    for encoding in ENCODINGS:
        if accepted[encoding] > 0:
            return encoding
    return None


def add_content_hash(endpoint: str, values: dict) -> None:
    """``url_defaults`` hook: every ``url_for("static", filename=...)`` names the file by its content."""
    if endpoint != "static" or "filename" not in values:
        return
    digest = static_files().hash_of(values["filename"])
    if digest is not None:
        values["filename"] = hashed_name(values["filename"], digest)


def serve_static(filename: str) -> Response:
    """Answers ``/static/<filename>``: a hashed name with the file's current hash is kept for a year; a
    plain name, or an old hash, is revalidated (``no-cache``, an ETag). Compressible files are sent as
    the compressed copy the browser accepts."""
    files = static_files()
    digest = files.hash_of(filename)
    requested_hash = None
    if digest is None:
        match = HASHED_NAME.match(filename)
        if match is None:
            raise NotFound()
        requested_hash = match["hash"]
        filename = match["stem"] + (match["suffix"] or "")
        digest = files.hash_of(filename)
        if digest is None:
            raise NotFound()
    keep_for_a_year = requested_hash == digest

    response = compressed_answer(files, filename, digest) if is_compressible(filename) else None
    if response is None:
        response = send_from_directory(files.folder, filename)
    if is_compressible(filename):
        response.vary.add("Accept-Encoding")
    if keep_for_a_year:
        response.cache_control.public = True
        response.cache_control.no_cache = None
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response


def compressed_answer(files: StaticFiles, filename: str, digest: str) -> Response | None:
    encoding = accepted_encoding()
    if encoding is None:
        return None
    copy, data = files.compressed(filename, digest, encoding)
    if copy is not None:
        response = send_from_directory(
            os.path.dirname(copy), os.path.basename(copy), mimetype=static_type(filename), etag=False, conditional=False
        )
    elif data is not None:
        response = Response(data, mimetype=static_type(filename))
        response.cache_control.no_cache = True
    else:
        return None
    response.set_etag(f"{digest}-{encoding}")
    response.headers["Content-Encoding"] = encoding
    return response.make_conditional(request)


def secret_next_to_reflected_input(response: Response) -> bool:
    """Whether ``response`` is a page holding this session's CSRF token that may also echo what the request
    sent (a query string, a form). Compressed, such a page would let someone who sees only the sizes of the
    answers guess the token a character at a time, by making the victim's browser send guesses (BREACH):
    the token part of Flask-WTF's tokens stays the same for a whole session. Such pages are sent
    uncompressed; the others (every page of a reader who is not signed in but the sign-in and sign-up
    forms, a signed-in reader's pages without a query) are compressed."""
    if response.mimetype != "text/html" or response.is_streamed:
        return False
    if not request.query_string and request.method in ("GET", "HEAD"):
        return False
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return bool(token) and token.encode() in response.get_data()


def compress_answer(response: Response) -> Response:
    """Flask-Compress's ``after_request``, but for pages where a secret meets reflected input."""
    if secret_next_to_reflected_input(response):
        response.vary.add("Accept-Encoding")
        return response
    return compress.after_request(response)


def collect(folder: str, destination: Path) -> tuple[int, int]:
    """Write every file under the static ``folder`` into ``destination/static/`` under its hashed name (the
    path its URL has), and for compressible files their brotli and gzip copies beside it (``name.br``,
    ``name.gz``: what nginx's ``brotli_static`` and ``gzip_static`` look for), taken from the copies ``make
    assets`` made, else compressed here at the highest settings.

    Nothing is ever removed: the files of earlier deploys stay, so a page rendered before a deploy still
    finds its assets, and since a name holds the hash of its content an existing file is never rewritten.
    Each file is written aside and renamed, so nginx never serves half of one. Returns (files written,
    files already there)."""
    source = Path(folder)
    written = kept = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if not path.is_file() or relative.startswith(COMPRESSED_DIR + "/"):
            continue
        data = path.read_bytes()
        digest = content_hash(data)
        target = destination / "static" / hashed_name(relative, digest)
        copies: dict[Path, Callable[[], bytes]] = {target: functools.partial(bytes, data)}
        if is_compressible(relative):
            for encoding, suffix in ENCODINGS.items():
                copies[target.with_name(target.name + suffix)] = functools.partial(
                    compressed_copy, source / COMPRESSED_DIR / (digest + suffix), data, encoding
                )
        for target_path, content in copies.items():
            if target_path.exists():
                kept += 1
                continue
            target_path.parent.mkdir(parents=True, exist_ok=True)
            partial = target_path.with_name(f".{target_path.name}.{os.getpid()}")
            partial.write_bytes(content())
            os.replace(partial, target_path)
            written += 1
    return written, kept


def compressed_copy(made: Path, data: bytes, encoding: str) -> bytes:
    """The copy ``make assets`` made, else ``data`` compressed now at the highest settings."""
    return made.read_bytes() if made.is_file() else compress_for_transfer(data, encoding, best=True)


static_cli = AppGroup("static", help="Static files for a web server in front of the app.")


@static_cli.command("collect")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def collect_command(destination: Path) -> None:
    """Write the static files under their hashed names, with .br and .gz copies, into DESTINATION/static/
    for nginx to serve (deploy/nginx.conf); files of earlier deploys are kept."""
    written, kept = collect(current_app.static_folder, destination)
    click.echo(f"{written} files written, {kept} already there, under {destination / 'static'}.")


def register(app: Flask) -> None:
    """Hashed static URLs, the static view above, and compression of every other answer (Flask-Compress:
    brotli or gzip, for the types in ``COMPRESSIBLE_TYPES``, but for ``secret_next_to_reflected_input``;
    streamed answers, the exports, stream as they are)."""
    app.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
    app.config.setdefault("COMPRESS_MIMETYPES", sorted(COMPRESSIBLE_TYPES))
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config["COMPRESS_REGISTER"] = False  # compress_answer decides first
    compress.init_app(app)
    app.after_request(compress_answer)
    app.extensions["markaz_static_files"] = StaticFiles(app.static_folder)
    app.url_defaults(add_content_hash)
    app.view_functions["static"] = serve_static
