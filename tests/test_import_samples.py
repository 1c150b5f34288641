"""The sample lists of the import page (issue 14, item 10): made from the import's own columns, they read
back through the import itself without a single problem, in CSV and XLSX."""

import pytest
from pages import csv_rows, decoded

from enrollments.imports.batches import preview_file
from enrollments.imports.columns import COLUMNS, REQUIRED
from vocabulary import Role


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-01")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_sample_list_reads_back_through_the_import_without_problems(client, sign_in, make_user, centre, fmt):
    staff = make_user(Role.STAFF, centres=(centre,))
    response = sign_in(staff).get(f"/enrollments/centres/{centre.code}/import/sample.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=markaz-import-sample.{fmt}"
    preview = preview_file(response.get_data(), f"sample.{fmt}", centre, None)
    assert preview.problems == [] and preview.counts() == {"rows": 2, "new": 2, "existing": 0, "problems": 0}
    women_and_men = [row.details.gender.value for row in preview.valid]
    assert women_and_men == ["female", "male"]


def test_the_sample_has_every_column_the_import_reads(client, sign_in, make_user, centre):
    staff = make_user(Role.STAFF, centres=(centre,))
    rows = csv_rows(sign_in(staff).get(f"/enrollments/centres/{centre.code}/import/sample.csv"))
    assert rows[0] == [str(column.label) for column in COLUMNS]
    assert all(rows[1][index] and rows[2][index] for index, column in enumerate(COLUMNS) if column.field in REQUIRED)
    assert rows[1][[column.field for column in COLUMNS].index("district")] == centre.district.name


def test_the_import_page_links_the_samples(client, sign_in, make_user, centre, make_centre):
    page = decoded(sign_in(make_user(Role.STAFF, centres=(centre,))).get(f"/enrollments/centres/{centre.code}/import"))
    assert f'href="/enrollments/centres/{centre.code}/import/sample.xlsx"' in page
    assert f'href="/enrollments/centres/{centre.code}/import/sample.csv"' in page
    other = make_user(Role.STAFF, centres=(make_centre(),))
    assert sign_in(other).get(f"/enrollments/centres/{centre.code}/import/sample.csv").status_code == 403
