"""A woman in Tharparkar with a mobile phone and no email address (issue 14): on a 360×740 phone, in Urdu,
from the camp's page she creates her account with her mobile number alone, reads the code the SMS brought
(in development, the log: the SMS sender writes there), types it, is back at the camp, applies, and the SMS
telling her of her place waits in the outbox, in Urdu, for her number only.

Every page is checked as the Urdu journey checks them (``UrduReader``: right to left, no sideways scrolling,
axe-core, no English left); its screenshots land in ``build/screenshots/phone-only-journey/``.
"""

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import Page, expect

from auth.models import UserAccount
from enrollments.services.messages import message_for
from extensions import db
from notifications.models import OutboxMessage
from tests.browser.test_urdu_journey import UrduReader
from vocabulary import Channel, CohortKind, EnrollmentStatus

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "phone-only-journey"

HER_NAME = "ماروی کولہی"
HER_CNIC = "44301-7654321-8"  # even: a woman's
HER_PHONE = "۰۳۴۵ ۷۶۵۴۳۲۱"  # typed on an Urdu keyboard
HER_NUMBER = "+923457654321"
HER_PASSWORD = "sui-dhaga-aur-laptop"


@pytest.fixture
def urdu(app: Flask):
    def translate(message: str, **variables) -> str:
        with app.test_request_context(), force_locale("ur"):
            return gettext(message, **variables)

    return translate


def code_in_the_log(caplog: pytest.LogCaptureFixture) -> str:
    """The code of the last SMS the ``log`` sender wrote (as in development), its number masked there."""
    lines = [record.getMessage() for record in caplog.records if record.name == "markaz.sms"]
    assert lines, "no SMS reached the log"
    assert HER_NUMBER not in lines[-1] and "0*** ****321" in lines[-1]
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", lines[-1]).group(0)


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_she_signs_up_with_her_phone_alone_applies_and_her_sms_waits_in_the_outbox(
    page: Page,
    app: Flask,
    keeps_screenshots: bool,
    urdu,
    caplog: pytest.LogCaptureFixture,
    make_province,
    make_district,
    make_centre,
    make_course,
    make_cohort,
):
    caplog.set_level(logging.WARNING, logger="markaz.sms")
    sindh = make_province(code="SD", name="Sindh", name_ur="سندھ")
    tharparkar = make_district(sindh, code="THR", name="Tharparkar", name_ur="تھرپارکر")
    mithi = make_centre(tharparkar, code="SD-THR-01", name="Mithi Digital Centre", address="Station Road, Mithi")
    camp = make_cohort(
        centre=mithi,
        course=make_course(code="FRL-101", title="Freelancing Essentials for Women", summary="Find clients online."),
        code="SD-THR-01-CAMP-1",
        kind=CohortKind.CAMP,
        women_only=True,
        seats=20,
        venue="Government Girls High School, Mithi",
    )
    db.session.commit()
    reader = UrduReader(
        page,
        screenshots=keeps_screenshots,
        directory=SCREENSHOTS,
        data=[
            camp.course.title,
            camp.course.summary,
            camp.code,
            camp.venue,
            *(part.strip() for part in camp.venue.split(",")),  # the venue's line is shown in parts
            mithi.name,
            mithi.address,
            mithi.code,
            sindh.name,
            tharparkar.name,
        ],
    )
    camp_path = f"/courses/cohorts/{camp.code}"

    with reader.journey():
        page.goto(camp_path)
        apply_box = page.get_by_role("region", name=urdu("Apply"))
        apply_box.get_by_role("link", name=urdu("Create an account")).click()

        # The sign-up form: her mobile number is her sign-in; the email may stay empty.
        expect(page.get_by_role("heading", level=1)).to_have_text(urdu("Create your account"))
        reader.looks_at("sign-up")
        page.locator("#full_name").fill(HER_NAME)
        page.locator("#cnic").fill(HER_CNIC)
        page.locator("#gender").select_option("female")
        page.locator("#date_of_birth").fill("2002-08-14")
        page.locator("#phone").fill(HER_PHONE)
        page.locator("#district_id").select_option(label="تھرپارکر")
        page.locator("#area").select_option("rural")
        page.locator("#education").select_option("matric")
        expect(page.locator("#email")).to_have_value("")
        page.locator("#password").fill(HER_PASSWORD)
        page.locator("#confirm").fill(HER_PASSWORD)
        page.locator("#consent").check()
        page.get_by_role("button", name=urdu("Create my account")).click()

        # The code step: the SMS is in the log (the development sender), in Urdu, her number masked.
        expect(page.get_by_role("heading", level=1)).to_have_text(urdu("Type the code we sent you"))
        expect(page.locator("#code")).to_have_attribute("autocomplete", "one-time-code")
        reader.looks_at("code-step")
        code = code_in_the_log(caplog)
        db.session.commit()  # end the test's read transaction: see what the server committed
        [sms] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "code.confirm"))
        assert sms.recipient == HER_NUMBER and code in sms.body and "مرکز" in sms.body

        # A wrong digit first: told next to the field, in Urdu.
        page.locator("#code").fill(f"{(int(code) + 1) % 1_000_000:06d}")
        page.get_by_role("button", name=urdu("Confirm my account")).click()
        with app.test_request_context(), force_locale("ur"):
            four_more = ngettext(
                "This is not the code we sent. You can try %(num)d more time.",
                "This is not the code we sent. You can try %(num)d more times.",
                4,
            )
        expect(page.locator("#code-error")).to_have_text(four_more)
        reader.looks_at("code-step-wrong-code")
        page.locator("#code").fill(code)
        page.get_by_role("button", name=urdu("Confirm my account")).click()

        # Back at the camp she started from, signed in; she applies.
        expect(page).to_have_url(re.compile(rf"{camp_path}$"))
        expect(page.get_by_role("alert")).to_have_text(
            urdu("Welcome to Markaz. Your account is ready: you can now apply to courses.")
        )
        reader.looks_at("camp-signed-in")
        apply_box.get_by_role("button", name=urdu("Apply"), exact=True).click()

        expect(page).to_have_url(re.compile(r"/auth/profile$"))
        names = {"course": camp.course.title, "code": camp.code}
        expect(page.get_by_role("alert")).to_have_text(urdu("You have a place in %(course)s (%(code)s).", **names))
        reader.looks_at("my-applications")

    # The account: her number, no email; her place, and its SMS waiting in the outbox for her number alone.
    db.session.commit()  # see what the server committed
    user = db.session.scalar(sa.select(UserAccount).where(UserAccount.phone == HER_NUMBER))
    assert user.email is None and user.confirmed and user.trainee.language == "ur"
    [place] = user.trainee.enrollments
    assert place.status is EnrollmentStatus.ENROLLED
    told = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "enrollment.enrolled")))
    assert [(message.channel, message.recipient) for message in told] == [(Channel.SMS, HER_NUMBER)]
    with app.test_request_context():
        assert told[0].body == message_for(place, "enrolled").body  # in her language: Urdu
    assert camp.course.title in told[0].body and re.search("[\u0600-\u06ff]", told[0].body)
