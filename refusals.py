"""Refusals: a service says no, in words a person can read, naming the input it is about.

Services raise a ``Refusal`` (or a subclass named after the state, such as ``ApplicationsClosed`` or
``NotEligible`` in ``enrollments.services``) before they write anything. Pages show ``message`` next to
``field`` (or at the top when there is no field); the API answers with
``{"error": {"code", "message", "fields": {field: message}}}``.
"""

from dataclasses import dataclass


class Refusal(Exception):
    """A request refused for a reason a person can read; ``field`` names the input concerned."""

    code = "refused"
    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(Refusal):
    """The request clashes with what exists already (a CNIC or email in use, a duplicate)."""

    code = "conflict"
    status = 409


def show_refusal(form, error: Refusal) -> None:
    """Put a service's refusal next to the field it names on ``form`` (a WTForms form), or at the top
    of the form when it names none (or a field this form does not have)."""
    if error.field and error.field in form:
        field = form[error.field]
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors = [*form.form_errors, error.message]


@dataclass(frozen=True)
class EntryProblem:
    """What is wrong with the ``index``-th entry of a list given at once (0-based), and in which ``field``."""

    index: int
    field: str
    message: str


class EntriesRefused(Refusal):
    """Some entries of a list given at once (marks, scores) are wrong: nothing was saved. ``problems`` names
    each entry and field; the API names them as nested fields."""

    def __init__(self, message: str, problems: list[EntryProblem]) -> None:
        super().__init__(message, None)
        self.problems = problems

    @property
    def field_messages(self) -> dict[str, str]:
        """The problems as the API names nested fields: ``items.3.mark`` (the fourth item's mark)."""
        return {f"items.{problem.index}.{problem.field}": problem.message for problem in self.problems}
