"""Forms of the import pages. They check the shape of input (a file chosen, one of the offered cohorts);
reading and checking the file is the job of ``reading`` and ``checks``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField

from auth.admin_forms import optional_int
from centres.models import Centre
from enrollments.imports.batches import open_cohorts
from forms import Form
from language import long_date


class ImportUploadForm(Form):
    """A list of trainees to import at a centre and, optionally, the cohort to register them into (one of
    the centre's cohorts taking applications now)."""

    file = FileField(
        _l("List of trainees (CSV or Excel .xlsx)"),
        validators=[FileRequired(_l("Choose the file to import: a CSV or an Excel workbook (.xlsx)."))],
        render_kw={
            "accept": ".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )
    cohort = SelectField(_l("Register them into"), coerce=optional_int, validate_choice=True)

    def __init__(self, centre: Centre, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cohorts = {cohort.id: cohort for cohort in open_cohorts(centre)}
        self.cohort.choices = [
            SelectChoice("", _("No cohort: create or find the trainee records only")),
            *(
                SelectChoice(
                    cohort.id,
                    _(
                        "%(course)s (%(code)s), starts %(starts)s",
                        course=cohort.course.title,
                        code=cohort.code,
                        starts=long_date(cohort.starts_on),
                    ),
                )
                for cohort in self.cohorts.values()
            ),
        ]

    @property
    def chosen_cohort(self):
        return self.cohorts.get(self.cohort.data)


class ImportConfirmForm(Form):
    """No fields but the CSRF token: the batch is named by the URL it is posted to."""
