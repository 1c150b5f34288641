"""The built front-end files (``make assets``, static/dist/) cover what the templates use.

Bootstrap's CSS is served purged to the classes the templates, scripts and code name (assets/build.py). A
template that starts using a Bootstrap class the built CSS lacks would look broken with nothing else failing:
these tests fail instead, and say to run ``make assets``. They read the files only: no app, no database, no
Node.
"""

import re
from functools import cache
from pathlib import Path

import pytest

from assets.build import DIST, FONT, SAFELIST, content_files, is_arabic_script
from static_files import content_hash, hashed_name

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor" / "bootstrap"
MARKAZ_CSS = ROOT / "static" / "css" / "markaz.css"
RUN_MAKE_ASSETS = "run `make assets` and commit static/dist"

WORD = re.compile(r"[A-Za-z0-9_-]+")  # what PurgeCSS's default extractor takes for a word
CLASS = re.compile(r"\.(-?[A-Za-z_][A-Za-z0-9_-]*)")
ELEMENT = re.compile(r"(?:^|[\s>+~])([a-zA-Z][a-zA-Z0-9]*)")


def selectors(css: str) -> list[str]:
    """Every selector of every rule in ``css`` (inside @media too), one per item of a selector list."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    for prelude in re.findall(r"([^{}]+)\{", css):
        prelude = prelude.strip()
        if prelude.startswith("@"):
            continue
        found.extend(split_selector_list(prelude))
    return found


def split_selector_list(prelude: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in prelude:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def requirements(selector: str) -> tuple[set[str], set[str]] | None:
    """The classes and element names a page must name for PurgeCSS to keep ``selector`` (what is inside a
    pseudo-class's brackets does not count, as in PurgeCSS); None for a selector with an attribute test,
    which this check leaves to PurgeCSS."""
    if "[" in selector:
        return None
    outside = re.sub(r"\([^()]*\)", "", re.sub(r"\([^()]*\)", "", selector))
    outside = re.sub(r"::?[a-zA-Z-]+", "", outside)
    return set(CLASS.findall(outside)), set(ELEMENT.findall(outside))


def words_of_the_pages() -> set[str]:
    words: set[str] = set()
    for path in content_files():
        words.update(WORD.findall(path.read_text(encoding="utf-8")))
    return words


@cache
def safelisted(name: str) -> bool:
    return any(
        re.fullmatch(entry[1:-1].strip("^$"), name) if entry.startswith("/") else entry == name for entry in SAFELIST
    )


@pytest.fixture(scope="module")
def words() -> set[str]:
    return words_of_the_pages()


@pytest.mark.parametrize(
    ("vendored", "built"), [("bootstrap.min.css", "bootstrap.css"), ("bootstrap.rtl.min.css", "bootstrap.rtl.css")]
)
def test_every_bootstrap_class_the_pages_use_is_in_the_built_css(words, vendored, built):
    built_classes = {
        name for selector in selectors((DIST / built).read_text(encoding="utf-8")) for name in CLASS.findall(selector)
    }
    missing: dict[str, str] = {}
    for selector in selectors((VENDOR / vendored).read_text(encoding="utf-8")):
        needs = requirements(selector)
        if needs is None:
            continue
        classes, elements = needs
        if classes and all(name in words or safelisted(name) for name in classes) and elements <= words:
            for name in classes - built_classes:
                missing.setdefault(name, selector)
    assert not missing, (
        f"static/dist/{built} lacks Bootstrap classes the templates (or static/js, or the code) use: "
        f"{', '.join(sorted(missing))} (e.g. {next(iter(missing.values()))}): {RUN_MAKE_ASSETS}"
    )


def test_class_names_built_from_parts_are_safelisted_or_the_sites_own():
    """``class="alert-{{ category }}"`` names no class PurgeCSS can see: each such prefix must be covered by
    the build's SAFELIST (assets/build.py) or be one of markaz.css's own (never purged)."""
    own = set(CLASS.findall(MARKAZ_CSS.read_text(encoding="utf-8")))
    unknown = set()
    for path in sorted((ROOT / "templates").rglob("*.html")):
        values = re.findall(r'class_?="([^"]*)"', path.read_text(encoding="utf-8"))
        for prefix in re.findall(r"(?<![\w-])([a-z][a-z0-9]*(?:-[a-z0-9]+)*-)\{\{", " ".join(values)):
            covered = any(entry.startswith(f"/^{prefix}") for entry in SAFELIST)
            if not covered and not any(name.startswith(prefix) for name in own):
                unknown.add(f"{prefix}… in {path.relative_to(ROOT)}")
    assert not unknown, (
        f"classes built from parts that the build cannot see: {sorted(unknown)}; add their full names to SAFELIST "
        f"in assets/build.py, then {RUN_MAKE_ASSETS}"
    )


def test_the_built_css_is_a_fraction_of_bootstrap():
    for vendored, built in [("bootstrap.min.css", "bootstrap.css"), ("bootstrap.rtl.min.css", "bootstrap.rtl.css")]:
        assert (DIST / built).stat().st_size < (VENDOR / vendored).stat().st_size / 3, built


def font_face_of_the_rtl_css() -> tuple[str, set[int]]:
    css = (DIST / "bootstrap.rtl.css").read_text(encoding="utf-8")
    face = re.search(r"@font-face\{[^}]*Noto Nastaliq Urdu[^}]*\}", css)
    assert face, f"static/dist/bootstrap.rtl.css declares no Urdu font: {RUN_MAKE_ASSETS}"
    assert "font-display:swap" in face.group(0)
    url = re.search(r'src:url\("([^"]+)"\) format\("woff2"\)', face.group(0)).group(1)
    covered: set[int] = set()
    for low, high in re.findall(r"U\+([0-9A-F]+)(?:-([0-9A-F]+))?", face.group(0)):
        covered.update(range(int(low, 16), int(high or low, 16) + 1))
    return url, covered


def test_the_urdu_font_url_in_the_css_names_the_built_font():
    url, _ = font_face_of_the_rtl_css()
    assert url == hashed_name(FONT.relative_to(DIST).as_posix(), content_hash(FONT.read_bytes())), (
        f"static/dist/bootstrap.rtl.css points at another version of the font: {RUN_MAKE_ASSETS}"
    )


def test_the_urdu_font_covers_every_character_of_the_catalogue():
    """A translation with a character the subset font lacks would show that letter in another font,
    breaking the word's joining."""
    _, covered = font_face_of_the_rtl_css()
    catalogue = (ROOT / "translations" / "ur" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    lacking = sorted({char for char in catalogue if is_arabic_script(char) and ord(char) not in covered})
    assert not lacking, f"the Urdu font subset lacks {' '.join(lacking)}: {RUN_MAKE_ASSETS}"
