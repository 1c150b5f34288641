"""A seat offer in a real browser (issue 16): Sakina, who reads Urdu, waits behind a man for a cohort with a
seat reserved for women. The woman holding that seat withdraws: the seat passes over the man ahead of her
and is offered to Sakina, by an SMS in Urdu carrying a signed link. She opens the link on her phone (no
need to sign in), reads the offer in Urdu, right to left, and accepts it."""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import EnrollmentStatus, Gender, Pool, Role

PHONE = {"width": 360, "height": 740}
HER_NAME = "سکینہ بی بی"


def urdu(app: Flask, message: str, **variables) -> str:
    """What an Urdu page shows for ``message``, from the catalogue (translators may improve the words)."""
    with app.test_request_context(), force_locale("ur"):
        return gettext(message, **variables)


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_a_woman_waiting_behind_a_man_gets_the_freed_womens_seat_by_sms_and_accepts_it_in_urdu(
    page: Page, app: Flask, make_centre, make_course, make_cohort, make_user, make_trainee
):
    cohort = make_cohort(
        centre=make_centre(name="Thar Digital Centre"),
        course=make_course(title="Freelancing Essentials"),
        code="SD-THR-01-C01",
        seats=2,
        reserved_women=1,
        offers=True,
    )

    def trainee(name: str, gender: Gender, language: str = "en"):
        user = make_user(Role.TRAINEE)
        return make_trainee(user=user, full_name=name, gender=gender, language=language)

    first_man, first_woman = trainee("Ali Raza", Gender.MALE), trainee("Hina Shah", Gender.FEMALE)
    waiting_man, sakina = trainee("Bilal Khan", Gender.MALE), trainee(HER_NAME, Gender.FEMALE, "ur")
    places = {
        person.id: services.apply(person, cohort, actor=person.user).enrollment
        for person in (first_man, first_woman, waiting_man, sakina)
    }
    db.session.commit()
    assert [places[p.id].status for p in (waiting_man, sakina)] == [EnrollmentStatus.WAITLISTED] * 2

    # Hina gives up her (women's) seat: it passes over Bilal and is offered to Sakina, by SMS, in Urdu.
    services.withdraw(places[first_woman.id], actor=first_woman.user)
    db.session.commit()
    sms = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "enrollment.offered", OutboxMessage.trainee_id == sakina.id
        )
    )
    assert urdu(app, "A seat is offered to you") in sms.subject
    link = next(word for word in sms.body.split() if "/enrollments/offers/" in word)

    # She opens the link on her phone, signed in nowhere: the offer, in Urdu, right to left.
    page.goto(urlsplit(link).path)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(urdu(app, "A seat is offered to you"))
    expect(page.get_by_text(HER_NAME)).to_be_visible()
    expect(
        page.get_by_text(urdu(app, "If you do not answer by then, the seat goes to the next person in line."))
    ).to_be_visible()
    page.get_by_role("button", name=urdu(app, "Accept the seat")).click()

    expect(page).to_have_url(f"{page.url.split('/enrollments/')[0]}/enrollments/offers/answered")
    expect(page.get_by_role("alert")).to_contain_text(
        urdu(app, "You accepted: you have a place in %(course)s.", course="Freelancing Essentials")
    )
    db.session.rollback()  # end the test's read transaction: see what the server committed
    mine = db.session.get(Enrollment, places[sakina.id].id)
    assert (mine.status, mine.pool) == (EnrollmentStatus.ENROLLED, Pool.WOMEN)
    assert db.session.get(Enrollment, places[waiting_man.id].id).status is EnrollmentStatus.WAITLISTED
