"""Issue 14, item 13: on Urdu pages the capacity audit names provinces and districts in Urdu everywhere (tables,
chart labels, page titles, the province filter), as its breadcrumb does; downloads keep the English names."""

import json
import re

import pytest
from pages import act_as, csv_rows, text

from vocabulary import Role


@pytest.fixture
def urdu_reader(client, make_province, make_district, make_centre, make_cohort, make_user):
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    sindh = make_province(code="SD", name="Sindh", name_ur="سندھ")
    lahore = make_district(punjab, code="LHR", name="Lahore", name_ur="لاہور")
    make_cohort(make_centre(lahore, code="PB-LHR-01"), seats=10)
    make_cohort(make_centre(make_district(sindh, code="KHI", name="Karachi", name_ur="کراچی"), code="SD-KHI-01"))
    act_as(client, make_user(Role.OVERSEER))
    client.set_cookie("markaz_lang", "ur")
    return client


def row_headers(page: str) -> list[str]:
    table = page[page.index('id="audit-table"') :]
    table = table[: table.index("</tbody>")]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r'<th scope="row">(.*?)</th>', table, re.S)
    ]


def test_the_national_table_and_chart_name_provinces_in_urdu(urdu_reader):
    page = text(urdu_reader.get("/oversight/"))
    assert row_headers(page) == ["پنجاب", "سندھ"]
    charts = json.loads(re.search(r'id="oversight-chart-data">(.*?)</script>', page, re.S).group(1))
    assert charts["utilisation"]["labels"] == ["پنجاب", "سندھ"]
    assert "Punjab" not in page and "Sindh" not in page


def test_a_province_page_has_its_urdu_name_in_the_title_and_its_districts_in_urdu(urdu_reader):
    page = text(urdu_reader.get("/oversight/provinces/PB"))
    assert re.search(r"<title>\s*پنجاب", page)
    assert row_headers(page) == ["لاہور"]
    assert "Lahore" not in page


def test_the_track_page_offers_provinces_in_urdu(urdu_reader):
    page = text(urdu_reader.get("/oversight/tracks"))
    assert '<option value="PB" >پنجاب</option>' in page


def test_downloads_keep_the_english_names(urdu_reader):
    rows = csv_rows(urdu_reader.get("/oversight/exports/capacity.csv?by=province"))
    assert [row[1] for row in rows[1:3]] == ["Punjab", "Sindh"]
