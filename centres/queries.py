"""Finding centres: the one search behind the public list, the admins' list and ``GET /api/v1/centres``."""

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, selectinload

from centres.models import Centre, District, Province
from courses.catalogue import contains_text
from extensions import db
from vocabulary import PartnerType


def centres_select(
    *,
    text: str = "",
    province_code: str | None = None,
    district_id: int | None = None,
    district_code: str | None = None,
    partner_type: PartnerType | None = None,
    active: bool | None = True,
) -> Select:
    """Centres joined to their district and province (both loaded with them), narrowed by whatever is
    given: ``text`` found (case-insensitively, ``%`` and ``_`` taken literally) in the name, the
    partner's name, the district's name or the code; a province (by code); a district (by id, or by code:
    a few codes repeat across provinces); a kind of partner; active or inactive centres (None: both).
    Unordered: each list orders it as it shows it."""
    stmt = (
        select(Centre)
        .join(Centre.district)
        .join(District.province)
        .options(contains_eager(Centre.district).contains_eager(District.province))
    )
    if active is not None:
        stmt = stmt.where(Centre.active.is_(active))
    if province_code is not None:
        stmt = stmt.where(Province.code == province_code)
    if district_id is not None:
        stmt = stmt.where(District.id == district_id)
    if district_code is not None:
        stmt = stmt.where(District.code == district_code)
    if partner_type is not None:
        stmt = stmt.where(Centre.partner_type == partner_type)
    if text:
        stmt = stmt.where(contains_text(text, Centre.name, Centre.partner_name, District.name, Centre.code))
    return stmt


def provinces_with_districts() -> list[Province]:
    """Every province by name, each with its districts (by name) loaded: what a page's place filters list."""
    return list(db.session.scalars(select(Province).options(selectinload(Province.districts)).order_by(Province.name)))


def chosen_place(province_code: str, district_id: int) -> tuple[Province | None, District | None]:
    """The province and district a visitor filters by, from what the query string said (unknown values: None).
    A district decides its province: a visitor who chose Lahore under "Sindh" (the list holds every district
    when the page runs without JavaScript) sees Lahore."""
    district = db.session.get(District, district_id) if district_id > 0 else None
    if district is not None:
        return district.province, district
    province = db.session.scalar(select(Province).where(Province.code == province_code)) if province_code else None
    return province, None
