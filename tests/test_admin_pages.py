"""The admin pages through the client: administration home, accounts, centres and the course catalogue.

Admins list, search, paginate, create, edit, deactivate and reactivate; every bad input is shown next to
its field with status 422 and nothing written; nobody else gets in (anonymous → sign-in page, everyone
else → 403), on every endpoint, GET and POST; a POST without a CSRF token is refused with 400.

CSRF protection stays on (the default): ``post`` signs a token with Flask-WTF for the client's session
(``signed_csrf_token``), so that POSTs to form-less actions need no page to scrape one from.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from harness import kept_world
from pages import act_as, audit_events, error_at_top, error_next_to, flashed, post, redirected_to, row_for, text

from auth.models import UserAccount
from auth.services import user_for_reset_token
from centres.models import Centre
from courses.models import Course
from extensions import db
from vocabulary import CohortStatus, Level, PartnerType, Role, Track

ADMIN_MODULES = ("auth.admin", "centres.admin", "courses.admin")


# Helpers ------------------------------------------------------------------------------------------------


def outbox(app) -> list:
    return app.extensions.get("mail_outbox", [])


# The world ----------------------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="amina.admin@markaz.test", full_name="Amina Admin")


@pytest.fixture
def as_admin(client, admin):
    return act_as(client, admin)


@kept_world
def places(make_province, make_district):
    punjab = make_province(code="PB", name="Punjab")
    sindh = make_province(code="SD", name="Sindh")
    return {
        "punjab": punjab,
        "sindh": sindh,
        "lahore": make_district(punjab, code="LHR", name="Lahore"),
        "multan": make_district(punjab, code="MUL", name="Multan"),
        "karachi": make_district(sindh, code="KHS", name="Karachi South"),
    }


# The admin's home ----------------------------------------------------------------------------------------


def test_administration_home_counts_and_links(as_admin, make_centre, make_course, make_user):
    make_centre(code="PB-LHR-01")
    make_centre(code="PB-LHR-02")
    make_centre(code="PB-LHR-03", active=False)
    for _ in range(3):
        make_course()
    make_user(Role.STAFF)
    make_user(Role.STAFF, active=False)
    make_user(Role.OVERSEER)
    page = text(as_admin.get("/auth/admin/"))

    def figure(label: str) -> str:
        return re.search(rf">{label}(?:</a>)?</dt>\s*<dd[^>]*>([\d,]+)</dd>", page).group(1)

    assert (figure("Active"), figure("Inactive"), figure("Courses")) == ("2", "1", "3")
    assert (figure("Staff"), figure("Overseer"), figure("Admin"), figure("Trainee")) == ("2", "1", "1", "0")
    assert figure("Deactivated") == "1"
    for path in ("/centres/manage", "/centres/new", "/courses/manage", "/courses/new", "/auth/admin/users"):
        assert f'href="{path}"' in page


# Accounts: the list ------------------------------------------------------------------------------------


def test_accounts_list_shows_role_scope_status_and_last_sign_in(as_admin, places, make_centre, make_user):
    lahore_centre = make_centre(places["lahore"], code="PB-LHR-01")
    multan_centre = make_centre(places["multan"], code="PB-MUL-01")
    make_user(Role.STAFF, email="staff@markaz.test", centres=(multan_centre, lahore_centre))
    make_user(Role.OVERSEER, email="punjab@markaz.test", province=places["punjab"])
    make_user(Role.OVERSEER, email="ministry@markaz.test")
    make_user(Role.TRAINEE, email="gone@markaz.test", active=False)
    page = text(as_admin.get("/auth/admin/users"))
    assert "Showing 1–5 of 5 accounts" in page
    staff = row_for(page, "staff@markaz.test")
    assert "<td>Staff</td>" in staff and "<td>PB-LHR-01, PB-MUL-01</td>" in staff and "Never" in staff
    assert "<td>Punjab</td>" in row_for(page, "punjab@markaz.test")
    assert "<td>National</td>" in row_for(page, "ministry@markaz.test")
    assert "Deactivated" in row_for(page, "gone@markaz.test") and "Deactivated" not in staff
    assert 'href="/auth/admin/users/new"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=khan", {"ayesha.khan@markaz.test", "bilal@markaz.test"}),
        ("?q=AYESHA", {"ayesha.khan@markaz.test"}),
        ("?role=overseer", {"bilal@markaz.test"}),
        ("?role=staff&active=1", {"ayesha.khan@markaz.test"}),
        ("?active=0", {"sleeping@markaz.test"}),
        ("?q=%25&role=nonsense&active=maybe", set()),
        ("?q=_", set()),
    ],
)
def test_accounts_list_search_and_filters(as_admin, make_user, query, expected):
    make_user(Role.STAFF, email="ayesha.khan@markaz.test", full_name="Ayesha Khan")
    make_user(Role.OVERSEER, email="bilal@markaz.test", full_name="Bilal Khan")
    make_user(Role.STAFF, email="sleeping@markaz.test", full_name="Sana Noor", active=False)
    page = text(as_admin.get(f"/auth/admin/users{query}"))
    everyone = {"ayesha.khan@markaz.test", "bilal@markaz.test", "sleeping@markaz.test"}
    assert {email for email in everyone if email in page} == expected


def chosen_options(page: str, select_id: str) -> list[str]:
    select = re.search(rf'<select class="form-select" id="{select_id}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_list_filters_show_what_was_chosen(as_admin, places):
    page = text(as_admin.get("/auth/admin/users"))
    assert (chosen_options(page, "u-role"), chosen_options(page, "u-active")) == ([], [])
    page = text(as_admin.get("/auth/admin/users?role=overseer&active=0"))
    assert (chosen_options(page, "u-role"), chosen_options(page, "u-active")) == (["overseer"], ["0"])
    page = text(as_admin.get("/centres/manage?province=SD&partner=ngo&active=1"))
    assert [chosen_options(page, f"m-{name}") for name in ("province", "partner", "active")] == [["SD"], ["ngo"], ["1"]]
    page = text(as_admin.get("/courses/manage?track=it_support&level=advanced"))
    assert (chosen_options(page, "k-track"), chosen_options(page, "k-level")) == (["it_support"], ["advanced"])


def test_accounts_list_paginates_and_keeps_filters(as_admin, make_user):
    for number in range(25):
        make_user(Role.STAFF, email=f"staff{number:02d}@markaz.test")
    first = text(as_admin.get("/auth/admin/users?role=staff"))
    assert "Showing 1–20 of 25 accounts" in first
    assert "staff00@markaz.test" in first and "staff20@markaz.test" not in first
    assert 'href="/auth/admin/users?role=staff&amp;page=2"' in first
    second = text(as_admin.get("/auth/admin/users?role=staff&page=2"))
    assert "Showing 21–25 of 25 accounts" in second and "staff24@markaz.test" in second


def test_accounts_list_empty_states(as_admin):
    assert "No accounts match" in text(as_admin.get("/auth/admin/users?q=nobody-here"))
    assert "No more accounts on this page" in text(as_admin.get("/auth/admin/users?page=9"))


# Accounts: create --------------------------------------------------------------------------------------


def new_account(**changes) -> dict:
    return {"email": "Sara.Ahmed@Example.pk", "full_name": "Sara Ahmed", "role": "staff", "province": ""} | changes


def test_create_staff_account_emails_a_set_password_link(app, as_admin, admin, places, make_centre):
    lahore = make_centre(places["lahore"], code="PB-LHR-01")
    multan = make_centre(places["multan"], code="PB-MUL-01")
    form = text(as_admin.get("/auth/admin/users/new"))
    assert 'name="csrf_token"' in form
    # The centres: ticked in a list grouped by province, which a filter box (shown by a script) narrows.
    assert '<p class="fw-semibold small mb-1">Punjab</p>' in form and f'for="centres-{lahore.id}">PB-LHR-01 · ' in form
    assert '<div class="mb-2" data-checklist-filter hidden>' in form and re.search(
        r"js/checklist-filter\.[0-9a-f]+\.js", form
    )
    assert "<select" not in form.split('id="centres"')[1].split("</fieldset>")[0]
    assert 'name="password"' not in form  # the admin never chooses someone else's password

    response = post(as_admin, "/auth/admin/users/new", new_account(centres=[str(lahore.id), str(multan.id)]))
    assert redirected_to(response) == "/auth/admin/users"
    user = db.session.scalar(sa.select(UserAccount).where(UserAccount.email == "sara.ahmed@example.pk"))
    assert user.role is Role.STAFF and user.active and user.full_name == "Sara Ahmed"
    assert sorted(m.centre.code for m in user.memberships) == ["PB-LHR-01", "PB-MUL-01"]

    [message] = outbox(app)
    assert message["To"] == "sara.ahmed@example.pk" and "choose your password" in message["Subject"]
    body = message.get_content()
    assert "/auth/reset/" in body
    token = re.search(r"/auth/reset/(\S+)", body).group(1)
    assert user_for_reset_token(token) == user  # the link works for this account

    [event] = audit_events("account.create")
    assert event.actor_id == admin.id and event.object_id == user.id
    assert event.after["role"] == "staff" and event.after["centres"] == ["PB-LHR-01", "PB-MUL-01"]
    listing = text(as_admin.get("/auth/admin/users"))
    assert "Account created for sara.ahmed@example.pk. We emailed them a link to choose their password." in flashed(
        listing
    )

    # She opens the link, chooses her password, and is in: signed in, on the list of her centres.
    newcomer = app.test_client()
    path = f"/auth/reset/{token}"
    response = post(newcomer, path, {"new_password": "her-own-password", "confirm": "her-own-password"})
    assert response.headers["Location"] == "/centres/mine"
    landing = text(newcomer.get("/centres/mine"))
    assert "PB-LHR-01" in landing and "PB-MUL-01" in landing
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_create_provincial_and_national_overseers_and_an_admin(app, as_admin, places):
    province = str(places["sindh"].id)
    created = {
        "sindh@example.pk": new_account(email="sindh@example.pk", role="overseer", province=province),
        "ministry@example.pk": new_account(email="ministry@example.pk", role="overseer"),
        "second.admin@example.pk": new_account(email="second.admin@example.pk", role="admin"),
    }
    for data in created.values():
        assert redirected_to(post(as_admin, "/auth/admin/users/new", data)) == "/auth/admin/users"
    users = {user.email: user for user in db.session.scalars(sa.select(UserAccount))}
    assert users["sindh@example.pk"].province == places["sindh"]
    assert users["ministry@example.pk"].role is Role.OVERSEER and users["ministry@example.pk"].province is None
    assert users["second.admin@example.pk"].role is Role.ADMIN
    assert sorted(message["To"] for message in outbox(app)) == sorted(created)


def test_create_account_when_the_mail_server_fails(app, as_admin, monkeypatch):
    def refuse(*args):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("auth.admin.send_email", refuse)
    response = post(as_admin, "/auth/admin/users/new", new_account(role="admin"))
    assert redirected_to(response) == "/auth/admin/users"
    assert db.session.scalar(sa.select(UserAccount).where(UserAccount.email == "sara.ahmed@example.pk"))
    assert "could not be sent. Send it again from their account page." in flashed(
        text(as_admin.get("/auth/admin/users"))
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": ""}, "email", "Enter the email address."),
        ({"email": "sara.example.pk"}, "email", "must have an @-sign"),
        ({"email": "taken@markaz.test"}, "email", "An account with this email already exists."),
        ({"email": "TAKEN@markaz.test "}, "email", "An account with this email already exists."),
        ({"full_name": ""}, "full_name", "Enter the full name."),
        ({"full_name": "Sara 2"}, "full_name", "A name has letters only"),
        ({"role": "trainee"}, "role", "Not a valid choice."),
        ({"role": "superuser"}, "role", "could not coerce"),
        ({"centres": []}, "centres", "Staff must work at one centre at least: choose their centres."),
        ({"role": "overseer"}, "centres", "Only staff and callers work at centres"),
        ({"role": "admin"}, "centres", "Only staff and callers work at centres"),
        ({"province": "PROVINCE"}, "province", "Only overseers and callers have a province"),
        ({"role": "overseer", "province": "987654"}, "province", "Not a valid choice."),
        ({"centres": "987654"}, "centres", "'987654' is not a valid choice"),
        ({"centres": "INACTIVE"}, "centres", "is not a valid choice"),
    ],
)
def test_create_account_refusals(app, as_admin, places, make_centre, make_user, row_counts, changes, field, message):
    make_user(Role.STAFF, email="taken@markaz.test")
    centre = make_centre(places["lahore"], code="PB-LHR-01")
    inactive = make_centre(places["lahore"], code="PB-LHR-02", active=False)
    stand_ins = {"CENTRE": str(centre.id), "INACTIVE": str(inactive.id), "PROVINCE": str(places["punjab"].id)}
    # A staff account at one centre, but for the change under test.
    data = {
        name: [stand_ins.get(item, item) for item in value] if isinstance(value, list) else stand_ins.get(value, value)
        for name, value in (new_account(centres="CENTRE") | changes).items()
    }
    before = row_counts()
    page = text(post(as_admin, "/auth/admin/users/new", data), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before
    assert outbox(app) == []


def chosen_centres(page: str) -> dict[int, str]:
    """The ticked boxes of the centres checklist: centre id → code."""
    ticked = re.findall(
        r'<input class="form-check-input" type="checkbox" name="centres" value="(\d+)" id="[^"]+" checked>', page
    )
    return {int(value): re.search(rf'for="centres-{value}">([A-Z0-9-]+)', page).group(1) for value in ticked}


# Accounts: edit ----------------------------------------------------------------------------------------


def test_edit_account_form_shows_the_account(as_admin, places, make_centre, make_user):
    centre = make_centre(places["lahore"], code="PB-LHR-01")
    retired = make_centre(places["lahore"], code="PB-LHR-02", active=False)
    user = make_user(Role.STAFF, email="nadia@markaz.test", full_name="Nadia Gul", centres=(centre, retired))
    page = text(as_admin.get(f"/auth/admin/users/{user.id}/edit"))
    assert 'value="nadia@markaz.test"' in page and 'value="Nadia Gul"' in page
    assert chosen_centres(page) == {centre.id: "PB-LHR-01", retired.id: "PB-LHR-02"}
    # A centre that closed since stays offered (and chosen), so that saving does not drop it silently.
    assert re.search(rf'for="centres-{retired.id}">PB-LHR-02 · [^<]*\(inactive\)', page)
    assert 'name="active"' in page and "checked" in page
    # The centres chosen may be scrolled out of sight in the list: the page says them in words too.
    assert '<dd class="col-7 mb-1">PB-LHR-01, PB-LHR-02</dd>' in page


def test_edit_account_changes_role_and_scope(as_admin, admin, places, make_centre, make_user):
    centre = make_centre(places["lahore"], code="PB-LHR-01")
    user = make_user(Role.STAFF, email="nadia@markaz.test", full_name="Nadia Gul", centres=(centre,))
    data = {"email": "Nadia.Gul@markaz.test", "full_name": "Nadia  Gul", "role": "overseer", "active": "y"}
    data["province"] = str(places["sindh"].id)
    response = post(as_admin, f"/auth/admin/users/{user.id}/edit", data)
    assert redirected_to(response) == "/auth/admin/users"
    db.session.refresh(user)
    assert (user.email, user.full_name, user.role, user.province) == (
        "nadia.gul@markaz.test",
        "Nadia Gul",
        Role.OVERSEER,
        places["sindh"],
    )
    assert user.memberships == []
    [event] = audit_events("account.update")
    assert event.actor_id == admin.id
    assert (event.before["role"], event.after["role"]) == ("staff", "overseer")
    assert (event.before["centres"], event.after["centres"]) == (["PB-LHR-01"], [])


def test_edit_account_unticking_active_deactivates(as_admin, make_user):
    user = make_user(Role.OVERSEER, full_name="Omar Farooq")
    data = {"email": user.email, "full_name": user.full_name, "role": "overseer", "province": ""}
    assert redirected_to(post(as_admin, f"/auth/admin/users/{user.id}/edit", data)) == "/auth/admin/users"
    db.session.refresh(user)
    assert user.active is False


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "taken@markaz.test"}, "email", "An account with this email already exists."),
        ({"email": "not an email"}, "email", "must have an @-sign"),
        ({"full_name": "R2-D2"}, "full_name", "A name has letters only"),
        ({"role": "overseer"}, "centres", "Only staff and callers work at centres"),
        ({"centres": []}, "centres", "Staff must work at one centre at least"),
    ],
)
def test_edit_account_refusals(as_admin, places, make_centre, make_user, row_counts, changes, field, message):
    make_user(Role.ADMIN, email="taken@markaz.test")
    centre = make_centre(places["lahore"], code="PB-LHR-01")
    user = make_user(Role.STAFF, email="nadia@markaz.test", full_name="Nadia Gul", centres=(centre,))
    data = {"email": user.email, "full_name": "Nadia Gul", "role": "staff", "centres": [str(centre.id)], "active": "y"}
    before = row_counts()
    page = text(post(as_admin, f"/auth/admin/users/{user.id}/edit", data | changes), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before
    db.session.refresh(user)
    assert (user.email, user.role) == ("nadia@markaz.test", Role.STAFF)


def test_admins_cannot_deactivate_or_demote_themselves(as_admin, admin, row_counts):
    before = row_counts()
    demote = {"email": admin.email, "full_name": admin.full_name, "role": "staff", "active": "y"}
    page = text(post(as_admin, f"/auth/admin/users/{admin.id}/edit", demote), 422)
    assert "Staff must work at one centre at least" in error_next_to(page, "centres")
    page = text(post(as_admin, f"/auth/admin/users/{admin.id}/edit", demote | {"role": "overseer"}), 422)
    assert "You cannot remove your own admin rights." in error_next_to(page, "role")
    unticked = {"email": admin.email, "full_name": admin.full_name, "role": "admin"}
    page = text(post(as_admin, f"/auth/admin/users/{admin.id}/edit", unticked), 422)
    assert "You cannot deactivate your own account." in error_next_to(page, "active")
    page = text(post(as_admin, f"/auth/admin/users/{admin.id}/deactivate"), 422)
    assert "You cannot deactivate your own account." in error_at_top(page)
    assert row_counts() == before
    db.session.refresh(admin)
    assert admin.active and admin.role is Role.ADMIN


def test_a_trainees_account_keeps_its_role_but_can_be_deactivated(as_admin, make_user, make_trainee, row_counts):
    user = make_user(Role.TRAINEE, email="hina@example.pk", full_name="Hina Baloch")
    make_trainee(user=user, full_name="Hina Baloch")
    page = text(as_admin.get(f"/auth/admin/users/{user.id}/edit"))
    assert re.search(r'<select [^>]*name="role"[^>]*><option selected value="trainee">Trainee</option></select>', page)
    assert 'name="province"' not in page and 'name="centres"' not in page

    before = row_counts()
    data = {"email": user.email, "full_name": user.full_name, "role": "staff", "active": "y"}
    page = text(post(as_admin, f"/auth/admin/users/{user.id}/edit", data), 422)
    assert "Not a valid choice." in error_next_to(page, "role")
    assert row_counts() == before

    # A forged scope is ignored: a trainee's account never gets a province or centres.
    data = {"email": user.email, "full_name": user.full_name, "role": "trainee", "province": "1", "centres": ["1"]}
    assert redirected_to(post(as_admin, f"/auth/admin/users/{user.id}/edit", data)) == "/auth/admin/users"
    db.session.refresh(user)
    assert (user.role, user.active, user.province_id, user.memberships) == (Role.TRAINEE, False, None, [])
    assert redirected_to(post(as_admin, f"/auth/admin/users/{user.id}/reactivate")).endswith("/edit")
    db.session.refresh(user)
    assert user.active


def test_unknown_accounts_are_404(as_admin):
    for path in ("/auth/admin/users/987654/edit", "/auth/admin/users/99999999999999/edit"):
        assert as_admin.get(path).status_code == 404
    assert post(as_admin, "/auth/admin/users/99999999999999/deactivate").status_code == 404


# Accounts: deactivate, reactivate, send a new link -----------------------------------------------------


def test_deactivation_asks_first_then_ends_the_session(client, admin, make_user):
    other_admin = make_user(Role.ADMIN, email="bilal@markaz.test", full_name="Bilal Shah")
    act_as(client, other_admin)
    assert text(client.get("/auth/admin/")).count("Administration") >= 1

    act_as(client, admin)
    page = text(client.get(f"/auth/admin/users/{other_admin.id}/deactivate"))
    assert "Deactivate this account?" in page and "bilal@markaz.test" in page
    assert re.search(rf'<form method="post" action="/auth/admin/users/{other_admin.id}/deactivate"', page)
    assert 'name="csrf_token"' in page
    db.session.refresh(other_admin)
    assert other_admin.active  # asking changed nothing

    response = post(client, f"/auth/admin/users/{other_admin.id}/deactivate")
    assert redirected_to(response) == "/auth/admin/users"
    db.session.refresh(other_admin)
    assert other_admin.active is False
    [event] = audit_events("account.deactivate")
    assert (event.before["active"], event.after["active"], event.actor_id) == (True, False, admin.id)

    # Their session no longer counts: they are sent to sign in again.
    response = act_as(client, other_admin).get("/auth/admin/")
    assert redirected_to(response) == "/auth/login"

    act_as(client, admin)
    response = client.get(f"/auth/admin/users/{other_admin.id}/deactivate")
    assert redirected_to(response) == f"/auth/admin/users/{other_admin.id}/edit"
    assert "is deactivated already" in flashed(text(client.get(f"/auth/admin/users/{other_admin.id}/edit")))


def test_reactivate_account(as_admin, admin, make_user):
    user = make_user(Role.OVERSEER, full_name="Omar Farooq", active=False)
    page = text(as_admin.get(f"/auth/admin/users/{user.id}/edit"))
    assert re.search(rf'<form method="post" action="/auth/admin/users/{user.id}/reactivate">', page)
    response = post(as_admin, f"/auth/admin/users/{user.id}/reactivate")
    assert redirected_to(response) == f"/auth/admin/users/{user.id}/edit"
    db.session.refresh(user)
    assert user.active
    [event] = audit_events("account.reactivate")
    assert (event.before["active"], event.after["active"]) == (False, True)
    assert "is active again" in flashed(text(as_admin.get(f"/auth/admin/users/{user.id}/edit")))


def test_reactivation_refused_shows_what_to_fix(as_admin, make_user, row_counts):
    """A staff account whose centres were all removed cannot come back without one."""
    user = make_user(Role.STAFF, full_name="Sana Noor", active=False)
    before = row_counts()
    page = text(post(as_admin, f"/auth/admin/users/{user.id}/reactivate"), 422)
    assert "Staff must work at one centre at least" in error_next_to(page, "centres")
    assert row_counts() == before


def test_send_a_new_password_link(app, as_admin, make_user):
    user = make_user(Role.STAFF, email="rabia@markaz.test", full_name="Rabia Iqbal")
    response = post(as_admin, f"/auth/admin/users/{user.id}/password-link")
    assert redirected_to(response) == f"/auth/admin/users/{user.id}/edit"
    [message] = outbox(app)
    assert message["To"] == "rabia@markaz.test" and "/auth/reset/" in message.get_content()

    user.active = False
    db.session.commit()
    post(as_admin, f"/auth/admin/users/{user.id}/password-link")
    assert len(outbox(app)) == 1
    assert "Reactivate the account first" in flashed(text(as_admin.get(f"/auth/admin/users/{user.id}/edit")))


# Centres ------------------------------------------------------------------------------------------------


def test_centres_list_shows_inactive_centres_too(as_admin, places, make_centre, make_cohort):
    open_one = make_centre(places["lahore"], code="PB-LHR-01", name="Lahore Centre")
    make_cohort(centre=open_one)
    make_centre(places["karachi"], code="SD-KHS-01", name="Closed Karachi Centre", active=False)
    page = text(as_admin.get("/centres/manage"))
    assert "Showing 1–2 of 2 centres" in page
    assert "Lahore Centre" in page and "Closed Karachi Centre" in page and "Inactive" in page
    assert 'href="/centres/PB-LHR-01/edit"' in page and 'href="/centres/PB-LHR-01/deactivate"' in page
    assert 'href="/centres/SD-KHS-01/deactivate"' not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=karachi", {"SD-KHS-01", "SD-KHS-02"}),
        ("?q=pb-mul", {"PB-MUL-01"}),
        ("?q=Akhuwat", {"PB-MUL-01"}),
        ("?province=SD", {"SD-KHS-01", "SD-KHS-02"}),
        ("?partner=ngo", {"PB-MUL-01", "SD-KHS-02"}),
        ("?active=0", {"SD-KHS-02"}),
        ("?active=1&province=SD", {"SD-KHS-01"}),
        ("?province=XX&partner=embassy&active=2", {"PB-LHR-01", "PB-MUL-01", "SD-KHS-01", "SD-KHS-02"}),
    ],
)
def test_centres_list_search_and_filters(as_admin, places, make_centre, query, expected):
    make_centre(places["lahore"], code="PB-LHR-01", partner_type=PartnerType.UNIVERSITY)
    make_centre(places["multan"], code="PB-MUL-01", partner_type=PartnerType.NGO, partner_name="Akhuwat")
    make_centre(places["karachi"], code="SD-KHS-01", partner_type=PartnerType.UNIVERSITY)
    make_centre(places["karachi"], code="SD-KHS-02", partner_type=PartnerType.NGO, active=False)
    page = text(as_admin.get(f"/centres/manage{query}"))
    assert {code for code in ("PB-LHR-01", "PB-MUL-01", "SD-KHS-01", "SD-KHS-02") if f">{code}<" in page} == expected


def test_centres_list_paginates_and_has_empty_states(as_admin, places, make_centre):
    assert "No centres yet" in text(as_admin.get("/centres/manage"))
    for number in range(23):
        make_centre(places["lahore"], code=f"PB-LHR-{number:02d}")
    first = text(as_admin.get("/centres/manage?province=PB"))
    assert "Showing 1–20 of 23 centres" in first and 'href="/centres/manage?province=PB&amp;page=2"' in first
    assert "Showing 21–23 of 23 centres" in text(as_admin.get("/centres/manage?province=PB&page=2"))
    assert "No centres match" in text(as_admin.get("/centres/manage?q=nowhere"))
    assert "No more centres on this page" in text(as_admin.get("/centres/manage?page=7"))


def new_centre(district, **changes) -> dict:
    values = {
        "code": "pb-lhr-01",
        "name": "Arfa Tower Digital Centre",
        "district_id": str(district.id),
        "address": "Ferozepur Road, Lahore",
        "partner_type": "it_board",
        "partner_name": "Punjab Information Technology Board",
        "lab_seats": "40",
        "women_only": "y",
    }
    return values | changes


def test_a_new_centre_is_on_the_list_the_admin_lands_on(as_admin, places, make_centre):
    for number in range(30):  # a full first page of centres that come before it in code order
        make_centre(places["lahore"], code=f"AA-LHR-{number:02d}")
    response = post(as_admin, "/centres/new", new_centre(places["lahore"]))
    listing = text(as_admin.get(response.headers["Location"]))
    assert "Centre PB-LHR-01 added." in flashed(listing)
    assert ">PB-LHR-01<" in listing and "AA-LHR-00" not in listing


def test_create_centre(as_admin, admin, places):
    form = text(as_admin.get("/centres/new"))
    assert '<optgroup label="Punjab">' in form and '<optgroup label="Sindh">' in form
    assert 'name="code"' in form and 'name="csrf_token"' in form
    response = post(as_admin, "/centres/new", new_centre(places["lahore"]))
    assert response.headers["Location"] == "/centres/manage?q=PB-LHR-01"  # the list opens on the new centre
    centre = db.session.scalar(sa.select(Centre).where(Centre.code == "PB-LHR-01"))
    assert (centre.name, centre.lab_seats, centre.women_only, centre.active) == (
        "Arfa Tower Digital Centre",
        40,
        True,
        True,
    )
    assert centre.partner_type is PartnerType.IT_BOARD and centre.district == places["lahore"]
    [event] = audit_events("centre.create")
    assert event.actor_id == admin.id and event.centre_id == centre.id
    assert "Centre PB-LHR-01 added." in flashed(text(as_admin.get("/centres/manage")))
    assert "Arfa Tower Digital Centre" in text(as_admin.get("/centres/PB-LHR-01"))  # the public page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "Enter the centre's code"),
        ({"code": "new"}, "code", "e.g. PB-LHR-01"),
        ({"code": "manage"}, "code", "e.g. PB-LHR-01"),
        ({"code": "PB-LHR-1"}, "code", "two digits"),
        ({"code": "SD-KHS-01"}, "code", "A centre in Lahore (Punjab) has a code starting PB-LHR-"),
        ({"code": "PB-LHR-09"}, "code", "The code PB-LHR-09 belongs to Existing Centre already"),
        ({"name": ""}, "name", "Enter the name."),
        ({"name": "n" * 161}, "name", "Field cannot be longer than 160 characters."),
        ({"district_id": ""}, "district_id", "Choose the district."),
        ({"district_id": "987654"}, "district_id", "Not a valid choice."),
        ({"district_id": "Lahore"}, "district_id", "could not coerce"),
        ({"partner_type": "embassy"}, "partner_type", "could not coerce"),
        ({"partner_name": "  "}, "partner_name", "Enter the name of the partner that runs the centre."),
        ({"lab_seats": ""}, "lab_seats", "Enter the number of lab seats (0 if the centre has no lab)."),
        ({"lab_seats": "forty"}, "lab_seats", "Not a valid integer value."),
        ({"lab_seats": "-5"}, "lab_seats", "Lab seats cannot be negative."),
        ({"lab_seats": "99999999999999999999"}, "lab_seats", "is more than any centre has"),
    ],
)
def test_create_centre_refusals(as_admin, places, make_centre, row_counts, changes, field, message):
    make_centre(places["lahore"], code="PB-LHR-09", name="Existing Centre")
    before = row_counts()
    page = text(post(as_admin, "/centres/new", new_centre(places["lahore"], **changes)), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_edit_centre(as_admin, admin, places, make_centre):
    centre = make_centre(places["lahore"], code="PB-LHR-01", name="Old Name", lab_seats=30)
    form = text(as_admin.get("/centres/PB-LHR-01/edit"))
    assert 'value="Old Name"' in form and 'name="code"' not in form  # the code is fixed
    assert re.search(rf'<option selected value="{places["lahore"].id}">Lahore</option>', form)
    data = new_centre(places["multan"], name="New Name", lab_seats="35", partner_type="ngo")
    del data["code"], data["women_only"]
    assert redirected_to(post(as_admin, "/centres/PB-LHR-01/edit", data)) == "/centres/manage"
    db.session.refresh(centre)
    assert (centre.code, centre.name, centre.lab_seats, centre.district, centre.women_only) == (
        "PB-LHR-01",
        "New Name",
        35,
        places["multan"],
        False,
    )
    [event] = audit_events("centre.update")
    assert (event.before["name"], event.after["name"], event.actor_id) == ("Old Name", "New Name", admin.id)


def test_edit_centre_refusal_keeps_what_was_typed(as_admin, places, make_centre, row_counts):
    make_centre(places["lahore"], code="PB-LHR-01", name="Old Name", lab_seats=30)
    before = row_counts()
    data = new_centre(places["lahore"], name="Typed Name", lab_seats="-1")
    page = text(post(as_admin, "/centres/PB-LHR-01/edit", data), 422)
    assert "Lab seats cannot be negative." in error_next_to(page, "lab_seats")
    assert 'value="Typed Name"' in page
    assert row_counts() == before


def test_unknown_centre_is_404(as_admin):
    assert as_admin.get("/centres/NO-SUCH-99/edit").status_code == 404
    assert post(as_admin, "/centres/NO-SUCH-99/deactivate").status_code == 404


def test_deactivate_centre_asks_first(as_admin, admin, places, make_centre, make_cohort):
    centre = make_centre(places["lahore"], code="PB-LHR-01", name="Lahore Centre")
    make_cohort(centre=centre, status=CohortStatus.FINISHED)
    page = text(as_admin.get("/centres/PB-LHR-01/deactivate"))
    assert "Deactivate Lahore Centre?" in page and 'action="/centres/PB-LHR-01/deactivate"' in page
    assert "open for applications here" not in page
    db.session.refresh(centre)
    assert centre.active

    assert redirected_to(post(as_admin, "/centres/PB-LHR-01/deactivate")) == "/centres/manage"
    db.session.refresh(centre)
    assert centre.active is False
    [event] = audit_events("centre.deactivate")
    assert event.actor_id == admin.id and event.centre_id == centre.id
    assert as_admin.get("/centres/PB-LHR-01").status_code == 404  # gone from the public pages
    assert "PB-LHR-01" not in text(as_admin.get("/centres/"))

    edit_page = text(as_admin.get("/centres/PB-LHR-01/edit"))
    assert 'action="/centres/PB-LHR-01/reactivate"' in edit_page
    assert redirected_to(post(as_admin, "/centres/PB-LHR-01/reactivate")) == "/centres/PB-LHR-01/edit"
    db.session.refresh(centre)
    assert centre.active
    assert len(audit_events("centre.reactivate")) == 1
    assert text(as_admin.get("/centres/PB-LHR-01"))


def test_a_centre_with_open_cohorts_is_not_deactivated(as_admin, places, make_centre, make_cohort, row_counts):
    centre = make_centre(places["lahore"], code="PB-LHR-01")
    make_cohort(centre=centre, code="PB-LHR-01-C01")
    page = text(as_admin.get("/centres/PB-LHR-01/deactivate"))
    assert "1 cohort is open for applications here:" in page and "<li>PB-LHR-01-C01</li>" in page
    before = row_counts()
    page = text(post(as_admin, "/centres/PB-LHR-01/deactivate"), 422)
    assert "close or cancel its open cohorts first" in error_at_top(page)
    assert row_counts() == before
    db.session.refresh(centre)
    assert centre.active


def test_deactivate_and_reactivate_when_already_done(as_admin, make_centre, row_counts):
    make_centre(code="PB-LHR-01", active=False)
    make_centre(code="PB-LHR-02")
    before = row_counts()
    assert redirected_to(as_admin.get("/centres/PB-LHR-01/deactivate")) == "/centres/PB-LHR-01/edit"
    assert redirected_to(post(as_admin, "/centres/PB-LHR-02/reactivate")) == "/centres/PB-LHR-02/edit"
    assert "is active already" in flashed(text(as_admin.get("/centres/PB-LHR-02/edit")))
    assert row_counts() == before


def test_new_and_manage_are_admin_pages_not_centre_or_course_codes(client, admin, places, row_counts):
    """``/centres/new`` and ``/courses/manage`` are literal paths: they win over ``/<code>``, and the code
    rules keep any centre or course from being called that (see test_admin_services too)."""
    for path, heading in (
        ("/centres/new", "Add a centre"),
        ("/centres/manage", "Manage centres"),
        ("/courses/new", "Add a course"),
        ("/courses/manage", "Manage the course catalogue"),
    ):
        assert heading in text(act_as(client, admin).get(path))
        assert redirected_to(act_as(client, None).get(path)) == "/auth/login"
    act_as(client, admin)
    before = row_counts()
    for code in ("new", "manage", "NEW"):
        page = text(post(client, "/centres/new", new_centre(places["lahore"], code=code)), 422)
        assert "e.g. PB-LHR-01" in error_next_to(page, "code")
        page = text(post(client, "/courses/new", new_course(code=code)), 422)
        assert "e.g. SWD-101" in error_next_to(page, "code")
    assert row_counts() == before


# Courses ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"SWD-101", "DMK-101", "DMK-201"}),
        ("?q=marketing", {"DMK-101", "DMK-201"}),
        ("?q=swd", {"SWD-101"}),
        ("?track=digital_marketing&level=advanced", {"DMK-201"}),
        ("?track=it_support", set()),
        ("?track=%00&level=expert", {"SWD-101", "DMK-101", "DMK-201"}),
    ],
)
def test_courses_list_search_and_filters(as_admin, make_course, query, expected):
    make_course(code="SWD-101", title="Web Development", track=Track.SOFTWARE_DEVELOPMENT)
    make_course(code="DMK-101", title="Digital Marketing Essentials", track=Track.DIGITAL_MARKETING)
    make_course(code="DMK-201", title="Advanced Marketing", track=Track.DIGITAL_MARKETING, level=Level.ADVANCED)
    page = text(as_admin.get(f"/courses/manage{query}"))
    assert {code for code in ("SWD-101", "DMK-101", "DMK-201") if f">{code}<" in page} == expected


def test_courses_list_counts_cohorts_paginates_and_has_empty_states(as_admin, make_course, make_cohort):
    assert "No courses yet" in text(as_admin.get("/courses/manage"))
    course = make_course(code="AAA-001")
    make_cohort(course=course)
    make_cohort(course=course, status=CohortStatus.FINISHED)
    for number in range(21):
        make_course(code=f"ZZZ-{number:03d}")
    first = text(as_admin.get("/courses/manage"))
    assert "Showing 1–20 of 22 courses" in first
    assert re.search(r">AAA-001<.*?<td class=\"text-end d-none d-md-table-cell\">2</td>", first, re.S)
    assert "Showing 21–22 of 22 courses" in text(as_admin.get("/courses/manage?page=2"))
    assert "No courses match" in text(as_admin.get("/courses/manage?q=underwater"))


def new_course(**changes) -> dict:
    values = {
        "code": "swd-101",
        "title": "Web Development Foundations",
        "track": "software_development",
        "summary": "HTML, CSS and a first taste of JavaScript.",
        "weeks": "12",
        "level": "beginner",
        "min_age": "16",
        "max_age": "",
        "min_education": "matric",
    }
    return values | changes


def test_create_course(as_admin, admin):
    form = text(as_admin.get("/courses/new"))
    assert 'name="code"' in form and 'name="csrf_token"' in form and "Intermediate (FA/FSc)" in form
    assert redirected_to(post(as_admin, "/courses/new", new_course())) == "/courses/manage"
    course = db.session.scalar(sa.select(Course).where(Course.code == "SWD-101"))
    assert (course.title, course.weeks, course.min_age, course.max_age) == ("Web Development Foundations", 12, 16, None)
    [event] = audit_events("course.create")
    assert event.actor_id == admin.id and event.object_id == course.id
    assert "Course SWD-101 added to the catalogue." in flashed(text(as_admin.get("/courses/manage")))
    assert "Web Development Foundations" in text(as_admin.get("/courses/SWD-101"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "new"}, "code", "three letters and three digits"),
        ({"code": "manage"}, "code", "three letters and three digits"),
        ({"code": "SWD101"}, "code", "three letters and three digits"),
        ({"code": "dmk-101"}, "code", "The code DMK-101 belongs to “Existing Course” already"),
        ({"title": ""}, "title", "Enter the title."),
        ({"track": "astrology"}, "track", "could not coerce"),
        ({"weeks": ""}, "weeks", "Enter how many weeks the course lasts."),
        ({"weeks": "0"}, "weeks", "A course lasts from 1 to 104 weeks"),
        ({"weeks": "105"}, "weeks", "A course lasts from 1 to 104 weeks"),
        ({"weeks": "twelve"}, "weeks", "Not a valid integer value."),
        ({"min_age": "12"}, "min_age", "Ages run from 14"),
        ({"min_age": "30", "max_age": "20"}, "max_age", "The highest age cannot be below the lowest age (30)."),
        ({"max_age": "old"}, "max_age", "Not a valid integer value."),
        ({"min_education": "phd"}, "min_education", "could not coerce"),
    ],
)
def test_create_course_refusals(as_admin, make_course, row_counts, changes, field, message):
    make_course(code="DMK-101", title="Existing Course")
    before = row_counts()
    page = text(post(as_admin, "/courses/new", new_course(**changes)), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_edit_course(as_admin, admin, make_course, row_counts):
    course = make_course(code="ITS-101", title="IT Support Basics", weeks=8)
    form = text(as_admin.get("/courses/ITS-101/edit"))
    assert 'value="IT Support Basics"' in form and 'name="code"' not in form
    data = new_course(title="IT Support Essentials", weeks="10", track="it_support")
    assert redirected_to(post(as_admin, "/courses/ITS-101/edit", data)) == "/courses/manage"
    db.session.refresh(course)
    assert (course.code, course.title, course.weeks, course.track) == (
        "ITS-101",
        "IT Support Essentials",
        10,
        Track.IT_SUPPORT,
    )
    [event] = audit_events("course.update")
    assert (event.before["weeks"], event.after["weeks"], event.actor_id) == (8, 10, admin.id)

    before = row_counts()
    page = text(post(as_admin, "/courses/ITS-101/edit", new_course(weeks="200")), 422)
    assert "A course lasts from 1 to 104 weeks" in error_next_to(page, "weeks")
    assert row_counts() == before
    assert as_admin.get("/courses/NOPE-1/edit").status_code == 404


# Nobody but admins ----------------------------------------------------------------------------------------


@kept_world
def world(places, make_centre, make_course, make_user, make_trainee):
    centre = make_centre(places["lahore"], code="PB-LHR-01")
    trainee_user = make_user(Role.TRAINEE, full_name="Hina Baloch")
    make_trainee(user=trainee_user)
    return {
        "centre": centre,
        "course": make_course(code="SWD-101"),
        "spare": make_user(Role.STAFF, full_name="Spare Staff", centres=(centre,)),
        "people": {
            "anonymous": None,
            "trainee": trainee_user,
            "staff": make_user(Role.STAFF, full_name="Centre Staff", centres=(centre,)),
            "overseer": make_user(Role.OVERSEER, full_name="Ministry Overseer"),
            "provincial overseer": make_user(Role.OVERSEER, full_name="Punjab Overseer", province=places["punjab"]),
        },
    }


# Every endpoint of the admin modules, with the methods it answers.
ENDPOINTS = {
    "auth.administration": ("GET",),
    "auth.users": ("GET",),
    "auth.create_user": ("GET", "POST"),
    "auth.edit_user": ("GET", "POST"),
    "auth.deactivate_user": ("GET", "POST"),
    "auth.reactivate_user": ("POST",),
    "auth.send_password_link": ("POST",),
    "centres.manage": ("GET",),
    "centres.create": ("GET", "POST"),
    "centres.edit": ("GET", "POST"),
    "centres.deactivate": ("GET", "POST"),
    "centres.reactivate": ("POST",),
    "courses.manage": ("GET",),
    "courses.create": ("GET", "POST"),
    "courses.edit": ("GET", "POST"),
}
CASES = [(method, endpoint) for endpoint, methods in ENDPOINTS.items() for method in methods]
POST_CASES = [(method, endpoint) for method, endpoint in CASES if method == "POST"]


def path_of(app, endpoint: str, world: dict) -> str:
    values = {
        "user_id": world["spare"].id,
        "code": world["course"].code if endpoint.startswith("courses.") else world["centre"].code,
    }
    rule = next(app.url_map.iter_rules(endpoint))
    return app.url_map.bind("localhost").build(endpoint, {name: values[name] for name in rule.arguments})


def test_the_tables_below_cover_every_admin_endpoint(app):
    from auth.permissions import ADMINS

    routed = {
        rule.endpoint: tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if app.view_functions[rule.endpoint].__module__ in ADMIN_MODULES
    }
    assert routed == {endpoint: tuple(sorted(methods)) for endpoint, methods in ENDPOINTS.items()}
    assert all(app.view_functions[endpoint].access_rule is ADMINS for endpoint in routed)


@pytest.mark.parametrize("person", ["anonymous", "trainee", "staff", "overseer", "provincial overseer"])
@pytest.mark.parametrize(("method", "endpoint"), CASES)
def test_only_admins_get_in(app, client, world, row_counts, person, method, endpoint):
    path = path_of(app, endpoint, world)
    act_as(client, world["people"][person])
    before = row_counts()
    # Every field a form could want, so that nothing but the access rule can stop the request.
    data = {"code": "PB-LHR-05", "email": "x@example.pk", "role": "admin", "weeks": "4"}
    response = post(client, path, data) if method == "POST" else client.get(path)
    if person == "anonymous":
        assert redirected_to(response) == "/auth/login"
        assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == [path]
    else:
        assert response.status_code == 403, response.status_code
    assert row_counts() == before
    assert outbox(app) == []


@pytest.mark.parametrize(("method", "endpoint"), POST_CASES)
def test_a_post_without_csrf_token_is_refused(app, as_admin, world, row_counts, method, endpoint):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    before = row_counts()
    response = as_admin.post(path_of(app, endpoint, world), data={"code": "PB-LHR-05", "email": "x@example.pk"})
    assert response.status_code == 400
    assert row_counts() == before
    forged = as_admin.post(path_of(app, endpoint, world), data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(("method", "endpoint"), [case for case in CASES if case[0] == "GET"])
def test_admin_pages_render_without_inline_script_or_style(app, as_admin, world, method, endpoint):
    page = text(as_admin.get(path_of(app, endpoint, world)))
    assert "<script>" not in page and " style=" not in page and "onclick=" not in page and "onsubmit=" not in page
    assert "javascript:" not in page
    for form in re.findall(r'<form method="post".*?</form>', page, re.S):
        assert 'name="csrf_token"' in form or 'name="status-csrf_token"' in form


HOSTILE = ["?page=-1", "?page=abc", "?per_page=100000", "?q=%00", "?q=' OR 1=1 --", "?q=" + "x" * 3000, "?q=لاہور"]


@pytest.mark.parametrize("path", ["/auth/admin/users", "/centres/manage", "/courses/manage"])
@pytest.mark.parametrize("query", HOSTILE)
def test_nonsense_list_arguments_give_a_normal_page(as_admin, path, query):
    response = as_admin.get(path + query)
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)
