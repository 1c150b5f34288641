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
# Everything people put between the digits of a CNIC or phone number: spaces of any width, dashes of
# any kind, dots, slashes, brackets.
SEPARATORS = re.compile(r"[\s\u00a0\u2000-\u200f\u2010-\u2015\u2212.\-/()]+")
# Arabic-Indic and Persian digits, as Urdu keyboards type them.
URDU_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


FORBIDDEN_IN_NAMES = frozenset({"Sm", "Sc", "Sk", "So", "Cc", "Cs", "Co", "Cn"})


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
    """``35202-1234567-1`` → ``3520212345671``. Raises ``InvalidInput`` unless exactly 13 digits remain."""
    cleaned = SEPARATORS.sub("", (text or "").translate(URDU_DIGITS))
    if not cleaned:
        raise InvalidInput(_("Enter the 13-digit CNIC number, e.g. 35202-1234567-1."))
    if not cleaned.isdigit():
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

    Numbers without a country code are read as Pakistani. Raises ``InvalidInput`` for a number that
    is not a real, dialable one."""
    raw = (text or "").translate(URDU_DIGITS).strip()
    if not raw:
        raise InvalidInput(_("Enter a mobile number, e.g. 0300 1234567."))
    digits = SEPARATORS.sub("", raw)
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


def format_phone(phone: str) -> str:
    """``+923001234567`` → ``0300 1234567`` for Pakistani numbers, international format otherwise."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return phone
    if number.country_code == 92:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(phone: str) -> str:
    """``+923001234567`` → ``+92 *******567``: the country and the last three digits, enough to tell
    numbers apart in an audit, not to call one."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]} {'*' * (len(phone) - 6)}{phone[-3:]}"


def normalise_name(text: str | None) -> str:
    """A full name in any script: Unicode-normalised (NFC), inner spaces collapsed. Raises
    ``InvalidInput`` when empty, too long, or holding digits or symbols that no name has."""
    name = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not name:
        raise InvalidInput(_("Enter the full name as on the CNIC."))
    if len(name) > 200:
        raise InvalidInput(_("A name can be at most 200 characters."))
    # Symbols and control characters have no place in a name; format characters (Cf) stay, because
    # Urdu spelling uses the zero-width non-joiner.
    if any(char.isdigit() or unicodedata.category(char) in FORBIDDEN_IN_NAMES for char in name):
        raise InvalidInput(_("A name has letters only (Urdu or English), with spaces, dots or dashes."))
    return name


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
