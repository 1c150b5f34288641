"""Forms for signing in, signing up and passwords. They check the shape of what was typed (and say
which field is wrong and why); the rules about accounts live in ``auth/services.py``."""

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from centres.models import District, Province
from database import utcnow
from enrollments.identity import InvalidInput, check_date_of_birth, normalise_cnic, normalise_name, normalise_phone
from extensions import db
from vocabulary import Area, Education, Gender


def normalised(normaliser):
    """A WTForms validator that runs one of ``enrollments.identity``'s normalisers and shows its reason."""

    def validate(form, field) -> None:
        try:
            normaliser(field.data)
        except InvalidInput as error:
            raise ValidationError(str(error)) from error

    return validate


CHOOSE = SelectChoice("", "Choose…")


def plausible_birth_date(form, field) -> None:
    """A WTForms validator: the date of birth gives a trainee's age (``check_date_of_birth``)."""
    if field.data is None:  # not a date at all: DateField has said so already
        return
    try:
        check_date_of_birth(field.data, utcnow().date())
    except InvalidInput as error:
        raise ValidationError(error.message) from error


def id_or_none(value) -> int | None:
    """Coerce a ``<select>`` value to an id; the blank "Choose…" (or junk) becomes None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def district_choices() -> list[SelectChoice]:
    """Every district, grouped by province (``<optgroup>``), after a blank "Choose…"."""
    rows = db.session.execute(
        select(District.id, District.name, Province.name).join(District.province).order_by(Province.name, District.name)
    )
    return [CHOOSE] + [
        SelectChoice(str(district_id), district, optgroup=province) for district_id, district, province in rows
    ]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class SignUpForm(FlaskForm):
    full_name = StringField(
        "Full name (as on your CNIC)", validators=[DataRequired("Enter your full name."), normalised(normalise_name)]
    )
    cnic = StringField("CNIC number", validators=[DataRequired("Enter your CNIC number."), normalised(normalise_cnic)])
    gender = SelectField(
        "Gender", choices=[CHOOSE, *Gender.choices()], validators=[DataRequired("Choose your gender.")]
    )
    date_of_birth = DateField(
        "Date of birth",
        validators=[InputRequired("Enter your date of birth."), plausible_birth_date],
        format="%Y-%m-%d",
    )
    phone = StringField(
        "Mobile number", validators=[DataRequired("Enter your mobile number."), normalised(normalise_phone)]
    )
    district_id = SelectField(
        "District where you live",
        coerce=id_or_none,
        validate_choice=False,
        validators=[DataRequired("Choose your district from the list.")],
    )
    area = SelectField(
        "Where you live is",
        choices=[CHOOSE, *Area.choices()],
        validators=[DataRequired("Choose urban, semi-urban or rural.")],
    )
    education = SelectField(
        "Highest education completed",
        choices=[CHOOSE, *Education.choices()],
        validators=[DataRequired("Choose your highest education.")],
    )
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter your email address: we send password-reset links there."),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
            Length(max=254),
        ],
    )
    password = PasswordField("Choose a password", validators=[DataRequired("Choose a password.")])
    confirm = PasswordField(
        "Type the password again",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
    )
    consent = BooleanField(
        "I agree that my training centre and the programme may use these details to run and report on my training.",
        validators=[DataRequired("You need to agree before you can apply.")],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.district_id.choices = district_choices()

    def validate_district_id(self, field) -> None:
        if not field.data or db.session.get(District, field.data) is None:
            raise ValidationError("Choose your district from the list.")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
    confirm = PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the new password again."), EqualTo("new_password", "The two passwords differ.")],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter the email address of your account.")])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
    confirm = PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the new password again."), EqualTo("new_password", "The two passwords differ.")],
    )


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Name the token after what will use it, so that you can tell your tokens apart."),
            Length(max=100, message="Keep the name under 100 characters."),
        ],
    )
