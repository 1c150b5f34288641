"""Forms of the course catalogue's admin pages. They check the shape of input; ``courses.services``
holds the rules."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import enum_choices, enum_coerce
from wtforms.validators import InputRequired, Length, Optional

from forms import Form
from vocabulary import Education, Level, Track


def choices_of(vocabulary: type) -> list:
    return enum_choices(vocabulary, label=lambda member: member.lazy_label)


class CourseForm(Form):
    """A course as an admin edits it (the code is fixed once the course exists)."""

    title = StringField(_l("Title"), validators=[InputRequired(_l("Enter the title.")), Length(max=160)])
    track = SelectField(
        _l("Track"),
        choices=choices_of(Track),
        coerce=enum_coerce(Track),
        validators=[InputRequired(_l("Choose the track."))],
    )
    summary = TextAreaField(_l("Summary"), validators=[Length(max=4000)], render_kw={"rows": 4})
    weeks = IntegerField(
        _l("Length in weeks"),
        validators=[InputRequired(_l("Enter how many weeks the course lasts."))],
        render_kw={"min": 1, "max": 104},
    )
    level = SelectField(
        _l("Level"),
        choices=choices_of(Level),
        coerce=enum_coerce(Level),
        validators=[InputRequired(_l("Choose the level."))],
    )
    min_age = IntegerField(_l("Lowest age"), validators=[Optional()], render_kw={"min": 14, "max": 100})
    max_age = IntegerField(_l("Highest age"), validators=[Optional()], render_kw={"min": 14, "max": 100})
    min_education = SelectField(
        _l("Education needed"),
        choices=choices_of(Education),
        coerce=enum_coerce(Education),
        validators=[InputRequired(_l("Choose the education needed."))],
    )

    # Read as text and checked by the service (``courses.services``: a percent, two decimals at most).
    pass_mark = StringField(
        _l("Pass mark (%)"), default="50", filters=[lambda value: value.strip() if isinstance(value, str) else value]
    )
    attendance_threshold = IntegerField(
        _l("Attendance needed to sit the assessment (%)"),
        default=70,
        validators=[Optional()],
        render_kw={"min": 0, "max": 100},
    )


class NewCourseForm(CourseForm):
    """A new course: its details and the code it will keep."""

    code = StringField(
        _l("Code"), validators=[InputRequired(_l("Enter the course code, e.g. SWD-101.")), Length(max=16)]
    )
