"""Mixed-direction text on Urdu pages (issue 14, item 4): codes, CNICs, phone numbers, figures and English runs
isolated so that they keep their order inside right-to-left sentences, and lists joined with the Urdu comma."""

import re

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from bidi import bdi, isolated, listed, ltr
from enrollments.models import Enrollment
from extensions import db
from language import LANGUAGE_COOKIE
from vocabulary import EnrollmentStatus

CODE = "PB-JHG-01-C05"


@pytest.fixture
def urdu_request(app):
    with app.test_request_context(), force_locale("ur"):
        yield


@pytest.fixture
def english_request(app):
    with app.test_request_context(), force_locale("en"):
        yield


def test_ltr_isolates_a_code_on_one_line_and_escapes(english_request):
    assert ltr(CODE) == f'<bdi dir="ltr" class="ltr-run">{CODE}</bdi>'
    assert ltr("<b>") == '<bdi dir="ltr" class="ltr-run">&lt;b&gt;</bdi>'
    assert ltr(None) == "" and ltr("") == ""


def test_bdi_lets_a_name_take_its_own_direction(english_request):
    assert bdi("عائشہ بی بی") == "<bdi>عائشہ بی بی</bdi>"
    assert bdi("A & B") == "<bdi>A &amp; B</bdi>"


def test_isolated_leaves_english_pages_alone_but_escaped(english_request):
    assert isolated(f"You are number 3 on the waitlist for Video Editing ({CODE}).") == (
        f"You are number 3 on the waitlist for Video Editing ({CODE})."
    )
    assert isolated("<script>") == "&lt;script&gt;"


def test_isolated_keeps_a_course_title_and_its_code_together_in_urdu(urdu_request):
    sentence = f"Video Editing for Beginners ({CODE}) کی انتظار کی فہرست میں آپ کا نمبر 3 ہے۔"
    assert isolated(sentence) == (
        f'<bdi dir="ltr">Video Editing for Beginners (<span class="ltr-run">{CODE}</span>)</bdi>'
        ' کی انتظار کی فہرست میں آپ کا نمبر <bdi dir="ltr" class="ltr-run">3</bdi> ہے۔'
    )


@pytest.mark.parametrize(
    ("hint", "example"),
    [
        ("13 ہندسے، ڈیش کے ساتھ یا بغیر: 35202-1234567-1", "35202-1234567-1"),
        ("مثلاً 0300 1234567", "0300 1234567"),
        ("مثلاً +92 300 1234567", "+92 300 1234567"),
    ],
)
def test_isolated_keeps_a_cnic_or_phone_number_in_its_order(urdu_request, hint, example):
    assert f'<bdi dir="ltr" class="ltr-run">{example}</bdi>' in isolated(hint)


def test_isolated_leaves_a_bracket_it_does_not_open_to_the_sentence(urdu_request):
    assert isolated("(PB-LHR-01) کا مرکز") == '(<bdi dir="ltr" class="ltr-run">PB-LHR-01</bdi>) کا مرکز'


def test_isolated_escapes_and_looks_only_between_the_tags_of_markup(urdu_request):
    escaped = isolated("<i>x</i> اور")
    assert "<i>" not in escaped and escaped.startswith("&lt;") and escaped.endswith("&gt; اور")
    translated = Markup("مثلاً <strong>0300 1234567</strong>")
    assert isolated(translated) == 'مثلاً <strong><bdi dir="ltr" class="ltr-run">0300 1234567</bdi></strong>'
    already = Markup('<bdi dir="ltr">PB-1</bdi> کا')
    assert isolated(already) == already


def test_lists_use_the_urdu_comma_in_urdu(urdu_request):
    assert listed(["جھنگ", "پنجاب"]) == "<bdi>جھنگ</bdi>، <bdi>پنجاب</bdi>"
    assert listed(["Community Hall", "", None, "شیخوپورہ"]) == "<bdi>Community Hall</bdi>، <bdi>شیخوپورہ</bdi>"


def test_lists_use_the_english_comma_in_english(english_request):
    assert listed(["Jhang", "Punjab"]) == "<bdi>Jhang</bdi>, <bdi>Punjab</bdi>"


# Pages -----------------------------------------------------------------------------------------------


@pytest.fixture
def her_place(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user):
    """A trainee in Jhang with a place in a Jhang cohort, reading in Urdu."""
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    jhang = make_district(punjab, code="JHG", name="Jhang", name_ur="جھنگ")
    centre = make_centre(jhang, code="PB-JHG-01")
    cohort = make_cohort(centre, make_course(title="Video Editing for Beginners"), code=CODE)
    user = make_user()
    trainee = make_trainee(jhang, user=user)
    enrollment = Enrollment(trainee=trainee, cohort=cohort, status=EnrollmentStatus.ENROLLED, source="online")
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


def in_urdu(client):
    client.set_cookie(LANGUAGE_COOKIE, "ur")
    return client


def test_the_withdraw_page_isolates_the_code_in_urdu(client, sign_in, her_place):
    sign_in(her_place.trainee.user)
    page = in_urdu(client).get(f"/enrollments/{her_place.id}/withdraw").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in page
    assert f'<bdi>Video Editing for Beginners</bdi> (<bdi dir="ltr" class="ltr-run">{CODE}</bdi>)' in page


def test_the_profile_joins_district_and_province_with_the_urdu_comma(client, sign_in, her_place):
    sign_in(her_place.trainee.user)
    page = in_urdu(client).get("/auth/profile").get_data(as_text=True)
    assert "<bdi>جھنگ</bdi>، <bdi>پنجاب</bdi>" in page and "جھنگ, پنجاب" not in page
    assert f'<bdi dir="ltr" class="ltr-run">{CODE}</bdi>' in page
    cnic = her_place.trainee.cnic
    assert f'<bdi dir="ltr" class="ltr-run">{cnic[:5]}-{cnic[5:12]}-{cnic[12]}</bdi>' in page


def test_the_profile_keeps_the_english_comma_in_english(client, sign_in, her_place):
    sign_in(her_place.trainee.user)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "<bdi>Jhang</bdi>, <bdi>Punjab</bdi>" in page


def test_the_waitlist_flash_keeps_the_code_whole_in_urdu(client, sign_in, her_place, make_trainee, make_user):
    cohort = her_place.cohort
    cohort.seats, cohort.enrolled_count = 1, 1
    db.session.commit()
    second = make_trainee(user=make_user())
    sign_in(second.user)
    in_urdu(client)
    page = client.get(f"/courses/cohorts/{CODE}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/enrollments/cohorts/{CODE}/apply", data={"csrf_token": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    alert = re.search(r'<div class="alert alert-success" role="alert">(.*?)</div>', page, re.S).group(1)
    assert f'<span class="ltr-run">{CODE}</span>' in alert
    assert alert.count("<bdi") == 2  # the title with its code, and her number


def test_the_sign_up_hints_keep_their_examples_in_order_in_urdu(client):
    page = in_urdu(client).get("/auth/signup").get_data(as_text=True)
    assert '<bdi dir="ltr" class="ltr-run">35202-1234567-1</bdi>' in page
    assert '<bdi dir="ltr" class="ltr-run">0300 1234567</bdi>' in page


def test_a_course_summary_takes_its_own_direction(client, make_course):
    course = make_course(summary="Learn to cut and edit video on a phone.")
    page = in_urdu(client).get(f"/courses/{course.code}").get_data(as_text=True)
    assert '<p class="lead" dir="auto">Learn to cut and edit video on a phone.</p>' in page
