"""Trainees, enrollments and imports at ``/enrollments``; the rules live in ``enrollments.services``."""

from flask import Blueprint

bp = Blueprint("enrollments", __name__, url_prefix="/enrollments")
