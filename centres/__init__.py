"""Centres, provinces and districts: public pages at ``/centres``."""

from flask import Blueprint

bp = Blueprint("centres", __name__, url_prefix="/centres")

from centres import routes  # noqa: E402,F401
