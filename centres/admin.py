"""Admin pages for centres: every centre (inactive ones too), adding and editing one, deactivating and
reactivating. Admins only; the rules live in ``centres.services``."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from auth.admin_forms import ConfirmForm
from auth.permissions import ADMINS, allow, get_centre_or_404
from centres import bp
from centres.forms import CentreForm, NewCentreForm
from centres.models import Centre
from centres.queries import centres_select, chosen_place, provinces_with_districts
from centres.routes import open_cohort_counts
from centres.services import (
    CentreDetails,
    create_centre,
    deactivate_centre,
    open_cohort_codes,
    reactivate_centre,
    update_centre,
)
from extensions import db
from listing import int_arg, page_args, text_arg
from submitting import acting_user, form_status, run
from vocabulary import PartnerType

ACTIVE_FILTER = {"1": True, "0": False}


def centre_details(form: CentreForm, code: str) -> CentreDetails:
    return CentreDetails(
        code=code,
        name=form.name.data,
        district_id=form.district_id.data,
        address=form.address.data,
        partner_type=form.partner_type.data,
        partner_name=form.partner_name.data,
        lab_seats=form.lab_seats.data,
        women_only=form.women_only.data,
    )


@bp.get("/manage")
@allow(ADMINS)
def manage():
    page, per_page = page_args()
    query = text_arg("q")
    province, district = chosen_place(text_arg("province", 8), int_arg("district", 0, minimum=0))
    partner_type = PartnerType.parse(request.args.get("partner"))
    active = ACTIVE_FILTER.get(request.args.get("active", ""))
    stmt = centres_select(
        text=query,
        province_code=province.code if province else None,
        district_id=district.id if district else None,
        partner_type=partner_type,
        active=active,
    ).order_by(Centre.code)
    centres = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template(
        "centres/admin/manage.html",
        centres=centres,
        open_counts=open_cohort_counts([centre.id for centre in centres.items]),
        query=query,
        province=province,
        district=district,
        partner_type=partner_type,
        active=request.args.get("active", "") if active is not None else "",
        provinces=provinces_with_districts(),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(ADMINS)
def create():
    form = NewCentreForm()
    if form.validate_on_submit():
        code = run(form, lambda: create_centre(centre_details(form, form.code.data), actor=acting_user()).code)
        if code:
            flash(_("Centre %(code)s added. It is active and listed publicly.", code=code), "success")
            return redirect(url_for("centres.manage"))
    return render_template("centres/admin/form.html", form=form, centre=None), form_status(form)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@allow(ADMINS)
def edit(code: str):
    centre = get_centre_or_404(code, manage=True)
    form = CentreForm(obj=centre if request.method == "GET" else None)
    if form.validate_on_submit() and run(
        form, lambda: update_centre(centre, centre_details(form, centre.code), actor=acting_user())
    ):
        flash(_("Saved centre %(code)s.", code=code), "success")
        return redirect(url_for("centres.manage"))
    return render_edit_page(centre, form, form_status(form))


def render_edit_page(centre: Centre, form: CentreForm, status: int):
    """The edit page, with the reactivate button in a form of its own (prefixed, so that the two CSRF
    fields on the page have different ids)."""
    action_form = ConfirmForm(prefix="status")
    return render_template("centres/admin/form.html", form=form, centre=centre, action_form=action_form), status


@bp.route("/<code>/deactivate", methods=["GET", "POST"])
@allow(ADMINS)
def deactivate(code: str):
    centre = get_centre_or_404(code, manage=True)
    if not centre.active:
        flash(_("%(code)s is inactive already.", code=centre.code), "info")
        return redirect(url_for("centres.edit", code=centre.code))
    form = ConfirmForm()
    if form.validate_on_submit() and run(form, lambda: deactivate_centre(centre, actor=acting_user())):
        flash(_("%(code)s is inactive: it no longer appears in the public lists.", code=code), "success")
        return redirect(url_for("centres.manage"))
    return render_template(
        "centres/admin/deactivate.html", form=form, centre=centre, open_codes=open_cohort_codes(centre)
    ), form_status(form)


@bp.post("/<code>/reactivate")
@allow(ADMINS)
def reactivate(code: str):
    centre = get_centre_or_404(code, manage=True)
    if centre.active:
        flash(_("%(code)s is active already.", code=centre.code), "info")
        return redirect(url_for("centres.edit", code=centre.code))
    form = CentreForm(formdata=None, obj=centre)  # a refusal is shown on the centre's edit page
    if not run(form, lambda: reactivate_centre(centre, actor=acting_user())):
        return render_edit_page(centre, form, form_status(form))
    flash(_("%(code)s is active again and listed publicly.", code=code), "success")
    return redirect(url_for("centres.edit", code=code))
