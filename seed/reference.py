"""Provinces and districts from ``seed/data/pakistan.json``: the reference data every install needs."""

import json
from pathlib import Path

from sqlalchemy import select

from centres.models import District, Province
from extensions import db

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_json(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_reference_data() -> tuple[int, int]:
    """Add the provinces and districts that are missing (matched by code); existing rows are left
    as they are. Returns how many provinces and districts were added. Flushes, does not commit."""
    provinces = {province.code: province for province in db.session.scalars(select(Province))}
    existing_districts = {(district.province_id, district.code) for district in db.session.scalars(select(District))}
    added_provinces = added_districts = 0
    for entry in load_json("pakistan.json")["provinces"]:
        province = provinces.get(entry["code"])
        if province is None:
            province = Province(code=entry["code"], name=entry["name"], name_ur=entry["name_ur"])
            db.session.add(province)
            db.session.flush()
            added_provinces += 1
        for item in entry["districts"]:
            if (province.id, item["code"]) in existing_districts:
                continue
            db.session.add(
                District(
                    province_id=province.id,
                    code=item["code"],
                    name=item["name"],
                    name_ur=item["name_ur"],
                    rural=item["rural"],
                )
            )
            added_districts += 1
    db.session.flush()
    return added_provinces, added_districts
