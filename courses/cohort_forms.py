"""Forms of the staff cohort pages. They check the shape of input (a date, a number, one of the
choices); ``courses.cohorts`` holds the rules.

Application windows are typed as ``datetime-local`` in Pakistan time and handed to the services as
timezone-aware UTC (``to_utc``); the dates of a cohort are plain dates."""

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.fields import enum_choices, enum_coerce
from wtforms.validators import InputRequired, Length, Optional

from auth.admin_forms import optional_int
from centres.models import District, Province
from clock import local_zone
from courses.models import Cohort, Course
from extensions import db
from forms import Form
from language import place_name
from vocabulary import RESERVED_POOLS, Admission, CohortKind, Mode, Pool, Shift, WomenOnlyAdmits

DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
# "Who may apply": not said (camps women-only, regular cohorts open to all), or said either way.
WOMEN_ONLY_CHOICES = [
    SelectChoice("", _l("As usual (camps: women only)")),
    SelectChoice("yes", _l("Women only")),
    SelectChoice("no", _l("Everyone")),
]
WOMEN_ONLY_VALUES = {"": None, "yes": True, "no": False}
RESERVED_FIELD_NAMES = tuple(f"reserved_{pool.value}" for pool in RESERVED_POOLS)


def choices_of(vocabulary: type) -> list:
    return enum_choices(vocabulary, label=lambda member: member.lazy_label)


def course_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(Course.id, Course.code, Course.title).order_by(Course.code))
    return [
        SelectChoice("", _("Choose a course")),
        *(SelectChoice(id_, f"{code} · {title}") for id_, code, title in rows),
    ]


def eligible_district_choices(empty: str | None = None) -> list[SelectChoice]:
    """Every district, grouped by province, after an empty choice (``empty``, default "Any district")."""
    districts = db.session.scalars(
        select(District)
        .join(District.province)
        .options(contains_eager(District.province))
        .order_by(Province.name, District.name)
    )
    return [
        SelectChoice("", empty or _("Any district")),
        *(SelectChoice(d.id, place_name(d), optgroup=place_name(d.province)) for d in districts),
    ]


def eligible_province_choices() -> list[SelectChoice]:
    provinces = db.session.scalars(select(Province).order_by(Province.name))
    return [SelectChoice("", _("Any province")), *(SelectChoice(p.id, place_name(p)) for p in provinces)]


def to_utc(moment: datetime | None) -> datetime | None:
    """A ``datetime-local`` value, read as Pakistan time, in UTC."""
    return moment.replace(tzinfo=local_zone()).astimezone(UTC) if moment is not None else None


def to_pakistan_time(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the naive Pakistan wall-clock time a ``datetime-local`` input shows."""
    return moment.astimezone(local_zone()).replace(tzinfo=None) if moment is not None else None


class CohortForm(Form):
    """A cohort as staff edit it (the code and the centre are fixed once the cohort exists)."""

    course_id = SelectField(_l("Course"), coerce=optional_int, validators=[InputRequired(_l("Choose the course."))])
    kind = SelectField(
        _l("Kind"),
        choices=choices_of(CohortKind),
        coerce=enum_coerce(CohortKind),
        default=CohortKind.REGULAR,
        validators=[InputRequired(_l("Choose a regular cohort or a training camp."))],
    )
    women_only = SelectField(_l("Who may apply"), choices=WOMEN_ONLY_CHOICES, default="")
    women_only_admits = SelectField(
        _l("A women-only cohort admits"),
        choices=choices_of(WomenOnlyAdmits),
        coerce=enum_coerce(WomenOnlyAdmits),
        default=WomenOnlyAdmits.WOMEN,  # absent from a form posted by an older page: the rule so far
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Enter the first day as a date."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Enter the last day as a date."))])
    shift = SelectField(
        _l("Shift"),
        choices=choices_of(Shift),
        coerce=enum_coerce(Shift),
        validators=[InputRequired(_l("Choose the shift."))],
    )
    mode = SelectField(
        _l("Mode"),
        choices=choices_of(Mode),
        coerce=enum_coerce(Mode),
        default=Mode.ON_SITE,
        validators=[InputRequired(_l("Choose on-site, online or hybrid."))],
    )
    seats = IntegerField(
        _l("Seats"),
        validators=[InputRequired(_l("Enter the number of seats, from 1 to 1,000."))],
        render_kw={"min": 1, "max": 1000},
    )
    admission = SelectField(
        _l("Admission"),
        choices=choices_of(Admission),
        coerce=enum_coerce(Admission),
        default=Admission.FIRST_COME,
        validators=[InputRequired(_l("Choose how seats are given."))],
    )
    applications_open_at = DateTimeLocalField(
        _l("Applications open"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()]
    )
    applications_close_at = DateTimeLocalField(
        _l("Applications close"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()]
    )
    venue = StringField(_l("Venue"), validators=[Length(max=240)])
    venue_district_id = SelectField(_l("Venue's district"), coerce=optional_int, validate_choice=False)
    eligible_province_id = SelectField(_l("Residents of province"), coerce=optional_int, validate_choice=False)
    eligible_district_id = SelectField(_l("Residents of district"), coerce=optional_int, validate_choice=False)
    reserved_women = IntegerField(_l("For women"), default=0, validators=[Optional()], render_kw={"min": 0})
    reserved_rural = IntegerField(_l("For rural applicants"), default=0, validators=[Optional()], render_kw={"min": 0})
    reserved_district = IntegerField(
        _l("For residents of the centre's district"), default=0, validators=[Optional()], render_kw={"min": 0}
    )
    reserved_disability = IntegerField(
        _l("For persons with disability"), default=0, validators=[Optional()], render_kw={"min": 0}
    )
    release_at = DateTimeLocalField(
        _l("Unfilled reserved seats become open"), format=DATETIME_LOCAL_FORMATS, validators=[Optional()]
    )
    offers = BooleanField(_l("Offer seats from the waitlist, to accept by a deadline"))
    offer_hours = IntegerField(
        _l("Hours to accept an offer"),
        default=72,
        validators=[Optional()],
        render_kw={"min": 1, "max": 720},
    )
    test_weight = IntegerField(
        _l("Weight of the test (%)"),
        default=70,
        validators=[Optional()],
        render_kw={"min": 0, "max": 100},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.course_id.choices = course_choices()
        self.eligible_province_id.choices = eligible_province_choices()
        self.eligible_district_id.choices = eligible_district_choices()
        self.venue_district_id.choices = eligible_district_choices(_("The centre's district"))

    @property
    def women_only_value(self) -> bool | None:
        return WOMEN_ONLY_VALUES.get(self.women_only.data)

    @staticmethod
    def data_of(cohort: Cohort) -> dict:
        """What the form shows for an existing cohort (window times in Pakistan time)."""
        return {
            "course_id": cohort.course_id,
            "kind": cohort.kind,
            "women_only": "yes" if cohort.women_only else "no",
            "women_only_admits": cohort.women_only_admits,
            "starts_on": cohort.starts_on,
            "ends_on": cohort.ends_on,
            "shift": cohort.shift,
            "mode": cohort.mode,
            "seats": cohort.seats,
            "admission": cohort.admission,
            "applications_open_at": to_pakistan_time(cohort.applications_open_at),
            "applications_close_at": to_pakistan_time(cohort.applications_close_at),
            "venue": cohort.venue,
            "venue_district_id": cohort.venue_district_id,
            "eligible_province_id": cohort.eligible_province_id,
            "eligible_district_id": cohort.eligible_district_id,
            **{name: getattr(cohort, name) for name in RESERVED_FIELD_NAMES},
            "release_at": to_pakistan_time(cohort.release_at),
            "offers": cohort.offers,
            "offer_hours": cohort.offer_hours,
            "test_weight": cohort.test_weight,
        }

    @property
    def reserved_value(self) -> dict[Pool, int]:
        """The seats reserved per pool as typed (empty: none)."""
        return {pool: getattr(self, f"reserved_{pool.value}").data or 0 for pool in RESERVED_POOLS}


class NewCohortForm(CohortForm):
    """A new cohort: its details, and the code it will keep (empty: one is made up)."""

    code = StringField(_l("Code"), validators=[Length(max=32)])


class StatusForm(Form):
    """The confirmation button of a status change: the status to move to."""

    to = HiddenField(_l("New status"), validators=[InputRequired(_l("Choose the status to move the cohort to."))])
