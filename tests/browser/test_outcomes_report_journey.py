"""The ministry reads the outcomes report after a graduate answered on her phone (issue 18): Sakina answers her
3-month follow-up from the SMS link in Urdu (``test_outcome_journey.graduate_answers_by_sms``), as four other
women of her cohort did; four men of the cohort answered too. The national overseer opens the outcomes report by
gender: the women's row holds five answers, Sakina's among them, with their earnings; the men's row, four
answers, shows "fewer than 5" and no figure, and so does the women's gap that would rest on it."""

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from enrollments.models import Enrollment
from extensions import db
from outcomes.models import OutcomeWave
from tests.browser.test_outcome_journey import PHONE, graduate, graduate_answers_by_sms, sms_link
from tests.outcome_world import EMPLOYED, FREELANCING, answer
from tests.pages import sign_in_browser
from vocabulary import EnrollmentStatus, Gender, Role


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_the_ministry_sees_her_answer_in_the_right_cells_with_suppression_below_five(
    page: Page, app: Flask, base_url: str, make_cohort, make_trainee, make_enrollment, make_user
):
    overseer = make_user(Role.OVERSEER)
    sakina = graduate(make_cohort, make_trainee, make_enrollment)
    cohort = sakina.cohort
    others = [
        make_enrollment(make_trainee(gender=gender), cohort, status=EnrollmentStatus.COMPLETED)
        for gender in [Gender.FEMALE] * 4 + [Gender.MALE] * 4
    ]
    path = sms_link(sakina)  # the timer makes every graduate's wave and queues the messages
    db.session.commit()
    for place, pkr in zip(others, [40_000, 60_000, 25_000, 90_000, 30_000, 45_000, 0, 80_000], strict=True):
        wave = db.session.scalar(sa.select(OutcomeWave).where(OutcomeWave.enrollment_id == place.id))
        answer(wave, FREELANCING if pkr else EMPLOYED, pkr)
    assert path
    graduate_answers_by_sms(page, app, db.session.get(Enrollment, sakina.id))  # Rs 20,000 to 50,000: 35,000
    db.session.commit()  # end this session's read transaction

    page.context.clear_cookies()
    sign_in_browser(page.context, app, base_url, overseer)
    page.goto("/oversight/outcomes?wave=3&by=gender")
    women, men = page.locator('tr[data-key="female"]'), page.locator('tr[data-key="male"]')
    expect(women.locator('[data-figure="answers"]')).to_have_text("5")
    expect(women.locator('[data-figure="earners"]')).to_have_text("5")
    # Women's earnings 25k, 35k, 40k, 60k, 90k: the median is 40,000 (within the histogram's 10%).
    median = int(re.sub(r"\D", "", women.locator('[data-figure="earnings_median"]').inner_text()))
    assert 40_000 / 1.1 <= median <= 40_000 * 1.1
    for figure in ("answers", "share_earning", "earnings_median"):
        expect(men.locator(f'[data-figure="{figure}"] [data-suppressed]')).to_be_visible()
    total = page.locator('tfoot tr[data-key="total"]')
    expect(total.locator('[data-figure="answers"]')).to_have_text("9")
    expect(total.locator('[data-figure="women_gap_median"] [data-suppressed]')).to_be_visible()
