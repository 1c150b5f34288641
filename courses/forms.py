"""Forms of the course catalogue's admin pages. They check the shape of input; ``courses.services``
holds the rules."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import enum_choices, enum_coerce
from wtforms.validators import InputRequired, Length, Optional

from vocabulary import Education, Level, Track


def choices_of(vocabulary: type) -> list:
    return enum_choices(vocabulary, label=lambda member: member.label)


class CourseForm(FlaskForm):
    """A course as an admin edits it (the code is fixed once the course exists)."""

    title = StringField("Title", validators=[InputRequired("Enter the title."), Length(max=160)])
    track = SelectField(
        "Track", choices=choices_of(Track), coerce=enum_coerce(Track), validators=[InputRequired("Choose the track.")]
    )
    summary = TextAreaField("Summary", validators=[Length(max=4000)], render_kw={"rows": 4})
    weeks = IntegerField(
        "Length in weeks",
        validators=[InputRequired("Enter how many weeks the course lasts.")],
        render_kw={"min": 1, "max": 104},
    )
    level = SelectField(
        "Level", choices=choices_of(Level), coerce=enum_coerce(Level), validators=[InputRequired("Choose the level.")]
    )
    min_age = IntegerField("Lowest age", validators=[Optional()], render_kw={"min": 14, "max": 100})
    max_age = IntegerField("Highest age", validators=[Optional()], render_kw={"min": 14, "max": 100})
    min_education = SelectField(
        "Education needed",
        choices=choices_of(Education),
        coerce=enum_coerce(Education),
        validators=[InputRequired("Choose the education needed.")],
    )


class NewCourseForm(CourseForm):
    """A new course: its details and the code it will keep."""

    code = StringField("Code", validators=[InputRequired("Enter the course code, e.g. SWD-101."), Length(max=16)])
