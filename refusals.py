"""Refusals: a service says no, in words a person can read, naming the input it is about.

Services raise a ``Refusal`` (or a subclass named after the state, such as ``ApplicationsClosed`` or
``NotEligible`` in ``enrollments.services``) before they write anything. Pages show ``message`` next to
``field`` (or at the top when there is no field); the API answers with
``{"error": {"code", "message", "fields": {field: message}}}``.
"""


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
