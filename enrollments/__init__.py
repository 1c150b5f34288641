"""Trainees, enrollments and imports at ``/enrollments``; the rules live in ``enrollments/services.py``.

The pages arrive with the enrollment-engine issue; the models are here from the start.
"""

from flask import Blueprint

bp = Blueprint("enrollments", __name__, url_prefix="/enrollments")
