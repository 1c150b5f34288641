"""Forms of the centre admin pages. They check the shape of input; ``centres.services`` holds the rules."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields import enum_choices, enum_coerce
from wtforms.validators import InputRequired, Length

from auth.admin_forms import optional_int
from centres.models import District, Province
from extensions import db
from forms import Form
from vocabulary import PartnerType


def district_choices() -> list[SelectChoice]:
    """Every district, grouped by province (``<optgroup>``), after an empty first option."""
    rows = db.session.execute(
        select(District.id, District.name, Province.name).join(District.province).order_by(Province.name, District.name)
    )
    return [
        SelectChoice("", _("Choose a district")),
        *(SelectChoice(district_id, name, optgroup=province) for district_id, name, province in rows),
    ]


class CentreForm(Form):
    """A centre's details as an admin edits them (the code is fixed once the centre exists)."""

    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the name.")), Length(max=160)])
    district_id = SelectField(
        _l("District"), coerce=optional_int, validators=[InputRequired(_l("Choose the district."))]
    )
    address = TextAreaField(_l("Address"), validators=[Length(max=1000)], render_kw={"rows": 3})
    partner_type = SelectField(
        _l("Kind of partner"),
        choices=enum_choices(PartnerType, label=lambda member: member.label),
        coerce=enum_coerce(PartnerType),
        validators=[InputRequired(_l("Choose the kind of partner."))],
    )
    partner_name = StringField(
        _l("Partner"), validators=[InputRequired(_l("Enter the name of the partner.")), Length(max=200)]
    )
    lab_seats = IntegerField(
        _l("Lab seats"),
        validators=[InputRequired(_l("Enter the number of lab seats (0 if the centre has no lab)."))],
        render_kw={"min": 0},
    )
    women_only = BooleanField(_l("Women-only centre"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.district_id.choices = district_choices()


class NewCentreForm(CentreForm):
    """A new centre: its details and the code it will keep."""

    code = StringField(
        _l("Code"), validators=[InputRequired(_l("Enter the centre's code, e.g. PB-LHR-01.")), Length(max=16)]
    )
