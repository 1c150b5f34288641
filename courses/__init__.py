"""Course catalogue, cohorts and camps: public pages at ``/courses``."""

from flask import Blueprint

bp = Blueprint("courses", __name__, url_prefix="/courses")
