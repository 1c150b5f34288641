"""Finding the district a row names (``DistrictIndex``)."""

import difflib
import re
from collections import defaultdict
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from centres.models import District
from enrollments.identity import InvalidInput
from enrollments.imports.cells import cell_text
from enrollments.imports.columns import heading_key, listed
from extensions import db


class DistrictIndex:
    """Every district, loaded in one query, found by name (English or Urdu, any case). A name held by
    districts of several provinces means the one in the centre's province; failing that, the province
    must be written too (``Hyderabad, Sindh`` or ``Hyderabad (Sindh)``)."""

    def __init__(self, home_province_id: int | None) -> None:
        self.home_province_id = home_province_id
        self.districts = list(db.session.scalars(select(District).options(selectinload(District.province))))
        self.by_name: dict[str, list[District]] = defaultdict(list)
        for district in self.districts:
            for name in {heading_key(district.name), heading_key(district.name_ur)} - {""}:
                self.by_name[name].append(district)
        self.provinces = {
            key: district.province
            for district in self.districts
            for key in (heading_key(district.province.name), heading_key(district.province.code))
        }
        self.names = sorted({district.name for district in self.districts})
        self.by_id = {district.id: district for district in self.districts}

    def find(self, value: Any) -> District:
        text = cell_text(value)
        if not text:
            raise InvalidInput(_("Enter the district."))
        # heading_key drops a bracketed hint: "Hyderabad (Sindh)" is looked up as "Hyderabad" first.
        named = self.by_name.get(heading_key(text), [])
        if qualified := re.match(r"^(.*?)\s*(?:,|\()\s*([^,()]+?)\)?$", text):
            province = self.provinces.get(heading_key(qualified.group(2)))
            in_province = [
                district
                for district in self.by_name.get(heading_key(qualified.group(1)), [])
                if province is not None and district.province_id == province.id
            ]
            named = in_province or named
        candidates = named
        if len(named) > 1:
            candidates = [district for district in named if district.province_id == self.home_province_id]
        if len(candidates) > 1 or (named and not candidates):
            provinces = sorted({district.province.name for district in named})
            raise InvalidInput(
                _(
                    "There is a district called “%(text)s” in %(provinces)s: write the province too, "
                    "e.g. “%(text)s, %(province)s”.",
                    text=text,
                    provinces=listed(provinces),
                    province=provinces[0],
                )
            )
        if not candidates:
            close = difflib.get_close_matches(text.title(), self.names, n=1, cutoff=0.75)
            if close:
                raise InvalidInput(
                    _("There is no district called “%(text)s”. Did you mean %(name)s?", text=text, name=close[0])
                )
            raise InvalidInput(_("There is no district called “%(text)s”. Check the spelling.", text=text))
        return candidates[0]
