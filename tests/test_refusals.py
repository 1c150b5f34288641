"""A 403 says why (``auth.permissions.Denied``): in a sentence of the reader's language, with a link back, on
pages and in the API's error body; never the framework's stock text."""

import pytest
from api_helpers import api_error, bearer, forbidden
from flask_babel import force_locale, gettext
from pages import act_as, shown, text

from vocabulary import Role

STOCK = "read-protected"


@pytest.fixture
def network(make_province, make_district, make_centre, make_cohort, make_user):
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    sindh = make_province(code="SD", name="Sindh", name_ur="سندھ")
    lahore = make_centre(make_district(punjab, code="LHR", name="Lahore"), code="PB-LHR-01", name="Lahore Centre")
    karachi = make_centre(make_district(sindh, code="KHI", name="Karachi"), code="SD-KHI-01", name="Karachi Centre")
    return {
        "lahore": lahore,
        "karachi": karachi,
        "karachi_cohort": make_cohort(karachi, code="SD-KHI-01-C01"),
        "punjab_overseer": make_user(Role.OVERSEER, province=punjab),
        "lahore_staff": make_user(Role.STAFF, centres=(lahore,)),
        "trainee": make_user(Role.TRAINEE),
    }


def refusal_on(client, user, path: str, **headers) -> str:
    act_as(client, user)
    page = text(client.get(path, headers=headers), 403)
    assert STOCK not in page
    return shown(page)


def test_an_overseer_is_told_which_province_the_centre_is_in_and_which_hers_covers(client, network, row_counts):
    before = row_counts()
    page = refusal_on(client, network["punjab_overseer"], "/oversight/centres/SD-KHI-01")
    assert "Karachi Centre is in Sindh; your account covers Punjab." in page
    assert "You cannot open this page" in page and "Go back" in page
    assert row_counts() == before


def test_the_reason_is_in_urdu_with_the_urdu_place_names(client, network):
    act_as(client, network["punjab_overseer"])
    client.set_cookie("markaz_lang", "ur")
    page = shown(text(client.get("/oversight/centres/SD-KHI-01"), 403))
    with force_locale("ur"):
        reach = gettext("your account covers %(province)s", province="پنجاب")
        reason = gettext(
            "%(centre)s is in %(province)s; %(reach)s.", centre="Karachi Centre", province="سندھ", reach=reach
        )
    assert "سندھ" in reason and reason in page


def test_staff_are_told_the_cohort_is_not_at_their_centres(client, network):
    page = refusal_on(client, network["lahore_staff"], "/courses/staff/cohorts/SD-KHI-01-C01/edit")
    assert "Karachi Centre (SD-KHI-01) is not one of your centres: your account covers PB-LHR-01." in page


def test_a_role_refusal_names_who_the_page_is_for(client, network):
    page = refusal_on(client, network["trainee"], "/oversight/")
    assert "This is for overseers, centre staff and admins; your account's role is Trainee." in page


def test_the_link_back_is_the_page_she_came_from_on_this_site_only(client, network):
    act_as(client, network["punjab_overseer"])
    own_site = client.get(
        "/oversight/centres/SD-KHI-01", headers={"Referer": "http://localhost/oversight/?mode=online"}
    )
    assert 'href="/oversight/?mode=online">' in text(own_site, 403)
    elsewhere = client.get("/oversight/centres/SD-KHI-01", headers={"Referer": "https://evil.example/x"})
    assert "evil.example" not in text(elsewhere, 403)
    assert 'href="/oversight/">' in text(elsewhere, 403)  # where an overseer lands after signing in


def test_the_api_gives_the_same_reason(client, network, row_counts):
    cohort = network["karachi_cohort"]
    staff, overseer = bearer(network["lahore_staff"]), bearer(network["punjab_overseer"])
    before = row_counts()
    response = client.get(f"/api/v1/cohorts/{cohort.id}/enrollments", headers=staff)
    assert api_error(response) == forbidden(
        "Karachi Centre (SD-KHI-01) is not one of your centres: your account covers PB-LHR-01."
    )
    response = client.patch(f"/api/v1/cohorts/{cohort.id}", json={"seats": 5}, headers=overseer)
    assert api_error(response)[:2] == (403, "forbidden") and "read-protected" not in api_error(response)[2]
    assert row_counts() == before
