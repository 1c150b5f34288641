"""Finding centres: the one search behind the public list, the admins' list and ``GET /api/v1/centres``."""

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from centres.models import Centre, District, Province
from courses.catalogue import contains_text
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
