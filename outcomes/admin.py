"""The monthly USD→PKR exchange rates (admins): answers in dollars are converted at the rate of the month they
were given (``services.set_rate``), so that reports count every answer in rupees."""

from flask import flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from auth.permissions import ADMINS, allow
from database import utcnow
from extensions import db
from outcomes import bp, services
from outcomes.forms import RateForm
from outcomes.models import ExchangeRate
from submitting import acting_user, form_status, run


@bp.route("/rates", methods=["GET", "POST"])
@allow(ADMINS)
def rates():
    form = RateForm()
    if form.validate_on_submit() and (
        rate := run(
            form, lambda: services.set_rate(form.month.data, form.usd_pkr.data, actor=acting_user(), now=utcnow())
        )
    ):
        flash(_("Saved the rate of %(month)s.", month=format_date(rate.month, "MMMM y")), "success")
        return redirect(url_for("outcomes.rates"))
    rows = db.session.scalars(
        select(ExchangeRate).options(joinedload(ExchangeRate.set_by)).order_by(ExchangeRate.month.desc()).limit(36)
    ).all()
    return render_template("outcomes/rates.html", form=form, rates=rows), form_status(form)
