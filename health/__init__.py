"""For the load balancer and the monitoring: ``/healthz`` (the process answers), ``/readyz`` (the database
and Redis answer, migrations at head) and ``/metrics`` (Prometheus). Served at the site's root: these are
the addresses load balancers and Prometheus expect."""

from flask import Blueprint

bp = Blueprint("health", __name__)
