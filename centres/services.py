"""Centres as admins manage them: create, edit, deactivate and reactivate.

Every function takes the acting user, checks all its rules before it writes anything, records one audit
event per change (with the centre's id, so that the centre's staff and overseers see it in their
scope), flushes and never commits: the request commits once. Refusals name the field concerned.
"""

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from audit.events import record, snapshot
from auth.models import UserAccount
from centres.models import Centre, District
from courses.models import Cohort
from extensions import db
from outcomes import rollups
from refusals import Conflict, Refusal
from vocabulary import CohortStatus, PartnerType

# Province code (2–3 letters), district code (3 letters), two digits: PB-LHR-01, AJK-MZD-02.
CENTRE_CODE = re.compile(r"[A-Z]{2,3}-[A-Z]{3}-[0-9]{2}")
CENTRE_FIELDS = (
    "code",
    "name",
    "district_id",
    "address",
    "partner_type",
    "partner_name",
    "lab_seats",
    "women_only",
    "active",
)
# More than any computer lab holds: a larger figure is a typing slip (and would overflow the column).
MAX_LAB_SEATS = 10_000
# Line breaks and tabs belong in an address or a summary; no other control character belongs anywhere.
MULTILINE_WHITESPACE = frozenset("\n\r\t")


@dataclass(frozen=True)
class CentreDetails:
    """A centre as an admin describes it. ``code`` is chosen once, when the centre is created."""

    code: str
    name: str
    district_id: int | None
    address: str
    partner_type: PartnerType | None
    partner_name: str
    lab_seats: int | None
    women_only: bool = False


def tidy_text(value: str | None, *, field: str, what: str, max_length: int, multiline: bool = False) -> str:
    """``value`` stripped of surrounding space; single-line text also has inner runs of spaces made one.
    Refuses (naming ``field``) control characters and text longer than ``max_length``; ``what`` names
    the input in the message, translated (``_("The name")``)."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if not multiline:
        text = " ".join(text.split())
    allowed = MULTILINE_WHITESPACE if multiline else frozenset()
    if any(unicodedata.category(char) == "Cc" and char not in allowed for char in text):
        raise Refusal(_("%(what)s holds invisible control characters: type it again.", what=what), field)
    if len(text) > max_length:
        raise Refusal(
            _(
                "%(what)s can be at most %(most)s characters; this is %(length)s.",
                what=what,
                most=max_length,
                length=len(text),
            ),
            field,
        )
    return text


def required_text(value: str | None, *, field: str, what: str, max_length: int, missing: str) -> str:
    """Like ``tidy_text``, refusing with ``missing`` when nothing is left."""
    text = tidy_text(value, field=field, what=what, max_length=max_length)
    if not text:
        raise Refusal(missing, field)
    return text


def normalise_centre_code(code: str | None) -> str:
    """``pb-lhr-01`` → ``PB-LHR-01``; ``Refusal`` on "code" unless the result has the centre code format."""
    cleaned = (code or "").strip().upper()
    if not cleaned:
        raise Refusal(_("Enter the centre's code, e.g. PB-LHR-01."), "code")
    if not CENTRE_CODE.fullmatch(cleaned):
        raise Refusal(
            _(
                "A centre code is the province code (2–3 letters), the district code (3 letters) and two digits, "
                "e.g. PB-LHR-01."
            ),
            "code",
        )
    return cleaned


def _checked(details: CentreDetails) -> dict:
    """The centre's fields from ``details``, cleaned; refuses the first one that is wrong."""
    name = required_text(details.name, field="name", what=_("The name"), max_length=160, missing=_("Enter the name."))
    district = db.session.get(District, details.district_id) if details.district_id else None
    if district is None:
        raise Refusal(_("Choose the district from the list."), "district_id")
    address = tidy_text(details.address, field="address", what=_("The address"), max_length=1000, multiline=True)
    partner_type = PartnerType.parse(details.partner_type)
    if partner_type is None:
        raise Refusal(_("Choose the kind of partner that runs the centre."), "partner_type")
    partner_name = required_text(
        details.partner_name,
        field="partner_name",
        what=_("The partner's name"),
        max_length=200,
        missing=_("Enter the name of the partner that runs the centre."),
    )
    seats = details.lab_seats
    if seats is None:
        raise Refusal(_("Enter the number of lab seats (0 if the centre has no lab)."), "lab_seats")
    if seats < 0:
        raise Refusal(_("Lab seats cannot be negative."), "lab_seats")
    if seats > MAX_LAB_SEATS:
        raise Refusal(
            _("%(seats)s lab seats is more than any centre has: check the number.", seats=format_number(seats)),
            "lab_seats",
        )
    return {
        "name": name,
        "district": district,
        "address": address,
        "partner_type": partner_type,
        "partner_name": partner_name,
        "lab_seats": seats,
        "women_only": bool(details.women_only),
    }


def create_centre(details: CentreDetails, *, actor: UserAccount) -> Centre:
    """Add an active centre and record ``centre.create``.

    Rules: the code has the form PB-LHR-01 (typed in any case) and starts with the codes of the
    centre's own province and district; no other centre has it (``Conflict`` on "code"); the district
    exists; name and partner name are given; lab seats run from 0 to ``MAX_LAB_SEATS``. Raises
    ``Refusal`` naming the field, before anything is written."""
    code = normalise_centre_code(details.code)
    values = _checked(details)
    district: District = values["district"]
    prefix = f"{district.province.code}-{district.code}-"
    if not code.startswith(prefix):
        raise Refusal(
            _(
                "A centre in %(district)s (%(province)s) has a code starting %(prefix)s, e.g. %(prefix)s01.",
                district=district.name,
                province=district.province.name,
                prefix=prefix,
            ),
            "code",
        )
    existing = db.session.scalar(select(Centre).where(Centre.code == code))
    if existing is not None:
        raise Conflict(
            _(
                "The code %(code)s belongs to %(centre)s already: choose another number.",
                code=code,
                centre=existing.name,
            ),
            "code",
        )
    centre = Centre(code=code, active=True, **values)
    db.session.add(centre)
    db.session.flush()
    record(actor, "centre.create", centre, after=snapshot(centre, CENTRE_FIELDS), centre_id=centre.id)
    return centre


def update_centre(centre: Centre, details: CentreDetails, *, actor: UserAccount) -> Centre:
    """Change a centre's name, district, address, partner, lab seats or women-only flag, and record
    ``centre.update`` with the state before and after (nothing is recorded when nothing changed).

    The code never changes once a centre exists (public links, cohort codes and staff accounts use it):
    a different code is refused. The other rules are those of ``create_centre``; ``active`` changes only
    through ``deactivate_centre`` and ``reactivate_centre``."""
    if (details.code or "").strip().upper() != centre.code:
        raise Refusal(_("A centre's code cannot change once the centre exists."), "code")
    values = _checked(details)
    before = snapshot(centre, CENTRE_FIELDS)
    # The outcomes report's roll-ups group graduates by their centre's district (and province) and partner type:
    # a change of either moves the centre's graduates to their new groups, in this transaction.
    regrouped = values["district"].id != centre.district_id or values["partner_type"] != centre.partner_type
    if regrouped:
        rollups.shift(-1, centre_id=centre.id)
    for name, value in values.items():
        setattr(centre, name, value)
    db.session.flush()
    if regrouped:
        rollups.shift(+1, centre_id=centre.id)
    after = snapshot(centre, CENTRE_FIELDS)
    if after != before:
        record(actor, "centre.update", centre, before=before, after=after, centre_id=centre.id)
    return centre


def open_cohort_codes(centre: Centre) -> list[str]:
    """Codes of the centre's cohorts that are open for applications, in code order."""
    return list(
        db.session.scalars(
            select(Cohort.code)
            .where(Cohort.centre_id == centre.id, Cohort.status == CohortStatus.OPEN)
            .order_by(Cohort.code)
        )
    )


def deactivate_centre(centre: Centre, *, actor: UserAccount) -> Centre:
    """Take a centre out of the public lists and the catalogue, and record ``centre.deactivate``.

    Refused while the centre has cohorts open for applications (trainees could be applying to them
    right now), and for a centre that is inactive already. Its cohorts, staff and records stay."""
    if not centre.active:
        raise Refusal(_("%(code)s is inactive already.", code=centre.code))
    open_codes = open_cohort_codes(centre)
    if open_codes:
        shown = ", ".join(open_codes[:5])
        if len(open_codes) > 5:
            shown = _("%(codes)s and %(more)s more", codes=shown, more=len(open_codes) - 5)
        raise Refusal(
            ngettext(
                "%(num)d cohort is open for applications at %(centre)s (%(codes)s): "
                "close or cancel its open cohorts first.",
                "%(num)d cohorts are open for applications at %(centre)s (%(codes)s): "
                "close or cancel its open cohorts first.",
                len(open_codes),
                centre=centre.code,
                codes=shown,
            )
        )
    centre.active = False
    db.session.flush()
    record(actor, "centre.deactivate", centre, before={"active": True}, after={"active": False}, centre_id=centre.id)
    return centre


def reactivate_centre(centre: Centre, *, actor: UserAccount) -> Centre:
    """Bring an inactive centre back into the public lists and record ``centre.reactivate``; refused
    for a centre that is active already."""
    if centre.active:
        raise Refusal(_("%(code)s is active already.", code=centre.code))
    centre.active = True
    db.session.flush()
    record(actor, "centre.reactivate", centre, before={"active": False}, after={"active": True}, centre_id=centre.id)
    return centre
