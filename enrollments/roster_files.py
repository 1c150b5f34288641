"""A cohort's roster on paper and in a spreadsheet: the download (CSV or XLSX, through the exports' own
machinery: streamed, formula-safe, masked as exports are, kept in the audit trail as ``export.roster``) and
the sign-in sheet for the first day (a page with a print stylesheet). Staff of the cohort's centre and
admins."""

from flask import render_template, request
from sqlalchemy import select

from auth.permissions import STAFF, allow, get_cohort_or_404, masks_identity
from enrollments import bp
from enrollments.identity import mask_cnic
from enrollments.models import Enrollment, Trainee
from enrollments.routes import ROSTER_TABS, search_condition
from extensions import db
from listing import text_arg
from oversight.export_files import KeysetSource, Table, exported_cnic, exported_phone, send
from oversight.queries import district_names
from oversight.queries.rosters import after_place, roster_for_counting, roster_for_export
from submitting import acting_user
from vocabulary import Area, Education, EnrollmentSource, EnrollmentStatus, Gender

FORMAT = "<any(csv, xlsx):fmt>"
ROSTER_HEADINGS = [
    "Enrollment ID",
    "Status",
    "Full name",
    "CNIC",
    "Gender",
    "Date of birth",
    "Mobile",
    "Email",
    "Province",
    "District",
    "Area",
    "Education",
    "Disability",
    "Source",
    "Applied (UTC)",
    "Decided (UTC)",
    "Reason",
]


@bp.get(f"/cohorts/<code>/roster.{FORMAT}")
@allow(STAFF)
def download_roster(code: str, fmt: str):
    """The roster of ``code`` as a file: every place, or one tab's (``tab``), or those a search finds
    (``q``, as on the roster page), by enrollment id; CNIC and mobile masked for those who see them
    masked (``masks_identity``)."""
    cohort = get_cohort_or_404(code, manage=True)
    user = acting_user()
    masked = masks_identity(user)
    tab = request.args.get("tab", "")
    statuses = ROSTER_TABS[tab].statuses if tab in ROSTER_TABS else tuple(EnrollmentStatus)
    query = text_arg("q")
    search = search_condition(query)
    # English labels (a download is the same file for every reader), looked up once per download.
    status_labels, genders, areas, educations, sources = (
        {member: member.plain_label for member in kind}
        for kind in (EnrollmentStatus, Gender, Area, Education, EnrollmentSource)
    )
    places = district_names()

    def shape(rows) -> list[list]:
        return [
            [
                row.id,
                status_labels[row.status],
                row.full_name,
                exported_cnic(row.cnic, masked),
                genders[row.gender],
                row.date_of_birth,
                exported_phone(row.phone, masked),
                row.email or "",
                *places[row.district_id],
                areas[row.area],
                educations[row.education],
                row.disability,
                sources[row.source],
                row.applied_at,
                row.decided_at,
                row.reason,
            ]
            for row in rows
        ]

    table = Table(
        what="roster",
        title=f"Roster {cohort.code}",
        headings=ROSTER_HEADINGS,
        source=KeysetSource(
            roster_for_export(cohort.id, statuses, search),
            Enrollment.id,
            after_place,
            shape,
            counted=roster_for_counting(cohort.id, statuses, search),
        ),
        filters={"tab": tab if tab in ROSTER_TABS else None, "q": query, "masked": masked},
        name_parts=(cohort.code,),
        about=cohort,
        centre_id=cohort.centre_id,
    )
    return send(table, fmt, actor=user)


@bp.get("/cohorts/<code>/sign-in-sheet")
@allow(STAFF)
def sign_in_sheet(code: str):
    """The enrolled trainees of ``code`` by name, with a column to sign in: printed for the first day (the
    page's print stylesheet leaves out everything but the sheet). CNICs are masked: a sheet lies on a desk
    where anyone can read it, and the district code and check digit are enough to tell two names apart."""
    cohort = get_cohort_or_404(code, manage=True)
    trainees = db.session.scalars(
        select(Trainee)
        .join(Enrollment, Enrollment.trainee_id == Trainee.id)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status == EnrollmentStatus.ENROLLED)
        .order_by(Trainee.full_name, Trainee.id)
    ).all()
    return render_template("enrollments/sign_in_sheet.html", cohort=cohort, trainees=trainees, masked_cnic=mask_cnic)
