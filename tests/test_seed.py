"""The demo seed holds the figures the brief asks for, obeys the enrollment invariants, and running it
twice changes nothing. On PostgreSQL the backup restore drill runs on it too (tests/restore_drill.py)."""

import hashlib
import re
from collections import Counter, defaultdict

import phonenumbers
import pytest
import sqlalchemy as sa
from flask import current_app
from harness import build_app
from restore_drill import restored_copy, sample_pages
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from auth.models import CentreMembership, UserAccount
from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Cohort, Course
from enrollments import pools
from enrollments.counters import recount
from enrollments.models import Enrollment, MeritList, Trainee
from extensions import db
from oversight.queries import capacity_report, report_totals
from seed.demo import DEMO_PASSWORD, seed_demo
from seed.reference import load_json, load_reference_data
from tests.conftest import empty_all_tables
from vocabulary import (
    ACTIVE_ENROLLMENT_STATUSES,
    RESERVED_POOLS,
    Admission,
    CohortKind,
    CohortStatus,
    EnrollmentStatus,
    Gender,
    OfferState,
    Pool,
    Role,
    Track,
)

URDU = re.compile(r"[\u0600-\u06FF]")


def fingerprint() -> str:
    """A digest of every row of every table: equal fingerprints mean nothing changed."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def seeded(shared_app):
    """The demo data set, seeded twice; yields the fingerprints after the first and second run."""
    with shared_app.app_context():
        first_report = seed_demo()
        db.session.commit()
        after_first = fingerprint()
        second_report = seed_demo()
        db.session.commit()
        yield {"first": after_first, "second": fingerprint(), "reports": (first_report, second_report)}
        db.session.rollback()
        empty_all_tables()
        db.session.remove()


@pytest.fixture
def session(seeded):
    return db.session


# The demo is seeded once per database for the module: under xdist its tests stay in one process (make test:
# --dist loadgroup), or each process would seed it again (a minute or more each).
pytestmark = pytest.mark.xdist_group("demo-seed")


def count(statement) -> int:
    return db.session.scalar(statement)


def test_running_the_seed_twice_changes_nothing(seeded):
    first, second = seeded["reports"]
    assert sum(first.added.values()) > 0
    assert set(second.added.values()) == {0}
    assert seeded["first"] == seeded["second"]


def test_reference_data_has_every_region_and_real_districts(session):
    regions = {
        "Punjab",
        "Sindh",
        "Khyber Pakhtunkhwa",
        "Balochistan",
        "Islamabad Capital Territory",
        "Gilgit-Baltistan",
        "Azad Jammu and Kashmir",
    }
    assert set(session.scalars(sa.select(Province.name))) == regions
    assert count(sa.select(sa.func.count(District.id))) == sum(
        len(province["districts"]) for province in load_json("pakistan.json")["provinces"]
    )
    assert {"Lahore", "Karachi South", "Peshawar", "Quetta", "Gilgit", "Muzaffarabad", "Islamabad"} <= set(
        session.scalars(sa.select(District.name))
    )
    assert load_reference_data() == (0, 0)


def test_centres_cover_every_region_and_at_least_35_districts(session):
    assert count(sa.select(sa.func.count(Centre.id))) >= 60
    assert count(sa.select(sa.func.count(sa.distinct(Centre.district_id)))) >= 35
    regions = session.scalars(sa.select(Province.code).distinct().join(District).join(Centre))
    assert set(regions) == {"PB", "SD", "KP", "BL", "IC", "GB", "AJK"}
    partner_types = set(session.scalars(sa.select(Centre.partner_type).distinct()))
    assert {"university", "college", "ngo", "it_board"} <= {str(t) for t in partner_types}
    for centre in session.scalars(sa.select(Centre)):
        assert re.fullmatch(r"[A-Z]{2,3}-[A-Z]{3}-\d{2}", centre.code), centre.code


def test_eight_tracks_with_several_courses_each(session):
    per_track = Counter(session.scalars(sa.select(Course.track)))
    assert set(per_track) == set(Track)
    assert min(per_track.values()) >= 3


def test_cohorts_in_every_phase_with_women_only_camps(session):
    assert count(sa.select(sa.func.count(Cohort.id))) >= 300
    statuses = Counter(session.scalars(sa.select(Cohort.status)))
    for status in (CohortStatus.FINISHED, CohortStatus.RUNNING, CohortStatus.OPEN):
        assert statuses[status] >= 20, status
    now = db.func.now()
    upcoming = count(
        sa.select(sa.func.count(Cohort.id)).where(Cohort.status == CohortStatus.OPEN, Cohort.applications_open_at > now)
    )
    open_now = count(
        sa.select(sa.func.count(Cohort.id)).where(
            Cohort.status == CohortStatus.OPEN, Cohort.applications_open_at <= now, Cohort.applications_close_at > now
        )
    )
    assert upcoming >= 10 and open_now >= 50
    camps = sa.select(sa.func.count(Cohort.id)).where(Cohort.kind == CohortKind.CAMP, Cohort.women_only.is_(True))
    assert count(camps) >= 20
    camp_venues = sa.select(Cohort.venue).where(Cohort.kind == CohortKind.CAMP, Cohort.venue != "")
    rural_venues = session.scalars(camp_venues).all()
    rural_names = set(session.scalars(sa.select(District.name).where(District.rural.is_(True))))
    assert sum(any(venue.endswith(name) for name in rural_names) for venue in rural_venues) >= 5


def test_about_two_thousand_trainees_with_valid_identities(session):
    trainees = session.scalars(sa.select(Trainee)).all()
    assert 1900 <= len(trainees) <= 2100
    assert sum(bool(URDU.search(trainee.full_name)) for trainee in trainees) >= 100
    assert Counter(trainee.gender for trainee in trainees)[Gender.FEMALE] > len(trainees) / 2
    for trainee in trainees:
        assert re.fullmatch(r"\d{13}", trainee.cnic), trainee.cnic
        # The last digit of a CNIC is even for women and odd for men.
        if trainee.gender is not Gender.TRANSGENDER:
            assert (int(trainee.cnic[-1]) % 2 == 0) == (trainee.gender is Gender.FEMALE)
        number = phonenumbers.parse(trainee.phone)
        assert phonenumbers.is_valid_number(number), trainee.phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == trainee.phone


def test_enrollments_in_every_state(session):
    statuses = Counter(session.scalars(sa.select(Enrollment.status)))
    assert set(statuses) == set(EnrollmentStatus)


def test_enrollment_invariants_hold(session):
    assert recount() == []
    for cohort in session.scalars(sa.select(Cohort)):
        assert cohort.enrolled_count <= cohort.seats, cohort.code
    women_only_men = count(
        sa.select(sa.func.count(Enrollment.id))
        .join(Enrollment.cohort)
        .join(Enrollment.trainee)
        .where(Cohort.women_only.is_(True), Trainee.gender != Gender.FEMALE)
    )
    assert women_only_men == 0
    places = defaultdict(list)
    rows = session.execute(
        sa.select(Enrollment.trainee_id, Cohort.starts_on, Cohort.ends_on, Cohort.shift)
        .join(Enrollment.cohort)
        .where(Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES))
    )
    for trainee_id, starts, ends, shift in rows:
        places[trainee_id].append((starts, ends, shift))
    for held in places.values():
        assert len(held) <= 2
        if len(held) == 2:
            (s1, e1, shift1), (s2, e2, shift2) = held
            assert shift1 != shift2 or e1 < s2 or e2 < s1
    # Nobody waits for a seat in a cohort that has free seats (a seat offered is held).
    waiting_with_free_seats = count(
        sa.select(sa.func.count(Cohort.id)).where(
            Cohort.waitlisted_count > 0, Cohort.enrolled_count + Cohort.offered_count < Cohort.seats
        )
    )
    assert waiting_with_free_seats == 0
    # Drafts and upcoming cohorts have no applicants yet.
    assert count(sa.select(sa.func.count(Enrollment.id)).join(Enrollment.cohort).where(Cohort.status == "draft")) == 0


def test_demo_accounts(session):
    def account(email: str) -> UserAccount:
        return session.scalar(sa.select(UserAccount).where(UserAccount.email == email))

    admin = account("admin@markaz.test")
    assert admin.role is Role.ADMIN and check_password_hash(admin.password_hash, DEMO_PASSWORD)
    national = account("overseer@markaz.test")
    assert national.role is Role.OVERSEER and national.province is None
    punjab = account("punjab.overseer@markaz.test")
    assert punjab.role is Role.OVERSEER and punjab.province.name == "Punjab"
    for centre in session.scalars(sa.select(Centre)):
        staff = account(f"staff.{centre.code.lower()}@markaz.test")
        assert staff.role is Role.STAFF
        assert [membership.centre_id for membership in staff.memberships] == [centre.id]
    trainee_one = account("trainee1@markaz.test")
    assert trainee_one.role is Role.TRAINEE and trainee_one.trainee is not None
    assert trainee_one.trainee.gender is Gender.FEMALE
    assert count(sa.select(sa.func.count(UserAccount.id)).where(UserAccount.role == Role.TRAINEE)) >= 10
    assert count(sa.select(sa.func.count()).select_from(CentreMembership)) == count(sa.select(sa.func.count(Centre.id)))


def test_the_demo_shows_reserved_seats_offers_and_cohorts_that_filled(session):
    """Issue 16, item 4: the oversight's selection figures have something to show in the demo."""
    places = session.scalars(
        sa.select(Enrollment).options(selectinload(Enrollment.trainee), selectinload(Enrollment.cohort))
    ).all()
    assert {place.offer for place in places} >= {
        OfferState.OPEN,
        OfferState.ACCEPTED,
        OfferState.DECLINED,
        OfferState.EXPIRED,
    }
    for place in places:
        if place.pool in RESERVED_POOLS:
            assert pools.qualifies(place.trainee, place.cohort, place.pool), place
        assert (place.offer is OfferState.OPEN) == (place.status is EnrollmentStatus.OFFERED), place
    cohorts = session.scalars(sa.select(Cohort)).all()
    reserving = [cohort for cohort in cohorts if pools.total_reserved(cohort)]
    assert {cohort.released_at is None for cohort in reserving} == {True, False}
    for cohort in reserving:
        if cohort.released_at is None:  # open seats never hold the seats kept for a category
            assert pools.held(cohort, Pool.OPEN) <= cohort.seats - pools.total_reserved(cohort), cohort.code
    nation = report_totals(capacity_report(OversightScope(), "province"))
    assert nation.reserved_seats and nation.reserved_filled is not None
    assert (
        nation.offers_made
        == nation.offers_accepted + nation.offers_declined + nation.offers_expired + nation.offers_open
    )
    assert nation.offers_expired and nation.cohorts_full and nation.days_to_full is not None


def test_the_demo_has_a_merit_cohort_with_a_published_list(session):
    """Issue 16, item 2: a merit cohort whose list was published by its staff (DESIGN.md, "Running it")."""
    [cohort] = session.scalars(sa.select(Cohort).where(Cohort.admission == Admission.MERIT)).all()
    [merit_list] = session.scalars(sa.select(MeritList).where(MeritList.cohort_id == cohort.id)).all()
    assert merit_list.version == 1 and len(merit_list.entries) >= 8
    statuses = Counter(session.scalars(sa.select(Enrollment.status).where(Enrollment.cohort_id == cohort.id)))
    assert statuses[EnrollmentStatus.OFFERED] == cohort.seats and statuses[EnrollmentStatus.WAITLISTED] > 0
    assert cohort.held_women == cohort.reserved_women == 1


@pytest.mark.backends("postgresql")
def test_the_restore_drill_on_the_demo_data(seeded, database_url, tmp_path, capsys):
    """README "Backups": a dump of the demo database restored into a new one (tests/restore_drill.py) has no
    drift, every row, the same pages, and takes new writes."""
    cohort_code = count(
        sa.select(Cohort.code)
        .join(Enrollment)
        .where(Enrollment.status == EnrollmentStatus.WAITLISTED)
        .group_by(Cohort.code)
        .order_by(sa.func.count().desc(), Cohort.code)
        .limit(1)
    )

    def readers() -> tuple[UserAccount, UserAccount]:
        found = {
            user.email: user
            for user in db.session.scalars(
                sa.select(UserAccount).where(UserAccount.email.in_(["overseer@markaz.test", "admin@markaz.test"]))
            )
        }
        return found["overseer@markaz.test"], found["admin@markaz.test"]

    def rows_per_table() -> dict[str, int]:
        # Sessions aside: reading the sample pages signs readers in, after the dump.
        tables = [table for table in db.metadata.sorted_tables if table.name != "user_session"]
        return {table.name: count(sa.select(sa.func.count()).select_from(table)) for table in tables}

    original_app = current_app._get_current_object()
    with restored_copy(database_url, tmp_path) as copy:
        original = sample_pages(original_app.test_client(), cohort_code, *readers())
        rows = rows_per_table()
        copy_app = build_app(copy.url)
        with copy_app.app_context():
            try:
                recounted = copy_app.test_cli_runner().invoke(args=["oversight", "recount"])
                assert (recounted.exit_code, recounted.output.strip()) == (0, "No drift."), recounted.output
                assert rows_per_table() == rows
                copied = sample_pages(copy_app.test_client(), cohort_code, *readers())
                for path, text in original.items():
                    assert copied[path] == text, f"{path} differs between the database and its restored copy"
                # The copy takes new rows: its sequences came back with the data.
                largest = count(sa.select(sa.func.max(Enrollment.id)))
                assert count(sa.text("SELECT nextval(pg_get_serial_sequence('enrollment', 'id'))")) > largest
                db.session.rollback()
            finally:
                db.session.remove()
                db.engine.dispose()
    with capsys.disabled():
        print(
            f"\nrestore drill: {sum(rows.values())} rows, dump {copy.dump_bytes / 1024:.0f} KB, "
            f"pg_dump {copy.dump_seconds:.2f} s, pg_restore {copy.restore_seconds:.2f} s"
        )
