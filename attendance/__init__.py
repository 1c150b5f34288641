"""Class days and attendance at ``/attendance`` (DESIGN.md, "Attendance, assessment and certificates"): the days a
cohort meets (``calendar``), the day's register staff take on a phone, its corrections and uploads
(``services``, ``uploads``), and the trainees at risk of dropping out."""

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/attendance")
