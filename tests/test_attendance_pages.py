"""Issue 17 through the pages: the day's register (everyone present until marked), its refusals shown on the
page with nothing written, the class days page, the roster's at-risk badge and the centre dashboard's count."""

from datetime import UTC, date, datetime

import pytest
from pages import act_as, audit_actions, error_next_to, flashed, post_form, redirected_to, shown, text

import clock
from attendance.models import AttendanceRegister
from courses.cohorts import change_status
from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from vocabulary import CohortStatus, Role, Shift

NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)  # Thursday, 11:00 in Pakistan
TODAY = date(2026, 11, 19)


@pytest.fixture
def world(app, monkeypatch, make_centre, make_cohort, make_trainee, make_user):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    centre = make_centre()
    cohort = make_cohort(
        centre,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 12, 31),
        shift=Shift.MORNING,
        seats=5,
        applications_close_at=None,
    )
    staff = make_user(Role.STAFF, centres=(centre,))
    places = [
        services.register(
            make_trainee(full_name=f"Trainee {letter}"), cohort, actor=staff, now=datetime(2026, 10, 30, tzinfo=UTC)
        ).enrollment
        for letter in "ABC"
    ]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    return {"cohort": cohort, "staff": staff, "places": places, "centre": centre}


def register_path(world, day=TODAY):
    return f"/attendance/cohorts/{world['cohort'].code}/register?day={day.isoformat()}"


def test_the_register_opens_on_today_with_everyone_present(client, world):
    act_as(client, world["staff"])
    page = text(client.get(f"/attendance/cohorts/{world['cohort'].code}/register"))
    assert "Attendance: 19 Nov 2026" in shown(page)
    for enrollment in world["places"]:
        assert (
            f'name="mark-{enrollment.id}" id="mark-{enrollment.id}-present" value="present" autocomplete="off" checked'
            in page
        )
    assert "19 Nov 2026 (today) · not marked" in shown(page)


def test_staff_mark_the_absent_and_save(client, world):
    act_as(client, world["staff"])
    absent = world["places"][1].id
    response = post_form(client, register_path(world), {"day": TODAY.isoformat(), f"mark-{absent}": "absent"})
    assert redirected_to(response) == f"/attendance/cohorts/{world['cohort'].code}/register"
    page = text(client.get(register_path(world)))
    assert "Attendance of 19 Nov 2026 saved: 2 present (0 late), 1 absent." in flashed(page)
    assert f'id="mark-{absent}-absent" value="absent" autocomplete="off" checked' in page
    register = db.session.scalar(db.select(AttendanceRegister))
    assert register.absent == [absent] and audit_actions()[-1] == "cohort.attendance"


def test_a_correction_of_a_past_day_without_a_reason_is_refused_next_to_the_field(client, world, row_counts):
    act_as(client, world["staff"])
    day = date(2026, 11, 18)
    post_form(client, register_path(world, day), {"day": day.isoformat()})
    before = row_counts()
    response = post_form(
        client, register_path(world, day), {"day": day.isoformat(), f"mark-{world['places'][0].id}": "late"}
    )
    page = text(response, 422)
    assert "say why you correct it" in error_next_to(page, "reason")
    assert row_counts() == before


def test_a_future_day_is_refused_on_the_page(client, world, row_counts):
    act_as(client, world["staff"])
    before = row_counts()
    day = date(2026, 11, 20)
    page = text(
        post_form(client, register_path(world, day), {"day": day.isoformat()}, form_path=register_path(world)), 422
    )
    assert "has not come yet" in shown(page)
    assert row_counts() == before


def test_a_mark_that_is_none_of_the_three_is_refused(client, world, row_counts):
    act_as(client, world["staff"])
    before = row_counts()
    page = text(
        post_form(client, register_path(world), {"day": TODAY.isoformat(), f"mark-{world['places'][0].id}": "asleep"}),
        422,
    )
    assert "Mark Trainee A present, late or absent." in shown(page)
    assert row_counts() == before


def test_class_days_page_adds_and_cancels_a_day(client, world):
    act_as(client, world["staff"])
    path = f"/attendance/cohorts/{world['cohort'].code}/days"
    response = post_form(client, path, {"day": "2026-11-21", "reason": "Make-up class", "change": "add"})
    assert redirected_to(response) == path
    page = text(client.get(path))
    assert "Make-up class" in page and "added" in shown(page)
    page = text(post_form(client, path, {"day": "2026-11-22", "reason": "Holiday", "change": "cancel"}), 422)
    assert "does not meet on 22 Nov 2026" in error_next_to(page, "day")


def test_the_roster_and_the_dashboard_show_who_is_at_risk(client, world):
    at_risk = world["places"][2]
    for day in (16, 17, 18):
        services_day = date(2026, 11, day)
        from attendance.services import take_attendance

        take_attendance(world["cohort"], services_day, absent=[at_risk.id], actor=world["staff"], now=NOW)
        db.session.commit()
    act_as(client, world["staff"])
    roster = shown(text(client.get(f"/enrollments/cohorts/{world['cohort'].code}/roster?tab=enrolled")))
    assert "at risk: absent 3 class days in a row" in roster and "attended 0 of 3 class days" in roster
    dashboard = shown(text(client.get(f"/centres/{world['centre'].code}/dashboard")))
    assert "1 trainee at risk of dropping out" in dashboard
    listing = shown(text(client.get(f"/attendance/centres/{world['centre'].code}/at-risk")))
    assert "Trainee C" in listing and "Trainee A" not in listing


def test_other_centres_staff_and_overseers_cannot_open_the_register(client, world, make_user, make_centre):
    act_as(client, make_user(Role.STAFF, centres=(make_centre(),)))
    assert client.get(register_path(world)).status_code == 403
    act_as(client, make_user(Role.OVERSEER))
    assert client.get(register_path(world)).status_code == 403


def test_her_page_shows_her_attendance(client, world, make_user):
    place = world["places"][0]
    from attendance.services import take_attendance

    take_attendance(world["cohort"], date(2026, 11, 18), absent=[place.id], actor=world["staff"], now=NOW)
    take_attendance(world["cohort"], TODAY, actor=world["staff"], now=NOW)
    db.session.commit()
    trainee = db.session.get(Enrollment, place.id).trainee
    trainee.user = make_user(Role.TRAINEE)
    db.session.commit()
    act_as(client, trainee.user)
    client.set_cookie("markaz_lang", "ur")
    page = shown(text(client.get("/auth/profile")))
    assert "2" in page and "50%" in page


# Uploading a file of marks -------------------------------------------------------------------------------


def upload(client, world, content: bytes, name="marks.csv", reason=""):
    from io import BytesIO

    path = f"/attendance/cohorts/{world['cohort'].code}/upload"
    return post_form(client, path, {"file": (BytesIO(content), name), "reason": reason})


def test_a_device_file_saves_each_day_and_marks_the_unlisted_absent(client, world):
    act_as(client, world["staff"])
    a, b, c = (db.session.get(Enrollment, place.id) for place in world["places"])
    content = (
        "Date,CNIC,Status\n"
        f"18/11/2026,{a.trainee.cnic},present\n"
        f"18/11/2026,{b.trainee.cnic},late\n"
        f"19/11/2026,{a.trainee.cnic},Present\n"
        f"19/11/2026,{b.trainee.cnic},absent\n"
        f"19/11/2026,{c.trainee.cnic},present\n"
    ).encode()
    response = upload(client, world, content)
    assert redirected_to(response) == f"/attendance/cohorts/{world['cohort'].code}/days"
    registers = {r.day: r for r in db.session.scalars(db.select(AttendanceRegister))}
    assert registers[date(2026, 11, 18)].absent == [c.id] and registers[date(2026, 11, 18)].late == [b.id]
    assert registers[TODAY].absent == [b.id]
    assert audit_actions()[-2:] == ["cohort.attendance", "cohort.attendance"]


def test_an_xlsx_file_with_application_numbers_is_read(client, world):
    from openpyxl import Workbook

    act_as(client, world["staff"])
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Application number", "Status"])
    for place in world["places"]:
        sheet.append([datetime(2026, 11, 19), place.id, "absent" if place is world["places"][0] else "present"])
    from io import BytesIO

    buffer = BytesIO()
    book.save(buffer)
    response = upload(client, world, buffer.getvalue(), name="marks.xlsx")
    assert response.status_code == 302
    assert db.session.scalar(db.select(AttendanceRegister)).absent == [world["places"][0].id]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            b"Date,CNIC,Status\n18/11/2026,3520299999991,present\n",
            "Row 2, CNIC: nobody with this CNIC is on the register",
        ),
        (b"Date,CNIC,Status\nyesterday,3520299999991,present\n", "Row 2, date: write the date as day/month/year"),
        (b"Date,CNIC,Status\n20/11/2026,3520299999991,present\n", "Row 2, CNIC: nobody with this CNIC"),
        (b"Name,Phone\nAyesha,0300\n", "The first row should name the columns"),
        (b"", "The file is empty."),
    ],
)
def test_a_wrong_file_is_refused_whole_naming_row_and_column(client, world, row_counts, content, words):
    act_as(client, world["staff"])
    first = db.session.get(Enrollment, world["places"][0].id)
    before = row_counts()
    page = shown(text(upload(client, world, content), 422))
    assert words in page
    assert row_counts() == before and first.days_marked == 0


def test_a_bad_status_refuses_the_whole_file(client, world, row_counts):
    act_as(client, world["staff"])
    a = db.session.get(Enrollment, world["places"][0].id)
    content = f"Date,CNIC,Status\n18/11/2026,{a.trainee.cnic},present\n19/11/2026,{a.trainee.cnic},asleep\n".encode()
    before = row_counts()
    page = shown(text(upload(client, world, content), 422))
    assert "Row 3, status: write present, absent or late." in page
    assert row_counts() == before
