"""Forms of the merit pages and of the Marks page. They check the shape of input (a file chosen, a reason's
length); the scores and marks themselves are many inputs named after each place (``test-<id>``,
``interview-<id>``, ``mark-<id>``), read by the page and checked by ``enrollments.services.merit`` and
``enrollments.services.marks``."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import Length

from auth.admin_forms import strip_text
from enrollments.services.merit import MAX_REASON_LENGTH
from forms import Form


class ScoresForm(Form):
    """The scores table: no fields of its own but the CSRF token (the inputs are the places')."""


class ScoreSheetForm(Form):
    file = FileField(
        _l("Score sheet (CSV or Excel .xlsx)"),
        validators=[FileRequired(_l("Choose the score sheet to upload: a CSV or an Excel workbook (.xlsx)."))],
        render_kw={
            "accept": ".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )


class PublishForm(Form):
    """Publishing the merit list; a correction's reason (required then, by the service)."""

    reason = TextAreaField(
        _l("Reason for the correction"),
        filters=[strip_text],
        validators=[Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 3},
    )


class MarksForm(Form):
    """The Marks page's table: no fields of its own but the CSRF token (the inputs are the places':
    ``mark-<id>``, checked by ``enrollments.services.marks``)."""


class MarkSheetForm(Form):
    file = FileField(
        _l("Mark sheet (CSV or Excel .xlsx)"),
        validators=[FileRequired(_l("Choose the mark sheet to upload: a CSV or an Excel workbook (.xlsx)."))],
        render_kw={
            "accept": ".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )
