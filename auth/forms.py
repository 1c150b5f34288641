"""Forms for signing in, signing up and passwords. They check the shape of what was typed (and say
which field is wrong and why); the rules about accounts live in ``auth/services.py``."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from auth.codes import normalise_code
from centres.models import District, Province
from clock import local_today
from enrollments.identity import InvalidInput, check_date_of_birth, normalise_cnic, normalise_name, normalise_phone
from extensions import db
from forms import Form
from language import LANGUAGE_NAMES, place_name
from outcomes.models import CONSENT_LABEL, CONSENT_SENTENCE
from vocabulary import Area, Education, Gender


def normalised(normaliser):
    """A WTForms validator that runs one of ``enrollments.identity``'s normalisers and shows its reason."""

    def validate(form, field) -> None:
        try:
            normaliser(field.data)
        except InvalidInput as error:
            raise ValidationError(str(error)) from error

    return validate


CHOOSE = SelectChoice("", _l("Choose…"))


def plausible_birth_date(form, field) -> None:
    """A WTForms validator: the date of birth gives a trainee's age (``check_date_of_birth``)."""
    if field.data is None:  # not a date at all: DateField has said so already
        return
    try:
        check_date_of_birth(field.data, local_today())
    except InvalidInput as error:
        raise ValidationError(error.message) from error


def id_or_none(value) -> int | None:
    """Coerce a ``<select>`` value to an id; the blank "Choose…" (or junk) becomes None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def district_choices() -> list[SelectChoice]:
    """Every district, grouped by province (``<optgroup>``), after a blank "Choose…"; names in the reader's
    language."""
    districts = db.session.scalars(
        select(District)
        .join(District.province)
        .options(contains_eager(District.province))
        .order_by(Province.name, District.name)
    )
    return [CHOOSE] + [
        SelectChoice(str(district.id), place_name(district), optgroup=place_name(district.province))
        for district in districts
    ]


class LoginForm(Form):
    # Named ``email`` as before (programs and bookmarks post it); it takes a mobile number as well.
    email = StringField(
        _l("Email or mobile number"), validators=[DataRequired(_l("Enter your email or mobile number."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class SignUpForm(Form):
    full_name = StringField(
        _l("Full name (as on your CNIC)"),
        validators=[DataRequired(_l("Enter your full name.")), normalised(normalise_name)],
    )
    cnic = StringField(
        _l("CNIC number"), validators=[DataRequired(_l("Enter your CNIC number.")), normalised(normalise_cnic)]
    )
    gender = SelectField(
        _l("Gender"), choices=[CHOOSE, *Gender.choices()], validators=[DataRequired(_l("Choose your gender."))]
    )
    # Shown only when her CNIC and gender disagree (``auth.services.sign_up_trainee`` asks her to confirm).
    gender_confirmed = BooleanField(_l("My CNIC number and gender are right as I typed them."))
    date_of_birth = DateField(
        _l("Date of birth"),
        validators=[InputRequired(_l("Enter your date of birth.")), plausible_birth_date],
        format="%Y-%m-%d",
    )
    phone = StringField(
        _l("Mobile number"), validators=[DataRequired(_l("Enter your mobile number.")), normalised(normalise_phone)]
    )
    district_id = SelectField(
        _l("District where you live"),
        coerce=id_or_none,
        validate_choice=False,
        validators=[DataRequired(_l("Choose your district from the list."))],
    )
    area = SelectField(
        _l("Where you live is"),
        choices=[CHOOSE, *Area.choices()],
        validators=[DataRequired(_l("Choose urban, semi-urban or rural."))],
    )
    education = SelectField(
        _l("Highest education completed"),
        choices=[CHOOSE, *Education.choices()],
        validators=[DataRequired(_l("Choose your highest education."))],
    )
    email = EmailField(
        _l("Email (if you have one)"),
        validators=[
            Optional(),
            Email(_l("Enter an email address like name@example.com, or leave it empty."), check_deliverability=False),
            Length(max=254),
        ],
    )
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(_l("Choose a password."))])
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[DataRequired(_l("Type the password again.")), EqualTo("password", _l("The two passwords differ."))],
    )
    consent = BooleanField(
        _l("I agree that my training centre and the programme may use these details to run and report on my training."),
        validators=[DataRequired(_l("You need to agree before you can apply."))],
    )

    outcome_consent = BooleanField(CONSENT_LABEL, description=CONSENT_SENTENCE, default=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.district_id.choices = district_choices()

    def validate_district_id(self, field) -> None:
        if not field.data or db.session.get(District, field.data) is None:
            raise ValidationError(_("Choose your district from the list."))


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and the same typed again (fields ``new_password`` and ``confirm``), made where a form
    declares them so that they keep their place among its fields."""
    return (
        PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a new password."))]),
        PasswordField(
            _l("Type the new password again"),
            validators=[
                DataRequired(_l("Type the new password again.")),
                EqualTo("new_password", _l("The two passwords differ.")),
            ],
        ),
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password, confirm = new_password_fields()


class ResetRequestForm(Form):
    # Named ``email`` as before; it takes the account's mobile number as well.
    email = StringField(
        _l("Email or mobile number"),
        validators=[DataRequired(_l("Enter the email or the mobile number of your account."))],
    )

    def validate_email(self, field) -> None:
        if "@" not in field.data:
            normalised(normalise_phone)(self, field)


def six_digits(form, field) -> None:
    """A WTForms validator: a code is 6 digits (of any script, spaces allowed: ``normalise_code``)."""
    if not re.fullmatch(r"[0-9]{6}", normalise_code(field.data)):
        raise ValidationError(_("The code has 6 digits: type it as the SMS shows it."))


class CodeForm(Form):
    """The code sent by SMS to confirm a new account's number."""

    code = StringField(
        _l("Code from the SMS"), validators=[DataRequired(_l("Type the 6-digit code from the SMS.")), six_digits]
    )


class NewCodeForm(Form):
    """No fields but the CSRF token: the button that sends a new code."""


class ResetCodeForm(CodeForm):
    """The code sent by SMS to reset the password of an account without email, and the new password."""

    new_password, confirm = new_password_fields()


class ResetPasswordForm(Form):
    new_password, confirm = new_password_fields()


class ApiTokenForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Name the token after what will use it, so that you can tell your tokens apart.")),
            Length(max=100, message=_l("Keep the name under 100 characters.")),
        ],
    )


class MessageLanguageForm(Form):
    """The language of a trainee's SMS and email, chosen on her profile (each language named in itself)."""

    language = SelectField(
        _l("Language of your SMS and email"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()],
        validators=[InputRequired(_l("Choose English or Urdu for your messages."))],
        validate_choice=False,  # the service refuses another language, naming the field
    )
