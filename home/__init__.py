"""The front page. Its own blueprint because ``/`` belongs to no single domain package."""

from flask import Blueprint

bp = Blueprint("home", __name__)
