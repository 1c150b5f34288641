"""Prometheus metrics with ``prometheus_client``.

Per request (recorded in an ``after_request`` hook): ``markaz_request_duration_seconds``, a histogram by
endpoint (the route's name, not the path: a scanner's thousand made-up URLs are one ``unmatched``), method
and status. At each scrape, read from the database: ``markaz_applications`` by outcome,
``markaz_offers_pending``, ``markaz_outbox_messages`` by status, ``markaz_outbox_oldest_pending_seconds`` and
``markaz_outbox_failed``.

Under gunicorn every worker is a process of its own: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory writable by them (emptied at each start of the service) and the histogram is kept in files
there, which a scrape of any worker adds up (``prometheus_client.multiprocess``). A dead worker's files
keep counting in the sums, as they should for a histogram (no live gauges are kept per process, so
gunicorn needs no ``child_exit`` hook). Without it (one process: ``flask run``, tests) the process's own
registry is served.
"""

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from database import utcnow
from extensions import db

# Created once per process (the registry is the process's): building the app again (tests) reuses it.
REQUEST_SECONDS = Histogram(
    "markaz_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


class DomainCollector:
    """The figures read from the database at each scrape (``oversight.queries.operations``)."""

    def collect(self):
        from oversight.queries.operations import application_outcomes, outbox_figures

        outcomes = application_outcomes()
        applications = GaugeMetricFamily(
            "markaz_applications", "Applications now in each outcome (all: every application made).", labels=["outcome"]
        )
        for outcome, count in outcomes.items():
            applications.add_metric([outcome], count)
        yield applications
        yield GaugeMetricFamily(
            "markaz_offers_pending", "Seat offers waiting for an answer.", value=outcomes["offered"]
        )
        figures = outbox_figures(utcnow())
        messages = GaugeMetricFamily("markaz_outbox_messages", "Outbox messages by status.", labels=["status"])
        for status, count in figures.items():
            if status != "oldest_pending_seconds":
                messages.add_metric([status], count)
        yield messages
        yield GaugeMetricFamily(
            "markaz_outbox_oldest_pending_seconds",
            "Age of the oldest message waiting to be sent (0: none waits).",
            value=figures["oldest_pending_seconds"],
        )
        yield GaugeMetricFamily(
            "markaz_outbox_failed", "Messages failed after their last attempt.", value=figures["failed"]
        )
        db.session.rollback()  # end the read: the scrape holds no transaction open


def exposition() -> Response:
    """The metrics in Prometheus' text format: this process's (or, in multiprocess mode, every worker's)
    request histogram and the process collectors, then the database's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    domain = CollectorRegistry()
    domain.register(DomainCollector())
    return Response(generate_latest(registry) + generate_latest(domain), mimetype=CONTENT_TYPE_LATEST)


def register(app: Flask) -> None:
    """Time every request (unless ``MARKAZ_METRICS`` is off)."""
    if not app.config["METRICS_ENABLED"]:
        return

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            REQUEST_SECONDS.labels(request.endpoint or "unmatched", request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
