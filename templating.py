"""Every template helper, registered here and nowhere else (STYLE.md, rule 12): filters formatting dates,
numbers, CNICs and places for the reader; globals for links that keep filters, the language switch, the
reader's permissions and the enrollment rules pages show; the page's language and direction."""

from datetime import date, datetime
from urllib.parse import urlencode

from flask import Flask, g, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, get_translations
from flask_login import current_user

import vocabulary
from auth.permissions import TEMPLATE_PREDICATES, masks_identity
from bidi import bdi, isolated, listed, ltr
from courses.venues import meeting_place
from enrollments.eligibility import requirements
from enrollments.identity import format_cnic, format_phone, mask_cnic, mask_phone
from enrollments.offer_links import offer_token
from enrollments.pools import default_release_at
from enrollments.services import waitlist_position
from enrollments.services.marks import attendance_met, attendance_percent, passed
from language import LANGUAGE_NAMES, current_language, deadline, languages, place_name


def page_url(**changes: object) -> str:
    """The current URL with query arguments replaced by ``changes`` (None removes one): lets a
    pagination link or a filter chip keep every other filter the visitor chose."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    return f"{request.path}?{urlencode(args)}" if args else request.path


def other_languages() -> list[dict[str, str]]:
    """The languages the reader could switch to, each named in itself, with where its switch posts to
    (``action``) and the page to come back to (``next``: this one, with its query string)."""
    here = request.full_path.rstrip("?") if request.query_string else request.path
    current = current_language()
    return [
        {"code": code, "name": LANGUAGE_NAMES[code], "action": url_for("home.switch_language", code=code), "next": here}
        for code in languages()
        if code != current
    ]


def request_translations():
    """The reader's translations, looked up once per request: Flask-Babel's own template callables
    look them up again for every string (some 80 times on the catalogue page)."""
    translations = g.get("_markaz_translations")
    if translations is None:
        translations = g._markaz_translations = get_translations()
    return translations


def register(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: request_translations().ugettext(text),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: request_translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )

    @app.template_filter("day")
    def day_filter(value: date | None) -> str:
        return format_date(value, "d MMM y") if value else ""

    @app.template_filter("month_name")
    def month_filter(value: date | None) -> str:
        return format_date(value, "MMMM y") if value else ""

    @app.template_filter("moment")
    def moment_filter(value: datetime | None) -> str:
        # Shown in Pakistan time (BABEL_DEFAULT_TIMEZONE); stored in UTC.
        return format_datetime(value, "d MMM y, h:mm a") if value else ""

    @app.template_filter("number")
    def number_filter(value: float | None) -> str:
        """A count or figure with the locale's grouping (1,234,567)."""
        return format_decimal(value) if value is not None else ""

    @app.template_filter("percent")
    def percent_filter(value: float | None, digits: int = 1) -> str:
        """A fraction (0.425) as a percentage in the reader's locale (42.5%), to ``digits`` decimals."""
        if value is None:
            return ""
        return format_percent(value, "#,##0" + ("." + "0" * digits if digits else "") + "%")

    # A province's or district's name in the reader's language: ``{{ district|place }}``.
    app.add_template_filter(place_name, "place")

    # Mixed-direction text (``bidi``): ``{{ cohort.code|ltr }}``, ``{{ venue|bdi }}``, ``{{ message|isolated }}``,
    # ``{{ [district|place, province|place]|listed }}`` (the Urdu comma on Urdu pages).
    app.add_template_filter(ltr, "ltr")
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(isolated, "isolated")
    app.add_template_filter(listed, "listed")

    @app.template_filter("cnic")
    def cnic_filter(value: str) -> str:
        """A CNIC as printed on the card, masked for readers who may not see it whole (overseers)."""
        return mask_cnic(value) if masks_identity(current_user) else format_cnic(value)

    @app.template_filter("phone")
    def phone_filter(value: str) -> str:
        return mask_phone(value) if masks_identity(current_user) else format_phone(value)

    # Globals (not a context processor) so that macros imported without context can use them too.
    # What the reader may do: the predicates of ``auth.permissions``, which the views' rules use too.
    app.add_template_global(TEMPLATE_PREDICATES, "can")
    # The enrollment rules a page shows: someone's place in line; her attendance against the course's
    # threshold and her mark against its pass mark (``enrollments.services.marks``, the rules finishing uses).
    app.add_template_global(waitlist_position)
    app.add_template_global(attendance_percent)
    app.add_template_global(attendance_met)
    app.add_template_global(passed)

    @app.template_filter("percent_mark")
    def percent_mark_filter(value) -> str:
        """A mark or a percent with up to two decimals, as the reader writes numbers: ``72.5%``."""
        return f"{format_decimal(value, format='#,##0.##')}%"

    # The seat offered to her: its page (the signed link of her SMS) and its deadline, in her words.
    app.add_template_global(offer_token)
    app.add_template_global(deadline)
    app.add_template_global(default_release_at)
    app.add_template_global(page_url)
    app.add_template_global(other_languages)
    app.add_template_global(LANGUAGE_NAMES, "language_names")
    app.add_template_global(requirements)
    app.add_template_global(meeting_place)
    app.add_template_global(vocabulary, "vocab")

    @app.context_processor
    def language() -> dict[str, str]:
        locale = get_locale()
        return {"lang": str(locale or "en"), "text_dir": locale.text_direction if locale else "ltr"}
