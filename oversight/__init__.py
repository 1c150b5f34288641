"""Read-only oversight at ``/oversight``: capacity, inclusion, completion, exports and the audit log.
It only reads: the audit trail it shows is written by the services through ``audit.events``."""

from flask import Blueprint

bp = Blueprint("oversight", __name__, url_prefix="/oversight")
