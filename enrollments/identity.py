"""How people really type who they are (DESIGN.md, "Input people will really type"), made uniform.

CNICs arrive as ``35202-1234567-1``, ``3520212345671`` or with spaces; phone numbers as ``0300 1234567``,
``+92 300 1234567`` or ``92-300-1234567``. Each normaliser returns the stored form or raises
``InvalidInput`` with a sentence that names what is wrong, for the person who typed it.
"""

import re
import unicodedata
from datetime import date

import phonenumbers
from flask_babel import gettext as _

from refusals import Refusal

CNIC_DIGITS = 13
# What people put between the digits of a CNIC or phone number, besides spaces of any width (``str.isspace``)
# and dashes of any kind (Unicode's dash punctuation, ``Pd``: hyphens, en and em dashes, the full-width
# hyphen): dots, slashes and brackets, ASCII or full-width, the minus sign, the Urdu full stop; invisible
# format characters (``Cf``: the direction marks and zero-width spaces that text copied from Urdu carries).
SEPARATOR_MARKS = frozenset(".\uff0e/\uff0f()\uff08\uff09\u2212\u06d4")
SEPARATOR_CATEGORIES = frozenset({"Pd", "Zs", "Cf"})
# The same, for text that is all ASCII (most of it): one regular expression instead of a look at each character.
ASCII_SEPARATORS = re.compile(r"[\s.\-/()]+")
ASCII_DIGITS = re.compile(r"[0-9]+")
PHONE_CHARACTERS = re.compile(r"\+?[0-9]+")


class DecimalDigits(dict):
    """A ``str.translate`` table mapping every decimal digit of every script to its ASCII digit: Arabic-Indic
    and Persian (Urdu keyboards), Devanagari, full-width (Chinese and Japanese keyboards), mathematical
    bold, ... (Unicode's ``Nd``, ``unicodedata.decimal``). Filled as digits are met: only ~660 exist."""

    def __missing__(self, codepoint: int) -> str:
        value = unicodedata.decimal(chr(codepoint), None)
        if value is None:
            raise LookupError(codepoint)  # str.translate keeps the character as it is
        self[codepoint] = str(value)
        return self[codepoint]


DECIMAL_DIGITS = DecimalDigits()
# The import reads the digits of dates with this table: every script's digits, like CNICs and phones.
URDU_DIGITS = DECIMAL_DIGITS


def is_separator(char: str) -> bool:
    return char.isspace() or char in SEPARATOR_MARKS or unicodedata.category(char) in SEPARATOR_CATEGORIES


def without_separators(text: str) -> str:
    """``text`` without the spaces, dashes, dots, slashes, brackets and invisible marks people type
    between digits (``is_separator``)."""
    if text.isascii():
        return ASCII_SEPARATORS.sub("", text)
    return "".join(char for char in text if not is_separator(char))


FORBIDDEN_IN_NAMES = frozenset({"Sm", "Sc", "Sk", "So", "Cc", "Cs", "Co", "Cn"})
# Characters that reorder the text around them (embeddings, overrides, isolates): in a name they make one
# name display as another, and spill over into the page or list that shows it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters (to Unicode) that show no letter: the Arabic tatweel, which only stretches the letters around it,
# and the Hangul fillers, which are blank. A name needs a letter that is not one of these.
BLANK_LETTERS = frozenset("\u0640\u115f\u1160\u3164\uffa0")
COMBINING_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
# Marks on one letter: an Urdu letter carries at most a shadda, a vowel mark and a superscript alef (three);
# a Latin name, once composed (NFC), none or one. More are stacked to smear over the lines around.
MOST_MARKS_ON_A_LETTER = 3


class InvalidInput(Refusal):
    """A value a person typed that cannot be accepted; ``str(error)`` says why, in plain words.
    Services re-raise it with the name of the field (``checked``)."""


def checked(field: str, normaliser, value):
    """``normaliser(value)``, with a refusal naming ``field`` when the value is not acceptable."""
    try:
        return normaliser(value)
    except InvalidInput as error:
        raise InvalidInput(error.message, field) from error


def normalise_cnic(text: str | None) -> str:
    """``35202-1234567-1`` → ``3520212345671``: digits of any script read as ASCII digits (``DECIMAL_DIGITS``),
    separators of any kind dropped (``is_separator``), so that one CNIC has one stored form however it was
    typed. Raises ``InvalidInput`` unless exactly 13 digits remain, and nothing else."""
    cleaned = without_separators((text or "").translate(DECIMAL_DIGITS))
    if not cleaned:
        raise InvalidInput(_("Enter the 13-digit CNIC number, e.g. 35202-1234567-1."))
    # Not str.isdigit(): superscripts and circled numbers are "digits" to it, and would be stored as typed.
    if not ASCII_DIGITS.fullmatch(cleaned):
        raise InvalidInput(_("A CNIC has digits only, e.g. 35202-1234567-1."))
    if len(cleaned) != CNIC_DIGITS:
        raise InvalidInput(_("A CNIC has 13 digits; this one has %(digits)s.", digits=len(cleaned)))
    if cleaned[0] == "0":
        raise InvalidInput(_("A CNIC does not start with 0."))
    return cleaned


def format_cnic(cnic: str) -> str:
    """``3520212345671`` → ``35202-1234567-1``, as printed on the card."""
    return f"{cnic[:5]}-{cnic[5:12]}-{cnic[12:]}" if len(cnic) == CNIC_DIGITS else cnic


def mask_cnic(cnic: str) -> str:
    """``3520212345671`` → ``35202-*******-1``: the district code and the check digit only."""
    return f"{cnic[:5]}-*******-{cnic[12:]}" if len(cnic) == CNIC_DIGITS else "*" * len(cnic)


def normalise_phone(text: str | None) -> str:
    """``0300 1234567`` / ``+92 300 1234567`` / ``92-300-1234567`` → ``+923001234567`` (E.164).

    Digits of any script are read as ASCII digits and separators of any kind dropped, as for CNICs.
    Numbers without a country code are read as Pakistani. Raises ``InvalidInput`` for a number with an
    extension (``ext 12``: an SMS cannot reach one, and dropping it would store another number than the one
    typed), for letters or other marks among the digits, and for a number that is not a real, dialable one."""
    raw = (text or "").translate(DECIMAL_DIGITS).replace("\uff0b", "+").strip()
    if not raw:
        raise InvalidInput(_("Enter a mobile number, e.g. 0300 1234567."))
    digits = without_separators(raw)
    if not PHONE_CHARACTERS.fullmatch(digits):
        if has_extension(raw):
            raise InvalidInput(_("Mobile numbers have no extension: enter the number without “ext …”."))
        raise InvalidInput(_("This does not look like a phone number, e.g. 0300 1234567."))
    # "92300..." without the plus is how many people write the country code.
    if digits.startswith("92") and len(digits) == 12:
        digits = "+" + digits
    elif digits.startswith("0092"):
        digits = "+" + digits[2:]
    try:
        number = phonenumbers.parse(digits, "PK")
    except phonenumbers.NumberParseException as error:
        raise InvalidInput(_("This does not look like a phone number, e.g. 0300 1234567.")) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(_("This phone number does not exist; check the digits, e.g. 0300 1234567."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def has_extension(text: str) -> bool:
    """Whether ``text`` is a phone number with an extension, in any of the ways libphonenumber knows
    (``ext 12``, ``x12``, ``#12``, ``extension 12``, ``;ext=12``, ...)."""
    try:
        return bool(phonenumbers.parse(text, "PK").extension)
    except phonenumbers.NumberParseException:
        return False


def format_phone(phone: str) -> str:
    """``+923001234567`` → ``0300 1234567`` for Pakistani numbers, international format otherwise."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return phone
    if number.country_code == 92:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


PAKISTANI_MOBILE = re.compile(r"\+923\d{9}")


def dialled_phone(phone: str) -> str:
    """A stored number as people dial it from Pakistan: ``+923001234567`` → ``0300 1234567``; foreign
    numbers with ``00`` for the ``+`` (``0044 20 7946 0958``: no spreadsheet cell starts like a formula).

    Pakistani mobiles (nearly all trainees) are formatted directly: ``phonenumbers`` would take tens of
    microseconds per number, a minute over a million trainees in a download."""
    if PAKISTANI_MOBILE.fullmatch(phone):
        return f"0{phone[3:6]} {phone[6:]}"
    dialled = format_phone(phone)
    return "00" + dialled[1:] if dialled.startswith("+") else dialled


def mask_phone(phone: str) -> str:
    """The one mask of a phone number, on pages, in downloads, in the API and in the log: the number as
    dialled from Pakistan (``dialled_phone``) with every digit but the leading zeros and the last three
    starred: ``+923001234567`` → ``0*** ****567``, ``+442079460958`` → ``00** ** **** *958``. Enough to
    tell numbers apart in an audit, not to call one."""
    if PAKISTANI_MOBILE.fullmatch(phone):
        return f"0*** ****{phone[-3:]}"
    dialled = dialled_phone(phone)
    first_digit = next((index for index, char in enumerate(dialled) if char.isdigit()), 0)
    prefix = first_digit + len(dialled[first_digit:]) - len(dialled[first_digit:].lstrip("0"))
    digits = sum(char.isdigit() for char in dialled)
    if digits < 6:  # too short to be a number: nothing of it is shown
        return "*" * len(phone)
    shown, seen = [], 0
    for index, char in enumerate(dialled):
        if char.isdigit():
            seen += 1
            if index >= prefix and seen <= digits - 3:
                char = "*"
        shown.append(char)
    return "".join(shown)


def normalise_name(text: str | None) -> str:
    """A full name in any script: Unicode-normalised (NFC), inner spaces collapsed. Raises
    ``InvalidInput`` when empty, too long, holding digits or symbols that no name has, holding characters
    that reorder text (``BIDI_CONTROLS``), holding no letter that shows (only marks, invisible characters,
    tatweels), or stacking more than ``MOST_MARKS_ON_A_LETTER`` marks on one letter. The zero-width
    non-joiner and joiner stay: Urdu spelling uses them."""
    name = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not name:
        raise InvalidInput(_("Enter the full name as on the CNIC."))
    if len(name) > 200:
        raise InvalidInput(_("A name can be at most 200 characters."))
    # Symbols and control characters have no place in a name; format characters (Cf) stay, because
    # Urdu spelling uses the zero-width non-joiner.
    if any(char.isdigit() or unicodedata.category(char) in FORBIDDEN_IN_NAMES for char in name):
        raise InvalidInput(_("A name has letters only (Urdu or English), with spaces, dots or dashes."))
    if any(char in BIDI_CONTROLS for char in name):
        raise InvalidInput(
            _("A name cannot hold the invisible characters that change the direction of text: type it again.")
        )
    if not any(unicodedata.category(char).startswith("L") and char not in BLANK_LETTERS for char in name):
        raise InvalidInput(_("A name needs letters (Urdu or English), not only marks or invisible characters."))
    if most_marks_on_a_letter(name) > MOST_MARKS_ON_A_LETTER:
        raise InvalidInput(_("Too many marks on one letter: type the name again with its usual spelling."))
    return name


def most_marks_on_a_letter(text: str) -> int:
    """The longest run of combining marks in ``text``; format characters (a zero-width joiner slipped
    between marks) do not end a run."""
    longest = run = 0
    for char in text:
        category = unicodedata.category(char)
        if category in COMBINING_CATEGORIES:
            run += 1
            longest = max(longest, run)
        elif category != "Cf":
            run = 0
    return longest


def check_date_of_birth(born: date, today: date, *, youngest: int = 14, oldest: int = 100) -> date:
    """``born`` if it gives an age between ``youngest`` and ``oldest`` on ``today``; else InvalidInput."""
    if born > today:
        raise InvalidInput(_("The date of birth is in the future."))
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < youngest:
        raise InvalidInput(_("Trainees must be at least %(age)s years old.", age=youngest))
    if age > oldest:
        raise InvalidInput(_("Check the year of birth: that would be over 100 years old."))
    return born
