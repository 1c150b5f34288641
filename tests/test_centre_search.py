"""One centre search (issue 13, item 2): the public list (``/centres/``), the admins' list (``/centres/manage``)
and ``GET /api/v1/centres`` all narrow with ``centres.queries.centres_select``, so the same words find the
same centres in each."""

import re

import pytest

from centres.queries import centres_select
from extensions import db
from vocabulary import PartnerType, Role


@pytest.fixture
def centres(make_province, make_district, make_centre):
    punjab, sindh = make_province(code="PB", name="Punjab"), make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    karachi = make_district(sindh, code="KHS", name="Karachi South")
    return {
        centre.code: centre
        for centre in (
            make_centre(lahore, code="PB-LHR-01", name="Arfa Tower Centre", partner_name="Punjab IT Board"),
            make_centre(
                lahore,
                code="PB-LHR-02",
                name="Model Town Centre",
                partner_type=PartnerType.NGO,
                partner_name="Akhuwat Foundation",
            ),
            make_centre(karachi, code="SD-KHS-01", name="Karachi 100% Skills Centre"),
            make_centre(lahore, code="PB-LHR-09", name="Closed Lahore Centre", active=False),
        )
    }


SEARCHES = [
    ({"text": "karachi"}, "q=karachi", {"SD-KHS-01"}),  # the district's name, and the centre's
    ({"text": "AKHUWAT"}, "q=AKHUWAT", {"PB-LHR-02"}),  # the partner's name, any case
    ({"text": "pb-lhr"}, "q=pb-lhr", {"PB-LHR-01", "PB-LHR-02"}),  # the code (the inactive one is not listed)
    ({"text": "100%"}, "q=100%25", {"SD-KHS-01"}),  # % is a character, not a wildcard
    ({"text": "_"}, "q=_", set()),
    ({"province_code": "PB"}, "province=PB", {"PB-LHR-01", "PB-LHR-02"}),
    ({"text": "lahore", "province_code": "SD"}, "q=lahore&province=SD", set()),
]


@pytest.mark.parametrize(("narrowed", "query", "expected"), SEARCHES)
def test_the_three_lists_find_the_same_centres(client, sign_in, make_user, centres, narrowed, query, expected):
    assert {centre.code for centre in db.session.scalars(centres_select(**narrowed))} == expected

    def listed(path: str) -> set[str]:
        page = client.get(path).get_data(as_text=True)
        return {code for code in centres if f">{code}<" in page}

    api = client.get(f"/api/v1/centres?{query}").get_json()
    assert {item["code"] for item in api["items"]} == expected
    assert listed(f"/centres/?{query}") == expected
    sign_in(make_user(Role.ADMIN))
    assert listed(f"/centres/manage?{query}&active=1") == expected


def test_the_admins_see_inactive_centres_when_they_ask(app, centres):
    assert {centre.code for centre in db.session.scalars(centres_select(text="lahore", active=None))} == {
        "PB-LHR-01",
        "PB-LHR-02",
        "PB-LHR-09",
    }
    assert {centre.code for centre in db.session.scalars(centres_select(active=False))} == {"PB-LHR-09"}


def test_the_centre_list_filters_by_district_in_one_step(client, centres):
    """Every district is on offer, grouped by province, so that one submit works without JavaScript; a
    district decides its province (here chosen under the wrong one)."""
    karachi = centres["SD-KHS-01"].district
    page = client.get(f"/centres/?province=PB&district={karachi.id}").get_data(as_text=True)
    assert {code for code in centres if f">{code}<" in page} == {"SD-KHS-01"}
    assert '<option value="SD" selected>' in page
    assert '<optgroup label="Punjab" data-province="PB">' in page and ">Lahore</option>" in page
    assert re.search(r"js/place-filter\.[0-9a-f]{12}\.js", page)  # named by its content (static_files)


def test_the_admins_list_filters_by_district_too(client, sign_in, make_user, centres):
    sign_in(make_user(Role.ADMIN))
    lahore = centres["PB-LHR-01"].district
    page = client.get(f"/centres/manage?district={lahore.id}").get_data(as_text=True)
    assert {code for code in centres if f">{code}<" in page} == {"PB-LHR-01", "PB-LHR-02", "PB-LHR-09"}
    assert '<option value="PB" selected>' in page and f'<option value="{lahore.id}" selected>' in page
