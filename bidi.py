"""Mixed-direction text on Urdu pages: codes, CNICs, phone numbers, figures and English words kept whole
and in their own order inside right-to-left sentences.

The Unicode bidirectional algorithm orders a run of neutral characters (dashes, spaces, brackets, a full
stop) by what surrounds it, so on an Urdu page a cohort code ``PB-JHG-01-C05`` after an English course title
came out as ``PB-JHG-) Video Editing… (01-C05``, and ``0300 1234567`` as ``1234567 0300``. Each such run is
put in an isolate (``<bdi>``, UAX #9 "first strong isolate", or ``<bdi dir="ltr">``), which the algorithm
lays out as one unit.

Template filters (registered in ``templating.py``):

- ``|ltr``: a value that always reads left to right (a code, CNIC, phone number, number, email address),
  isolated and kept on one line;
- ``|bdi``: a value in whatever script it was written in (a name, a venue), isolated;
- ``|isolated``: a finished sentence (a flash message, a form error, a translated hint with an example in
  it) with every run of Latin letters and digits in it isolated, on right-to-left pages only;
- ``|listed``: items joined with the reader's comma (the Urdu comma ``،`` in Urdu), each isolated.
"""

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from language import current_language

# Where the reader's language writes right to left.
RIGHT_TO_LEFT = frozenset({"ur"})
# The comma between the items of a list, by language (Urdu has its own: U+060C).
LIST_SEPARATORS = {"ur": "، "}
DEFAULT_LIST_SEPARATOR = ", "

# A run that reads left to right inside right-to-left text: it starts with a Latin letter, a digit or a
# plus sign (+92 300 …) and goes on over Latin letters, digits and the neutral characters that join them
# in codes, numbers, titles and addresses, ending on a letter, a digit or a closing bracket.
LEFT_TO_RIGHT_RUN = re.compile(
    r"[A-Za-z0-9+][A-Za-z0-9\u00C0-\u024F +\-–—_.,:;/@&'’()#%]*[A-Za-z0-9\u00C0-\u024F)%]|[A-Za-z0-9]"
)
# A run that is one code or number (no word spaces, or digits in groups): never broken across lines.
UNBREAKABLE = re.compile(r"[+\d(](?:[\d\s\-()]*\d)?|[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)+")
# A code inside a longer run (the cohort code after a course title): kept on one line too.
CODE = re.compile(r"\b[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b")


def right_to_left() -> bool:
    """Whether the page being written reads right to left (Urdu)."""
    return current_language() in RIGHT_TO_LEFT


def ltr(value: object, whole: bool = True) -> Markup:
    """``value`` (a code, CNIC, phone number, number, email address) as a left-to-right isolate that does not
    break across lines: ``<bdi dir="ltr" class="ltr-run">PB-JHG-01-C05</bdi>``; with ``whole=False`` it may
    (an email address longer than a phone is wide). Escaped; None gives ""."""
    if value is None or value == "":
        return Markup("")
    if not whole:
        return Markup('<bdi dir="ltr">{}</bdi>').format(value)
    return Markup('<bdi dir="ltr" class="ltr-run">{}</bdi>').format(value)


def bdi(value: object) -> Markup:
    """``value`` in any script (a name, a venue, a course title) as an isolate taking the direction of its
    first letter. Escaped; None gives ""."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(value)


def _balanced(run: str) -> tuple[str, str]:
    """``run`` without the closing brackets at its end that it does not open (those belong to the sentence
    around it), and what was cut off."""
    cut = ""
    while run.endswith(")") and run.count(")") > run.count("("):
        run, cut = run[:-1], ")" + cut
    stripped = run.rstrip()
    return stripped, run[len(stripped) :] + cut


def unbroken_codes(text: str) -> Markup:
    """``text`` escaped, with each code in it (``PB-JHG-01-C05``) kept on one line."""
    parts, last = [], 0
    for match in CODE.finditer(text):
        parts += [escape(text[last : match.start()]), Markup('<span class="ltr-run">{}</span>').format(match.group(0))]
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _isolated_text(text: str) -> Markup:
    parts, last = [], 0
    for match in LEFT_TO_RIGHT_RUN.finditer(text):
        run, cut = _balanced(match.group(0))
        parts.append(escape(text[last : match.start()]))
        if UNBREAKABLE.fullmatch(run):
            parts.append(ltr(run))
        else:
            parts.append(Markup('<bdi dir="ltr">{}</bdi>').format(unbroken_codes(run)))
        parts.append(escape(cut))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def isolated(text: object) -> Markup:
    """A sentence as the page shows it (escaped), with each left-to-right run in it (English words, a code,
    a CNIC, a phone number, a figure) isolated, when the page reads right to left; on left-to-right pages
    only escaped. In a value that is Markup already (a translated string in a template), only the text
    between its tags is looked at, and an isolate there already is left alone."""
    if text is None:
        return Markup("")
    if not right_to_left():
        return escape(text)
    if not isinstance(text, Markup):
        return _isolated_text(str(text))
    if "<bdi" in text:
        return text
    pieces = re.split(r"(<[^>]*>)", str(text))
    return Markup("").join(
        Markup(piece) if piece.startswith("<") else _isolated_text(Markup(piece).unescape()) for piece in pieces
    )


def list_separator() -> str:
    """The comma between the items of a list in the reader's language (``،`` in Urdu)."""
    return LIST_SEPARATORS.get(current_language(), DEFAULT_LIST_SEPARATOR)


def listed(items: Iterable[object]) -> Markup:
    """``items`` joined with the reader's comma (``جھنگ، پنجاب``; ``Jhang, Punjab``), each one isolated
    (``bdi``) so that an English venue keeps its place in an Urdu list; empty items are left out."""
    return Markup(list_separator()).join(bdi(item) for item in items if item not in (None, ""))
