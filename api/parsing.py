"""Reading requests: webargs' Flask parser (flask-smorest's), refusing control characters in any string a
request sends, before its schema loads it (``text_input``).

Every string of the JSON body (nested ones too) and of the query string is checked; a field declared
``MultiLineString`` may hold tabs and line breaks. A string holding a control character answers 422 with
``fields`` naming it (``items.0.reason`` for a nested one), and the operation does not run."""

from marshmallow import Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser

from text_input import control_character_message, has_control_character


class MultiLineString(fields.String):
    """A string that may run over several lines (a reason): tab, newline and carriage return allowed."""


def strings_in(value, path: str):
    """``(path, string)`` for every string in a JSON value, ``path`` naming it with dots."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings_in(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from strings_in(inner, f"{path}.{index}" if path else str(index))


def is_multi_line(schema: Schema, path: str) -> bool:
    return isinstance(schema.fields.get(path), MultiLineString)


class PlainTextParser(FlaskParser):
    """flask-smorest's parser, with ``pre_load`` refusing control characters (``has_control_character``)."""

    def pre_load(self, location_data, *, schema: Schema, req, location: str):
        if location in ("query", "querystring"):
            sent = [(name, value) for name, values in req.args.lists() for value in values]
        elif location == "json":
            sent = list(strings_in(location_data, ""))
        else:  # no operation reads forms, headers or cookies through a schema
            sent = []
        refused = {
            path: [control_character_message()]
            for path, value in sent
            if has_control_character(value, multi_line=is_multi_line(schema, path))
        }
        if refused:
            raise ValidationError(refused)
        return location_data
