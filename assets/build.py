"""``make assets``: the front-end files the app serves, built from the vendored ones and committed, so that
running and testing the app never needs Node (only this build does, for PurgeCSS: assets/package.json).

1. ``static/dist/bootstrap.css`` and ``bootstrap.rtl.css``: Bootstrap's CSS (static/vendor/bootstrap) with
   only the rules whose classes appear in the templates, the site's scripts and its Python code
   (``content_files``), plus ``SAFELIST``: classes Bootstrap's JavaScript adds and classes templates build
   from parts. tests/test_css_classes.py fails when a template uses a Bootstrap class the built CSS lacks.
2. ``static/dist/fonts/noto-nastaliq-urdu.woff2``: Noto Nastaliq Urdu (static/vendor/fonts) cut down with
   fontTools' subsetter to the Urdu alphabet, Urdu digits and punctuation, and every Arabic-script character of
   the Urdu catalogue and the place names (``urdu_characters``); its ``@font-face`` (``font-display:
   swap``, ``unicode-range`` of exactly those characters) ends the right-to-left CSS, the one Urdu pages load.
3. ``static/dist/compressed/<content hash>.br`` and ``.gz``: every compressible static file compressed at the
   highest settings, for ``static_files.serve_static``.

Run it after changing a template's classes, the Urdu catalogue or anything under static/, and commit static/dist.

    make assets          # (npm ci in assets/, then this script)
"""

import json
import re
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from static_files import COMPRESSED_DIR, ENCODINGS, compress_for_transfer, content_hash, hashed_name, is_compressible  # noqa: E402

STATIC = ROOT / "static"
DIST = STATIC / "dist"
BOOTSTRAP = STATIC / "vendor" / "bootstrap"
FONT_SOURCE = STATIC / "vendor" / "fonts" / "noto-nastaliq-urdu" / "noto-nastaliq-urdu-arabic-400-normal.woff2"
FONT = DIST / "fonts" / "noto-nastaliq-urdu.woff2"
# Folders whose Python code cannot put a class on a page.
NOT_PAGE_CODE = {".venv", "tests", "migrations", "bench", "assets", "seed", "build", "node_modules", ".ci"}

# Classes no template names in full: added by Bootstrap's JavaScript (collapse, dropdown, transitions), or
# built by a template from parts (base.html: ``alert-{{ category }}`` for flashed messages).
SAFELIST = [
    "show",
    "showing",
    "hiding",
    "collapsing",
    "collapsed",
    "fade",
    "active",
    "disabled",
    "dropdown-menu-end",
    "dropdown-menu-start",
    "/^alert-(danger|info|success|warning)$/",
]

# The Urdu alphabet (with the Arabic letters Urdu writes in loanwords), the diacritics Urdu text uses, Urdu
# digits, Urdu punctuation and the joiners: a trainee's name or a typed address can hold any of them, even
# when the catalogue does not.
URDU_ALPHABET = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيٹپچڈڑژکگںھہۂۃیےۓ"
URDU_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0654\u0655\u0656\u0657\u0658\u0670"
URDU_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"
URDU_PUNCTUATION = "،؛؟۔٪٫٬"
JOINERS = "\u200c\u200d\u200e\u200f"


def content_files() -> list[Path]:
    """The files whose words decide which of Bootstrap's rules stay: templates, the site's own scripts, and
    the Python code that could put a class on a page."""
    templates = sorted((ROOT / "templates").rglob("*.html"))
    scripts = sorted((STATIC / "js").rglob("*.js"))
    code = sorted(
        path for path in ROOT.rglob("*.py") if not NOT_PAGE_CODE.intersection(path.relative_to(ROOT).parts[:-1])
    )
    return [*templates, *scripts, *code]


def purge_bootstrap() -> dict[str, str]:
    """Bootstrap's LTR and RTL CSS, purged (assets/purge.mjs): {"bootstrap.css": css, "bootstrap.rtl.css": css}."""
    build = ROOT / "build" / "assets"
    build.mkdir(parents=True, exist_ok=True)
    jobs = {
        "bootstrap.css": BOOTSTRAP / "bootstrap.min.css",
        "bootstrap.rtl.css": BOOTSTRAP / "bootstrap.rtl.min.css",
    }
    request = {
        "content": [str(path) for path in content_files()],
        "safelist": SAFELIST,
        "jobs": [{"css": str(source), "out": str(build / name)} for name, source in jobs.items()],
    }
    subprocess.run(
        ["node", str(ROOT / "assets" / "purge.mjs")], input=json.dumps(request), text=True, check=True, cwd=ROOT
    )
    return {name: (build / name).read_text(encoding="utf-8") for name in jobs}


def urdu_characters() -> set[str]:
    """Every Arabic-script character the site can show: the alphabet and the rest above, the Urdu
    catalogue's, and those of the Urdu place names in the seed data."""
    wanted = set(URDU_ALPHABET + URDU_MARKS + URDU_DIGITS + URDU_PUNCTUATION + JOINERS)
    sources = [ROOT / "translations" / "ur" / "LC_MESSAGES" / "messages.po", *sorted((ROOT / "seed").rglob("*.json"))]
    for source in sources:
        wanted.update(char for char in source.read_text(encoding="utf-8") if is_arabic_script(char))
    return wanted


def is_arabic_script(char: str) -> bool:
    code = ord(char)
    return 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


def subset_font() -> tuple[bytes, list[int]]:
    """The Nastaliq font cut to ``urdu_characters`` (every layout feature kept: Nastaliq's joining and
    stacking live there), as woff2; and the code points it covers."""
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.hinting = False  # browsers on phones ignore TrueType hinting for this font's sizes
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright, names and version: what the OFL asks to keep
    font = TTFont(FONT_SOURCE, recalcTimestamp=False)  # no build time inside: the same input, the same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(char) for char in urdu_characters()))
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue(), sorted(font.getBestCmap())


def unicode_range(code_points: list[int]) -> str:
    """``U+0600-0605, U+060C, …``: consecutive code points as ranges."""
    ranges: list[list[int]] = []
    for point in code_points:
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    return ", ".join(f"U+{low:04X}" if low == high else f"U+{low:04X}-{high:04X}" for low, high in ranges)


def font_face(font: bytes, code_points: list[int]) -> str:
    """The ``@font-face`` of the subset font, its URL relative to static/dist/ and content-hashed like every
    static URL the app writes (static_files), so the font too is kept for a year."""
    url = hashed_name(FONT.relative_to(DIST).as_posix(), content_hash(font))
    return (
        "\n/* Noto Nastaliq Urdu (SIL OFL 1.1, static/vendor/fonts), subset by make assets. Text shows at once in a\n"
        "   fallback font and reflows when this one arrives (swap). Only Arabic-script text asks for it. */\n"
        '@font-face{font-family:"Noto Nastaliq Urdu";font-style:normal;font-weight:400;font-display:swap;'
        f'src:url("{url}") format("woff2");unicode-range:{unicode_range(code_points)}}}\n'
    )


HEADER = (
    "/* Built by `make assets` (assets/build.py) from static/vendor/bootstrap/{source}: only the rules whose\n"
    "   classes the templates use. Do not edit: change the templates and run `make assets`. */\n"
)


def write_css(purged: dict[str, str], face: str) -> None:
    sources = {"bootstrap.css": "bootstrap.min.css", "bootstrap.rtl.css": "bootstrap.rtl.min.css"}
    for name, css in purged.items():
        text = HEADER.format(source=sources[name]) + css.strip() + "\n"
        if name == "bootstrap.rtl.css":
            text += face
        (DIST / name).write_text(text, encoding="utf-8")


def precompress() -> int:
    """Writes ``static/dist/compressed/<hash>.br`` and ``.gz`` for every compressible static file the app
    may serve (not the full Bootstrap CSS, which only this build reads), removing copies of old contents."""
    folder = STATIC / COMPRESSED_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0
    for path in sorted(STATIC.rglob("*")):
        relative = path.relative_to(STATIC).as_posix()
        if not path.is_file() or relative.startswith(COMPRESSED_DIR) or not is_compressible(relative):
            continue
        if re.fullmatch(r"vendor/bootstrap/bootstrap(\.rtl)?\.min\.css", relative):
            continue
        data = path.read_bytes()
        digest = content_hash(data)
        for encoding, suffix in ENCODINGS.items():
            (folder / (digest + suffix)).write_bytes(compress_for_transfer(data, encoding, best=True))
        count += 1
    return count


def main() -> None:
    DIST.mkdir(exist_ok=True)
    FONT.parent.mkdir(exist_ok=True)
    purged = purge_bootstrap()
    font, code_points = subset_font()
    FONT.write_bytes(font)
    write_css(purged, font_face(font, code_points))
    compressed = precompress()
    for path in [DIST / "bootstrap.css", DIST / "bootstrap.rtl.css", FONT]:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.1f} KB")
    print(f"static/{COMPRESSED_DIR}: {compressed} files, brotli and gzip")


if __name__ == "__main__":
    main()
