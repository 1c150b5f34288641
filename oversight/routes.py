"""The oversight area: capacity across the network, in the reader's scope."""

from flask import render_template, request
from flask_login import current_user

from auth.permissions import OVERSIGHT, allow, oversight_scope
from centres.models import Province
from extensions import db
from oversight import bp
from oversight.queries import GROUPINGS, capacity, totals


@bp.get("/")
@allow(OVERSIGHT)
def index():
    scope = oversight_scope(current_user)
    default = "province" if scope.is_national else ("district" if scope.province_id else "centre")
    group_by = request.args.get("by", default)
    if group_by not in GROUPINGS:
        group_by = default
    rows = capacity(scope, group_by)
    province = db.session.get(Province, scope.province_id) if scope.province_id else None
    return render_template(
        "oversight/index.html", rows=rows, total=totals(rows), group_by=group_by, scope=scope, province=province
    )
