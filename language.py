"""The reader's language: English or Urdu (``LANGUAGES``).

A reader picks one with the switch in the page header (``home.switch_language``), which keeps the choice
in a long-lived cookie, so that it outlives signing out. Until she picks, the browser's Accept-Language
decides, and English when it names neither. The JSON API follows Accept-Language only: a client sends
what it wants on every request.

Messages to a trainee (SMS, email) are written in her own language (``trainee.language``), whoever
causes them: see ``message_language``.
"""

from contextlib import AbstractContextManager
from datetime import date, datetime

from flask import current_app, has_request_context, request
from flask_babel import force_locale, format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from auth.permissions import is_api_request

LANGUAGE_COOKIE = "markaz_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language named in itself, for the switch: a reader who cannot read the page can still find hers.
LANGUAGE_NAMES = {"en": "English", "ur": "اردو"}
# Each language named in the reader's, inside a sentence: "Your SMS and email will be in Urdu".
LANGUAGE_NAMES_IN_TEXT = {"en": _l("English"), "ur": _l("Urdu")}


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Flask-Babel's locale selector: the reader's chosen language, else her browser's, else English."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]

    if not is_api_request():
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in languages():
            return chosen
    return request.accept_languages.best_match(languages()) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """The language this request is answered in (``"en"`` or ``"ur"``)."""
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def message_language(language: str | None) -> AbstractContextManager:
    """Write what is inside the ``with`` block in ``language`` (a trainee's), whatever the reader's is."""
    return force_locale(language if language in languages() else current_app.config["BABEL_DEFAULT_LOCALE"])


def long_date(day: date) -> str:
    """A date inside a sentence, in the current locale: ``05 Jan 2027`` (English), ``05 جنوری 2027`` (Urdu)."""
    return format_date(day, "dd MMM y")


def deadline(moment: datetime) -> str:
    """A moment someone must act by, in the current locale and Pakistan time: ``Friday 5 Dec, 5:00 PM``."""
    return format_datetime(moment, "EEEE d MMM, h:mm a")


def place_name(place) -> str:
    """A province's or district's name in the current language: its Urdu name (``name_ur``, from the
    reference data) on Urdu pages when it has one, else its English name."""
    if place is None:
        return ""
    urdu = getattr(place, "name_ur", "")
    return urdu if urdu and current_language() == "ur" else place.name
