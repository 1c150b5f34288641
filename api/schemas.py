"""Schemas shared by every operation: the error shape, pagination arguments and the page envelope."""

from marshmallow import Schema, fields, validate

MAX_PER_PAGE = 100


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "not_eligible"})
    message = fields.String(required=True, metadata={"example": "This is a women-only camp."})
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "For invalid input: what is wrong with each field, by field name."},
    )


class ErrorSchema(Schema):
    """Every error under /api/v1: ``{"error": {"code", "message", "fields"}}``."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items in all pages."})


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of ``item_schema`` items: ``{"items", "page", "per_page", "total"}``."""
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True)})


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: not 1, 0 or "yes" (marshmallow's Boolean takes those, and
    ``truthy={True}`` cannot exclude 1, which equals True)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
