"""Read-only oversight at ``/oversight``: capacity, inclusion, completion, the audit log.

The pages arrive with the oversight issue; the audit model is here from the start.
"""

from flask import Blueprint

bp = Blueprint("oversight", __name__, url_prefix="/oversight")
