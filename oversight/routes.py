"""The capacity audit at ``/oversight``: seats, demand, inclusion and completion across the network, drilled
down province → district → centre → cohort, or by track, with charts on the front page.

Every figure comes from ``oversight.queries`` (sums of the cohort counters, never of the enrollments),
within the reader's scope (``auth.permissions.oversight_scope``): national overseers and admins see
everything; a provincial overseer her province (another province's pages answer 403); staff the same
pages for their own centres. Filters come from the query string, which anyone can type: a value that is
not understood is left out and the page says which and why."""

import re
from dataclasses import dataclass, field
from datetime import date
from math import ceil

from flask import abort, current_app, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from auth.permissions import (
    OVERSIGHT,
    OversightScope,
    allow,
    can_oversee_cohort,
    can_view_centre_audit,
    can_view_cohort,
    centre_refusal,
    deny,
    oversight_scope,
    place_refusal,
    scope_reaches,
)
from centres.models import Centre, District, Province
from courses.models import Cohort
from extensions import db
from language import place_name
from listing import page_args, text_arg
from oversight import bp
from oversight.figures import FIGURES, FLAG_RULES, PLACES_AND_PEOPLE
from oversight.queries import (
    AuditFilters,
    CapacityReportRow,
    Flag,
    Thresholds,
    audit_report,
    centre_cohorts,
    cohort_figures,
    cohort_roster,
    completion_report,
    completion_totals,
    flags_of,
    report_places,
    report_totals,
    women_share_by_month,
)
from vocabulary import Mode

# Dates outside these are typing mistakes (the API refuses them too).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
CODE = re.compile(r"[A-Za-z0-9-]{1,32}")
CHECKED = frozenset({"1", "on", "true", "yes"})


# Reading the query string ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A filter value left out: which argument, what was sent, and why (the template words it)."""

    field: str
    value: str
    kind: str  # not_a_date, out_of_range, ends_before_start, unknown_mode, unknown_province


def read_filters() -> tuple[AuditFilters, list[Problem]]:
    """The period, camps, women-only and mode filters of the query string, and what was left out."""
    problems: list[Problem] = []

    def day(name: str) -> date | None:
        raw = text_arg(name, 40)
        if not raw:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            problems.append(Problem(name, raw, "not_a_date"))
            return None
        if not EARLIEST <= value <= LATEST:
            problems.append(Problem(name, raw, "out_of_range"))
            return None
        return value

    starts_from, starts_to = day("from"), day("to")
    if starts_from and starts_to and starts_to < starts_from:
        problems.append(Problem("to", starts_to.isoformat(), "ends_before_start"))
        starts_to = None
    raw_mode = text_arg("mode", 40)
    mode = Mode.parse(raw_mode)
    if raw_mode and mode is None:
        problems.append(Problem("mode", raw_mode, "unknown_mode"))
    camps = request.args.get("camps", "").lower() in CHECKED
    women_only = request.args.get("women_only", "").lower() in CHECKED
    filters = AuditFilters(starts_from=starts_from, starts_to=starts_to, camps=camps, women_only=women_only, mode=mode)
    return filters, problems


def filter_args(filters: AuditFilters) -> dict[str, str]:
    """The query arguments that ask for ``filters`` again: drill-down links keep the reader's filters."""
    args = {}
    if filters.starts_from:
        args["from"] = filters.starts_from.isoformat()
    if filters.starts_to:
        args["to"] = filters.starts_to.isoformat()
    if filters.camps:
        args["camps"] = "1"
    if filters.women_only:
        args["women_only"] = "1"
    if filters.mode:
        args["mode"] = filters.mode.value
    return args


def thresholds() -> Thresholds:
    config = current_app.config
    return Thresholds(underused_below=config["UNDERUSED_BELOW"], women_share_target=config["WOMEN_SHARE_TARGET"])


def percent(value: float | None) -> float | None:
    """A ratio as a percentage with one decimal, as the pages print it (None stays None)."""
    return None if value is None else round(value * 100, 1)


# Loading places in the reader's scope --------------------------------------------------------------------


def valid_code(code: str) -> str:
    """``code`` if it could be a code at all; 404 otherwise (a NUL or a long string never reaches SQL)."""
    if not CODE.fullmatch(code):
        abort(404)
    return code


def province_in_scope(scope: OversightScope, code: str) -> Province:
    """The province with ``code`` (404 if none); 403 when ``scope`` covers none of it."""
    province = db.one_or_404(select(Province).where(Province.code == valid_code(code).upper()))
    if not scope_reaches(scope, province_id=province.id):
        deny(place_refusal(current_user, province))
    return province


def district_in_scope(scope: OversightScope, province_code: str, district_code: str) -> District:
    """The district with ``district_code`` in the province with ``province_code`` (404 if none); 403
    when ``scope`` covers none of it."""
    province = province_in_scope(scope, province_code)
    district = db.one_or_404(
        select(District).where(District.province_id == province.id, District.code == valid_code(district_code).upper())
    )
    if not scope_reaches(scope, province_id=province.id, district_id=district.id):
        deny(place_refusal(current_user, district))
    return district


# What the pages show -------------------------------------------------------------------------------------


class ListPage(Pagination):
    """One page of rows already computed (a report's groups), with the interface of ``db.paginate``'s
    pages, so that the shared pagination macros work."""

    def _query_items(self) -> list:
        rows = self._query_args["rows"]
        return rows[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def paged(rows: list) -> ListPage:
    """Page ``page`` of ``rows`` (past the last page: the last page)."""
    page, per_page = page_args()
    page = min(page, max(ceil(len(rows) / per_page), 1))
    return ListPage(page=page, per_page=per_page, max_per_page=None, error_out=False, rows=rows)


def shown_names(level: str, rows: list[CapacityReportRow]) -> dict[str, str]:
    """Each row's name as the pages show it (tables, chart labels): provinces and districts in the reader's
    language (their Urdu names on Urdu pages, as the breadcrumb names them), centres by their own names.
    The reports themselves, the API and the downloads keep the English names (a file is read by programs
    and spreadsheets as much as by people)."""
    places = report_places(level, [row.key for row in rows])
    return {row.key: place_name(places[row.key]) if row.key in places else row.name for row in rows}


@dataclass
class AuditTable:
    """A table of groups: the rows (of this page, when paged), the total of all rows, where each row's
    name leads (the next level down; absent: no link), and each row's name in the reader's language."""

    level: str  # province, district, centre or track
    rows: list[CapacityReportRow]
    total: CapacityReportRow
    links: dict[str, str]
    page: ListPage | None = None
    names: dict[str, str] = field(default_factory=dict)


def audit_table(level: str, rows: list[CapacityReportRow], link, *, paginate: bool = False) -> AuditTable:
    page = paged(rows) if paginate else None
    shown = page.items if page else rows
    links = {row.key: link(row) for row in shown if link}
    return AuditTable(level, shown, report_totals(rows), links, page, shown_names(level, shown))


@dataclass(frozen=True)
class Crumb:
    """A step of the breadcrumb. The top step of a national or staff scope has no place name: the
    template words it (``kind`` national or centres)."""

    label: str
    url: str
    kind: str = "place"


def crumbs(
    scope: OversightScope,
    filters: AuditFilters,
    *,
    province: Province | None = None,
    district: District | None = None,
    centre: Centre | None = None,
) -> list[Crumb]:
    """The way down to where the reader is, from the top of her scope (the last crumb is this page)."""
    keep = filter_args(filters)
    top = url_for("oversight.index", **keep)
    if scope.is_national:
        trail = [Crumb("", top, "national")]
    elif scope.province_id is not None:
        trail = [Crumb(place_name(db.session.get(Province, scope.province_id)), top)]
    else:
        trail = [Crumb("", top, "centres")]
    if province is not None and scope.province_id is None:
        trail.append(Crumb(place_name(province), url_for("oversight.province", code=province.code, **keep)))
    if district is not None:
        trail.append(
            Crumb(
                place_name(district),
                url_for("oversight.district", province_code=province.code, district_code=district.code, **keep),
            )
        )
    if centre is not None:
        trail.append(Crumb(centre.name, url_for("oversight.centre", code=centre.code, **keep)))
    return trail


def districts_table(scope: OversightScope, province: Province, filters: AuditFilters) -> AuditTable:
    keep = filter_args(filters)
    rows = audit_report(scope, "district", filters)
    prefix = len(province.code) + 1  # district keys are PROVINCE-DISTRICT

    def link(row: CapacityReportRow) -> str:
        return url_for("oversight.district", province_code=province.code, district_code=row.key[prefix:], **keep)

    return audit_table("district", rows, link)


def centres_table(scope: OversightScope, filters: AuditFilters) -> AuditTable:
    keep = filter_args(filters)
    rows = audit_report(scope, "centre", filters)
    return audit_table("centre", rows, lambda row: url_for("oversight.centre", code=row.key, **keep), paginate=True)


@dataclass(frozen=True)
class ChartData:
    """The numbers of the charts, each as (label, value, ...) tuples; percentages have one decimal."""

    utilisation: list[tuple[str, float | None]]  # by province
    women: list[tuple[str, float | None, int, int]]  # by month: label, share, women, places
    funnel: list[tuple[str, int]]  # seats, applied, enrolled, attended, passed, certified
    women_target: float
    # By the page's groups: label, offers accepted, declined, expired, open (empty: no offer made at all).
    offers: list[tuple[str, int, int, int, int]] = field(default_factory=list)


def chart_data(
    scope: OversightScope,
    filters: AuditFilters,
    provinces: list[CapacityReportRow] | None = None,
    groups: AuditTable | None = None,
) -> ChartData:
    """The charts' numbers for ``scope`` under ``filters`` (``provinces``: the report by province, when
    the page has it already); how the seat offers ended by the rows of ``groups`` (the page's table)."""
    if provinces is None:
        provinces = audit_report(scope, "province", filters)
    total = report_totals(provinces)
    months = women_share_by_month(scope, filters)
    names = shown_names("province", provinces)
    # The funnel's later stages: the attendance, marks and certificates tallies (one query more).
    done = completion_totals(completion_report(scope, "province", **filters.arguments())).figures
    return ChartData(
        utilisation=[(names[row.key], percent(row.utilisation)) for row in provinces],
        # Month names in the reader's language, in their standalone form (a label, not inside a date).
        women=[(format_date(row.month, "LLL y"), percent(row.women_share), row.women, row.trained) for row in months],
        funnel=[
            ("seats", total.seats),
            ("applied", total.applications),
            ("enrolled", total.trained),
            ("attended", done.attended),
            ("passed", done.passed),
            ("certified", done.certified),
        ],
        women_target=percent(thresholds().women_share_target),
        offers=offers_by_group(groups) if groups is not None and groups.total.offers_made else [],
    )


def offers_by_group(table: AuditTable) -> list[tuple[str, int, int, int, int]]:
    """How the seat offers of each row of ``table`` ended (accepted, declined, expired) or are still open,
    named as the table names them (groups without an offer are left out)."""
    return [
        (
            table.names.get(row.key, row.name),
            row.offers_accepted,
            row.offers_declined,
            row.offers_expired,
            row.offers_open,
        )
        for row in table.rows
        if row.offers_made
    ]


def downloads(endpoint: str, filters: AuditFilters, **args: str) -> dict[str, str]:
    """Links to the table shown as CSV and as Excel (``oversight.exports``), with the same filters."""
    return {fmt: url_for(endpoint, fmt=fmt, **args, **filter_args(filters)) for fmt in ("csv", "xlsx")}


def render_audit(template: str, filters: AuditFilters, problems: list[Problem], **context):
    return render_template(
        template,
        filters=filters,
        filter_query=filter_args(filters),
        problems=problems,
        thresholds=thresholds(),
        flags_of=flags_of,
        flag_kinds=list(Flag),
        flag_rules=FLAG_RULES,
        report_figures=FIGURES,
        places_and_people=PLACES_AND_PEOPLE,
        modes=list(Mode),
        **context,
    )


# Pages ---------------------------------------------------------------------------------------------------


@bp.get("/")
@allow(OVERSIGHT)
def index():
    """The top of the reader's scope: provinces (national), her province's districts (provincial
    overseer) or her centres (staff); with the charts."""
    scope = oversight_scope(current_user)
    filters, problems = read_filters()
    keep = filter_args(filters)
    province = db.session.get(Province, scope.province_id) if scope.province_id is not None else None
    provinces = None
    if province is not None:
        table = districts_table(scope, province, filters)
    elif scope.is_national:
        provinces = audit_report(scope, "province", filters)
        table = audit_table("province", provinces, lambda row: url_for("oversight.province", code=row.key, **keep))
    else:
        table = centres_table(scope, filters)
    return render_audit(
        "oversight/index.html",
        filters,
        problems,
        table=table,
        crumbs=crumbs(scope, filters),
        province=province,
        charts=chart_data(scope, filters, provinces, table) if table.total.cohorts else None,
        scope=scope,
        place_url=url_for("oversight.index", **keep),
        track_url=url_for("oversight.tracks", **keep),
        downloads=downloads("oversight.export_capacity", filters, by=table.level),
    )


@bp.get("/provinces/<code>")
@allow(OVERSIGHT)
def province(code: str):
    """A province's districts."""
    scope = oversight_scope(current_user)
    place = province_in_scope(scope, code)
    filters, problems = read_filters()
    narrowed = AuditFilters(**(filters.arguments() | {"province_code": place.code}))
    return render_audit(
        "oversight/place.html",
        filters,
        problems,
        table=districts_table(scope, place, narrowed),
        crumbs=crumbs(scope, filters, province=place),
        province=place,
        heading=place_name(place),
        place_url=url_for("oversight.province", code=place.code, **filter_args(filters)),
        track_url=url_for("oversight.tracks", province=place.code, **filter_args(filters)),
        downloads=downloads("oversight.export_capacity", filters, by="district", province=place.code),
    )


@bp.get("/provinces/<province_code>/districts/<district_code>")
@allow(OVERSIGHT)
def district(province_code: str, district_code: str):
    """A district's centres (paginated)."""
    scope = oversight_scope(current_user)
    place = district_in_scope(scope, province_code, district_code)
    filters, problems = read_filters()
    narrowed = AuditFilters(**(filters.arguments() | {"district_id": place.id}))
    return render_audit(
        "oversight/place.html",
        filters,
        problems,
        table=centres_table(scope, narrowed),
        crumbs=crumbs(scope, filters, province=place.province, district=place),
        province=place.province,
        heading=_("%(district)s, %(province)s", district=place_name(place), province=place_name(place.province)),
        downloads=downloads(
            "oversight.export_capacity", filters, by="centre", province=place.province.code, district=place.code
        ),
    )


@bp.get("/centres/<code>")
@allow(OVERSIGHT)
def centre(code: str):
    """A centre's cohorts (paginated), each with its own figures, and the centre's total."""
    scope = oversight_scope(current_user)
    place = db.one_or_404(select(Centre).where(Centre.code == valid_code(code).upper()))
    if not can_view_centre_audit(current_user, place):
        deny(centre_refusal(current_user, place))
    filters, problems = read_filters()
    narrowed = AuditFilters(**(filters.arguments() | {"centre_id": place.id}))
    page, per_page = page_args()
    cohorts = db.paginate(centre_cohorts(scope, narrowed), page=page, per_page=per_page, error_out=False)
    if not cohorts.items and cohorts.pages and page > cohorts.pages:  # past the last page: the last page
        cohorts = db.paginate(centre_cohorts(scope, narrowed), page=cohorts.pages, per_page=per_page)
    district = place.district
    return render_audit(
        "oversight/centre.html",
        filters,
        problems,
        centre=place,
        cohorts=cohorts,
        figures=cohort_figures([cohort.id for cohort in cohorts.items]),
        total=report_totals(audit_report(scope, "centre", narrowed)),
        crumbs=crumbs(scope, filters, province=district.province, district=district, centre=place),
        downloads=downloads("oversight.export_cohorts", filters, code=place.code),
    )


@bp.get("/cohorts/<code>")
@allow(OVERSIGHT)
def cohort(code: str):
    """One cohort, read-only: its figures (seats, demand, inclusion, completion, as every audit row) and its
    roster by status in application order, paginated, CNICs and phone numbers masked for overseers
    (``can_oversee_cohort``; another centre's draft answers 404, as everywhere)."""
    found = db.one_or_404(select(Cohort).where(Cohort.code == valid_code(code).upper()))
    if not can_view_cohort(current_user, found):
        abort(404)
    if not can_oversee_cohort(current_user, found):
        deny(centre_refusal(current_user, found.centre))
    page, per_page = page_args()
    roster = db.paginate(cohort_roster(found.id), page=page, per_page=per_page, error_out=False)
    if not roster.items and roster.pages and page > roster.pages:  # past the last page: the last page
        roster = db.paginate(cohort_roster(found.id), page=roster.pages, per_page=per_page)
    scope = oversight_scope(current_user)
    district = found.centre.district
    filters = AuditFilters()
    return render_audit(
        "oversight/cohort.html",
        filters,
        [],
        cohort=found,
        figures=cohort_figures([found.id])[found.id],
        roster=roster,
        crumbs=crumbs(scope, filters, province=district.province, district=district, centre=found.centre),
    )


@bp.get("/tracks")
@allow(OVERSIGHT)
def tracks():
    """The reader's scope by track; ``?province=CODE`` narrows it to one province."""
    scope = oversight_scope(current_user)
    filters, problems = read_filters()
    keep = filter_args(filters)
    place = None
    if raw := text_arg("province", 40):
        place = db.session.scalar(select(Province).where(Province.code == raw.upper())) if CODE.fullmatch(raw) else None
        if place is None:
            problems.append(Problem("province", raw, "unknown_province"))
        elif not scope_reaches(scope, province_id=place.id):
            deny(place_refusal(current_user, place))
    narrowed = AuditFilters(**(filters.arguments() | {"province_code": place.code if place else None}))
    return render_audit(
        "oversight/tracks.html",
        filters,
        problems,
        table=audit_table("track", audit_report(scope, "track", narrowed), None),
        crumbs=crumbs(scope, filters, province=place),
        province=place,
        place_url=url_for("oversight.province", code=place.code, **keep)
        if place
        else url_for("oversight.index", **keep),
        track_url=request.full_path,
        downloads=downloads(
            "oversight.export_capacity", filters, by="track", **({"province": place.code} if place else {})
        ),
        provinces=db.session.scalars(select(Province).order_by(Province.name)).all() if scope.is_national else [],
    )
