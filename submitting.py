"""Carrying out what a request submits: one service call, then the request's one commit — or the service's
refusal, rolled back and shown to the reader.

Every page that changes data takes the same steps (STYLE.md, rule 1): call one service with the acting
user; then commit, or, when the service refuses, roll back whatever it had begun and show its message next to
the field it names. ``run`` takes those steps, so no view writes them (as Indico's request handler commits
once and rolls back on any error); ``form_status`` is the status of a page that shows its form again::

    form = CentreForm()
    if form.validate_on_submit() and run(form, lambda: update_centre(centre, details, actor=acting_user())):
        flash(...)
        return redirect(...)
    return render_template("centres/admin/form.html", form=form), form_status(form)

The JSON API lets refusals rise to its error handler (``api.errors.refusal`` rolls back and answers JSON) and
commits with ``committed``.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_login import current_user

from auth.models import UserAccount
from extensions import db
from forms import Form
from refusals import Refusal, show_refusal

T = TypeVar("T")


def acting_user() -> UserAccount:
    """Who acts in this request (the signed-in user, or the API token's account) as services take it:
    ``actor=acting_user()`` — the account itself, not Flask-Login's proxy of it."""
    return current_user._get_current_object()


def committed(result: T) -> T:
    """Commit the request's one transaction and return ``result``. Build ``result`` before (from what the
    service returned): after the commit every object reloads from the database when read."""
    db.session.commit()
    return result


def run(form: Form | None, call: Callable[[], T], *, field: str | None = None) -> T | None:
    """Run ``call`` (one service, and whatever the page needs from its result) for a submitted ``form``.

    Returns what ``call`` returned, after committing. When ``call`` raises a ``Refusal``, rolls back whatever
    it had begun, shows the refusal on ``form`` (next to the field it names; next to ``field`` when it names
    none; else at the top of the form), keeps it as ``form.refusal`` and returns None. Without a form (a
    button on a page that is not the form's own), the refusal is flashed as an error instead. Any other
    exception passes through (the 500 handler rolls back).

    ``call`` must return something other than None, or success would read as a refusal: TypeError."""
    try:
        result = call()
    except Refusal as error:
        db.session.rollback()
        if form is None:
            flash(error.message, "error")
        else:
            show_refusal(form, error if error.field or field is None else Refusal(error.message, field))
            form.refusal = error
        return None
    if result is None:
        raise TypeError(f"{call!r} returned None: return what the page needs, so that None means refused")
    return committed(result)


def form_status(form: Form, *, refusal_status: bool = False) -> int:
    """The status of a page that shows ``form``: 422 when it was submitted with errors (its own, or a refusal
    shown by ``run``), else 200. With ``refusal_status``, a refusal answers its own status instead (409 for a
    record that has moved on meanwhile, 403 for a decision that is not the reader's), as the API does."""
    if refusal_status and form.refusal is not None:
        return form.refusal.status
    return 422 if form.errors else 200
