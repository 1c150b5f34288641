"""Reading list parameters (page, per_page, filters) from query strings that anyone can type."""

from flask import current_app, request

# The largest value an INTEGER column holds on PostgreSQL; larger ids cannot exist, and binding one
# would fail in the database driver instead of simply matching nothing.
LARGEST_ID = 2**31 - 1


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int = LARGEST_ID) -> int:
    """The integer query argument ``name``, or ``default`` when it is missing or not a number;
    clamped into [minimum, maximum] so that ``?page=-1`` or ``?per_page=10000`` stay harmless."""
    raw = request.args.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return min(max(value, minimum), maximum)


def page_args() -> tuple[int, int]:
    """``(page, per_page)`` from the query string, within the configured page size limit."""
    per_page = int_arg("per_page", current_app.config["PAGE_SIZE"], maximum=current_app.config["MAX_PAGE_SIZE"])
    return int_arg("page", 1), per_page


def text_arg(name: str, max_length: int = 100) -> str:
    """A free-text query argument, without control characters (PostgreSQL refuses NUL in text),
    stripped and cut to ``max_length`` characters."""
    raw = request.args.get(name, "")
    return "".join(char for char in raw if char.isprintable() or char == " ").strip()[:max_length]
