"""Certificates of completion: issued when a place is completed, printed as a PDF in English and Urdu, and
verifiable by anyone at ``/verify/<number>`` (DESIGN.md, "Attendance, assessment and certificates").

The rules (issue, revoke, reissue) live in ``certificates.services``; the number in ``certificates.numbers``;
the PDF in ``certificates.pdf``; pages in ``certificates.routes`` (public verification, the trainee's
download) and ``certificates.staff`` (a certificate's page for staff, revoking, reissuing, a cohort's ZIP).
The blueprint has no URL prefix: the verification address ``/verify/<number>`` is printed on paper, short.
"""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
