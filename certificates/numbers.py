"""Certificate numbers: ``MKZ-7Q2MX-K9DHT-R``, ten random characters and a check character.

The ten characters come from ``secrets`` (50 bits: a number cannot be guessed, and trying numbers at the
verification page finds nothing), in Crockford's base 32, which has no I, L, O or U, so that nothing read
off paper is ambiguous. The check character (Luhn mod 32 over the ten) catches a mistyped character and two
swapped neighbours (all but 0 and Z), so a typing mistake is told as one instead of as "no such
certificate". Typed numbers are read leniently: any case, spaces or dashes, with or without ``MKZ``, and
O, I and L read as 0, 1, 1.
"""

import secrets

PREFIX = "MKZ"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 10
# The longest text a reader could type for a number (spaces and dashes included): anything longer is not one.
LONGEST_TYPED = 40
# Characters people confuse with Crockford's, read as the one meant.
READ_AS = {"O": "0", "I": "1", "L": "1"}


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body`` (characters of ``ALPHABET``)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = ALPHABET.index(char)
        if position % 2 == 0:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return ALPHABET[(32 - total % 32) % 32]


def formatted(body: str) -> str:
    """``7Q2MXK9DHT`` → ``MKZ-7Q2MX-K9DHT-R`` (its check character added)."""
    return f"{PREFIX}-{body[:5]}-{body[5:]}-{check_character(body)}"


def new_number() -> str:
    """A new random number, formatted. Unique in practice (50 bits); the table's unique index makes sure."""
    return formatted("".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH)))


class NotANumber(ValueError):
    """Text that cannot be a certificate number: wrong length or characters (``mistyped`` False), or the right
    shape with a check character that does not match (``mistyped`` True: a typing mistake)."""

    def __init__(self, mistyped: bool) -> None:
        super().__init__("mistyped" if mistyped else "not a number")
        self.mistyped = mistyped


def normalise_number(text: str | None) -> str:
    """A typed number in its printed form (``mkz 7q2mx k9dht r`` → ``MKZ-7Q2MX-K9DHT-R``); raises
    ``NotANumber`` when it cannot be one."""
    text = (text or "")[: LONGEST_TYPED + 1]
    if len(text) > LONGEST_TYPED:
        raise NotANumber(mistyped=False)
    chars = "".join(char for char in text.upper() if not char.isspace() and char not in "-_.")
    if chars.startswith(PREFIX):
        chars = chars[len(PREFIX) :]
    chars = "".join(READ_AS.get(char, char) for char in chars)
    if len(chars) != RANDOM_LENGTH + 1 or any(char not in ALPHABET for char in chars):
        raise NotANumber(mistyped=False)
    body, check = chars[:RANDOM_LENGTH], chars[RANDOM_LENGTH]
    if check_character(body) != check:
        raise NotANumber(mistyped=True)
    return formatted(body)
