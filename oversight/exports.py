"""Downloads at ``/oversight/exports``: the capacity audit at any grouping, one centre's cohorts, the outcomes
report, and the trainees in the reader's scope, each as CSV or XLSX (``oversight.export_files`` streams and
records them).

The outcomes download takes the outcomes page's ``wave``, ``by`` and ``province``.

The capacity and cohort downloads take the query string of the audit pages (``oversight.routes``):
``from``/``to`` (first days), ``camps`` (training camps), ``women_only`` (women-only cohorts), ``mode``, and
for the capacity table ``by`` (province, district, centre or track), ``province`` and ``district`` (codes:
a drill-down page's place). Arguments they do not know are ignored; a value they cannot use is refused
with 400 and a sentence naming it, rather than left out: a download must hold what its link says.
"""

from typing import NoReturn

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from auth.permissions import (
    OVERSIGHT,
    OversightScope,
    allow,
    can_view_centre_audit,
    centre_refusal,
    deny,
    masks_identity,
    oversight_scope,
    place_refusal,
    scope_reaches,
    viewable_trainees,
)
from centres.models import Centre, District, Province
from enrollments.models import Trainee
from extensions import db
from listing import text_arg
from oversight import bp
from oversight.export_files import KeysetSource, ListSource, Table, exported_cnic, exported_phone, send
from oversight.figures import FIGURE_KEYS, FIGURES, definition_rows
from oversight.outcome_figures import OUTCOME_FIGURE_KEYS, OUTCOME_FIGURES, outcome_definition_rows
from oversight.outcome_pages import read_outcome_filters
from oversight.queries import (
    REPORT_GROUPINGS,
    AuditFilters,
    CapacityReportRow,
    after_trainee,
    audit_report,
    centre_cohorts,
    cohort_figures,
    district_names,
    flags_of,
    report_totals,
    trainees_for_export,
)
from oversight.queries.outcomes import outcomes_report
from oversight.routes import CHECKED, CODE, Problem, read_filters, thresholds
from submitting import acting_user
from vocabulary import Area, Education, Gender

FORMAT = "<any(csv, xlsx):fmt>"
UNCHECKED = frozenset({"", "0", "off", "false", "no"})

# The figures of a group of cohorts (a report row, or one cohort), in the order of the pages, headed and
# defined as ``oversight.figures`` says (the definitions go with the file: ``Table.notes``).
FIGURE_HEADINGS = [*(figure.heading for figure in FIGURES), "Flags"]


def figures(row: CapacityReportRow) -> list:
    flags = "; ".join(flag.plain_label for flag in flags_of(row, thresholds()))
    return [*(getattr(row, key) for key in FIGURE_KEYS), flags]


def definitions() -> list[tuple[str, str]]:
    """What each figure means (``oversight.figures``), with the flags' thresholds of this deployment."""
    limits = thresholds()
    return [tuple(row) for row in definition_rows(limits.underused_below, limits.women_share_target)]


# Reading the query string ------------------------------------------------------------------------------


def refuse(message: str) -> NoReturn:
    """Answer 400 with ``message``, a sentence naming the argument: nothing is downloaded, nothing recorded."""
    abort(400, message)


def problem_message(problem: Problem) -> str:
    """Why the download of a filter the audit pages would leave out was not made (the argument is named as
    typed in the query string)."""
    field, value = problem.field, problem.value
    if problem.kind == "not_a_date":
        return _(
            "The download was not made: %(field)s “%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2026-11-21.",
            field=field,
            value=value,
        )
    if problem.kind == "out_of_range":
        return _(
            "The download was not made: %(field)s “%(value)s” must lie between the years 2000 and 2100.",
            field=field,
            value=value,
        )
    if problem.kind == "ends_before_start":
        return _(
            "The download was not made: %(field)s “%(value)s” cannot come before the start of the period (from).",
            field=field,
            value=value,
        )
    if problem.kind == "unknown_mode":
        return _(
            "The download was not made: %(field)s “%(value)s” must be on_site, online or hybrid.",
            field=field,
            value=value,
        )
    return _("The download was not made: %(field)s “%(value)s” is not understood.", field=field, value=value)


def read_export_filters() -> AuditFilters:
    """The audit pages' filters (``oversight.routes.read_filters``); 400 for any value they would leave out."""
    filters, problems = read_filters()
    for problem in problems:
        refuse(problem_message(problem))
    women_only = text_arg("women_only", 10).lower()
    if women_only not in CHECKED | UNCHECKED:
        refuse(
            _(
                "The download was not made: %(field)s “%(value)s” must be 1 or 0.",
                field="women_only",
                value=women_only,
            )
        )
    return filters


def place_filters(scope: OversightScope) -> dict:
    """``province`` and ``district`` (codes) of the query string as capacity report arguments: 400 for a
    code that names nothing, 403 for a place outside the reader's scope."""
    province_code, district_code = text_arg("province", 40), text_arg("district", 40)
    if not province_code:
        if district_code:
            refuse(
                _(
                    "The download was not made: %(field)s “%(value)s” needs its province (province=CODE).",
                    field="district",
                    value=district_code,
                )
            )
        return {}
    province = (
        db.session.scalar(select(Province).where(Province.code == province_code.upper()))
        if CODE.fullmatch(province_code)
        else None
    )
    if province is None:
        refuse(
            _(
                "The download was not made: %(field)s “%(value)s” is not the code of a province.",
                field="province",
                value=province_code,
            )
        )
    if not scope_reaches(scope, province_id=province.id):
        deny(place_refusal(current_user, province))
    if not district_code:
        return {"province_code": province.code}
    district = (
        db.session.scalar(
            select(District).where(District.province_id == province.id, District.code == district_code.upper())
        )
        if CODE.fullmatch(district_code)
        else None
    )
    if district is None:
        refuse(
            _(
                "The download was not made: %(field)s “%(value)s” is not the code of a district of %(province)s.",
                field="district",
                value=district_code,
                province=province.name,
            )
        )
    if not scope_reaches(scope, province_id=province.id, district_id=district.id):
        deny(place_refusal(current_user, district))
    return {"province_code": province.code, "district_id": district.id}


def grouping(scope: OversightScope) -> str:
    """``by``, defaulting to what the top audit page shows the reader (provinces, districts, centres)."""
    default = "province" if scope.is_national else ("district" if scope.province_id is not None else "centre")
    group_by = text_arg("by", 20) or default
    if group_by not in REPORT_GROUPINGS:
        refuse(
            _(
                "The download was not made: %(field)s “%(value)s” must be province, district, centre or track.",
                field="by",
                value=group_by,
            )
        )
    return group_by


def applied(filters: AuditFilters, **extra) -> dict:
    """What the audit event keeps of the filters: the query string's names and values."""
    values = {
        "from": filters.starts_from,
        "to": filters.starts_to,
        "camps": filters.camps,
        "women_only": filters.women_only,
        "mode": filters.mode,
    }
    return values | extra


# Downloads ---------------------------------------------------------------------------------------------


@bp.get(f"/exports/capacity.{FORMAT}")
@allow(OVERSIGHT)
def export_capacity(fmt: str):
    """The capacity audit table at one grouping, with its total, in the reader's scope."""
    scope = oversight_scope(current_user)
    group_by = grouping(scope)
    filters = read_export_filters()
    places = place_filters(scope)
    narrowed = AuditFilters(**(filters.arguments() | places))
    rows = audit_report(scope, group_by, narrowed)
    table = Table(
        what="capacity",
        title=f"Capacity by {group_by}",
        headings=["Key", group_by.capitalize(), *FIGURE_HEADINGS],
        source=ListSource([[row.key, row.name, *figures(row)] for row in [*rows, report_totals(rows)]]),
        notes=definitions(),
        filters=applied(
            filters,
            by=group_by,
            province=places.get("province_code"),
            district=text_arg("district", 40).upper() if "district_id" in places else None,
        ),
        name_parts=(group_by,),
    )
    return send(table, fmt, actor=acting_user())


@bp.get(f"/exports/centres/<code>/cohorts.{FORMAT}")
@allow(OVERSIGHT)
def export_cohorts(code: str, fmt: str):
    """One centre's reported cohorts with their own figures (the audit page of the centre), latest first."""
    if not CODE.fullmatch(code):
        abort(404)
    centre = db.one_or_404(select(Centre).where(Centre.code == code.upper()))
    if not can_view_centre_audit(current_user, centre):
        deny(centre_refusal(current_user, centre))
    scope = oversight_scope(current_user)
    filters = read_export_filters()
    cohorts = db.session.scalars(
        centre_cohorts(scope, AuditFilters(**(filters.arguments() | {"centre_id": centre.id})))
    ).all()
    shown = cohort_figures([cohort.id for cohort in cohorts])
    rows = [
        [
            cohort.code,
            cohort.course.title,
            cohort.course.track.plain_label,
            cohort.kind.plain_label,
            cohort.women_only,
            cohort.mode.plain_label,
            cohort.shift.plain_label,
            cohort.starts_on,
            cohort.ends_on,
            cohort.status.plain_label,
            *figures(shown[cohort.id])[1:],
        ]
        for cohort in cohorts
    ]
    table = Table(
        what="cohorts",
        title=f"Cohorts {centre.code}",
        headings=[
            "Cohort",
            "Course",
            "Track",
            "Kind",
            "Women only",
            "Mode",
            "Shift",
            "Starts",
            "Ends",
            "Status",
            *FIGURE_HEADINGS[1:],
        ],
        source=ListSource(rows),
        notes=definitions(),
        filters=applied(filters, centre=centre.code),
        name_parts=(centre.code,),
        about=centre,
        centre_id=centre.id,
    )
    return send(table, fmt, actor=acting_user())


TRAINEE_HEADINGS = [
    "ID",
    "CNIC",
    "Full name",
    "Gender",
    "Date of birth",
    "Mobile",
    "Province",
    "District",
    "Area",
    "Education",
    "Disability",
    "Registered (UTC)",
]


@bp.get(f"/exports/trainees.{FORMAT}")
@allow(OVERSIGHT)
def export_trainees(fmt: str):
    """Every trainee in the reader's scope (``viewable_trainees``), by id; CNIC and mobile masked for
    overseers (``masks_identity``)."""
    user = acting_user()
    masked = masks_identity(user)
    # English labels (a download is the same file for every reader), looked up once, not a million times.
    genders, areas, educations = ({member: member.plain_label for member in kind} for kind in (Gender, Area, Education))
    places = district_names()

    def shape(row) -> list:
        (trainee_id, cnic, name, gender, born, phone, district_id, area, education, disability, created) = row
        return [
            trainee_id,
            exported_cnic(cnic, masked),
            name,
            genders[gender],
            born,
            exported_phone(phone, masked),
            *places[district_id],
            areas[area],
            educations[education],
            disability,
            created,
        ]

    table = Table(
        what="trainees",
        title="Trainees",
        headings=TRAINEE_HEADINGS,
        source=KeysetSource(
            trainees_for_export(viewable_trainees(user)),
            Trainee.id,
            after_trainee,
            lambda rows: [shape(row) for row in rows],
        ),
        filters={"masked": masked},
    )
    return send(table, fmt, actor=user)


@bp.get(f"/exports/outcomes.{FORMAT}")
@allow(OVERSIGHT)
def export_outcomes(fmt: str):
    """The outcomes report of one wave at one grouping, with its total, in the reader's scope (``wave``, ``by``,
    ``province`` as on the page; a value the page would leave out is refused with 400). Suppressed figures are
    empty cells; the definitions and the suppression rule go with the file."""
    scope = oversight_scope(current_user)
    filters, problems = read_outcome_filters(scope)
    for problem in problems:
        refuse(
            _(
                "The download was not made: %(field)s “%(value)s” is not understood.",
                field=problem.field,
                value=problem.value,
            )
        )
    report = outcomes_report(scope, filters.wave, filters.group_by, province_code=filters.province_code)
    rows, total = report.rows, report.total
    table = Table(
        what="outcomes",
        title=f"Outcomes at {filters.wave} months by {filters.group_by}",
        headings=["Key", filters.group_by.capitalize(), *(figure.heading for figure in OUTCOME_FIGURES)],
        source=ListSource(
            [[row.key, row.name, *(getattr(row, key) for key in OUTCOME_FIGURE_KEYS)] for row in [*rows, total]]
        ),
        notes=[tuple(row) for row in outcome_definition_rows()],
        filters={"wave": filters.wave, "by": filters.group_by, "province": filters.province_code},
        name_parts=(f"{filters.wave}-months", filters.group_by),
    )
    return send(table, fmt, actor=acting_user())
