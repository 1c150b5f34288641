"""A graduate's follow-up in a real browser (issue 18): Sakina finished her course in Tharparkar a hundred days
ago. The timer sends her an SMS in Urdu with a signed link; she opens it on a 360 px phone, signed in nowhere,
reads the form in Urdu, right to left, ticks what she does now, chooses her earnings from the bands, and saves.
The thank-you page shows what she said; she corrects her earnings with the same link, and the answer changes
(still one answer). No JavaScript is needed: the form is plain checkboxes and radios.

``graduate_answers_by_sms`` is the journey as a helper: the outcomes report's journey (h-outreport) calls it to
put her answer in the report's cells."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from clock import local_today
from database import utcnow
from enrollments.models import Enrollment
from extensions import db
from notifications.models import OutboxMessage
from outcomes import jobs
from outcomes.models import OutcomeAnswer, OutcomeChannel, OutcomeWave
from tests.browser.accessibility import assert_accessible
from vocabulary import CohortStatus, EnrollmentStatus, Gender

PHONE = {"width": 360, "height": 740}
HER_NAME = "سکینہ بی بی"


def urdu(app: Flask, message: str, **variables) -> str:
    """What an Urdu page shows for ``message``, from the catalogue (translators may improve the words)."""
    with app.test_request_context(), force_locale("ur"):
        return gettext(message, **variables)


def graduate(make_cohort, make_trainee, make_enrollment, *, ended_days_ago: int = 100, **trainee_fields) -> Enrollment:
    """A completed place in a cohort that ended ``ended_days_ago`` days ago (her 3-month wave is open)."""
    ends_on = local_today() - timedelta(days=ended_days_ago)
    cohort = make_cohort(starts_on=ends_on - timedelta(days=56), ends_on=ends_on, status=CohortStatus.FINISHED)
    trainee = make_trainee(**({"full_name": HER_NAME, "gender": Gender.FEMALE, "language": "ur"} | trainee_fields))
    return make_enrollment(trainee, cohort, status=EnrollmentStatus.COMPLETED)


def sms_link(enrollment: Enrollment) -> str:
    """Run the timer and return the path of the link in the SMS it queued for ``enrollment``'s wave."""
    jobs.send_due_waves(utcnow())
    body = db.session.scalar(
        sa.select(OutboxMessage.body).where(
            OutboxMessage.enrollment_id == enrollment.id,
            OutboxMessage.kind == "outcome.asked",
            OutboxMessage.channel == "sms",
        )
    )
    link = next(word for word in body.split() if "/outcomes/" in word and "/outcomes/stop/" not in word)
    return urlsplit(link).path


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways at 360 px: {width}"


def graduate_answers_by_sms(
    page: Page,
    app: Flask,
    enrollment: Enrollment,
    *,
    activities: tuple[str, ...] = ("Freelancing",),
    platforms: tuple[str, ...] = ("Fiverr",),
    band: str = "Rs 20,000 to 50,000",
    helped: str = "5",
) -> OutcomeWave:
    """The graduate of ``enrollment`` (messages in Urdu) opens her SMS link on the phone and answers in Urdu:
    ``activities``, ``platforms`` and ``band`` are the English labels of what she ticks (read in Urdu from the
    catalogue). Ends on the thank-you page; returns her wave."""
    page.goto(sms_link(enrollment))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(urdu(app, "What work do you do now?"))
    no_sideways_scroll(page)
    for label in activities + platforms:
        page.get_by_label(urdu(app, label), exact=True).check()
    page.get_by_label(urdu(app, band), exact=True).check()
    page.get_by_label(urdu(app, "Hours of work a week")).fill("30")
    page.locator(f"#training_helped-{helped}").check()
    page.get_by_role("button", name=urdu(app, "Save my answer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(urdu(app, "Thank you"))
    return db.session.scalar(sa.select(OutcomeWave).where(OutcomeWave.enrollment_id == enrollment.id))


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_a_graduate_answers_her_follow_up_in_urdu_on_a_phone_and_corrects_it(
    page: Page, app: Flask, make_cohort, make_trainee, make_enrollment
):
    enrollment = graduate(make_cohort, make_trainee, make_enrollment)
    wave = graduate_answers_by_sms(page, app, enrollment)

    # The thank-you page shows what she said, in Urdu, and how to correct it.
    said = page.locator("#your-answer")
    expect(said).to_contain_text(urdu(app, "Freelancing"))
    expect(said).to_contain_text(urdu(app, "Rs 20,000 to 50,000"))
    no_sideways_scroll(page)
    assert_accessible(page)
    db.session.commit()  # end this session's read transaction: see what the server committed
    answer = db.session.scalar(sa.select(OutcomeAnswer).where(OutcomeAnswer.wave_id == wave.id))
    assert answer.channel is OutcomeChannel.WEB and answer.monthly_earnings_pkr == Decimal("35000.00")

    # She earns more than she said: she corrects it with the same link, before the wave closes.
    page.get_by_role("link", name=urdu(app, "Correct my answer")).click()
    expect(page.get_by_label(urdu(app, "Freelancing"), exact=True)).to_be_checked()
    expect(page.get_by_label(urdu(app, "Rs 20,000 to 50,000"), exact=True)).to_be_checked()
    assert_accessible(page)
    page.get_by_label(urdu(app, "Rs 50,000 to 100,000"), exact=True).check()
    page.get_by_role("button", name=urdu(app, "Save my correction")).click()
    expect(page.locator("#your-answer")).to_contain_text(urdu(app, "Rs 50,000 to 100,000"))

    db.session.commit()  # end this session's read transaction: see what the server committed
    answers = db.session.scalars(sa.select(OutcomeAnswer)).all()
    assert len(answers) == 1 and answers[0].monthly_earnings_pkr == Decimal("75000.00")


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_a_mistake_is_named_next_to_its_field_in_urdu(
    page: Page, app: Flask, make_cohort, make_trainee, make_enrollment
):
    enrollment = graduate(make_cohort, make_trainee, make_enrollment)
    page.goto(sms_link(enrollment))
    page.get_by_label(urdu(app, "Not working"), exact=True).check()
    page.get_by_label(urdu(app, "Studying"), exact=True).check()
    page.get_by_role("button", name=urdu(app, "Save my answer")).click()
    expect(page.locator("#activities-error")).to_have_text(
        urdu(app, "\u201cNot working\u201d cannot go with other choices: untick one.")
    )
    no_sideways_scroll(page)
    assert db.session.scalar(sa.select(sa.func.count(OutcomeAnswer.id))) == 0
