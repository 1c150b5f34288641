"""Accounts, sign-in and roles at ``/auth``; every access rule lives in ``auth/permissions.py``.

The pages arrive with the access-control issue; the models are here from the start.
"""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
