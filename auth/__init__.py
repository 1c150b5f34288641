"""Accounts, sign-in and roles at ``/auth``; every access rule lives in ``auth/permissions.py``."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
