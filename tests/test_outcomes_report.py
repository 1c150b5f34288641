"""The outcomes report (issue 18, item 5): ``oversight.queries.outcomes_report`` against figures worked out by hand,
suppression at 4 and 5 answers, the page (English and Urdu), the downloads and ``GET /api/v1/reports/outcomes``,
within each reader's scope."""

from datetime import date

import pytest
from harness import kept_world
from outcome_world import EMPLOYED, FREELANCING, LOOKING, answer, graduate
from pages import csv_notes, csv_rows, text
from pytest import approx

from auth.permissions import OversightScope
from extensions import db
from language import LANGUAGE_COOKIE
from oversight.queries.outcomes import outcomes_report
from tests.api_helpers import FORBIDDEN, UNAUTHORIZED, api_error, bearer
from vocabulary import Area, CohortStatus, Gender, PartnerType, Role, Track

F, M = Gender.FEMALE, Gender.MALE
URBAN, RURAL = Area.URBAN, Area.RURAL
ROLES = ("anonymous", "trainee", "caller", "staff_a", "overseer", "punjab_overseer", "admin")


class Graduates:
    """Wave of 3 months. Punjab: centre A (Lahore, a university), centre M (Multan, an NGO); Sindh: centre B.

    ======  ======  =====================================================================================
    cohort  centre  graduates (gender, area: activities, monthly PKR)
    ======  ======  =====================================================================================
    cA SWD  A       F urban: freelancing 20k, 40k, 60k; F rural: freelancing 80k, 100k;
                    M urban: employed 30k, 50k; M rural: employed 0, looking for work;
                    F urban and M urban: no answer
    cM SWD  M       F urban: employed 10k, 15k, 25k; M urban: looking for work ×2
    cB MKT  B       F urban: freelancing 50k ×4; F urban ×2: no answer
    ======  ======  =====================================================================================
    """

    def __init__(self, make_province, make_district, make_centre, make_course, make_cohort, make_trainee,
                 make_enrollment, make_user):  # fmt: skip
        self.punjab = make_province(code="PB", name="Punjab")
        sindh = make_province(code="SD", name="Sindh")
        lahore = make_district(self.punjab, code="LHR", name="Lahore")
        multan = make_district(self.punjab, code="MUL", name="Multan")
        karachi = make_district(sindh, code="KHS", name="Karachi South")
        self.centre_a = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre", partner_type=PartnerType.UNIVERSITY)
        centre_m = make_centre(multan, code="PB-MUL-01", name="Multan Centre", partner_type=PartnerType.NGO)
        centre_b = make_centre(karachi, code="SD-KHS-01", name="Karachi Centre", partner_type=PartnerType.NGO)
        swd = make_course(code="WEB-101", track=Track.SOFTWARE_DEVELOPMENT)
        mkt = make_course(code="MKT-101", track=Track.DIGITAL_MARKETING)

        def cohort(centre, course, ends_on):
            return make_cohort(
                centre, course, status=CohortStatus.FINISHED, starts_on=date(ends_on.year, 1, 5), ends_on=ends_on
            )

        def people(cohort, gender, area, answers):
            for given in answers:
                [wave] = graduate(make_trainee, make_enrollment, cohort, district=lahore, gender=gender, area=area)
                if given is not None:
                    answer(wave, *given)

        c_a, c_m, c_b = (
            cohort(self.centre_a, swd, date(2030, 3, 1)),
            cohort(centre_m, swd, date(2030, 4, 1)),
            cohort(centre_b, mkt, date(2030, 4, 1)),
        )
        people(c_a, F, URBAN, [(FREELANCING, 20_000), (FREELANCING, 40_000), (FREELANCING, 60_000), None])
        people(c_a, F, RURAL, [(FREELANCING, 80_000), (FREELANCING, 100_000)])
        people(c_a, M, URBAN, [(EMPLOYED, 30_000), (EMPLOYED, 50_000), None])
        people(c_a, M, RURAL, [(EMPLOYED, 0), (LOOKING, None)])
        people(c_m, F, URBAN, [(EMPLOYED, 10_000), (EMPLOYED, 15_000), (EMPLOYED, 25_000)])
        people(c_m, M, URBAN, [(LOOKING, None), (LOOKING, None)])
        people(c_b, F, URBAN, [(FREELANCING, 50_000)] * 4 + [None, None])
        db.session.commit()
        self.users = {
            "anonymous": None,
            "trainee": make_user(Role.TRAINEE),
            "caller": make_user(Role.CALLER, province=self.punjab),
            "staff_a": make_user(Role.STAFF, centres=(self.centre_a,)),
            "overseer": make_user(Role.OVERSEER),
            "punjab_overseer": make_user(Role.OVERSEER, province=self.punjab),
            "admin": make_user(Role.ADMIN),
        }
        self.tokens = {role: bearer(user) if user is not None else {} for role, user in self.users.items()}


@kept_world
def grads(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment,
          make_user):  # fmt: skip
    return Graduates(
        make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment, make_user
    )


def by_key(rows) -> dict:
    return {row.key: row for row in rows}


def test_the_figures_match_the_hand_count(grads):
    report = outcomes_report(OversightScope(), 3, "province")
    rows = by_key(report.rows)
    punjab, sindh = rows["PB"], rows["SD"]
    assert (punjab.waves, punjab.answers, punjab.response_rate) == (16, 14, approx(14 / 16))
    assert (punjab.share_working, punjab.share_freelancing, punjab.share_earning) == approx((11 / 14, 5 / 14, 10 / 14))
    assert punjab.earners == 10
    # Nearest rank of 10, 15, 20, 25, 30, 40, 50, 60, 80, 100 (thousand): 3rd, 5th, 8th; within 10%.
    assert punjab.earnings_q1 == approx(20_000, rel=0.1)
    assert punjab.earnings_median == approx(30_000, rel=0.1)
    assert punjab.earnings_q3 == approx(60_000, rel=0.1)
    assert punjab.reported_monthly_pkr == 430_000
    # Women: 8 answers, all earning; men: 6 answers, 2 earning (too few earners for a median).
    assert (punjab.women_answers, punjab.men_answers) == (8, 6)
    assert punjab.women_gap_earning == approx(1 - 2 / 6)
    assert punjab.women_gap_median is None
    # Rural: 4 answers (suppressed), so no rural gap at all.
    assert (punjab.rural_answers, punjab.urban_answers) == (None, 10)
    assert punjab.rural_gap_earning is None and punjab.rural_gap_median is None
    # Sindh: 4 answers of 6 graduates: only the graduates asked is shown.
    assert sindh.waves == 6
    assert [sindh.answers, sindh.response_rate, sindh.share_working, sindh.share_earning, sindh.earnings_median] == [
        None
    ] * 5
    total = report.total
    assert (total.waves, total.answers, total.reported_monthly_pkr) == (22, 18, 630_000)


def test_suppression_at_four_and_five_answers(grads):
    rows = by_key(outcomes_report(OversightScope(), 3, "centre").rows)
    multan, karachi = rows["PB-MUL-01"], rows["SD-KHS-01"]
    # Five answers: shown; but three earners: no quartiles.
    assert (multan.answers, multan.share_earning) == (5, approx(3 / 5))
    assert (multan.earners, multan.earnings_q1, multan.earnings_median, multan.earnings_q3) == (None,) * 4
    # Four answers: nothing that rests on the answers.
    assert karachi.answers is None and karachi.share_working is None and karachi.reported_monthly_pkr is None
    genders = by_key(outcomes_report(OversightScope(), 3, "gender").rows)
    assert genders["male"].answers == 6 and genders["male"].earnings_median is None  # 2 earners
    assert genders["female"].earnings_median == approx(
        exact_median([20, 40, 60, 80, 100, 10, 15, 25, 50, 50, 50, 50]), rel=0.1
    )


def exact_median(thousands: list[int]) -> int:
    ordered = sorted(thousands)
    return ordered[(len(ordered) + 1) // 2 - 1] * 1000


@pytest.mark.parametrize(
    ("group_by", "keys"),
    [
        ("district", ["PB-LHR", "PB-MUL", "SD-KHS"]),
        ("track", ["digital_marketing", "software_development"]),
        ("course", ["MKT-101", "WEB-101"]),
        ("area", ["rural", "urban"]),
        ("partner", ["ngo", "university"]),
        ("month", ["2030-03", "2030-04"]),
    ],
)
def test_every_grouping_adds_up_to_the_same_total(grads, group_by, keys):
    report = outcomes_report(OversightScope(), 3, group_by)
    assert [row.key for row in report.rows] == keys
    total = report.total
    assert (total.waves, total.answers, total.all.earning) == (22, 18, 14)


def test_other_waves_have_nothing_yet(grads):
    report = outcomes_report(OversightScope(), 6, "province")
    assert report.rows == [] and report.total.waves == 0


# The API -------------------------------------------------------------------------------------------------------


def test_the_api_gives_the_report_with_nulls_for_suppressed_figures(client, grads):
    response = client.get("/api/v1/reports/outcomes?group_by=province&wave=3", headers=grads.tokens["admin"])
    assert response.status_code == 200
    body = response.get_json()
    assert (body["wave"], body["group_by"], body["province"]) == (3, "province", None)
    assert body["headline"] == {
        "monthly_pkr": 630_000, "yearly_pkr": 7_560_000, "answers": 18, "waves": 22, "response_rate": approx(18 / 22),
    }  # fmt: skip
    punjab, sindh = body["rows"]
    assert punjab["key"] == "PB" and punjab["answers"] == 14 and punjab["women_gap_median"] is None
    assert sindh["waves"] == 6 and sindh["answers"] is None and sindh["earnings_median"] is None
    assert body["totals"]["answers"] == 18


@pytest.mark.parametrize(
    ("query", "field"),
    [("?wave=4", "wave"), ("?group_by=caste", "group_by"), ("?colour=red", "colour"), ("?wave=three", "wave")],
)
def test_the_api_refuses_what_it_does_not_read(client, grads, query, field):
    status, code, _message, fields = api_error(
        client.get(f"/api/v1/reports/outcomes{query}", headers=grads.tokens["admin"])
    )
    assert (status, code) == (422, "invalid") and field in fields


@pytest.mark.parametrize("role", ROLES)
def test_each_reader_sees_her_scope(client, grads, role):
    response = client.get("/api/v1/reports/outcomes?group_by=centre", headers=grads.tokens[role])
    if role == "anonymous":
        assert api_error(response) == UNAUTHORIZED
        return
    if role in ("trainee", "caller"):
        assert api_error(response) == FORBIDDEN
        return
    keys = [row["key"] for row in response.get_json()["rows"]]
    expected = {
        "staff_a": ["PB-LHR-01"],
        "punjab_overseer": ["PB-LHR-01", "PB-MUL-01"],
    }.get(role, ["PB-LHR-01", "PB-MUL-01", "SD-KHS-01"])
    assert keys == expected


def test_a_provincial_overseer_cannot_ask_for_another_province(client, grads):
    response = client.get("/api/v1/reports/outcomes?province=SD", headers=grads.tokens["punjab_overseer"])
    assert response.status_code == 403


# The page and the downloads ------------------------------------------------------------------------------------


def test_the_page_shows_the_headline_definitions_and_suppressed_cells(client, sign_in, grads):
    page = text(sign_in(grads.users["admin"]).get("/oversight/outcomes?wave=3&by=province"))
    assert "Graduates who answered report PKR 630,000 a month in total (PKR 7,560,000 a year), from 18 of 22" in page
    assert "fewer than 5" in page and "How each figure is worked out" in page
    assert 'data-chart="earnings"' in page and 'data-chart="trend"' in page


def test_the_page_in_urdu(client, sign_in, grads):
    signed = sign_in(grads.users["overseer"])
    signed.set_cookie(LANGUAGE_COOKIE, "ur")
    page = text(signed.get("/oversight/outcomes"))
    assert 'lang="ur"' in page and "Graduates who answered" not in page


def test_the_page_leaves_out_what_it_does_not_understand(client, sign_in, grads):
    page = text(sign_in(grads.users["admin"]).get("/oversight/outcomes?wave=5&by=caste"))
    assert "“5” is not a wave" in page and "“caste” is not a grouping" in page


def test_the_page_refuses_a_caller_and_another_province(client, sign_in, grads):
    assert sign_in(grads.users["caller"]).get("/oversight/outcomes").status_code == 403
    assert sign_in(grads.users["punjab_overseer"]).get("/oversight/outcomes?province=SD").status_code == 403


def test_the_csv_holds_the_rows_with_empty_suppressed_cells_and_the_definitions(client, sign_in, grads):
    response = sign_in(grads.users["admin"]).get("/oversight/exports/outcomes.csv?wave=3&by=centre")
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0][:4] == ["Key", "Centre", "Graduates asked", "Answers"]
    karachi = next(row for row in rows if row[0] == "SD-KHS-01")
    assert karachi[2] == "6" and karachi[3] == "" and karachi[4] == ""
    assert rows[-1][0] == "total" and rows[-1][3] == "18"
    notes = csv_notes(response)
    assert "Monthly earnings, median (PKR)" in notes and "fewer than 5" in notes["Suppression"]


def test_a_download_with_a_bad_value_is_refused(client, sign_in, grads):
    response = sign_in(grads.users["admin"]).get("/oversight/exports/outcomes.xlsx?wave=7")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["?group_by=centre", "?group_by=gender&wave=3", "?group_by=month"])
def test_the_api_answer_is_what_its_described_schema_would_give(client, grads, query):
    from api.reports import OutcomesReportSchema

    answer = client.get(f"/api/v1/reports/outcomes{query}", headers=grads.tokens["admin"]).get_json()
    schema = OutcomesReportSchema()
    assert schema.dump(schema.load(answer)) == answer


def test_the_excel_download_has_empty_suppressed_cells_and_a_definitions_sheet(client, sign_in, grads):
    import io

    from openpyxl import load_workbook

    response = sign_in(grads.users["admin"]).get("/oversight/exports/outcomes.xlsx?wave=3&by=province")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    sindh = next(row for row in rows if row[0] == "SD")
    assert sindh[2] == 6 and sindh[3] is None
    assert "Definitions" in workbook.sheetnames
