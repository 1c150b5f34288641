"""English and Urdu: how the reader's language is chosen, kept and used — pages, form errors, and the
messages sent to trainees, which follow the trainee's language whoever causes them."""

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from enrollments.models import Trainee
from enrollments.services import apply, message_for
from extensions import db
from language import LANGUAGE_COOKIE
from notifications.models import OutboxMessage
from vocabulary import Admission, Role

URDU_LETTERS = re.compile(r"[\u0600-\u06FF]")


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def in_urdu(text: str) -> str:
    with force_locale("ur"):
        return gettext(text)


def switch(client, code: str, next_path: str | None = None, *, token: str | None = None, **request):
    """Press the header's switch to ``code`` (``request``: more arguments of ``client.post``). Without ``token``
    as a reader who is not signed in sends it: her pages carry none (``home.routes.check_switch_sender``)."""
    form = {"next": next_path} if next_path is not None else {}
    return client.post(f"/language/{code}", data=form | ({"csrf_token": token} if token else {}), **request)


def switch_form(page: str, code: str) -> str:
    """The header's form that switches ``page`` to ``code``."""
    return re.search(rf'<form method="post" action="/language/{code}">.*?</form>', page, re.S).group(0)


def test_pages_are_english_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert html_tag(page) == '<html lang="en" dir="ltr">'
    assert re.search(r"/dist/bootstrap\.[0-9a-f]{12}\.css", page) and "bootstrap.rtl." not in page
    assert 'class="nav-link lang-switch" lang="ur">اردو</button>' in switch_form(page, "ur")


def test_a_browser_that_asks_for_urdu_gets_urdu_right_to_left(client):
    page = client.get("/", headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert html_tag(page) == '<html lang="ur" dir="rtl">'
    assert re.search(r"/dist/bootstrap\.rtl\.[0-9a-f]{12}\.css", page)
    assert in_urdu("Courses") != "Courses" and f">{in_urdu('Courses')}</a>" in page
    assert 'class="nav-link lang-switch" lang="en">English</button>' in switch_form(page, "en")


def test_the_switch_keeps_the_choice_in_a_cookie_over_the_browser_default(client):
    response = switch(client, "ur", "/courses/?track=it_support")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/?track=it_support"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie.value == "ur" and cookie.http_only
    page = client.get("/courses/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_tag(page) == '<html lang="ur" dir="rtl">'
    switch(client, "en")
    page = client.get("/courses/", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert html_tag(page) == '<html lang="en" dir="ltr">'


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", ""])
def test_the_switch_never_sends_anyone_off_the_site(client, target):
    response = switch(client, "ur", target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_an_unknown_language_is_not_found_and_sets_nothing(client, row_counts):
    before = row_counts()
    response = switch(client, "fr", "/courses/")
    assert response.status_code == 404
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    assert row_counts() == before


def test_the_switch_brings_the_reader_back_to_the_same_page(client):
    page = client.get("/courses/?track=it_support").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/courses/?track=it_support">' in switch_form(page, "ur")


def test_the_switch_of_a_reader_not_signed_in_carries_no_token_and_sets_no_session(client):
    """Pages for readers who are not signed in are served from the catalogue's cache to everyone: a token of
    the first reader's would be wrong for the next, so the switch carries none (nor does it start a session)."""
    response = client.get("/courses/")
    assert 'name="csrf_token"' not in switch_form(response.get_data(as_text=True), "ur")
    assert "Set-Cookie" not in response.headers


def test_a_signed_in_readers_switch_carries_her_token(client, sign_in, make_user):
    page = sign_in(make_user(Role.STAFF)).get("/").get_data(as_text=True)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', switch_form(page, "ur"))


def test_the_switch_is_a_post_and_a_get_changes_nothing(client, sign_in, make_user, make_trainee, row_counts):
    """A GET only reads (STYLE.md, rule 13): the old link answers 405 and writes nothing, neither the
    trainee's language (once written in the GET's read-only transaction) nor the cookie."""
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    before = row_counts()
    response = sign_in(user).get("/language/ur?next=/courses/")
    assert response.status_code == 405
    assert "Set-Cookie" not in response.headers or LANGUAGE_COOKIE not in response.headers["Set-Cookie"]
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    db.session.refresh(trainee)
    assert trainee.language == "en" and row_counts() == before


def test_a_trainee_who_switches_gets_her_messages_in_urdu(
    client, sign_in, csrf_token, make_user, make_trainee, make_cohort
):
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    assert trainee.language == "en"
    sign_in(user)
    assert switch(client, "ur", "/auth/profile", token=csrf_token("/auth/profile")).status_code == 302
    db.session.refresh(trainee)
    assert trainee.language == "ur"

    cohort = make_cohort(seats=5)
    placement = apply(trainee, cohort, actor=user)
    db.session.commit()
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.enrollment_id == placement.enrollment.id))
    assert URDU_LETTERS.search(message.body) and URDU_LETTERS.search(message.subject)
    assert cohort.course.title in message.body  # data stays as it was written
    with force_locale("ur"):
        assert message.body == gettext("You have a place in %(where)s.", where=message_for_where(placement.enrollment))


def message_for_where(enrollment) -> str:
    from language import long_date

    cohort = enrollment.cohort
    return gettext(
        "%(course)s at %(centre)s, starting %(starts)s",
        course=cohort.course.title,
        centre=cohort.centre.name,
        starts=long_date(cohort.starts_on),
    )


def test_staff_reading_english_still_write_to_an_urdu_trainee_in_urdu(app, make_trainee, make_cohort, make_enrollment):
    cohort = make_cohort(admission=Admission.REVIEWED)
    enrollment = make_enrollment(make_trainee(language="ur"), cohort)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        message = message_for(enrollment, "enrolled")
        assert gettext("Courses") == "Courses"  # the page around it stays English
    assert URDU_LETTERS.search(message.body), "the message follows the trainee, not the staff member"


def test_a_sign_up_in_urdu_makes_an_urdu_record(client, make_district):
    from tests.test_accounts import sign_up_form

    district = make_district()
    switch(client, "ur")
    page = client.get("/auth/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/signup", data=sign_up_form(district, token))
    assert response.status_code == 302
    trainee = db.session.scalar(sa.select(Trainee))
    assert trainee.language == "ur"


def test_form_errors_are_in_the_readers_language_wtforms_own_included(client, make_district, row_counts):
    from tests.test_accounts import sign_up_form

    district = make_district()
    switch(client, "ur")
    page = client.get("/auth/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    before = row_counts()
    page = client.post("/auth/signup", data=sign_up_form(district, token, gender="robot")).get_data(as_text=True)
    assert row_counts() == before
    assert in_urdu("Not a valid choice.") != "Not a valid choice."
    assert in_urdu("Not a valid choice.") in page
    assert "Not a valid choice" not in page


def test_an_expired_form_says_so_in_the_readers_language(client, row_counts):
    switch(client, "ur")
    before = row_counts()
    page = client.post("/auth/login", data={"csrf_token": "stale", "email": "a@b.pk", "password": "x"}).get_data(
        as_text=True
    )
    assert row_counts() == before
    expected = in_urdu("This form has expired or came from elsewhere. Reload the page and send it again.")
    assert URDU_LETTERS.search(expected) and expected in page


def test_the_api_answers_in_the_language_the_client_asks_for_not_the_cookie(client):
    switch(client, "ur")
    response = client.get("/api/v1/me", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert not URDU_LETTERS.search(response.get_data(as_text=True))


def test_error_pages_speak_the_readers_language(client):
    switch(client, "ur")
    page = client.get("/no/such/page").get_data(as_text=True)
    assert html_tag(page) == '<html lang="ur" dir="rtl">'
    assert URDU_LETTERS.search(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))


def test_a_signed_in_reader_needs_her_token_to_switch(client, sign_in, make_user, make_trainee, row_counts):
    """A switch another site sent for her is refused like any forged form, and changes nothing."""
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    sign_in(user)
    before = row_counts()
    for token in (None, "forged"):
        response = switch(client, "ur", "/auth/profile", token=token)
        assert response.status_code == 400
        assert "This form has expired or came from elsewhere." in response.get_data(as_text=True)
    assert client.get_cookie(LANGUAGE_COOKIE) is None
    db.session.refresh(trainee)
    assert trainee.language == "en" and row_counts() == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another host of the same site: not this one
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed page, or one that hides where it comes from
    ],
)
def test_a_switch_another_site_sent_is_refused(client, headers, row_counts):
    before = row_counts()
    response = switch(client, "ur", "/courses/", headers=headers)
    assert response.status_code == 400
    assert "This form has expired or came from elsewhere." in response.get_data(as_text=True)
    assert client.get_cookie(LANGUAGE_COOKIE) is None and row_counts() == before


@pytest.mark.parametrize(
    "headers", [{}, {"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"}], ids=["none", "fetch", "origin"]
)
def test_a_switch_from_this_site_is_taken(client, headers):
    response = switch(client, "ur", "/courses/", headers=headers)
    assert response.status_code == 302 and client.get_cookie(LANGUAGE_COOKIE).value == "ur"
