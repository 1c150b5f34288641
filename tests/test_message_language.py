"""The language of a trainee's SMS and email (issue 14, item 7): switching the site changes it only until she
chooses it on her profile, and the page tells her either way."""

import re

import pytest
import sqlalchemy as sa
from pages import alerts, error_next_to, flashed, text

from enrollments.services import apply
from enrollments.trainees import choose_message_language, follow_site_language
from extensions import db
from language import LANGUAGE_COOKIE
from notifications.models import OutboxMessage
from refusals import Refusal
from vocabulary import Role


@pytest.fixture
def her(make_trainee, make_user):
    return make_trainee(user=make_user(Role.TRAINEE), language="en")


def switch(client, csrf_token, code: str):
    token = csrf_token("/auth/profile")
    return client.post(f"/language/{code}", data={"next": "/auth/profile", "csrf_token": token}, follow_redirects=True)


def choose(client, csrf_token, language: str):
    token = csrf_token("/auth/profile")
    return client.post("/auth/profile/message-language", data={"language": language, "csrf_token": token})


# Services --------------------------------------------------------------------------------------------------


def test_switching_the_site_changes_her_messages_until_she_chooses(her):
    assert follow_site_language(her, "ur") is True and her.language == "ur"
    assert follow_site_language(her, "ur") is False  # nothing changed: nothing to tell her
    choose_message_language(her, "en", actor=her.user)
    assert (her.language, her.language_chosen) == ("en", True)
    assert follow_site_language(her, "ur") is False and her.language == "en"


def test_only_she_chooses_the_language_of_her_messages(her, make_user, make_trainee, row_counts):
    other = make_trainee(user=make_user(Role.TRAINEE))
    for actor in (other.user, make_user(Role.ADMIN), make_user(Role.STAFF)):
        before = row_counts()
        with pytest.raises(Refusal, match=r"Only the trainee chooses the language of their messages\."):
            choose_message_language(her, "ur", actor=actor)
        db.session.rollback()
        assert row_counts() == before
    db.session.refresh(her)
    assert (her.language, her.language_chosen) == ("en", False)


def test_a_language_not_offered_is_refused(her, row_counts):
    before = row_counts()
    with pytest.raises(Refusal) as refusal:
        choose_message_language(her, "fr", actor=her.user)
    db.session.rollback()
    assert (refusal.value.field, refusal.value.message) == ("language", "Choose English or Urdu for your messages.")
    assert row_counts() == before


# Pages -----------------------------------------------------------------------------------------------------


def test_the_switch_tells_her_that_her_messages_follow_it(client, sign_in, csrf_token, her):
    sign_in(her.user)
    page = text(switch(client, csrf_token, "ur"))
    db.session.refresh(her)
    assert her.language == "ur"
    # Told in Urdu, the language of the page she now reads.
    assert flashed(page) == (
        "اب سے آپ کے ایس ایم ایس اور ای میل اردو میں ہوں گے۔ ان کی زبان آپ اپنی پروفائل پر منتخب کر سکتی ہیں۔"
    )


def test_switching_back_tells_her_again(client, sign_in, csrf_token, her):
    her.language = "ur"
    db.session.commit()
    sign_in(her.user)
    page = text(switch(client, csrf_token, "en"))
    assert flashed(page) == (
        "Your SMS and email will be in English from now on. You can choose their language on your profile."
    )


def test_a_switch_that_changes_nothing_says_nothing(client, sign_in, csrf_token, her):
    sign_in(her.user)
    client.set_cookie(LANGUAGE_COOKIE, "ur")
    page = text(switch(client, csrf_token, "en"))  # her messages are in English already
    assert alerts(page) == []


def test_she_chooses_on_her_profile_and_the_switch_leaves_it(client, sign_in, csrf_token, her):
    sign_in(her.user)
    page = text(client.get("/auth/profile"))
    assert 'name="language"' in page and '<option lang="ur" value="ur">اردو</option>' in page
    assert "Until you choose here, they follow the language you read the site in." in page
    response = choose(client, csrf_token, "en")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/profile")
    page = text(client.get("/auth/profile"))
    assert flashed(page) == "Your SMS and email will be in English, whatever language you read the site in."
    assert "Switching the site's language no longer changes it." in page
    db.session.refresh(her)
    assert (her.language, her.language_chosen) == ("en", True)

    page = text(switch(client, csrf_token, "ur"))
    db.session.refresh(her)
    assert her.language == "en"
    assert "انگریزی" in flashed(page)  # "they stay in English", said in Urdu


def test_her_messages_are_written_in_the_language_she_chose(client, sign_in, csrf_token, her, make_cohort):
    sign_in(her.user)
    client.set_cookie(LANGUAGE_COOKIE, "ur")
    assert choose(client, csrf_token, "en").status_code == 302
    cohort = make_cohort(seats=5)
    placement = apply(her, cohort, actor=her.user)
    db.session.commit()
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.enrollment_id == placement.enrollment.id))
    # Her page is in Urdu, but her messages are in the English she chose.
    assert not re.search(r"[\u0600-\u06FF]", message.subject + message.body)


def test_a_language_not_offered_is_refused_on_the_page(client, sign_in, csrf_token, her, row_counts):
    sign_in(her.user)
    before = row_counts()
    page = text(choose(client, csrf_token, "fr"), 422)
    assert error_next_to(page, "language") == "Choose English or Urdu for your messages."
    assert row_counts() == before


@pytest.mark.parametrize("role", [Role.STAFF, Role.OVERSEER, Role.ADMIN])
def test_only_trainees_reach_the_choice(client, sign_in, csrf_token, make_user, role, row_counts):
    sign_in(make_user(role))
    before = row_counts()
    data = {"language": "ur", "csrf_token": csrf_token("/")}
    assert client.post("/auth/profile/message-language", data=data).status_code == 403
    assert row_counts() == before
