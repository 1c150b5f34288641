"""CNICs, phone numbers and names as people really type them (DESIGN.md, "Input people will really type")."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrollments.identity import (
    InvalidInput,
    check_date_of_birth,
    format_cnic,
    format_phone,
    is_separator,
    mask_cnic,
    mask_phone,
    normalise_cnic,
    normalise_name,
    normalise_phone,
    without_separators,
)
from oversight.export_files import exported_phone


@pytest.mark.parametrize(
    "typed",
    [
        "35202-1234567-1",
        "3520212345671",
        "35202 1234567 1",
        " 35202-1234567-1 ",
        "35202–1234567–1",  # en dashes, as phones autocorrect them
        "35202.1234567.1",
        "۳۵۲۰۲-۱۲۳۴۵۶۷-۱",  # Urdu keyboard digits
    ],
)
def test_cnic_as_typed(typed):
    assert normalise_cnic(typed) == "3520212345671"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter the 13-digit CNIC number"),
        ("35202-123456-1", "A CNIC has 13 digits; this one has 12."),
        ("35202-12345678-1", "A CNIC has 13 digits; this one has 14."),
        ("35202-1234S67-1", "A CNIC has digits only"),
        ("05202-1234567-1", "A CNIC does not start with 0."),
    ],
)
def test_bad_cnic_says_why(typed, reason):
    with pytest.raises(InvalidInput, match=reason):
        normalise_cnic(typed)


@given(st.from_regex(r"[1-9][0-9]{12}", fullmatch=True))
def test_cnic_round_trip(cnic):
    assert normalise_cnic(format_cnic(cnic)) == cnic
    masked = mask_cnic(cnic)
    assert masked.startswith(cnic[:5]) and masked.endswith(cnic[-1]) and cnic[5:12] not in masked


@pytest.mark.parametrize(
    "typed",
    ["0300 1234567", "03001234567", "+92 300 1234567", "92-300-1234567", "0092 300 1234567", "+92-300-123-4567"],
)
def test_phone_as_typed(typed):
    assert normalise_phone(typed) == "+923001234567"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter a mobile number"),
        ("0300 12345", "This phone number does not exist"),
        ("call me", "does not look like a phone number"),
        ("0000 0000000", "This phone number does not exist"),
    ],
)
def test_bad_phone_says_why(typed, reason):
    with pytest.raises(InvalidInput, match=reason):
        normalise_phone(typed)


def test_landline_and_foreign_numbers_are_accepted_and_formatted():
    assert normalise_phone("042 35761234") == "+924235761234"
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert format_phone("+923001234567") == "0300 1234567"
    assert format_phone("+442079460958").startswith("+44 20")


def test_masked_phone_hides_the_middle():
    assert mask_phone("+923001234567") == "0*** ****567"


@pytest.mark.parametrize(
    ("stored", "masked"),
    [
        ("+923001234567", "0*** ****567"),  # a mobile: as dialled in Pakistan
        ("+924235761234", "(0**) *****234"),  # a Lahore landline
        ("+442079460958", "00** ** **** *958"),  # foreign: 00 for the +, no cell starts like a formula
        ("+92300", "******"),  # not a number at all: nothing shown
    ],
)
def test_one_mask_for_a_phone_keeps_the_trunk_zeros_and_the_last_three_digits(stored, masked):
    assert mask_phone(stored) == masked
    assert exported_phone(stored, masked=True) == masked  # downloads mask with the same function


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ayesha   Khan ", "Ayesha Khan"),
        ("عائشہ خان", "عائشہ خان"),
        ("Muhammad Ali-Shah", "Muhammad Ali-Shah"),
        ("Syed M. Raza", "Syed M. Raza"),
        ("فرزانہ\u200cبی بی", "فرزانہ\u200cبی بی"),  # zero-width non-joiner, as Urdu spelling uses it
    ],
)
def test_names_in_any_script(typed, stored):
    assert normalise_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("", "Enter the full name"), ("Ayesha 2", "letters only"), ("<script>", "letters only"), ("x" * 201, "200")],
)
def test_bad_names_say_why(typed, reason):
    with pytest.raises(InvalidInput, match=reason):
        normalise_name(typed)


def test_date_of_birth_bounds():
    today = date(2026, 11, 21)
    assert check_date_of_birth(date(2000, 1, 1), today) == date(2000, 1, 1)
    with pytest.raises(InvalidInput, match="future"):
        check_date_of_birth(date(2027, 1, 1), today)
    with pytest.raises(InvalidInput, match="at least 14"):
        check_date_of_birth(date(2015, 1, 1), today)
    with pytest.raises(InvalidInput, match="over 100"):
        check_date_of_birth(date(1900, 1, 1), today)


# Digits of every script, separators of every kind (issue 12, item 2) -------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "３５２０２－１２３４５６７－１",  # full-width digits and hyphens, as Chinese and Japanese keyboards type them
        "３５２０２ １２３４５６７ １",  # ... with full-width spaces
        "३५२०२-१२३४५६७-१",  # Devanagari
        "𝟑𝟓𝟐𝟎𝟐-𝟏𝟐𝟑𝟒𝟓𝟔𝟕-𝟏",  # mathematical bold
        "٣٥٢٠٢-١٢٣٤٥٦٧-١",  # Arabic-Indic
        "۳۵۲۰۲۔۱۲۳۴۵۶۷۔۱",  # Persian digits with the Urdu full stop
        "35202\u20111234567\u20111",  # non-breaking hyphens
        "35202\u22121234567\u22121",  # minus signs
        "\u200f35202-1234567-1\u200e",  # direction marks, as text copied from an Urdu page carries
        "3５2०2-1234567-1",  # scripts mixed
    ],
)
def test_cnic_digits_of_every_script_are_stored_as_ascii(typed):
    stored = normalise_cnic(typed)
    assert stored == "3520212345671" and stored.isascii()


@pytest.mark.parametrize(
    "typed",
    [
        "³5202-1234567-1",  # a superscript is a "digit" to str.isdigit(), but no decimal digit
        "①5202-1234567-1",  # so is a circled one
        "35202-1234567-1\x00",
        "35202_1234567_1",
    ],
)
def test_cnic_with_what_is_not_a_digit_is_refused(typed):
    with pytest.raises(InvalidInput, match="A CNIC has digits only"):
        normalise_cnic(typed)


@given(st.from_regex(r"[1-9][0-9]{12}", fullmatch=True), st.sampled_from(["0", "٠", "۰", "०", "０", "𝟎", "০", "๐"]))
def test_any_scripts_digits_give_the_same_cnic(cnic, zero):
    """Whatever script the digits are typed in, one CNIC is stored one way: no second record for it."""
    typed = "".join(chr(ord(zero) + int(digit)) for digit in cnic)
    assert normalise_cnic(typed) == cnic


def test_ascii_text_loses_exactly_the_separators_other_text_loses():
    """``without_separators`` reads all-ASCII text with one regular expression: it must agree with the
    character-by-character rule."""
    for char in map(chr, range(128)):
        assert (without_separators(f"1{char}2") == "12") is is_separator(char), repr(char)
        assert without_separators(f"1{char}2\u00a0") == without_separators(f"1{char}2"), repr(char)  # the long way


@pytest.mark.parametrize(
    "typed",
    [
        "０３００ １２３４５６７",
        "＋９２ ３００ １２３４５６７",
        "٠٣٠٠ ١٢٣٤٥٦٧",
        "۰۳۰۰-۱۲۳۴۵۶۷",
        "०३०० १२३४५६७",
        "0300\u2012123\u20134567",
        "(0300) 1234567",
    ],
)
def test_phone_digits_of_every_script_are_stored_as_ascii(typed):
    assert normalise_phone(typed) == "+923001234567"


@pytest.mark.parametrize(
    "typed",
    [
        "0300 1234567 ext 12",
        "0300 1234567 ext. 12",
        "0300 1234567 extension 12",
        "03001234567ext12",
        "0300 1234567 x12",
        "0300 1234567#12",
        "+92 300 1234567;ext=12",
        "٠٣٠٠ ١٢٣٤٥٦٧ ext ١٢",
    ],
)
def test_phone_with_an_extension_is_refused_not_cut_off(typed):
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(typed)
    assert refused.value.message == "Mobile numbers have no extension: enter the number without “ext …”."


@pytest.mark.parametrize("typed", ["0300-CALLNOW", "0300 1234567 or 0301", "０３００ ABC４５６７", "03+001234567"])
def test_phone_with_letters_or_marks_among_its_digits_is_refused(typed):
    with pytest.raises(InvalidInput, match="This does not look like a phone number"):
        normalise_phone(typed)


# Names (issue 12, item 10) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Ayesha Khan",
        "Zoë O'Neil",
        "José María",
        "Ali-Shah",
        "عائشہ خان",
        "مُحَمَّد عَلِی",  # vowel marks: one or two on a letter
        "فرزانہ\u200cبی بی",  # zero-width non-joiner
        "لا\u200dہور",  # zero-width joiner
        "عـــلی",  # tatweel stretching a name
        "شاہِ ولیّٰ",  # shadda with a superscript alef
        "x\u0300\u0301\u0302",  # three marks on one letter: the most allowed
    ],
)
def test_names_with_marks_joiners_and_tatweel_in_their_place_pass(typed):
    assert normalise_name(typed) == typed


@pytest.mark.parametrize(
    "control",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_names_with_direction_overrides_embeddings_or_isolates_are_refused(control):
    with pytest.raises(InvalidInput, match="cannot hold the invisible characters that change the direction of text"):
        normalise_name(f"Ayesha{control} Khan")


@pytest.mark.parametrize(
    "typed",
    [
        "\u200b",  # zero-width space
        "\u200c\u200d",  # joiners alone
        "\u2060\ufeff",  # word joiner, byte-order mark
        "ـــــ",  # tatweel alone
        "ـ ـ",
        "\u3164",  # Hangul filler: a "letter" that shows nothing
        "\u115f\u1160 \uffa0",
        "\u0301\u0302",  # marks on nothing
        ". - .",
    ],
)
def test_names_without_a_letter_that_shows_are_refused(typed):
    with pytest.raises(InvalidInput, match="A name needs letters"):
        normalise_name(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "x\u0300\u0301\u0302\u0303",  # four marks on one letter
        "Ayesha" + "\u0336" * 30,  # struck through, over and over
        "ع" + "\u064b\u064c\u064d\u064e",
        "x\u0300\u200d\u0301\u200d\u0302\u200d\u0303",  # joiners between the marks do not split the stack
    ],
)
def test_names_stacking_marks_on_one_letter_are_refused(typed):
    with pytest.raises(InvalidInput, match="Too many marks on one letter"):
        normalise_name(typed)
