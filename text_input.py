"""Text that people send: no control characters in it, wherever it comes in.

NUL and the other control characters (C0, DEL, C1) are never part of a name, an email, a code or a
reason; PostgreSQL refuses NUL in text outright, so an unguarded one became a 500. Half of a surrogate
pair (which JSON can spell, ``"\\ud800"``) cannot be stored either. One rule, ``has_control_character``,
guards three doors:

- every page form (``forms.Form``): the field is refused with ``control_character_message`` next to it;
- every API request parsed by a schema (``api.parsing``): 422 naming the field in ``fields``;
- every URL path (``PlainTextConverter``, the default converter of ``<name>`` in routes): no page or
  object has such a name, so the path matches no route and answers 404.

Tab, newline and carriage return are text in a multi-line field (a reason, a description) and
nowhere else.
"""

import re

from flask_babel import gettext
from werkzeug.routing import UnicodeConverter

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_CHARACTERS_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_character(text: str, *, multi_line: bool = False) -> bool:
    """Whether ``text`` holds a control character (NUL among them) or half a surrogate pair; where
    ``multi_line``, tab, newline and carriage return are allowed."""
    pattern = CONTROL_CHARACTERS_BUT_LINE_BREAKS if multi_line else CONTROL_CHARACTERS
    return pattern.search(text) is not None


def control_character_message() -> str:
    """What a field holding a control character says, in the reader's language."""
    return gettext("This holds an invisible control character (such as NUL) that text cannot have: type it again.")


class PlainTextConverter(UnicodeConverter):
    """Werkzeug's converter for ``<name>`` path segments, refusing control characters: a path that holds
    one matches no route (404) instead of reaching a query that PostgreSQL refuses with an error."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]", 1)


def register(app) -> None:
    """Make ``PlainTextConverter`` the converter of ``<name>`` and ``<string:name>``. Must run before any
    route is added: a rule takes its converter when it is added."""
    app.url_map.converters["default"] = PlainTextConverter
    app.url_map.converters["string"] = PlainTextConverter
