"""Who may reach what (DESIGN.md, "Roles and what each may do"): deny by default, the role × endpoint
matrix, object-level checks across centres and provinces, masking, and the predicates themselves.

The matrix below is the one place where someone adding an endpoint must decide who may use it: a new
endpoint in ``app.url_map`` without a row here fails ``test_access_matrix`` (and
``test_every_routed_endpoint_has_a_row_in_the_matrix``), and a row for an endpoint that does not exist
fails ``test_every_table_entry_is_a_real_endpoint``.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login import AnonymousUserMixin
from harness import kept_world
from pages import act_as, session_values
from sqlalchemy import select

from app import create_app
from auth.models import UserAccount
from auth.permissions import (
    PUBLIC,
    OversightScope,
    allow,
    can_edit_trainee,
    can_manage_centre,
    can_manage_cohort,
    can_view_centre_audit,
    can_view_trainee,
    masks_identity,
    oversight_scope,
    rule_for,
)
from auth.services import password_reset_token
from auth.tokens import issue_token
from centres.models import Centre, District, Province
from certificates.models import Certificate
from certificates.numbers import new_number
from certificates.services import printed_facts
from config import TestConfig
from courses.models import Cohort, Course
from database import utcnow
from enrollments.counters import recount
from enrollments.models import Enrollment, MeritList, Trainee
from extensions import db, limiter
from notifications.models import OutboxMessage
from outcomes.links import opt_out_token, wave_token
from outcomes.models import OutcomeWave
from vocabulary import Admission, Channel, EnrollmentStatus, MessageStatus, Role

# The seven people every endpoint is tried as.
USERS = ("anonymous", "trainee", "staff_a", "staff_b", "overseer", "punjab_overseer", "admin")

# Outcomes that are not a bare status code.
LOGIN = "302 to /auth/login?next=<this path>"
REDIRECT = "302 elsewhere on the site (a signed-in user's home, the front page)"
# The code step of a sign-up, in a browser that is waiting for no code: to the sign-in page, where she can
# name her account (her next sign-in sends her back to the code step).
SIGN_IN = "302 to /auth/login"
# The rule let the request through and the view answered without error: for an admin's empty POST,
# a form shown again with its errors (200/401/422) or, for a form-less action, a redirect back.
ADMITTED = "admitted: 200, 401, 409, 422 or a redirect that is not to the sign-in page"
ADMITTED_STATUSES = frozenset({200, 302, 303, 401, 409, 422})


def row(anonymous, trainee, staff_a, staff_b, overseer, punjab_overseer, admin) -> dict[str, object]:
    """One line of the matrix, in the order of ``USERS``."""
    return dict(zip(USERS, (anonymous, trainee, staff_a, staff_b, overseer, punjab_overseer, admin), strict=True))


# GET: what each person gets on each endpoint. URLs use centre A (Lahore, Punjab), a cohort at A, a
# course, a trainee who applied at A and lives in Punjab, a spare centre and a spare staff account.
# fmt: off
EXPECTED_GET: dict[str, dict[str, object]] = {
    #                                 anonymous trainee   staff_a   staff_b   overseer  punjab    admin
    "home.index":                 row(200,      200,      200,      200,      200,      200,      200),
    "auth.login":                 row(200,      REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.signup":                row(200,      REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.profile":               row(LOGIN,    200,      403,      403,      403,      403,      403),
    "auth.password":              row(LOGIN,    200,      200,      200,      200,      200,      200),
    "auth.request_reset":         row(200,      200,      200,      200,      200,      200,      200),
    "auth.reset_password":        row(200,      200,      200,      200,      200,      200,      200),
    # The code steps are for a browser that signed up or asked for a code (the session says which account
    # or number): without that, to the sign-in page or the reset request, whoever asks.
    "auth.confirm":               row(SIGN_IN,  REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.reset_with_code":       row(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "centres.index":              row(200,      200,      200,      200,      200,      200,      200),
    # Downloads (oversight/exports.py) and the audit log: overseers, staff and admins, each in her scope;
    # a centre's cohorts (centre A) for its staff, overseers of Punjab or the nation, and admins.
    "oversight.export_capacity":  row(LOGIN,    403,      200,      200,      200,      200,      200),
    "oversight.export_completion": row(LOGIN,   403,      200,      200,      200,      200,      200),
    "oversight.export_outcomes":  row(LOGIN,    403,      200,      200,      200,      200,      200),
    "oversight.outcomes":         row(LOGIN,    403,      200,      200,      200,      200,      200),
    "oversight.export_cohorts":   row(LOGIN,    403,      200,      403,      200,      200,      200),
    "oversight.export_trainees":  row(LOGIN,    403,      200,      200,      200,      200,      200),
    "oversight.audit_log_page":   row(LOGIN,    403,      200,      200,      200,      200,      200),
    "oversight.export_audit_log": row(LOGIN,    403,      200,      200,      200,      200,      200),
    "centres.detail":             row(200,      200,      200,      200,      200,      200,      200),
    "centres.mine":               row(LOGIN,    403,      200,      200,      403,      403,      200),
    "centres.dashboard":          row(LOGIN,    403,      200,      403,      403,      403,      200),
    "courses.catalogue":          row(200,      200,      200,      200,      200,      200,      200),
    "courses.course_detail":      row(200,      200,      200,      200,      200,      200,      200),
    "courses.cohort_detail":      row(200,      200,      200,      200,      200,      200,      200),
    "enrollments.trainee_detail": row(LOGIN,    403,      200,      403,      200,      200,      200),
    # Correcting her gender or area: staff of her centres and admins; overseers read only.
    "enrollments.correct_trainee": row(LOGIN,   403,      200,      403,      403,      403,      200),
    # Enrollments: the trainee withdraws her own place; the centre's staff (and admins) run the roster.
    "enrollments.withdraw":       row(LOGIN,    200,      200,      403,      403,      403,      200),
    # Her calendar of class days: hers alone.
    "enrollments.calendar":       row(LOGIN,    200,      403,      403,      403,      403,      403),
    "enrollments.roster":         row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.approve":        row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.reject":         row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.drop":           row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.override":       row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.change_seats":   row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.cancel_cohort":  row(LOGIN,    403,      200,      403,      403,      403,      200),
    # A seat offer's page answers whoever holds its signed link; a link that is not one says so (404).
    "enrollments.offer":          row(404,      404,      404,      404,      404,      404,      404),
    "enrollments.offer_answered": row(200,      200,      200,      200,      200,      200,      200),
    # The roster's tools: its download, the sign-in sheet, a message to its trainees (issue 14, item 10).
    "enrollments.download_roster": row(LOGIN,   403,      200,      403,      403,      403,      200),
    "enrollments.sign_in_sheet":  row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.message_cohort": row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.import_sample":  row(LOGIN,    403,      200,      403,      403,      403,      200),
    # Merit admission (issue 16): a merit cohort's scores, its score sheet and publishing, for its centre's
    # staff and admins; its published list (names masked), for anyone.
    "enrollments.merit_scores":   row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.score_sheet":    row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.marks":          row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.mark_sheet":     row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.publish_merit_list": row(LOGIN, 403,     200,      403,      403,      403,      200),
    "courses.merit_list":         row(200,      200,      200,      200,      200,      200,      200),
    # Attendance (issue 17): a cohort's register and class days, and a centre's trainees at risk: its staff
    # and admins (overseers read the figures, not the registers).
    "attendance.register":        row(LOGIN,    403,      200,      403,      403,      403,      200),
    "attendance.class_days":      row(LOGIN,    403,      200,      403,      403,      403,      200),
    "attendance.at_risk":         row(LOGIN,    403,      200,      403,      403,      403,      200),
    "attendance.upload":          row(LOGIN,    403,      200,      403,      403,      403,      200),
    "oversight.index":            row(LOGIN,    403,      200,      200,      200,      200,      200),
    # The capacity audit's drill-down (Punjab, Lahore, centre A) and its view by track: staff reach the places
    # of their own centres (staff_b's centre is in Sindh), overseers their scope.
    "oversight.province":         row(LOGIN,    403,      200,      403,      200,      200,      200),
    "oversight.district":         row(LOGIN,    403,      200,      403,      200,      200,      200),
    "oversight.centre":           row(LOGIN,    403,      200,      403,      200,      200,      200),
    "oversight.cohort":           row(LOGIN,    403,      200,      403,      200,      200,      200),
    "oversight.tracks":           row(LOGIN,    403,      200,      200,      200,      200,      200),
    "oversight.completion":       row(LOGIN,    403,      200,      200,      200,      200,      200),
    # Administration: centres, the course catalogue and user accounts are for admins only.
    "auth.administration":        row(LOGIN,    403,      403,      403,      403,      403,      200),
    "auth.users":                 row(LOGIN,    403,      403,      403,      403,      403,      200),
    # The outbox page and a failed message's retry or discard (its confirmation page): admins only. A GET after
    # an admin's POST (the matrix's order) finds the message no longer failed and redirects to the outbox.
    "notifications.outbox":       row(LOGIN,    403,      403,      403,      403,      403,      200),
    "notifications.handle_failed": row(LOGIN,   403,      403,      403,      403,      403,      ADMITTED),
    # Health and metrics: no session and no rule but their own (the metrics' addresses or token: 403 here).
    "health.healthz":             row(200,      200,      200,      200,      200,      200,      200),
    "health.readyz":              row(200,      200,      200,      200,      200,      200,      200),
    "health.metrics":             row(403,      403,      403,      403,      403,      403,      403),
    "auth.create_user":           row(LOGIN,    403,      403,      403,      403,      403,      200),
    "auth.edit_user":             row(LOGIN,    403,      403,      403,      403,      403,      200),
    "auth.deactivate_user":       row(LOGIN,    403,      403,      403,      403,      403,      200),
    "centres.manage":             row(LOGIN,    403,      403,      403,      403,      403,      200),
    "centres.create":             row(LOGIN,    403,      403,      403,      403,      403,      200),
    "centres.edit":               row(LOGIN,    403,      403,      403,      403,      403,      200),
    "centres.deactivate":         row(LOGIN,    403,      403,      403,      403,      403,      200),
    "courses.manage":             row(LOGIN,    403,      403,      403,      403,      403,      200),
    "courses.create":             row(LOGIN,    403,      403,      403,      403,      403,      200),
    "courses.edit":               row(LOGIN,    403,      403,      403,      403,      403,      200),
    # Staff pages of their own centres (centre A, a cohort at A): staff of A and admins only.
    "courses.new_cohort":         row(LOGIN,    403,      200,      403,      403,      403,      200),
    "courses.edit_cohort":        row(LOGIN,    403,      200,      403,      403,      403,      200),
    "courses.cohort_status":      row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.walk_in":        row(LOGIN,    403,      200,      403,      403,      403,      200),
    # Importing lists at centre A; an upload is seen by whoever uploaded it (staff_a) and admins.
    "enrollments.import_upload":  row(LOGIN,    403,      200,      403,      403,      403,      200),
    "enrollments.import_batch":   row(LOGIN,    403,      200,      403,      403,      403,      200),
    # The API's docs page and its OpenAPI description are public; its operations are in test_api_access.
    "api_docs":                   row(200,      200,      200,      200,      200,      200,      200),
    "api-docs.openapi_json":      row(200,      200,      200,      200,      200,      200,      200),
    # Everyone signed in lists and makes her own API tokens; a token (staff_a's) is revoked by its owner
    # and admins.
    "auth.tokens":                row(LOGIN,    200,      200,      200,      200,      200,      200),
    "auth.revoke_token":          row(LOGIN,    403,      200,      403,      403,      403,      200),
    # Everyone signed in sees where she is signed in.
    "auth.sessions":              row(LOGIN,    200,      200,      200,      200,      200,      200),
    # Certificates (the signed-in trainee's, issued at A): anyone verifies a number; the PDF is hers, A's
    # staff's and the admin's; its page (revoke, reissue), a roster row's way there and the cohort's ZIP are
    # for A's staff and admins.
    "certificates.verify_form":   row(200,      200,      200,      200,      200,      200,      200),
    "certificates.verify":        row(200,      200,      200,      200,      200,      200,      200),
    "certificates.download":      row(LOGIN,    200,      200,      403,      403,      403,      200),
    "certificates.manage":        row(LOGIN,    403,      200,      403,      403,      403,      200),
    "certificates.of_place":      row(LOGIN,    403,      REDIRECT, 403,      403,      403,      REDIRECT),
    "certificates.cohort_zip":    row(LOGIN,    403,      200,      403,      403,      403,      200),
    # Outcomes (issue 18): a wave's form and the opt-out page answer whoever holds the signed link (trainee_a's
    # open wave at A; no answer yet, so its thank-you page sends to the form); the calls due and a call (the wave
    # at A) are for callers of the scope (tests below), A's staff and admins; exchange rates for admins.
    "outcomes.answer":            row(200,      200,      200,      200,      200,      200,      200),
    "outcomes.thanks":            row(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "outcomes.opt_out":           row(200,      200,      200,      200,      200,      200,      200),
    "outcomes.opted_out":         row(200,      200,      200,      200,      200,      200,      200),
    "outcomes.calls":             row(LOGIN,    403,      200,      200,      403,      403,      200),
    "outcomes.call":              row(LOGIN,    403,      200,      403,      403,      403,      200),
    "outcomes.rates":             row(LOGIN,    403,      403,      403,      403,      403,      200),
}

# POST, with CSRF off and an empty body: an admitted POST meets its form's refusal, or a form-less admin
# action does something harmless (reactivating what is active, emailing the spare account a reset link).
# Overseers get 403 on every state change; they may sign out and change their own password.
EXPECTED_POST: dict[str, dict[str, object]] = {
    #                                 anonymous trainee   staff_a   staff_b   overseer  punjab    admin
    # Anyone may choose the site's language (a POST: it writes a trainee's choice of message language).
    "home.switch_language":       row(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.login":                 row(422,      REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.signup":                row(422,      REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.logout":                row(LOGIN,    REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.sign_out_everywhere":   row(LOGIN,    REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.password":              row(LOGIN,    422,      422,      422,      422,      422,      422),
    # A reset link works for whoever holds it (it is the proof); asking for one is open to all.
    "auth.request_reset":         row(422,      422,      422,      422,      422,      422,      422),
    "auth.reset_password":        row(422,      422,      422,      422,      422,      422,      422),
    "auth.confirm":               row(SIGN_IN,  REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.new_code":              row(SIGN_IN,  REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "auth.reset_with_code":       row(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    # Administration.
    "auth.create_user":           row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "auth.edit_user":             row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "auth.deactivate_user":       row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "notifications.handle_failed": row(LOGIN,   403,      403,      403,      403,      403,      ADMITTED),
    # A gateway's delivery receipt: anyone may call it, the signature decides (none here: 403).
    "webhooks.sms_receipt":       row(403,      403,      403,      403,      403,      403,      403),
    "auth.reactivate_user":       row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "auth.send_password_link":    row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "centres.create":             row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "centres.edit":               row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "centres.deactivate":         row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "centres.reactivate":         row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "courses.create":             row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    "courses.edit":               row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
    # Staff pages of their own centres: an empty form is refused (422) for staff of A and admins.
    "courses.new_cohort":         row(LOGIN,    403,      422,      403,      403,      403,      ADMITTED),
    "courses.edit_cohort":        row(LOGIN,    403,      422,      403,      403,      403,      ADMITTED),
    "courses.cohort_status":      row(LOGIN,    403,      422,      403,      403,      403,      ADMITTED),
    "enrollments.walk_in":        row(LOGIN,    403,      422,      403,      403,      403,      ADMITTED),
    # An upload without a file is refused; staff_a confirms her (empty) upload, the admin then finds it
    # imported already (409).
    "enrollments.import_upload":  row(LOGIN,    403,      422,      403,      403,      403,      422),
    "enrollments.import_confirm": row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    # Enrollments. Applying: trainees only (the signed-in trainee has this cohort already: "applied
    # already"). Withdrawing her own place: she withdraws it; staff_a and the admin then find it withdrawn.
    "enrollments.apply":          row(LOGIN,    ADMITTED, 403,      403,      403,      403,      403),
    "enrollments.withdraw":       row(LOGIN,    ADMITTED, ADMITTED, 403,      403,      403,      ADMITTED),
    # The language of her messages: she alone chooses it (an empty POST is refused next to the field).
    "auth.message_language":      row(LOGIN,    ADMITTED, 403,      403,      403,      403,      403),
    # Decisions on trainee_a's enrolled place at A, and on cohort A: a refusal (409/422) for an empty POST.
    "enrollments.approve":        row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "enrollments.reject":         row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "enrollments.drop":           row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "enrollments.override":       row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "enrollments.change_seats":   row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "enrollments.cancel_cohort":  row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    # Overseers change nothing, even holding a link; the others find this link is not one (404).
    "enrollments.offer":          row(404,      404,      404,      404,      403,      403,      404),
    # A bulk decision that names no decision is refused with 400; a message without text, 422.
    "enrollments.bulk_decision":  row(LOGIN,    403,      400,      403,      403,      403,      400),
    "enrollments.message_cohort": row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    # Merit admission: no scores sent, no file sent (422); publishing while applications are open (409).
    "enrollments.merit_scores":   row(LOGIN,    403,      422,      403,      403,      403,      422),
    "enrollments.upload_scores":  row(LOGIN,    403,      422,      403,      403,      403,      422),
    "enrollments.marks":          row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "enrollments.upload_marks":   row(LOGIN,    403,      422,      403,      403,      403,      422),
    "enrollments.publish_merit_list": row(LOGIN, 403,     409,      403,      403,      403,      409),
    # An empty register or class-day form is refused (422).
    "attendance.register":        row(LOGIN,    403,      422,      403,      403,      403,      422),
    "attendance.class_days":      row(LOGIN,    403,      422,      403,      403,      403,      422),
    "attendance.upload":          row(LOGIN,    403,      422,      403,      403,      403,      422),
    # The walk-in desk's eligibility check (JSON): answers missing, 422.
    "enrollments.walk_in_eligibility": row(LOGIN, 403,    422,      403,      403,      403,      422),
    "enrollments.correct_trainee": row(LOGIN,   403,      ADMITTED, 403,      403,      403,      ADMITTED),
    # API tokens: an unnamed token is refused (422); staff_a revokes her token, the admin finds it revoked.
    "auth.tokens":                row(LOGIN,    ADMITTED, ADMITTED, ADMITTED, ADMITTED, ADMITTED, ADMITTED),
    "auth.revoke_token":          row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    # Revoking or reissuing the trainee's certificate: A's staff and admins (an empty form: no reason, 422).
    "certificates.revoke":        row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    "certificates.reissue":       row(LOGIN,    403,      ADMITTED, 403,      403,      403,      ADMITTED),
    # Outcomes: an empty answer is refused (422: no activity); overseers change nothing, link or not. The
    # opt-out link stops her messages for whoever holds it (then finds them stopped). Her consent on her
    # profile is hers (an empty choice: 422); a call's answer for A's staff and admins; rates for admins.
    "outcomes.answer":            row(422,      422,      422,      422,      403,      403,      422),
    "outcomes.opt_out":           row(REDIRECT, REDIRECT, REDIRECT, REDIRECT, 403,      403,      REDIRECT),
    "auth.outcome_consent":       row(LOGIN,    ADMITTED, 403,      403,      403,      403,      403),
    "outcomes.call":              row(LOGIN,    403,      422,      403,      403,      403,      422),
    "outcomes.rates":             row(LOGIN,    403,      403,      403,      403,      403,      ADMITTED),
}
# fmt: on

EXPECTED = {"GET": EXPECTED_GET, "POST": EXPECTED_POST}
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
# Flask's own static files: public, and checked by the security-header tests.
NOT_IN_MATRIX = frozenset({"static"})
# The JSON API's operations have their own matrix, called with bearer tokens: tests/test_api_access.py.
API_OPERATIONS_PREFIX = "api."


def in_matrix(endpoint: str) -> bool:
    return endpoint not in NOT_IN_MATRIX and not endpoint.startswith(API_OPERATIONS_PREFIX)


def path_values(world: "World") -> dict[str, dict[str, object]]:
    """The URL arguments of each endpoint, from real objects of ``world``."""
    centre_a, spare_centre = world.centre_a.code, world.spare_centre.code
    upload = world.upload_of_staff_a
    return {
        "auth.reset_password": {"token": world.reset_token},
        "home.switch_language": {"code": "ur"},
        "oversight.export_capacity": {"fmt": "csv"},
        "oversight.export_completion": {"fmt": "csv"},
        "oversight.export_outcomes": {"fmt": "csv"},
        "oversight.export_cohorts": {"code": world.centre_a.code, "fmt": "xlsx"},
        "oversight.export_trainees": {"fmt": "xlsx"},
        "oversight.export_audit_log": {"fmt": "csv"},
        "auth.edit_user": {"user_id": world.spare_user.id},
        "auth.deactivate_user": {"user_id": world.spare_user.id},
        "auth.reactivate_user": {"user_id": world.spare_user.id},
        "auth.send_password_link": {"user_id": world.spare_user.id},
        "centres.detail": {"code": centre_a},
        "oversight.province": {"code": world.punjab.code},
        "oversight.district": {"province_code": world.punjab.code, "district_code": world.lahore.code},
        "oversight.centre": {"code": centre_a},
        "oversight.cohort": {"code": world.cohort_a.code},
        "centres.dashboard": {"code": centre_a},
        "centres.edit": {"code": spare_centre},
        "centres.deactivate": {"code": spare_centre},
        "centres.reactivate": {"code": spare_centre},
        "courses.course_detail": {"code": world.course.code},
        "courses.edit": {"code": world.course.code},
        "courses.cohort_detail": {"code": world.cohort_a.code},
        "courses.new_cohort": {"centre_code": centre_a},
        "courses.edit_cohort": {"code": world.cohort_a.code},
        "courses.cohort_status": {"code": world.cohort_a.code},
        "enrollments.walk_in": {"centre_code": centre_a},
        "enrollments.trainee_detail": {"trainee_id": world.trainee_a.id},
        "enrollments.correct_trainee": {"trainee_id": world.trainee_a.id},
        "enrollments.apply": {"code": world.cohort_a.code},
        "enrollments.withdraw": {"enrollment_id": enrollment_of(world.own_trainee)},
        "enrollments.calendar": {"enrollment_id": enrollment_of(world.own_trainee)},
        "enrollments.roster": {"code": world.cohort_a.code},
        "enrollments.approve": {"enrollment_id": enrollment_of(world.trainee_a)},
        "enrollments.reject": {"enrollment_id": enrollment_of(world.trainee_a)},
        "enrollments.drop": {"enrollment_id": enrollment_of(world.trainee_a)},
        "enrollments.override": {"enrollment_id": enrollment_of(world.trainee_a)},
        "enrollments.change_seats": {"code": world.cohort_a.code},
        "enrollments.cancel_cohort": {"code": world.cohort_a.code},
        "enrollments.offer": {"token": "not-a-signed-link"},
        "enrollments.bulk_decision": {"code": world.cohort_a.code},
        "enrollments.download_roster": {"code": world.cohort_a.code, "fmt": "xlsx"},
        "enrollments.sign_in_sheet": {"code": world.cohort_a.code},
        "enrollments.message_cohort": {"code": world.cohort_a.code},
        "enrollments.import_sample": {"centre_code": centre_a, "fmt": "csv"},
        "attendance.register": {"code": world.cohort_a.code},
        "attendance.class_days": {"code": world.cohort_a.code},
        "attendance.at_risk": {"code": centre_a},
        "attendance.upload": {"code": world.cohort_a.code},
        "enrollments.walk_in_eligibility": {"centre_code": centre_a},
        "enrollments.import_upload": {"centre_code": centre_a},
        "enrollments.import_batch": {"batch_id": upload},
        "enrollments.import_confirm": {"batch_id": upload},
        "auth.revoke_token": {"token_id": world.token_of_staff_a},
        "certificates.verify": {"number": world.certificate_number},
        "certificates.download": {"number": world.certificate_number},
        "certificates.manage": {"number": world.certificate_number},
        "certificates.revoke": {"number": world.certificate_number},
        "certificates.reissue": {"number": world.certificate_number},
        "certificates.of_place": {"enrollment_id": enrollment_of(world.own_trainee)},
        "certificates.cohort_zip": {"code": world.cohort_a.code},
        "enrollments.merit_scores": {"code": world.merit_cohort.code},
        "enrollments.upload_scores": {"code": world.merit_cohort.code},
        "enrollments.score_sheet": {"code": world.merit_cohort.code},
        "enrollments.marks": {"code": world.cohort_a.code},
        "enrollments.upload_marks": {"code": world.cohort_a.code},
        "enrollments.mark_sheet": {"code": world.cohort_a.code},
        "enrollments.publish_merit_list": {"code": world.merit_cohort.code},
        "courses.merit_list": {"code": world.merit_cohort.code},
        "notifications.handle_failed": {"message_id": world.failed_message, "action": "retry"},
        "webhooks.sms_receipt": {"provider": "generic"},
        "outcomes.answer": {"token": wave_token(world.wave_a)},
        "outcomes.thanks": {"token": wave_token(world.wave_a)},
        "outcomes.opt_out": {"token": opt_out_token(world.trainee_a)},
        "outcomes.call": {"wave_id": world.wave_a.id},
    }


def upload_of_staff_a(centre_a: Centre, staff_a: UserAccount) -> int:
    """The id of a list (headings only) staff_a uploaded at centre A, waiting for confirmation."""
    from enrollments.imports.batches import stage_import

    content = b"CNIC,Name,Gender,Date of birth,Phone,District\r\n"
    batch = stage_import(content, "list.csv", centre_a, None, actor=staff_a)
    db.session.commit()
    return batch.id


def token_of_staff_a(staff_a: UserAccount) -> int:
    """The id of a new API token of staff_a."""
    token, _ = issue_token(staff_a, name="matrix", actor=staff_a)
    db.session.commit()
    return token.id


def certificate_of(trainee: Trainee) -> str:
    """The number of a valid certificate of ``trainee``'s one place, written as the issue service writes it:
    the matrix asks who may reach it, whatever the place's own state."""
    enrollment = db.session.get(Enrollment, enrollment_of(trainee))
    certificate = Certificate(
        number=new_number(),
        enrollment=enrollment,
        trainee_id=trainee.id,
        cohort=enrollment.cohort,
        issued_on=utcnow().date(),
        **printed_facts(enrollment, trainee.full_name),
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate.number


def failed_message_to(trainee: Trainee) -> int:
    """The id of an SMS to ``trainee`` that failed after its last attempt."""
    message = OutboxMessage(
        trainee_id=trainee.id,
        kind="test",
        channel=Channel.SMS,
        recipient=trainee.phone,
        body="Hello",
        status=MessageStatus.FAILED,
        attempts=6,
        last_error="GatewayError: HTTP 503",
    )
    db.session.add(message)
    db.session.commit()
    return message.id


def open_wave(enrollment_id: int) -> OutcomeWave:
    """An open, reminded, unanswered 3-month wave of the place ``enrollment_id`` (written as the timer writes it)."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    cohort, today = enrollment.cohort, utcnow().date()
    wave = OutcomeWave(
        enrollment_id=enrollment.id,
        trainee_id=enrollment.trainee_id,
        months=3,
        due_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=60),
        sent_at=utcnow() - timedelta(days=10),
        reminded_at=utcnow() - timedelta(days=3),
        cohort_id=cohort.id,
        centre_id=cohort.centre_id,
        course_id=cohort.course_id,
        track=cohort.course.track,
        gender=enrollment.trainee.gender,
        area=enrollment.trainee.area,
        district_id=cohort.centre.district_id,
        province_id=cohort.centre.district.province_id,
        partner_type=cohort.centre.partner_type,
        cohort_ends_on=today - timedelta(days=100),
    )
    db.session.add(wave)
    db.session.commit()
    return wave


def enrollment_of(trainee: Trainee) -> int:
    """The id of ``trainee``'s one enrollment in the world."""
    return db.session.scalar(select(Enrollment.id).where(Enrollment.trainee_id == trainee.id))


@cache
def routed_methods() -> dict[str, frozenset[str]]:
    """Endpoint → methods, read from the url_map of an app built at collection time (no database used)."""
    app = create_app(TestConfig("sqlite://"))
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update((rule.methods or set()) - IGNORED_METHODS)
    with app.app_context():
        db.engine.dispose()
    return {endpoint: frozenset(found) for endpoint, found in methods.items()}


def matrix_cases() -> list[tuple[str, str]]:
    """Every routed (method, endpoint). A routed one without a row fails in ``test_access_matrix``; a row
    without a route fails in ``test_every_table_entry_is_a_real_endpoint``."""
    cases = {(method, endpoint) for endpoint, methods in routed_methods().items() for method in methods}
    return sorted((method, endpoint) for method, endpoint in cases if in_matrix(endpoint))


# The world every access test runs in -----------------------------------------------------------------


@dataclass
class World:
    punjab: Province
    sindh: Province
    lahore: District
    karachi: District
    centre_a: Centre
    centre_b: Centre
    spare_centre: Centre
    course: Course
    cohort_a: Cohort
    cohort_b: Cohort
    merit_cohort: Cohort  # at A, admits by merit list, a list published
    trainee_a: Trainee  # lives in Lahore (Punjab), applied at A
    trainee_b: Trainee  # lives in Karachi (Sindh), applied only at B
    trainee_c: Trainee  # lives in Karachi (Sindh), applied at A (in Punjab)
    own_trainee: Trainee  # the signed-in trainee's own record: Lahore, applied at A
    spare_user: UserAccount
    reset_token: str
    upload_of_staff_a: int  # a list staff_a uploaded at centre A, waiting for confirmation
    token_of_staff_a: int  # an API token of staff_a
    certificate_number: str  # a valid certificate of own_trainee, issued at A
    failed_message: int  # an outbox message to trainee_a that failed after its last attempt
    wave_a: OutcomeWave  # trainee_a's open 3-month wave at A (Punjab), reminded, unanswered
    users: dict[str, UserAccount | None] = field(default_factory=dict)


@kept_world
def world(
    make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_enrollment, make_user
):
    punjab = make_province(code="PB", name="Punjab")
    sindh = make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    karachi = make_district(sindh, code="KHS", name="Karachi South")
    centre_a = make_centre(lahore, code="PB-LHR-01", name="Lahore Digital Centre")
    centre_b = make_centre(karachi, code="SD-KHS-01", name="Karachi Digital Centre")
    spare_centre = make_centre(lahore, code="PB-LHR-02", name="Spare Centre")
    course = make_course(code="WEB-101", title="Web Development Foundations")
    cohort_a = make_cohort(centre=centre_a, course=course, code="PB-LHR-01-WEB-1")
    cohort_b = make_cohort(centre=centre_b, course=course, code="SD-KHS-01-WEB-1")
    merit_cohort = make_cohort(
        centre=centre_a, course=course, code="PB-LHR-01-MER-1", admission=Admission.MERIT, offers=True
    )
    db.session.add(MeritList(cohort_id=merit_cohort.id, version=1, test_weight=70, entries=[]))
    trainee_user = make_user(Role.TRAINEE)
    own_trainee = make_trainee(lahore, user=trainee_user, full_name="Own Trainee")
    trainee_a = make_trainee(lahore, cnic="3520212345671", phone="+923009876543", full_name="Ayesha Punjab")
    trainee_b = make_trainee(karachi, cnic="4210198765432", phone="+923331112223", full_name="Sana Sindh")
    trainee_c = make_trainee(karachi, full_name="Hina Karachi")
    make_enrollment(trainee_a, cohort_a)
    make_enrollment(trainee_b, cohort_b, status=EnrollmentStatus.WAITLISTED)
    make_enrollment(trainee_c, cohort_a)
    make_enrollment(own_trainee, cohort_a)
    recount(fix=True)  # make_enrollment writes rows directly: give the cohorts their true counters
    db.session.commit()
    spare_user = make_user(Role.STAFF, centres=(spare_centre,))
    users = {
        "anonymous": None,
        "trainee": trainee_user,
        "staff_a": make_user(Role.STAFF, centres=(centre_a,)),
        "staff_b": make_user(Role.STAFF, centres=(centre_b,)),
        "overseer": make_user(Role.OVERSEER),
        "punjab_overseer": make_user(Role.OVERSEER, province=punjab),
        "admin": make_user(Role.ADMIN),
        # Not columns of the matrix (they would widen every row): ``test_callers_reach_calls_and_nothing_else``.
        "caller_punjab": make_user(Role.CALLER, province=punjab),
        "caller_sindh": make_user(Role.CALLER, province=sindh),
        "caller_a": make_user(Role.CALLER, centres=(centre_a,)),
    }
    return World(
        wave_a=open_wave(enrollment_of(trainee_a)),
        upload_of_staff_a=upload_of_staff_a(centre_a, users["staff_a"]),
        token_of_staff_a=token_of_staff_a(users["staff_a"]),
        certificate_number=certificate_of(own_trainee),
        failed_message=failed_message_to(trainee_a),
        punjab=punjab,
        sindh=sindh,
        lahore=lahore,
        karachi=karachi,
        centre_a=centre_a,
        centre_b=centre_b,
        spare_centre=spare_centre,
        course=course,
        cohort_a=cohort_a,
        cohort_b=cohort_b,
        merit_cohort=merit_cohort,
        trainee_a=trainee_a,
        trainee_b=trainee_b,
        trainee_c=trainee_c,
        own_trainee=own_trainee,
        spare_user=spare_user,
        reset_token=password_reset_token(spare_user),
        users=users,
    )


def login_redirect_target(response) -> str | None:
    """The ``next`` of a redirect to the sign-in page, or None if ``response`` is not one."""
    if response.status_code != 302:
        return None
    location = urlsplit(response.headers["Location"])
    if location.path != "/auth/login":
        return None
    return parse_qs(location.query).get("next", [""])[0]


def describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def check_outcome(expected: object, response, path: str) -> bool:
    status = response.status_code
    if expected == LOGIN:
        return login_redirect_target(response) == path
    if expected == REDIRECT:
        return status in (302, 303) and login_redirect_target(response) is None
    if expected == SIGN_IN:
        return status in (302, 303) and urlsplit(response.headers["Location"]).path == "/auth/login"
    if expected == ADMITTED:
        return status in ADMITTED_STATUSES and login_redirect_target(response) is None
    return status == expected


# 1. Deny by default -----------------------------------------------------------------------------------


def test_every_endpoint_declares_an_access_rule(app):
    undeclared = sorted(rule.endpoint for rule in app.url_map.iter_rules() if rule_for(rule.endpoint) is None)
    assert not undeclared, f"endpoints without @allow(RULE) (they answer 403 to everyone): {undeclared}"


def test_an_endpoint_without_a_rule_answers_403_to_everyone(fresh_app, client, world):
    @fresh_app.get("/undeclared-for-test")
    def undeclared_for_test():
        return "this view declared no rule"

    @fresh_app.post("/undeclared-post-for-test")
    def undeclared_post_for_test():
        return "this view declared no rule"

    assert rule_for("undeclared_for_test") is None
    for name, user in world.users.items():
        response = act_as(client, user).get("/undeclared-for-test")
        assert response.status_code == 403, f"{name}: {describe(response)}"
        assert "this view declared no rule" not in response.get_data(as_text=True)
    fresh_app.config["WTF_CSRF_ENABLED"] = False
    for name, user in world.users.items():
        response = act_as(client, user).post("/undeclared-post-for-test")
        assert response.status_code == 403, f"{name}: {describe(response)}"


def test_an_endpoint_declared_public_is_served(fresh_app, client):
    @fresh_app.get("/declared-for-test")
    @allow(PUBLIC)
    def declared_for_test():
        return "open to all"

    assert client.get("/declared-for-test").get_data(as_text=True) == "open to all"


# 2. The role × endpoint matrix ------------------------------------------------------------------------


def test_every_routed_endpoint_has_a_row_in_the_matrix():
    missing = [
        f"{method} {endpoint}"
        for endpoint, methods in sorted(routed_methods().items())
        if in_matrix(endpoint)
        for method in sorted(methods)
        if endpoint not in EXPECTED.get(method, {})
    ]
    assert not missing, f"decide who may use these endpoints and add them to EXPECTED_GET/EXPECTED_POST: {missing}"


def test_every_table_entry_is_a_real_endpoint():
    routed = routed_methods()
    phantom = [
        f"{method} {endpoint}"
        for method, table in EXPECTED.items()
        for endpoint in sorted(table)
        if method not in routed.get(endpoint, frozenset())
    ]
    assert not phantom, f"the matrix lists endpoints (or methods) that url_map does not have: {phantom}"


# What an overseer may POST: her own sign-out, password and API tokens, the language she reads, and the
# public account forms (which change nothing for someone signed in, or need a reset link that is itself the proof).
OVERSEERS_MAY_POST = frozenset(
    {
        "home.switch_language",
        "auth.logout",
        "auth.sign_out_everywhere",
        "auth.password",
        "auth.tokens",
        "auth.login",
        "auth.signup",
        "auth.request_reset",
        "auth.reset_password",
        "auth.confirm",
        "auth.new_code",
        "auth.reset_with_code",
    }
)


def test_the_matrix_lets_overseers_change_nothing():
    """DESIGN.md: overseers read; they get 403 on every state change. Guards the table itself."""
    wrong = [
        f"{endpoint}: {who} → {answers[who]}"
        for endpoint, answers in EXPECTED_POST.items()
        if endpoint not in OVERSEERS_MAY_POST
        for who in ("overseer", "punjab_overseer")
        if answers[who] != 403
    ]
    assert not wrong, wrong


def test_every_endpoint_has_a_url_to_try(world, app):
    adapter = app.url_map.bind("localhost")
    values = path_values(world)
    for method, endpoint in matrix_cases():
        if endpoint in routed_methods() and method in routed_methods()[endpoint]:
            adapter.build(endpoint, values.get(endpoint, {}), method=method)  # raises if an argument is missing


@pytest.mark.parametrize(("method", "endpoint"), matrix_cases())
def test_access_matrix(app, client, world, method, endpoint):
    """One endpoint and method, tried as each of the seven users in turn (anonymous first, admin last:
    an admitted empty POST changes nothing the others depend on)."""
    table = EXPECTED.get(method, {})
    assert endpoint in table, (
        f"{method} {endpoint} is routed but has no row in EXPECTED_{method}: decide who may use it and add one"
    )
    path = app.url_map.bind("localhost").build(endpoint, path_values(world).get(endpoint, {}), method=method)
    if method == "POST":
        app.config["WTF_CSRF_ENABLED"] = False  # the status must reflect the access rule, not a missing token
    wrong = []
    for user in USERS:
        expected = table[endpoint][user]
        limiter.reset()  # throttles answer 429 whoever asks; here only the access rule may decide
        try:
            response = act_as(client, world.users[user]).open(path, method=method, data={})
        except Exception as error:  # a crash for one user must not hide the answers for the others
            db.session.rollback()
            wrong.append(f"{user:>16}: expected {expected}, raised {type(error).__name__}: {error}")
            continue
        if not check_outcome(expected, response, path):
            wrong.append(f"{user:>16}: expected {expected}, got {describe(response)}")
    assert not wrong, f"{method} {path}\n" + "\n".join(wrong)


def test_every_post_endpoint_refuses_a_missing_csrf_token(app, client, world, row_counts):
    """CSRF is checked on every form POST, whoever sends it, before anything is written. (The JSON API,
    which authenticates with Bearer tokens rather than the session cookie, is left to its own tests.) One
    exception: the language switch of a reader who is not signed in, whose cached pages carry no token; it
    writes nothing but her cookie, and refuses what another site sends (tests/test_language.py)."""
    adapter = app.url_map.bind("localhost")
    values = path_values(world)
    users = ("anonymous", "trainee", "staff_a", "admin")
    # One session each, opened before counting rows: signing in writes a session record.
    cookies = {user: session_values(world.users[user]) if world.users[user] else {} for user in users}
    before = row_counts()
    wrong = []
    for endpoint, methods in sorted(routed_methods().items()):
        # The API (Bearer tokens) has its own tests; a gateway's receipt is signed instead (test_sms_receipts.py).
        if "POST" not in methods or endpoint.startswith(("api.", "webhooks.")):
            continue
        path = adapter.build(endpoint, values.get(endpoint, {}), method="POST")
        for user in users:
            limiter.reset()
            with client.session_transaction() as session:
                session.clear()
                session.update(cookies[user])
            response = client.post(path, data={})
            if endpoint == "home.switch_language" and user == "anonymous":
                response = client.post(path, data={}, headers={"Sec-Fetch-Site": "cross-site"})
            if response.status_code != 400:
                wrong.append(f"{user} POST {path}: {describe(response)}")
    assert not wrong, "POSTs without a CSRF token that were not refused with 400:\n" + "\n".join(wrong)
    assert row_counts() == before


# 3. Object-level access across centres and provinces -----------------------------------------------


def status_of(client, user, path: str) -> int:
    return act_as(client, user).get(path).status_code


def test_staff_reach_their_own_centre_only(client, world):
    staff_a = world.users["staff_a"]
    assert status_of(client, staff_a, f"/centres/{world.centre_a.code}/dashboard") == 200
    assert status_of(client, staff_a, f"/centres/{world.centre_b.code}/dashboard") == 403
    assert status_of(client, staff_a, "/centres/NO-SUCH-CENTRE/dashboard") == 404


def test_staff_see_trainees_of_their_own_centres_only(client, world):
    staff_a = world.users["staff_a"]
    assert status_of(client, staff_a, f"/enrollments/trainees/{world.trainee_a.id}") == 200
    assert status_of(client, staff_a, f"/enrollments/trainees/{world.trainee_b.id}") == 403
    assert status_of(client, world.users["staff_b"], f"/enrollments/trainees/{world.trainee_b.id}") == 200
    assert status_of(client, staff_a, "/enrollments/trainees/987654") == 404


def test_a_trainee_cannot_read_another_trainees_record_or_profile(client, world):
    trainee = world.users["trainee"]
    assert status_of(client, trainee, f"/enrollments/trainees/{world.trainee_a.id}") == 403
    assert status_of(client, trainee, f"/enrollments/trainees/{world.trainee_b.id}") == 403
    # Her profile is hers: it shows her record whatever she asks for, never another trainee's.
    for path in (
        "/auth/profile",
        f"/auth/profile?trainee_id={world.trainee_a.id}",
        f"/auth/profile?id={world.trainee_a.id}",
    ):
        response = act_as(client, trainee).get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert world.own_trainee.full_name in page
        assert world.trainee_a.full_name not in page and "35202-1234567-1" not in page


def test_a_provincial_overseer_sees_trainees_of_her_province_only(client, world):
    overseer = world.users["punjab_overseer"]
    assert status_of(client, overseer, f"/enrollments/trainees/{world.trainee_a.id}") == 200
    assert status_of(client, overseer, f"/enrollments/trainees/{world.trainee_b.id}") == 403
    # A Sindh resident who applied at a Punjab centre is within Punjab's oversight.
    assert status_of(client, overseer, f"/enrollments/trainees/{world.trainee_c.id}") == 200
    assert status_of(client, world.users["overseer"], f"/enrollments/trainees/{world.trainee_b.id}") == 200


@pytest.mark.parametrize("reader", ["overseer", "punjab_overseer"])
def test_overseers_see_cnic_and_phone_masked(client, world, reader):
    response = act_as(client, world.users[reader]).get(f"/enrollments/trainees/{world.trainee_a.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world.trainee_a.full_name in page
    assert "35202-*******-1" in page
    assert "0*** ****543" in page
    assert "3520212345671" not in page and "1234567" not in page
    for whole_phone in ("+923009876543", "0300 9876543", "300 9876543", "3009876543", "9876543"):
        assert whole_phone not in page, whole_phone


@pytest.mark.parametrize("reader", ["staff_a", "admin"])
def test_staff_and_admins_see_cnic_and_phone_whole(client, world, reader):
    response = act_as(client, world.users[reader]).get(f"/enrollments/trainees/{world.trainee_a.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "35202-1234567-1" in page
    assert "0300 9876543" in page
    assert "*******" not in page


def test_signed_in_people_asking_for_the_sign_in_page_land_on_their_home(client, world):
    homes = {
        "trainee": "/auth/profile",
        "staff_a": f"/centres/{world.centre_a.code}/dashboard",
        "overseer": "/oversight/",
        "punjab_overseer": "/oversight/",
        "admin": "/auth/admin/",
    }
    for name, home in homes.items():
        response = act_as(client, world.users[name]).get("/auth/login")
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == home, name


# 4. Predicates, without HTTP ----------------------------------------------------------------------------

T, F = True, False

# predicate, object (an attribute of World) → expected answer for each of USERS.
PREDICATE_TABLE: list[tuple[str, str, dict[str, bool]]] = [
    #                                                  anonymous trainee staff_a staff_b overseer punjab admin
    ("can_manage_centre", "centre_a", row(F, F, T, F, F, F, T)),
    ("can_manage_centre", "centre_b", row(F, F, F, T, F, F, T)),
    ("can_manage_cohort", "cohort_a", row(F, F, T, F, F, F, T)),
    ("can_manage_cohort", "cohort_b", row(F, F, F, T, F, F, T)),
    ("can_view_centre_audit", "centre_a", row(F, F, T, F, T, T, T)),
    ("can_view_centre_audit", "centre_b", row(F, F, F, T, T, F, T)),
    ("can_view_trainee", "trainee_a", row(F, F, T, F, T, T, T)),
    ("can_view_trainee", "trainee_b", row(F, F, F, T, T, F, T)),
    ("can_view_trainee", "trainee_c", row(F, F, T, F, T, T, T)),
    ("can_view_trainee", "own_trainee", row(F, T, T, F, T, T, T)),
    ("can_edit_trainee", "trainee_a", row(F, F, T, F, F, F, T)),
    ("can_edit_trainee", "trainee_b", row(F, F, F, T, F, F, T)),
    ("can_edit_trainee", "own_trainee", row(F, F, T, F, F, F, T)),
]
PREDICATES = {
    "can_manage_centre": can_manage_centre,
    "can_manage_cohort": can_manage_cohort,
    "can_view_centre_audit": can_view_centre_audit,
    "can_view_trainee": can_view_trainee,
    "can_edit_trainee": can_edit_trainee,
}


def as_predicate_user(world: World, name: str):
    return world.users[name] or AnonymousUserMixin()


@pytest.mark.parametrize(
    ("predicate", "target", "expected"),
    PREDICATE_TABLE,
    ids=[f"{name}-{target}" for name, target, _ in PREDICATE_TABLE],
)
def test_predicate(world, predicate, target, expected):
    answers = {name: PREDICATES[predicate](as_predicate_user(world, name), getattr(world, target)) for name in USERS}
    assert answers == expected


def test_masks_identity_for_overseers_only(world):
    answers = {name: masks_identity(as_predicate_user(world, name)) for name in USERS}
    assert answers == row(F, F, F, F, T, T, F)


def test_oversight_scope_of_each_role(world):
    scopes = {name: oversight_scope(as_predicate_user(world, name)) for name in USERS}
    assert scopes == row(
        OversightScope(centre_ids=frozenset()),
        OversightScope(centre_ids=frozenset()),
        OversightScope(centre_ids=frozenset({world.centre_a.id})),
        OversightScope(centre_ids=frozenset({world.centre_b.id})),
        OversightScope(),
        OversightScope(province_id=world.punjab.id),
        OversightScope(),
    )
    assert [name for name, scope in scopes.items() if scope.is_national] == ["overseer", "admin"]


# 4. Callers (issue 18): the calls due in their scope, and nothing else -------------------------------

# What a caller of Punjab (or of centre A) may open besides the public pages and her own account's pages.
CALLER_PAGES = {"outcomes.calls": 200, "outcomes.call": 200}


def caller_expects(endpoint: str) -> object:
    """A caller's answer on a GET endpoint: her calls; what every signed-in person gets on public pages and
    on her own account's pages (the overseer's answer there); 403 everywhere else (rosters, records, reports,
    administration)."""
    if endpoint in CALLER_PAGES:
        return CALLER_PAGES[endpoint]
    answers = EXPECTED_GET[endpoint]
    if answers["anonymous"] != LOGIN or answers["trainee"] == answers["overseer"] == 200:
        return answers["overseer"]
    return 403


@pytest.mark.parametrize("caller", ["caller_punjab", "caller_a"])
def test_callers_reach_calls_and_nothing_else(app, client, world, caller):
    values = path_values(world)
    adapter = app.url_map.bind("localhost")
    wrong = []
    for method, endpoint in matrix_cases():
        if method != "GET":
            continue
        path = adapter.build(endpoint, values.get(endpoint, {}), method="GET")
        limiter.reset()
        response = act_as(client, world.users[caller]).get(path)
        if not check_outcome(caller_expects(endpoint), response, path):
            wrong.append(f"{endpoint}: expected {caller_expects(endpoint)}, got {describe(response)}")
    assert not wrong, "\n".join(wrong)


def test_a_caller_of_another_province_cannot_open_the_call(client, world):
    page = act_as(client, world.users["caller_sindh"]).get(f"/outcomes/calls/{world.wave_a.id}")
    assert page.status_code == 403
    assert "Punjab" not in page.get_data(as_text=True) or "Sindh" in page.get_data(as_text=True)
    listed = act_as(client, world.users["caller_sindh"]).get("/outcomes/calls").get_data(as_text=True)
    assert world.trainee_a.full_name not in listed
    for caller in ("caller_punjab", "caller_a"):
        listed = act_as(client, world.users[caller]).get("/outcomes/calls").get_data(as_text=True)
        assert world.trainee_a.full_name in listed
