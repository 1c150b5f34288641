"""The selection figures in a real browser (issue 16, item 4): the national overseer opens the capacity audit
and finds the selection table (reserved seats filled, offers by how they ended, days to full) and the chart of
how the offers ended, a stacked bar per province drawn by the vendored Chart.js under the site's CSP, without
a console error; the same page in Urdu names them in Urdu."""

import re
from datetime import timedelta

from harness import password_hash
from pages import sign_in_with_the_form
from playwright.sync_api import Page, expect
from test_oversight_journey import console_problems

from database import utcnow
from enrollments import services
from extensions import db
from vocabulary import Gender, Role

PASSWORD = "a-long-password"


def build_offers(make_province, make_district, make_centre, make_cohort, make_trainee, make_user) -> None:
    """Punjab: an offering cohort of two seats (one for women) that filled on its second day; both holders
    withdrew, so both seats were offered: the man accepted his, the woman's offer is still open."""
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    centre = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
    cohort = make_cohort(
        centre, seats=2, reserved_women=1, offers=True, applications_open_at=utcnow() - timedelta(days=2)
    )
    people = []
    for gender in (Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.FEMALE):
        trainee = make_trainee(lahore, gender=gender, user=make_user(Role.TRAINEE))
        people.append(services.apply(trainee, cohort, actor=trainee.user).enrollment)
    for holder in people[:2]:
        services.withdraw(holder, actor=holder.trainee.user)
    services.accept(people[2], actor=people[2].trainee.user)
    db.session.commit()
    make_user(Role.OVERSEER, email="nation@markaz.test", password_hash=password_hash(PASSWORD))


def test_the_overseer_reads_the_selection_figures_and_the_offers_chart(
    page: Page, make_province, make_district, make_centre, make_cohort, make_trainee, make_user
):
    build_offers(make_province, make_district, make_centre, make_cohort, make_trainee, make_user)
    sign_in_with_the_form(page, "nation@markaz.test", PASSWORD)
    expect(page).to_have_url(re.compile(r"/oversight/$"))
    problems = console_problems(page)
    page.reload()

    selection = page.locator("#selection-table")
    expect(page.get_by_role("heading", name="Selection: reserved seats, offers, filling")).to_be_visible()
    total = selection.locator("tr[data-key='total']")
    expect(total.locator("[data-figure=offers_made]")).to_have_text("2")
    expect(total.locator("[data-figure=offers_accepted]")).to_have_text("1")
    expect(total.locator("[data-figure=offers_open]")).to_have_text("1")
    expect(total.locator("[data-figure=women_reserved_filled]")).to_have_text("100.0%")
    expect(total.locator("[data-figure=days_to_full]")).to_have_text("2")

    canvas = page.locator("#chart-offers")
    expect(canvas).to_be_visible()
    drawn = page.evaluate(
        "() => { const chart = window.Chart.getChart('chart-offers');"
        " return chart && {stacked: chart.options.scales.y.stacked, series: chart.data.datasets.length,"
        " labels: chart.data.labels, values: chart.data.datasets.map((d) => d.data[0])}; }"
    )
    assert drawn == {"stacked": True, "series": 4, "labels": ["Punjab"], "values": [1, 0, 0, 1]}
    expect(page.locator("#table-offers caption")).to_have_text("How the seat offers ended")
    assert problems == [], problems

    # The same page in Urdu: the selection's headings and the chart's table in Urdu.
    page.locator('.lang-switch[lang="ur"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.get_by_role("heading", name="انتخاب: مخصوص نشستیں، پیشکشیں، بھرنا")).to_be_visible()
    expect(page.locator("#table-offers caption")).to_have_text("نشستوں کی پیشکشیں کیسے ختم ہوئیں")
    assert page.evaluate("() => Boolean(window.Chart.getChart('chart-offers'))")
