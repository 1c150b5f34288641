"""Outcomes at ``/outcomes`` (DESIGN.md, "Outcomes"): what graduates do 3, 6 and 12 months after their cohort
ends. The model (``models``: waves, answers, exchange rates), consent and its opt-out link (``consent``,
``links``), the sending job (``jobs``; ``flask outcomes send``), the one-minute form a graduate opens from her
SMS and the same form for answers taken by phone (``routes``, ``calls``, ``services``), the monthly exchange
rates admins set (``admin``). The reports read these tables (``oversight``); ``tallies`` keeps their figures
up to date whenever an answer changes."""

from flask import Blueprint

bp = Blueprint("outcomes", __name__, url_prefix="/outcomes")
