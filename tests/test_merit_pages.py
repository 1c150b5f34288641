"""Merit admission through HTTP (issue 16, item 2): the scores page (one form for everyone, errors by row and
field), score sheets uploaded (good and bad, CSV and XLSX) and downloaded, publishing behind its confirmation
page, the public masked list (no full name, CNIC or phone; her own row shown to her), the cohort form's
weight, and the roster of a merit cohort."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from pages import audit_events, csv_rows, error_at_top, flashed, post, shown, text

from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment, MeritList
from enrollments.services import apply
from enrollments.services.merit import ScoreEntry, enter_scores, publish
from extensions import db
from vocabulary import Admission, EnrollmentStatus, Gender, Role

S = EnrollmentStatus
NAMES = ("Ayesha Siddiqa Khan", "Bilal Ahmed", "Sana Iqbal")


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-01", lab_seats=30)


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def cohort(make_cohort, centre):
    return make_cohort(centre=centre, code="PB-LHR-01-C07", admission=Admission.MERIT, offers=True, seats=1)


@pytest.fixture
def places(make_user, make_trainee, cohort):
    """Three applicants, in order of application: Ayesha, Bilal, Sana."""
    found = []
    for name in NAMES:
        trainee = make_trainee(user=make_user(Role.TRAINEE), full_name=name, gender=Gender.FEMALE)
        found.append(apply(trainee, cohort, actor=trainee.user).enrollment)
    db.session.commit()
    return found


SCORES = "/enrollments/cohorts/PB-LHR-01-C07/scores"
UPLOAD = "/enrollments/cohorts/PB-LHR-01-C07/scores/upload"
PUBLISH = "/enrollments/cohorts/PB-LHR-01-C07/merit-list/publish"
PUBLIC = "/courses/cohorts/PB-LHR-01-C07/merit-list"


def close(cohort: Cohort) -> None:
    cohort.applications_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def scores_of(*places_) -> list[tuple]:
    db.session.expire_all()
    return [(place.test_score, place.interview_score) for place in (db.session.get(Enrollment, p.id) for p in places_)]


def upload(client, filename: str, data: bytes):
    return post(client, UPLOAD, {"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


# The scores form -----------------------------------------------------------------------------------


def test_staff_enter_everyones_scores_in_one_form(client, sign_in, staff, cohort, places):
    sign_in(staff)
    page = text(client.get(SCORES))
    assert all(name in page for name in NAMES) and places[0].number in page
    form = {f"test-{places[0].id}": "72.5", f"interview-{places[0].id}": "80", f"test-{places[1].id}": "٦٠"}
    form |= {f"interview-{places[1].id}": "90", f"test-{places[2].id}": "", f"interview-{places[2].id}": ""}
    response = post(client, SCORES, form)
    assert response.status_code == 302
    assert "Saved the scores of 2 applicants." in flashed(text(client.get(SCORES)))
    assert scores_of(*places) == [(72.5, 80.0), (60.0, 90.0), (None, None)]
    assert len(audit_events("enrollment.score")) == 2


def test_wrong_scores_are_shown_next_to_their_row_and_field_and_nothing_is_saved(
    client, sign_in, staff, cohort, places, row_counts
):
    sign_in(staff)
    before = row_counts()
    form = {f"test-{places[0].id}": "101", f"interview-{places[0].id}": "80"}
    form |= {f"test-{places[1].id}": "60", f"interview-{places[1].id}": ""}
    page = text(post(client, SCORES, form), 422)
    assert row_counts() == before
    assert "2 scores are not right: nothing was saved." in error_at_top(page)
    assert "Enter the test score as a number from 0 to 100." in page.split(f'id="test-{places[0].id}-error"')[1][:200]
    assert "Enter both scores, or leave both empty." in page.split(f'id="interview-{places[1].id}-error"')[1][:200]
    assert 'value="101"' in page  # what she typed stays, to correct


def test_the_scores_pages_are_for_the_centres_staff_and_merit_cohorts(
    client, sign_in, make_user, make_centre, make_cohort, centre, cohort, places
):
    assert client.get(SCORES).status_code == 302  # to sign in
    sign_in(make_user(Role.STAFF, centres=(make_centre(),)))
    assert client.get(SCORES).status_code == 403
    sign_in(make_user(Role.STAFF, centres=(centre,)))
    other = make_cohort(centre=centre, code="PB-LHR-01-C08")
    assert client.get(f"/enrollments/cohorts/{other.code}/scores").status_code == 404
    sign_in(db.session.get(Enrollment, places[0].id).trainee.user)
    assert client.get(SCORES).status_code == 403


# Score sheets --------------------------------------------------------------------------------------


def test_the_score_sheet_lists_everyone_to_score_and_is_audited(client, sign_in, staff, cohort, places):
    sign_in(staff)
    rows = csv_rows(client.get(f"{SCORES}.csv"))
    assert rows[0] == ["Application number", "CNIC", "Name", "Test score", "Interview score"]
    assert [row[0] for row in rows[1:]] == [place.number for place in places]
    [event] = audit_events("export.score_sheet")
    assert event.after["rows"] == 3


def test_an_uploaded_sheet_is_shown_filled_in_to_save_and_nothing_is_saved_before(
    client, sign_in, staff, cohort, places, row_counts
):
    sign_in(staff)
    sheet = (
        "Application No,Name,Test,Interview\r\n"
        f"{places[0].number},Ayesha,88,70\r\n"
        f"{int(places[1].number)},Bilal,65.5,90\r\n"
    )
    before = row_counts()
    page = text(upload(client, "scores.csv", sheet.encode()))
    assert row_counts() == before
    assert "The sheet gives scores for 2 applicants; 2 change." in flashed(page)
    assert f'name="test-{places[0].id}" value="88"' in page and f'name="test-{places[1].id}" value="65.5"' in page
    # Saving is the form's own POST, with what the page shows.
    form = {f"test-{places[0].id}": "88", f"interview-{places[0].id}": "70"}
    form |= {f"test-{places[1].id}": "65.5", f"interview-{places[1].id}": "90"}
    assert post(client, SCORES, form).status_code == 302
    assert scores_of(*places[:2]) == [(88.0, 70.0), (65.5, 90.0)]


def test_an_xlsx_sheet_naming_applicants_by_cnic_is_read(client, sign_in, staff, cohort, places):
    sign_in(staff)
    book = Workbook()
    sheet = book.active
    sheet.append(["CNIC", "Test score", "Interview score"])
    for place, test in zip(places, (50, 60.25, 70), strict=True):
        sheet.append([db.session.get(Enrollment, place.id).trainee.cnic, test, 80])
    data = io.BytesIO()
    book.save(data)
    page = text(upload(client, "scores.xlsx", data.getvalue()))
    assert f'name="test-{places[1].id}" value="60.25"' in page


def test_a_sheet_with_wrong_rows_lists_each_and_saves_nothing(client, sign_in, staff, cohort, places, row_counts):
    sign_in(staff)
    sheet = (
        "Application number,Test score,Interview score\r\n"
        f"{places[0].number},88,70\r\n"
        "999999,50,50\r\n"
        f"{places[1].number},abc,50\r\n"
        ",50,50\r\n"
        f"{places[0].number},40,40\r\n"
    )
    before = row_counts()
    page = shown(text(upload(client, "scores.csv", sheet.encode()), 422))
    assert row_counts() == before
    assert "The score sheet has rows that are not right: nothing was saved." in page
    assert "Row 3: no applicant who may be scored now has the application number 999999." in page
    assert "Row 5: give the application number or the CNIC." in page
    assert "Row 4, Test score: Enter the test score as a number from 0 to 100." in page
    assert f"Row 6, Application number: Application {places[0].number} is given twice." in page


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("scores.csv", b"", "The file is empty."),
        ("scores.xls", b"\xd0\xcf\x11\xe0rest", "This is an old Excel file (.xls)"),
        ("scores.csv", b"Name,Test,Interview\r\nA,1,2\r\n", "Name each applicant by application number or by CNIC"),
        ("scores.csv", b"Application number,Test\r\n1,2\r\n", "Required column missing: Interview score."),
    ],
)
def test_a_file_that_is_not_a_score_sheet_is_refused(
    client, sign_in, staff, cohort, places, row_counts, filename, data, message
):
    sign_in(staff)
    before = row_counts()
    page = shown(text(upload(client, filename, data), 422))
    assert message in page and row_counts() == before


# Publishing ----------------------------------------------------------------------------------------


def scored_and_closed(staff, cohort, places) -> None:
    entries = [ScoreEntry(place.id, test, 50) for place, test in zip(places, (60, 90, 75), strict=True)]
    enter_scores(cohort, entries, actor=staff)
    close(cohort)


def test_the_publish_page_says_what_will_happen_then_publishes(client, sign_in, staff, cohort, places):
    scored_and_closed(staff, cohort, places)
    sign_in(staff)
    page = shown(text(client.get(PUBLISH)))
    assert "Publishing version 1 will, in one step:" in page
    assert "rank 3 applicants by total score (70% test, 30% interview" in page
    assert "offer 1 seat of Open seats, by rank, each to accept within 72 hours;" in page
    assert "put 2 applicants on the waitlist, in rank order;" in page
    response = post(client, PUBLISH, {"reason": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith(PUBLIC)
    assert db.session.scalar(sa.select(sa.func.count(MeritList.id))) == 1
    assert db.session.get(Enrollment, places[1].id).status is S.OFFERED


def test_the_publish_page_shows_why_not_yet(client, sign_in, staff, cohort, places, row_counts):
    sign_in(staff)
    page = shown(text(client.get(PUBLISH)))
    assert "Applications are open until" in page and "Publish the merit list" not in page.split("Applications")[-1]
    close(cohort)
    before = row_counts()
    page = shown(text(post(client, PUBLISH, {"reason": ""}), 409))
    assert "3 applicants have no scores yet" in page and row_counts() == before


def test_a_correction_needs_its_reason_on_the_page(client, sign_in, staff, cohort, places, row_counts):
    scored_and_closed(staff, cohort, places)
    publish(cohort, actor=staff)
    db.session.commit()
    sign_in(staff)
    assert "Publish a correction of the merit list" in shown(text(client.get(PUBLISH)))
    before = row_counts()
    page = text(post(client, PUBLISH, {"reason": "  "}), 422)
    assert row_counts() == before
    assert "A published merit list is corrected only with a reason" in shown(page)
    assert post(client, PUBLISH, {"reason": "Interview of 000002 entered twice"}).status_code == 302
    public = shown(text(client.get(PUBLIC)))
    assert "Version 2, corrected" in public and "Interview of 000002 entered twice" in public
    assert "Version 1" in public  # the older version is listed
    old = shown(text(client.get(f"{PUBLIC}?version=1")))
    assert "This is an older version, as it was published." in old


# The public list -----------------------------------------------------------------------------------


def test_the_public_list_is_masked_explains_itself_and_shows_her_own_row(client, sign_in, staff, cohort, places):
    assert client.get(PUBLIC).status_code == 404  # not published yet
    scored_and_closed(staff, cohort, places)
    publish(cohort, actor=staff)
    db.session.commit()
    page = text(client.get(PUBLIC))
    words = shown(page)
    for place in places:
        trainee = db.session.get(Enrollment, place.id).trainee
        assert trainee.cnic not in page and trainee.phone not in page and trainee.full_name not in page
    assert "Ayesha K." in words and "Bilal A." in words and "Sana I." in words
    assert "70% of the test score plus 30% of the interview score" in words
    assert "Two equal totals go to the earlier application." in words
    assert words.index("Bilal A.") < words.index("Sana I.") < words.index("Ayesha K.")
    assert "Waitlist, number 1" in words and "Waitlist, number 2" in words
    # Ayesha, signed in, sees her own row marked.
    sign_in(db.session.get(Enrollment, places[0].id).trainee.user)
    mine = text(client.get(PUBLIC))
    assert 'class="table-warning" aria-current="true"' in mine
    assert places[0].number in mine.split('aria-current="true"')[1][:200]
    cohort_page = shown(text(client.get(f"/courses/cohorts/{cohort.code}")))
    assert "Your rank on the merit list: 3." in cohort_page and "See the merit list" in cohort_page


def test_the_cohort_page_of_a_merit_cohort_says_how_seats_go(client, cohort):
    page = shown(text(client.get(f"/courses/cohorts/{cohort.code}")))
    assert "Seats go by merit" in page and "Not published yet" in page


# The cohort form and the roster --------------------------------------------------------------------


def test_the_cohort_form_sets_the_test_weight_and_merit_forces_offers(client, sign_in, staff, cohort):
    sign_in(staff)
    edit = f"/courses/staff/cohorts/{cohort.code}/edit"
    page = text(client.get(edit))
    assert 'name="test_weight"' in page and 'value="70"' in page
    form = {
        "course_id": str(cohort.course_id),
        "kind": "regular",
        "women_only": "no",
        "women_only_admits": "women",
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "shift": "morning",
        "mode": "on_site",
        "seats": "1",
        "admission": "merit",
        "test_weight": "60",
        "offer_hours": "72",
    }
    assert post(client, edit, form).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Cohort, cohort.id).test_weight, db.session.get(Cohort, cohort.id).offers) == (60, True)
    page = text(post(client, edit, form | {"test_weight": "120"}), 422)
    assert "The test&#39;s weight is a whole percent from 0 to 100" in page


def test_the_roster_of_a_merit_cohort_offers_scores_not_approval(client, sign_in, staff, cohort, places):
    sign_in(staff)
    page = text(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=pending"))
    assert "Scores and merit list" in page
    assert f"/enrollments/{places[0].id}/approve" not in page


def test_the_public_list_and_the_cohort_page_read_in_urdu(client, staff, cohort, places):
    scored_and_closed(staff, cohort, places)
    publish(cohort, actor=staff)
    db.session.commit()
    urdu = {"Accept-Language": "ur"}
    page = shown(text(client.get(PUBLIC, headers=urdu)))
    assert "میرٹ لسٹ" in page and "70% اور انٹرویو کے نمبروں کا 30%" in page and "انتظار کی فہرست، نمبر 1" in page
    assert "میرٹ لسٹ دیکھیں" in shown(text(client.get(f"/courses/cohorts/{cohort.code}", headers=urdu)))
