"""Forms of the walk-in desk: look a trainee up by CNIC, register them into a cohort, or check which cohorts
someone not on record may join, then create their record and register them. They check the shape of what
was typed; ``enrollments.trainees`` and ``enrollments.services`` hold the rules (and normalise CNICs and
phone numbers as people type them)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from auth.admin_forms import optional_int, strip_text
from auth.forms import normalised, plausible_birth_date
from centres.forms import district_choices
from courses.models import Cohort
from enrollments.identity import normalise_cnic, normalise_name, normalise_phone
from forms import Form
from language import LANGUAGE_NAMES, current_language
from outcomes.models import CONSENT_LABEL, CONSENT_SENTENCE
from vocabulary import Area, Choice, Education, Gender

# Which of the desk's forms a POST comes from.
LOOKUP, ELIGIBILITY, REGISTER, CREATE = "lookup", "eligibility", "register", "create"


def choices_of(vocabulary: type[Choice]) -> list[SelectChoice]:
    """The members of ``vocabulary`` after a blank "Choose…", so that nothing is chosen for her by default."""
    return [SelectChoice("", _l("Choose…")), *vocabulary.choices()]


def optional_member(vocabulary: type[Choice]):
    """Coerce a select's value to a member of ``vocabulary``; the blank "Choose…" means None (and
    ``InputRequired`` then says what to choose)."""

    def coerce(value: object) -> Choice | None:
        if value is None or value == "":
            return None
        return vocabulary(value)  # ValueError for what is not ours: WTForms reports it on the field

    return coerce


class LookupForm(Form):
    """Step 1: the CNIC as the trainee reads it out or shows it (any dashes and spaces)."""

    step = HiddenField(default=LOOKUP)
    cnic = StringField(
        _l("CNIC number"),
        filters=[strip_text],
        validators=[
            InputRequired(_l("Enter the trainee's CNIC number, e.g. 35202-1234567-1.")),
            Length(max=40),
            normalised(normalise_cnic),
        ],
    )


class CohortChoiceForm(Form):
    """A choice of the centre's open cohorts (``cohorts``), by id."""

    cohort_id = RadioField(
        _l("Cohort"), coerce=optional_int, validate_choice=False, validators=[InputRequired(_l("Choose the cohort."))]
    )

    def __init__(self, *args, cohorts: list[Cohort], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cohort_id.choices = [(cohort.id, cohort.code) for cohort in cohorts]

    def validate_cohort_id(self, field) -> None:
        if field.data not in {cohort_id for cohort_id, _code in field.choices}:
            raise ValidationError(_("Choose one of this centre's open cohorts."))


class RegisterForm(CohortChoiceForm):
    """Step 2 for a trainee on record: the cohort to register her into (her CNIC rides along)."""

    step = HiddenField(default=REGISTER)
    cnic = HiddenField(validators=[InputRequired(_l("Look the trainee up by CNIC first."))])


class PersonFields(Form):
    """What decides who may apply, asked first of someone not on record: gender, date of birth, education."""

    gender = SelectField(
        _l("Gender"),
        choices=choices_of(Gender),
        coerce=optional_member(Gender),
        validators=[InputRequired(_l("Choose female, male or transgender."))],
    )
    date_of_birth = DateField(
        _l("Date of birth"), validators=[InputRequired(_l("Enter the date of birth as a date.")), plausible_birth_date]
    )
    education = SelectField(
        _l("Highest education completed"),
        choices=choices_of(Education),
        coerce=optional_member(Education),
        validators=[InputRequired(_l("Choose the highest education completed."))],
    )


class EligibilityForm(PersonFields):
    """Step 2 for someone not on record: the answers that decide which cohorts they may join, checked
    before the rest of their details are asked (the CNIC typed at step 1 rides along)."""

    step = HiddenField(default=ELIGIBILITY)
    cnic = HiddenField(
        filters=[strip_text],
        validators=[
            InputRequired(_l("Look the trainee up by CNIC first.")),
            Length(max=40),
            normalised(normalise_cnic),
        ],
    )


class NewTraineeForm(CohortChoiceForm, PersonFields):
    """Step 3 for someone not on record: the rest of their details, and the cohort to register them into."""

    step = HiddenField(default=CREATE)
    cnic = StringField(
        _l("CNIC number"),
        filters=[strip_text],
        validators=[
            InputRequired(_l("Enter the trainee's CNIC number, e.g. 35202-1234567-1.")),
            Length(max=40),
            normalised(normalise_cnic),
        ],
    )
    full_name = StringField(
        _l("Full name (as on the CNIC)"),
        validators=[InputRequired(_l("Enter the full name as on the CNIC.")), normalised(normalise_name)],
    )
    phone = StringField(
        _l("Mobile number"),
        filters=[strip_text],
        validators=[InputRequired(_l("Enter a mobile number, e.g. 0300 1234567.")), normalised(normalise_phone)],
    )
    email = EmailField(_l("Email (optional)"), filters=[strip_text], validators=[Optional(), Length(max=254)])
    district_id = SelectField(
        _l("District of residence"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose the district of residence."))],
    )
    area = SelectField(
        _l("Area of residence"),
        choices=choices_of(Area),
        coerce=optional_member(Area),
        validators=[InputRequired(_l("Choose urban, semi-urban or rural."))],
    )
    disability = BooleanField(_l("Has a disability"))
    # Read her the sentence; untick only if she says no.
    outcome_consent = BooleanField(CONSENT_LABEL, description=CONSENT_SENTENCE, default=True)
    # Each language named in itself, so that she can point at hers; the reader's own comes first.
    # Not sent (an older page, a script): the desk's own language, as before this field existed.
    language = SelectField(_l("Language of SMS and email"), validate_choice=False, validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.district_id.choices = district_choices()
        reader = current_language()
        self.language.choices = sorted(LANGUAGE_NAMES.items(), key=lambda item: item[0] != reader)
        if not self.language.data:
            self.language.data = reader
