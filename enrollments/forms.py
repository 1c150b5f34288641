"""Forms of the enrollment pages. They check the shape of what was typed; whether a reason is needed,
or how many seats a cohort may have, is for ``enrollments.services`` to say (its refusal is shown next
to the field)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from auth.admin_forms import strip_text
from forms import Form
from listing import LARGEST_ID
from vocabulary import Area, Gender

REASON_LENGTH = 1000


class ConfirmForm(Form):
    """No fields but the CSRF token: the button of a confirmation page (approve, complete)."""


class OfferAnswerForm(Form):
    """The answer to a seat offer: the button pressed (``name="answer"``), Accept or Decline."""

    answer = StringField(_l("Answer"), validators=[InputRequired(_l("Choose Accept or Decline."))])


class WithdrawForm(Form):
    reason = TextAreaField(
        _l("Reason (optional)"), filters=[strip_text], validators=[Length(max=REASON_LENGTH)], render_kw={"rows": 3}
    )


class ReasonForm(Form):
    """A decision the trainee is told about, with the reason she will read (reject, drop, cancel)."""

    reason = TextAreaField(
        _l("Reason"), filters=[strip_text], validators=[Length(max=REASON_LENGTH)], render_kw={"rows": 3}
    )


class WholeNumberField(IntegerField):
    """An integer field whose complaint about "12.5" or "twelve" a person can act on."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a whole number, such as 25.")) from error


def storable(form, field) -> None:
    """Numbers beyond what the database column holds cannot be meant (and the driver would refuse them)."""
    if field.data is not None and field.data > LARGEST_ID:
        raise ValidationError(_("That is more seats than any cohort can have."))


class SeatsForm(Form):
    seats = WholeNumberField(
        _l("Seats"),
        validators=[InputRequired(_l("Enter the number of seats.")), storable],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    # The page's second button: show how many would be promoted, without changing anything.
    preview = SubmitField(_l("Show what would change"))


class ChosenPlacesField(SelectMultipleField):
    """The places ticked on the roster (their ids): what is not a whole number is refused with words."""

    def pre_validate(self, form) -> None:  # any id: the service says whether it is a place of the cohort
        pass

    def process_formdata(self, valuelist) -> None:
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError as error:
            self.data = []
            raise ValueError(_("Some of the people chosen are not on this cohort's roster.")) from error


class BulkForm(Form):
    """A decision on many places of a roster at once: which (``action``, one of
    ``services.BULK_ACTIONS``), on whom (``selected``), with the reason where it needs one. Sent first
    from the roster (the choice), then from the confirmation page (``confirmed``)."""

    action = HiddenField()
    selected = ChosenPlacesField()
    reason = TextAreaField(
        _l("Reason"), filters=[strip_text], validators=[Length(max=REASON_LENGTH)], render_kw={"rows": 3}
    )
    confirmed = HiddenField()


class CohortMessageForm(Form):
    """A message to the people of a cohort: who (``services.AUDIENCES``), a subject for email, the text.
    The first button previews (the count and the text as sent); the second sends."""

    audience = RadioField(_l("Send to"), validate_choice=False)
    subject = StringField(_l("Subject of the email (optional)"), filters=[strip_text])
    body = TextAreaField(_l("Message"), filters=[strip_text], render_kw={"rows": 4})
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send"))

    def __init__(self, *args, audiences: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.audience.choices = [(key, label) for key, (label, _statuses) in (audiences or {}).items()]


class CorrectTraineeForm(Form):
    """Her gender and area as they should be, and why (``enrollments.trainees.correct_trainee``): the
    choices are the vocabulary's; a reason is required by the service, which says so next to the field."""

    gender = SelectField(_l("Gender"), validators=[InputRequired(_l("Choose her gender."))])
    area = SelectField(_l("Area where she lives"), validators=[InputRequired(_l("Choose her area."))])
    reason = TextAreaField(
        _l("Reason for the correction"), filters=[strip_text], validators=[Length(max=500)], render_kw={"rows": 3}
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gender.choices = [SelectChoice(gender.value, gender.label) for gender in Gender]
        self.area.choices = [SelectChoice(area.value, area.label) for area in Area]
