"""The base of every form on the site: its messages, WTForms' own included, in the reader's language.

WTForms ships no Urdu, so its built-in messages (``This field is required.``, ``Not a valid choice.``, …)
are looked up in our catalogue instead: ``BUILT_IN_MESSAGES`` lists the ones our forms can show, so
that ``pybabel extract`` puts them in ``messages.po``. Flask-WTF's CSRF errors never pass through
gettext at all; ``Form`` replaces them with one message a person can act on, shown at the top of the form.

``Form`` also refuses control characters (NUL among them) in whatever any field was sent
(``text_input``): before the field's own validators run, so that none of them (nor a query they make)
ever sees one.
"""

from flask_babel import get_translations, gettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import StopValidation

from refusals import Refusal
from text_input import control_character_message, has_control_character


def N_(text: str) -> str:
    return text


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


BUILT_IN_MESSAGES = (
    N_("This field is required."),
    N_("Not a valid choice."),
    N_("Not a valid date value."),
    N_("Not a valid datetime value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Invalid email address."),
    N_("Invalid input."),
    N_("Invalid Choice: could not coerce."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("File does not have an approved extension."),
)
# WTForms asks for these through ngettext (babel.cfg extracts N_plural's two arguments as one message).
BUILT_IN_PLURALS = (
    N_plural("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
    N_plural("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long."),
    N_plural("'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field."),
)


class CatalogueTranslations:
    """WTForms' translations object, answered from Markaz's catalogue in the reader's language."""

    # WTForms fills in the placeholders itself, so these return the bare translation (Flask-Babel's
    # ngettext would format it with ``num`` and fail on ``%(max)d``).
    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


TRANSLATIONS = CatalogueTranslations()


def expired_form_message() -> str:
    """What a form refused for its CSRF token says (here and on the error page of a CSRF failure):
    Flask-WTF's own wording is English only and names no remedy."""
    return gettext("This form has expired or came from elsewhere. Reload the page and send it again.")


def sent_text(field) -> list[str]:
    """The text sent for ``field``: its values, and the names of files sent to it."""
    values = field.raw_data or ()
    return [value if isinstance(value, str) else getattr(value, "filename", None) or "" for value in values]


def refuse_control_characters(form, field) -> None:
    """The first validator of every field of every ``Form``: what was sent for ``field`` holds no control
    character (a ``TextAreaField`` may hold tabs and line breaks). Otherwise this is the field's one error,
    and its other validators do not run."""
    multi_line = isinstance(field, TextAreaField)
    if any(has_control_character(text, multi_line=multi_line) for text in sent_text(field)):
        field.errors.clear()  # "Not a valid choice" and the like would only distract from the reason
        raise StopValidation(control_character_message())


class Form(FlaskForm):
    """Every Markaz form: WTForms' messages in the reader's language; an expired form says so; no field
    takes a control character (``refuse_control_characters``). ``refusal`` is the service's refusal shown
    on it (``submitting.run``), if any."""

    refusal: Refusal | None = None

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.validators = [refuse_control_characters, *field.validators]
            return field

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None and csrf.errors:
            # No page shows the hidden field's errors, so the message goes to the top of the form.
            message = expired_form_message()
            csrf.errors = [message]
            self.form_errors = [*self.form_errors, message]
        return valid
