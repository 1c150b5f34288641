"""Forms of the admin pages: accounts, and the pieces every admin form shares (optional numbers,
confirmation buttons, showing a service's refusal next to its field).

Forms check the shape of input (present, a number, one of the choices); the rules live in the services.
"""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.fields import enum_coerce
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from auth.models import UserAccount
from centres.models import Centre, District, Province
from extensions import db
from forms import Form
from vocabulary import Role

# Accounts admins make; trainees make their own by signing up.
ADMIN_MADE_ROLES = (Role.STAFF, Role.OVERSEER, Role.CALLER, Role.ADMIN)


def optional_int(value: object) -> int | None:
    """Coerce a select's value to an id; the empty option means None."""
    if value is None or value == "":
        return None
    return int(value)  # type: ignore[call-overload]


def strip_text(value: str | None) -> str | None:
    """Drop the spaces a paste brings along before anything checks the value."""
    return value.strip() if isinstance(value, str) else value


class EmailAddress:
    """An email address in the usual syntax (no DNS look-up). Unlike WTForms' ``Email``, addresses at
    ``.test`` domains pass: the demo and staging accounts live there."""

    def __call__(self, form: Form, field: StringField) -> None:
        try:
            validate_email(field.data or "", check_deliverability=False, test_environment=True)
        except EmailNotValidError as error:
            raise ValidationError(str(error)) from error


class ConfirmForm(Form):
    """No fields but the CSRF token: the POST button of a confirmation page or a one-click action."""


def province_choices() -> list[SelectChoice]:
    provinces = db.session.scalars(select(Province).order_by(Province.name))
    return [SelectChoice("", _("National: every province")), *(SelectChoice(p.id, p.name) for p in provinces)]


def centre_choices(keep: frozenset[int] = frozenset()) -> list[SelectChoice]:
    """Active centres grouped by province, by code and name; the centres in ``keep`` (an account's
    current ones) are offered too when inactive, so that editing the account does not drop them."""
    rows = db.session.execute(
        select(Centre.id, Centre.code, Centre.name, Centre.active, Province.name)
        .join(Centre.district)
        .join(District.province)
        .where(or_(Centre.active.is_(True), Centre.id.in_(keep)))
        .order_by(Province.name, Centre.code)
    )
    return [
        SelectChoice(
            centre_id,
            f"{code} · {name}" if active else _("%(code)s · %(name)s (inactive)", code=code, name=name),
            optgroup=province,
        )
        for centre_id, code, name, active, province in rows
    ]


class AccountForm(Form):
    """A new staff, overseer or admin account."""

    email = EmailField(
        _l("Email"),
        filters=[strip_text],
        validators=[InputRequired(_l("Enter the email address.")), Length(max=254), EmailAddress()],
    )
    full_name = StringField(
        _l("Full name"), filters=[strip_text], validators=[InputRequired(_l("Enter the full name.")), Length(max=200)]
    )
    role = SelectField(_l("Role"), coerce=enum_coerce(Role), validators=[InputRequired(_l("Choose the role."))])
    province = SelectField(_l("Province (overseers, callers)"), coerce=optional_int)
    centres = SelectMultipleField(_l("Centres (staff, callers)"), coerce=int)

    def __init__(self, *args, account: UserAccount | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A trainee's account keeps its role and has no scope: the form offers neither.
        self.for_trainee = account is not None and account.role is Role.TRAINEE
        if self.for_trainee:
            # She may have signed up with her mobile number alone: her email stays optional.
            self.email.validators = [Optional(), Length(max=254), EmailAddress()]
            self.email.flags.required = False
            self.role.choices = [SelectChoice(Role.TRAINEE.value, Role.TRAINEE.label)]
            del self.province, self.centres
            return
        self.role.choices = [SelectChoice(role.value, role.label) for role in ADMIN_MADE_ROLES]
        self.province.choices = province_choices()
        keep = frozenset(m.centre_id for m in account.memberships) if account is not None else frozenset()
        self.centres.choices = centre_choices(keep)

    @staticmethod
    def data_of(user: UserAccount) -> dict:
        """What the form shows for an existing account."""
        return {
            "email": user.email or "",
            "full_name": user.full_name,
            "role": user.role,
            "province": user.province_id,
            "centres": [m.centre_id for m in user.memberships],
            "active": user.active,
        }


class EditAccountForm(AccountForm):
    """An existing account: the same fields, and whether it may sign in."""

    active = BooleanField(_l("Active: may sign in"))
