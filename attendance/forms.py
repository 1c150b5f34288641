"""Forms of the attendance pages: their shape only. Whether the day is a class day, or a correction needs a
reason, is for ``attendance.services`` to say (its refusal is shown next to the field)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from attendance.services import MAX_REASON_LENGTH
from auth.admin_forms import strip_text
from forms import Form


class RegisterForm(Form):
    """A day's register: the day, and for a correction of a past day the reason. Each trainee's mark comes
    as a radio group named ``mark-<enrollment id>`` (present, late, absent), read by the page."""

    day = DateField(_l("Class day"), validators=[InputRequired(_l("Choose the class day."))])
    reason = TextAreaField(
        _l("Why you correct this day"),
        filters=[strip_text],
        validators=[Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 2},
    )


class ClassDayForm(Form):
    """Add a class day, or cancel one: the day and why."""

    day = DateField(_l("Day"), validators=[InputRequired(_l("Enter the day as a date."))])
    reason = StringField(
        _l("Reason"),
        filters=[strip_text],
        validators=[InputRequired(_l("Say why.")), Length(max=MAX_REASON_LENGTH)],
    )
    change = StringField(_l("Change"), validators=[InputRequired(_l("Choose Add or Cancel."))])


class UploadForm(Form):
    """A file of marks from a lab's biometric device (CSV or XLSX)."""

    file = FileField(_l("Attendance file (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))])
    reason = TextAreaField(
        _l("Why you correct days marked before (if the file does)"),
        filters=[strip_text],
        validators=[Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 2},
    )
