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
    mask_cnic,
    mask_phone,
    normalise_cnic,
    normalise_name,
    normalise_phone,
)


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
    assert mask_phone("+923001234567") == "+92 *******567"


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
