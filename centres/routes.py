"""Public centre pages: the list (by province, district, partner) and one centre with its cohorts."""

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from auth.permissions import PUBLIC, STAFF, allow, get_centre_or_404, staff_centres
from centres import bp
from centres.models import Centre, District, Province
from centres.queries import centres_select, chosen_place, provinces_with_districts
from courses.catalogue import upcoming_cohorts_select
from courses.models import Cohort
from database import utcnow
from extensions import db
from listing import int_arg, page_args, text_arg
from oversight.queries import CURRENT_STATUSES, centre_summaries
from vocabulary import CohortStatus, PartnerType


def open_cohort_counts(centre_ids: list[int]) -> dict[int, int]:
    """Cohorts open for applications at each of ``centre_ids`` (centres with none are absent)."""
    if not centre_ids:
        return {}
    rows = db.session.execute(
        select(Cohort.centre_id, func.count(Cohort.id))
        .where(Cohort.centre_id.in_(centre_ids), Cohort.status == CohortStatus.OPEN)
        .group_by(Cohort.centre_id)
    )
    return dict(rows.all())


@bp.get("/")
@allow(PUBLIC)
def index():
    page, per_page = page_args()
    province, district = chosen_place(text_arg("province", 8), int_arg("district", 0, minimum=0))
    partner_type = PartnerType.parse(request.args.get("partner"))
    query = text_arg("q")

    stmt = centres_select(
        text=query,
        province_code=province.code if province else None,
        district_id=district.id if district else None,
        partner_type=partner_type,
    ).order_by(Province.name, District.name, Centre.code)
    centres = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template(
        "centres/index.html",
        centres=centres,
        open_counts=open_cohort_counts([centre.id for centre in centres]),
        province=province,
        district=district,
        partner_type=partner_type,
        query=query,
        provinces=provinces_with_districts(),
    )


@bp.get("/<code>")
@allow(PUBLIC)
def detail(code: str):
    centre = db.one_or_404(select(Centre).where(Centre.code == code, Centre.active.is_(True)))
    page, per_page = page_args()
    cohorts = db.paginate(
        upcoming_cohorts_select().where(Cohort.centre_id == centre.id),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return render_template("centres/detail.html", centre=centre, cohorts=cohorts, now=utcnow())


# Staff pages: the centres someone runs ----------------------------------------------------------------

DASHBOARD_VIEWS = {
    "current": _l("Open, closed or running"),
    "upcoming": _l("Drafts and opening soon"),
    "past": _l("Finished or cancelled"),
    "all": _l("All cohorts"),
    # Where the dashboard's figures lead: the current cohorts with someone waiting there.
    "review": _l("Waiting for review"),
    "waitlisted": _l("With a waitlist"),
}


@bp.get("/mine")
@allow(STAFF)
def mine():
    centres = staff_centres(current_user)
    return render_template(
        "centres/mine.html", centres=centres, summaries=centre_summaries([centre.id for centre in centres])
    )


@bp.get("/<code>/dashboard")
@allow(STAFF)
def dashboard(code: str):
    centre = get_centre_or_404(code, manage=True)
    view = request.args.get("show", "current")
    if view not in DASHBOARD_VIEWS:
        view = "current"
    stmt = select(Cohort).where(Cohort.centre_id == centre.id)
    if view == "current":
        stmt = stmt.where(Cohort.status.in_(CURRENT_STATUSES)).order_by(Cohort.starts_on, Cohort.code)
    elif view == "upcoming":
        stmt = stmt.where(Cohort.status == CohortStatus.DRAFT).order_by(Cohort.starts_on, Cohort.code)
    elif view == "past":
        stmt = stmt.where(Cohort.status.in_((CohortStatus.FINISHED, CohortStatus.CANCELLED))).order_by(
            Cohort.starts_on.desc(), Cohort.code
        )
    elif view == "review":
        stmt = stmt.where(Cohort.status.in_(CURRENT_STATUSES), Cohort.pending_count > 0).order_by(
            Cohort.starts_on, Cohort.code
        )
    elif view == "waitlisted":
        stmt = stmt.where(Cohort.status.in_(CURRENT_STATUSES), Cohort.waitlisted_count > 0).order_by(
            Cohort.starts_on, Cohort.code
        )
    else:
        stmt = stmt.order_by(Cohort.starts_on.desc(), Cohort.code)
    page, per_page = page_args()
    cohorts = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    summary = centre_summaries([centre.id]).get(centre.id)
    return render_template(
        "centres/dashboard.html", centre=centre, cohorts=cohorts, view=view, views=DASHBOARD_VIEWS, summary=summary
    )
