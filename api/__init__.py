"""JSON API v1 at ``/api/v1`` over the same services and permissions as the pages.

The endpoints arrive with the API issue.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
