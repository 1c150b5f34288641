"""Every access rule of Markaz, in one place (DESIGN.md, "Roles and what each may do").

Three kinds of thing live here:

- **predicates** ``can_<verb>_<noun>(user, obj)``: the single answer to "may this user do that". Views,
  the API and templates all ask these, so that "show the button" and "allow the action" never drift.
- **route rules** (``PUBLIC``, ``SIGNED_IN``, ``TRAINEES``, ``STAFF``, ``OVERSIGHT``, ``ADMINS`` ...) that
  each view declares with ``@allow(rule)``. A global gate (``register_gate``) enforces them before any
  view runs, and **denies by default**: an endpoint that declared no rule answers 403, and a test walks
  ``app.url_map`` to fail the build for it.
- **loaders** ``get_<noun>_or_404(...)`` that fetch an object and check object-level access, answering
  404 when it does not exist and 403 when the user may not see or change it.

Every 403 is a ``Denied`` that says why in a sentence of the reader's language ("Karachi Centre is in Sindh;
your account covers Punjab."): the error page shows it with a link back, the API's error body carries it.

Overseers read; they never change training records: no rule that guards a change admits them.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import ColumnElement, Select, bindparam, exists, false, or_, select, true
from werkzeug.exceptions import Forbidden

from audit.models import AuditEvent
from auth.models import ApiToken, CentreMembership, UserAccount
from centres.models import Centre, District
from certificates.models import Certificate
from certificates.numbers import NotANumber, normalise_number
from courses.models import Cohort, with_course_and_centre
from enrollments.models import Enrollment, Trainee
from extensions import db
from listing import LARGEST_ID
from outcomes.models import OutcomeWave
from vocabulary import CohortStatus, EnrollmentStatus, Role

AnyUser = UserAccount | AnonymousUserMixin
# The places whose class days a trainee may put in her calendar: the ones she holds or waits for.
CALENDAR_STATUSES = (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED)
View = TypeVar("View", bound=Callable[..., Any])


# Who someone is ------------------------------------------------------------------------------------


def is_signed_in(user: AnyUser) -> bool:
    return bool(user and user.is_authenticated)


def has_role(user: AnyUser, *roles: Role) -> bool:
    return is_signed_in(user) and user.role in roles


def is_admin(user: AnyUser) -> bool:
    return has_role(user, Role.ADMIN)


def is_overseer(user: AnyUser) -> bool:
    return has_role(user, Role.OVERSEER)


def staff_centre_ids(user: AnyUser) -> frozenset[int]:
    """The centres a staff member works at (empty for everyone else)."""
    if not has_role(user, Role.STAFF):
        return frozenset()
    return frozenset(membership.centre_id for membership in user.memberships)


def is_caller(user: AnyUser) -> bool:
    return has_role(user, Role.CALLER)


def caller_centre_ids(user: AnyUser) -> frozenset[int]:
    """The centres a centre-scoped caller takes calls for (empty for everyone else, and for a caller scoped
    to a province)."""
    if not is_caller(user):
        return frozenset()
    return frozenset(membership.centre_id for membership in user.memberships)


def overseer_province_id(user: AnyUser) -> int | None:
    """The one province a provincial overseer sees; None for a national overseer (and non-overseers)."""
    return user.province_id if is_overseer(user) else None


def masks_identity(user: AnyUser) -> bool:
    """Overseers audit numbers, not people: CNICs and phone numbers are masked for them."""
    return is_overseer(user)


# Refusals that say why ------------------------------------------------------------------------------


class Denied(Forbidden):
    """A 403 that says why, in the reader's language: the error page shows ``reason`` with a link back
    (``errors.py``), the API answers it as the error's message (``api.errors``)."""

    def __init__(self, reason: str):
        super().__init__(description=str(reason))
        self.reason = str(reason)


def deny(reason: str):
    """Refuse the request with ``reason`` (a translated sentence): raises ``Denied``."""
    raise Denied(reason)


def _place(place) -> str:
    # Imported here: ``language`` reads ``is_api_request`` from this module when it is imported.
    from language import place_name

    return place_name(place)


def _your_reach(user: AnyUser) -> str:
    """What the reader's account covers, as the end of a sentence ("your account covers Punjab")."""
    if is_overseer(user) and user.province_id is not None:
        return _("your account covers %(province)s", province=_place(user.province))
    if is_caller(user) and user.province_id is not None:
        return _("your account covers %(province)s", province=_place(user.province))
    if has_role(user, Role.STAFF, Role.CALLER):
        codes = sorted(membership.centre.code for membership in user.memberships)
        if not codes:
            return _("your account is not linked to any centre yet")
        return _("your account covers %(centres)s", centres=", ".join(codes))
    return _("your account has no centres")


def centre_refusal(user: AnyUser, centre: Centre, *, change: bool = False) -> str:
    """Why ``user`` may not see (or, with ``change``, change) what belongs to ``centre``."""
    if change and is_overseer(user):
        return _("Overseers read; they do not change training records.")
    if is_overseer(user):
        return _(
            "%(centre)s is in %(province)s; %(reach)s.",
            centre=centre.name,
            province=_place(centre.district.province),
            reach=_your_reach(user),
        )
    if has_role(user, Role.STAFF):
        return _(
            "%(centre)s (%(code)s) is not one of your centres: %(reach)s.",
            centre=centre.name,
            code=centre.code,
            reach=_your_reach(user),
        )
    return _("Only the staff of %(centre)s and admins may do this.", centre=centre.name)


def place_refusal(user: AnyUser, place) -> str:
    """Why ``user``'s reports do not reach ``place`` (a province or a district)."""
    if has_role(user, Role.STAFF):
        return _("None of your centres is in %(place)s: %(reach)s.", place=_place(place), reach=_your_reach(user))
    return _("Your reports do not cover %(place)s: %(reach)s.", place=_place(place), reach=_your_reach(user))


def trainee_refusal(user: AnyUser) -> str:
    """Why ``user`` may not see (or change) a trainee record."""
    if is_overseer(user):
        return _("This trainee neither lives nor applied in your province: %(reach)s.", reach=_your_reach(user))
    if has_role(user, Role.STAFF):
        return _("This trainee has not applied at, or been registered by, any of your centres.")
    return _("A trainee record is seen by the trainee herself, the staff of her centres, overseers and admins.")


# Predicates on objects -----------------------------------------------------------------------------


def can_manage_centre(user: AnyUser, centre: Centre) -> bool:
    """Admins, and staff who work at ``centre``: its cohorts, trainees and dashboard."""
    return is_admin(user) or centre.id in staff_centre_ids(user)


def can_manage_cohort(user: AnyUser, cohort: Cohort) -> bool:
    """Create, edit, open, close, cancel, and decide on enrollments: admins and the centre's staff."""
    return is_admin(user) or cohort.centre_id in staff_centre_ids(user)


def can_view_cohort(user: AnyUser, cohort: Cohort) -> bool:
    """Every cohort but a draft is public (cancelled ones too, so that a kept link explains itself); a
    draft is seen only by those who manage it: its centre's staff and admins."""
    return cohort.status is not CohortStatus.DRAFT or can_manage_cohort(user, cohort)


def viewable_cohorts(user: AnyUser) -> ColumnElement[bool]:
    """``can_view_cohort`` as a condition on ``Cohort``, for lists: the same rule, asked of the database."""
    if is_admin(user):
        return true()
    public = Cohort.status != CohortStatus.DRAFT
    centre_ids = staff_centre_ids(user)
    return or_(public, Cohort.centre_id.in_(centre_ids)) if centre_ids else public


def is_own_enrollment(user: AnyUser, enrollment: Enrollment) -> bool:
    """Whether ``user`` is the trainee of ``enrollment`` (through her account)."""
    user_id = enrollment.trainee.user_id
    return is_signed_in(user) and user_id is not None and user_id == user.id


def can_message_cohort(user: AnyUser, cohort: Cohort) -> bool:
    """Sending a message (SMS and email, through the outbox) to the trainees of ``cohort``: those who
    manage it (its centre's staff, admins). Overseers never: they read."""
    return can_manage_cohort(user, cohort)


def can_enter_marks(user: AnyUser, cohort: Cohort) -> bool:
    """Entering the assessment marks of a cohort's trainees (page, sheet, API): its centre's staff and
    admins. Overseers never: they read."""
    return can_manage_cohort(user, cohort)


def can_finish_cohort(user: AnyUser, cohort: Cohort) -> bool:
    """Finishing a cohort, which decides every enrolled trainee's completion by the rule: its centre's staff
    and admins."""
    return can_manage_cohort(user, cohort)


def can_override_completion(user: AnyUser, enrollment: Enrollment) -> bool:
    """Overriding the rule's decision on one place (completed ↔ not completed, with a written reason): staff
    of the cohort's centre and admins. Overseers read the reason in the audit log and on the roster."""
    return can_manage_cohort(user, enrollment.cohort)


def can_withdraw_enrollment(user: AnyUser, enrollment: Enrollment) -> bool:
    """The trainee herself, or staff who manage the cohort (and admins)."""
    return is_own_enrollment(user, enrollment) or can_manage_cohort(user, enrollment.cohort)


def can_answer_offer(user: AnyUser, enrollment: Enrollment) -> bool:
    """Accept or decline a seat offered to her: the trainee herself, or staff who manage the cohort (and
    admins). The signed link in her SMS also answers it, for whoever holds the link
    (``enrollments.offer_pages``): the link is the proof."""
    return is_own_enrollment(user, enrollment) or can_manage_cohort(user, enrollment.cohort)


def can_answer_by_link(user: AnyUser) -> bool:
    """Whoever holds an offer's signed link may answer it, but overseers change nothing, link or not."""
    return not is_overseer(user)


def can_choose_message_language(user: AnyUser, trainee: Trainee) -> bool:
    """The language of a trainee's SMS and email: she alone chooses it (on her profile)."""
    return has_role(user, Role.TRAINEE) and trainee.user_id is not None and trainee.user_id == user.id


def can_download_calendar(user: AnyUser, enrollment: Enrollment) -> bool:
    """A calendar of a cohort's class days, for the trainee herself, of a place she holds or waits for."""
    return is_own_enrollment(user, enrollment) and enrollment.status in CALENDAR_STATUSES


def can_view_centre_audit(user: AnyUser, centre: Centre) -> bool:
    """Capacity, inclusion and audit figures of ``centre``: its staff, overseers of its scope, admins."""
    if can_manage_centre(user, centre):
        return True
    if not is_overseer(user):
        return False
    province_id = overseer_province_id(user)
    return province_id is None or centre.district.province_id == province_id


def can_oversee_cohort(user: AnyUser, cohort: Cohort) -> bool:
    """The read-only oversight view of a cohort (its figures and its roster, CNICs and phones masked for
    overseers): whoever may read its centre's audit (``can_view_centre_audit``: its staff, overseers of
    its province or the nation, admins), drafts only for those who manage them (``can_view_cohort``)."""
    return can_view_cohort(user, cohort) and can_view_centre_audit(user, cohort.centre)


def trainee_centre_ids(trainee: Trainee) -> set[int]:
    """Centres where ``trainee`` has (or had) a place or an application, and the centre whose staff
    registered her record."""
    centres = set(
        db.session.scalars(
            select(Cohort.centre_id)
            .join(Enrollment, Enrollment.cohort_id == Cohort.id)
            .where(Enrollment.trainee_id == trainee.id)
        )
    )
    if trainee.registered_centre_id is not None:
        centres.add(trainee.registered_centre_id)
    return centres


def can_view_trainee(user: AnyUser, trainee: Trainee) -> bool:
    """A trainee record is visible to the trainee herself, to staff of a centre where she applied or
    trained or whose staff registered her record, to overseers whose scope covers her district or one
    of those centres (masked), and to admins."""
    if not is_signed_in(user):
        return False
    if is_admin(user) or (trainee.user_id is not None and trainee.user_id == user.id):
        return True
    if has_role(user, Role.STAFF):
        return bool(staff_centre_ids(user) & trainee_centre_ids(trainee))
    if is_overseer(user):
        province_id = overseer_province_id(user)
        if province_id is None or trainee.district.province_id == province_id:
            return True
        centres = trainee_centre_ids(trainee)
        return bool(centres) and db.session.scalar(
            select(
                exists().where(
                    Centre.id.in_(centres), Centre.district_id == District.id, District.province_id == province_id
                )
            )
        )
    return False


def can_revoke_token(user: AnyUser, token: ApiToken) -> bool:
    """An API token is revoked by its owner or by an admin."""
    return is_signed_in(user) and (is_admin(user) or token.user_id == user.id)


def can_register_trainees(user: AnyUser) -> bool:
    """Creating a national trainee record (walk-ins, imports, the API): centre staff and admins."""
    return has_role(user, Role.STAFF, Role.ADMIN)


def can_edit_trainee(user: AnyUser, trainee: Trainee) -> bool:
    """Changing a trainee record: admins and staff of her centres (``trainee_centre_ids``); she edits
    her own profile through her account pages. Overseers never."""
    if is_admin(user):
        return True
    return has_role(user, Role.STAFF) and bool(staff_centre_ids(user) & trainee_centre_ids(trainee))


def can_correct_trainee(user: AnyUser, trainee: Trainee) -> bool:
    """Correcting a trainee's gender or area, with a reason (the reports' counters follow): the people
    who may change her record (``can_edit_trainee``): admins, and staff of the centres where she applied
    or was registered. Overseers never."""
    return can_edit_trainee(user, trainee)


def is_own_certificate(user: AnyUser, certificate: Certificate) -> bool:
    """Whether ``user`` is the trainee the certificate was issued to (through her account)."""
    user_id = certificate.trainee.user_id
    return is_signed_in(user) and user_id is not None and user_id == user.id


def can_download_certificate(user: AnyUser, certificate: Certificate) -> bool:
    """The PDF of a certificate: the trainee herself, staff of the centre that issued it, and admins.
    Anyone may verify a number (``/verify/<number>``: the facts and the status, never the PDF)."""
    return is_own_certificate(user, certificate) or can_manage_cohort(user, certificate.cohort)


def can_revoke_certificate(user: AnyUser, certificate: Certificate) -> bool:
    """Revoking a certificate (with a reason) or reissuing it (a name corrected): staff of the centre that
    issued it, and admins. Overseers never."""
    return can_manage_cohort(user, certificate.cohort)


@dataclass(frozen=True)
class OversightScope:
    """What part of the network a user's reports cover: one province, some centres, or everything."""

    province_id: int | None = None
    centre_ids: frozenset[int] | None = None

    @property
    def is_national(self) -> bool:
        return self.province_id is None and self.centre_ids is None


def oversight_scope(user: AnyUser) -> OversightScope:
    """Admins and national overseers see the nation; a provincial overseer her province; staff their
    own centres. Anyone else has no scope (callers must have checked the route rule first)."""
    if is_admin(user) or (is_overseer(user) and user.province_id is None):
        return OversightScope()
    if is_overseer(user):
        return OversightScope(province_id=user.province_id)
    return OversightScope(centre_ids=staff_centre_ids(user))


def scope_reaches(scope: OversightScope, *, province_id: int, district_id: int | None = None) -> bool:
    """Whether ``scope`` covers any of the province with ``province_id`` (or of its district with
    ``district_id``): a national scope covers everything, a provincial one its own province, a staff
    member's the places of the centres she works at."""
    if scope.province_id is not None and scope.province_id != province_id:
        return False
    if scope.centre_ids is None:
        return True
    place = District.province_id == province_id if district_id is None else District.id == district_id
    return bool(
        scope.centre_ids
        and db.session.scalar(
            select(exists().where(Centre.id.in_(scope.centre_ids), Centre.district_id == District.id, place))
        )
    )


def _province_centre_ids(province_id: int):
    """The ids of the centres of one province, as a subquery."""
    return (
        select(Centre.id).join(District, Centre.district_id == District.id).where(District.province_id == province_id)
    )


def viewable_trainees(user: AnyUser) -> ColumnElement[bool]:
    """``can_view_trainee`` as a condition on ``Trainee``, for lists and exports: every trainee for admins
    and national overseers; for a provincial overseer those who live in her province or applied at (or
    were registered by) one of its centres; for staff those who applied at or were registered by one of
    their centres; for a trainee her own record; nothing for anyone else."""
    if is_admin(user) or (is_overseer(user) and user.province_id is None):
        return true()
    if is_overseer(user):
        centres = _province_centre_ids(user.province_id)
        return or_(
            Trainee.district_id.in_(select(District.id).where(District.province_id == user.province_id)),
            Trainee.registered_centre_id.in_(centres),
            exists().where(
                Enrollment.trainee_id == Trainee.id, Enrollment.cohort_id == Cohort.id, Cohort.centre_id.in_(centres)
            ),
        )
    if has_role(user, Role.STAFF):
        centre_ids = staff_centre_ids(user)
        if not centre_ids:
            return false()
        return or_(
            Trainee.registered_centre_id.in_(centre_ids),
            exists().where(
                Enrollment.trainee_id == Trainee.id, Enrollment.cohort_id == Cohort.id, Cohort.centre_id.in_(centre_ids)
            ),
        )
    if is_signed_in(user):
        return Trainee.user_id == user.id
    return false()


def viewable_audit_events(user: AnyUser) -> ColumnElement[bool]:
    """Which audit events ``user`` may read (``can_view_centre_audit``, as a condition on ``AuditEvent``):
    admins and national overseers every event; a provincial overseer the events of centres in her
    province; staff the events of their own centres; nobody else any. Events that belong to no centre
    (accounts, the course catalogue) are for admins and national overseers only."""
    if is_admin(user) or (is_overseer(user) and user.province_id is None):
        return true()
    if is_overseer(user):
        return AuditEvent.centre_id.in_(_province_centre_ids(user.province_id))
    centre_ids = staff_centre_ids(user)
    return AuditEvent.centre_id.in_(centre_ids) if centre_ids else false()


def can_handle_import(user: AnyUser, batch) -> bool:
    """An uploaded list (``enrollments.imports.models.ImportBatch``) is seen and confirmed by the person
    who uploaded it, while she still manages its centre, and by admins: its preview holds personal data
    of people who are not yet trainees of the centre."""
    if is_admin(user):
        return True
    return is_signed_in(user) and batch.uploaded_by_id == user.id and can_manage_centre(user, batch.centre)


def can_change_outcome_consent(user: AnyUser, trainee: Trainee) -> bool:
    """Whether we may ask her about her work after a course (DESIGN.md, "Outcomes"): she changes it on her
    profile; staff of her centres and admins on her record (she told them at the desk, or the API). The
    opt-out link in each outcome message turns it off for whoever holds the link: the link is the proof."""
    return can_choose_message_language(user, trainee) or can_edit_trainee(user, trainee)


def can_take_outcome_call(user: AnyUser, wave: OutcomeWave) -> bool:
    """Taking a graduate's outcome answer by phone (and seeing her number for it): admins, staff of the centre
    she trained at, and callers whose scope covers it (its province, or one of their centres). Overseers
    never: they read."""
    if is_admin(user) or wave.centre_id in staff_centre_ids(user):
        return True
    if not is_caller(user):
        return False
    if user.province_id is not None:
        return wave.province_id == user.province_id
    return wave.centre_id in caller_centre_ids(user)


def callable_waves(user: AnyUser) -> ColumnElement[bool]:
    """``can_take_outcome_call`` as a condition on ``OutcomeWave``, for the list of calls due."""
    if is_admin(user):
        return true()
    if is_caller(user) and user.province_id is not None:
        return OutcomeWave.province_id == user.province_id
    centre_ids = staff_centre_ids(user) | caller_centre_ids(user)
    return OutcomeWave.centre_id.in_(centre_ids) if centre_ids else false()


def can_set_exchange_rates(user: AnyUser) -> bool:
    """The monthly USD→PKR rates outcome answers in dollars are converted at: admins only."""
    return is_admin(user)


def can_administer(user: AnyUser) -> bool:
    """Centres, the course catalogue and user accounts: admins only."""
    return is_admin(user)


# Route rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may reach an endpoint at all (object-level checks come after, in loaders)."""

    name: str  # who it admits, in a sentence of the reader's language (a lazy string)
    admits: Callable[[AnyUser], bool]


PUBLIC = Rule(_l("anyone"), lambda user: True)
SIGNED_IN = Rule(_l("any signed-in user"), is_signed_in)
TRAINEES = Rule(_l("trainees"), lambda user: has_role(user, Role.TRAINEE))
STAFF = Rule(_l("centre staff and admins"), lambda user: has_role(user, Role.STAFF, Role.ADMIN))
# Taking places: a trainee for herself, staff (their centres, checked by the services) and admins for anyone.
TRAINEES_AND_STAFF = Rule(
    _l("trainees, centre staff and admins"), lambda user: has_role(user, Role.TRAINEE, Role.STAFF, Role.ADMIN)
)
OVERSIGHT = Rule(
    _l("overseers, centre staff and admins"), lambda user: has_role(user, Role.OVERSEER, Role.STAFF, Role.ADMIN)
)
STAFF_AND_OVERSEERS = Rule(
    _l("staff, overseers and admins"), lambda user: has_role(user, Role.STAFF, Role.OVERSEER, Role.ADMIN)
)
ADMINS = Rule(_l("admins"), is_admin)
# Outcome answers taken by phone: callers (their scope only), centre staff (their centres) and admins.
CALLERS = Rule(_l("callers, centre staff and admins"), lambda user: has_role(user, Role.CALLER, Role.STAFF, Role.ADMIN))

# Endpoints that belong to Flask (static files) or flask-smorest (the OpenAPI description) rather than to a
# view of ours.
BUILT_IN_PUBLIC_ENDPOINTS = frozenset({"static", "api-docs.openapi_json"})


def allow(rule: Rule) -> Callable[[View], View]:
    """Declare who may reach a view: ``@allow(STAFF)``. The gate enforces it; declaring nothing denies."""

    def decorate(view: View) -> View:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def rule_for(endpoint: str | None) -> Rule | None:
    """The rule declared by the view behind ``endpoint`` (None: none declared)."""
    if endpoint in BUILT_IN_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access_rule", None)


API_PREFIX = "/api/v1"


def is_api_request() -> bool:
    """Whether this request is for the JSON API (bearer tokens, JSON errors, never the cookie session)."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def register_gate(app: Flask) -> None:
    """Check every request against its endpoint's rule before the view runs (deny by default)."""

    @app.before_request
    def _gate():
        if request.endpoint is None:  # no such URL: let routing answer 404/405
            return None
        rule = rule_for(request.endpoint)
        if rule is None:
            deny(_("This address is open to nobody: it has not been given an access rule."))
        if rule.admits(current_user):
            return None
        if not is_signed_in(current_user):
            if is_api_request():  # a program, not a person: no sign-in page, say what is missing
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        deny(_("This is for %(who)s; your account's role is %(role)s.", who=rule.name, role=current_user.role.label))


# Loaders -------------------------------------------------------------------------------------------


def get_centre_or_404(code: str, *, manage: bool = False) -> Centre:
    """The centre with ``code`` (404 if none); with ``manage``, 403 unless the user may manage it."""
    centre = db.one_or_404(select(Centre).where(Centre.code == code))
    if manage and not can_manage_centre(current_user, centre):
        deny(centre_refusal(current_user, centre, change=True))
    return centre


def get_cohort_or_404(code: str, *, manage: bool = False) -> Cohort:
    """The cohort with ``code`` (any status, drafts too): 404 if none; with ``manage``, 403 unless
    ``can_manage_cohort``."""
    cohort = db.one_or_404(select(Cohort).where(Cohort.code == code))
    if manage and not can_manage_cohort(current_user, cohort):
        deny(centre_refusal(current_user, cohort.centre, change=True))
    return cohort


def get_cohort_by_id_or_404(cohort_id: int, *, manage: bool = False, details: bool = False) -> Cohort:
    """The cohort with ``cohort_id``: 404 if none or if the user may not see it (another centre's draft,
    ``can_view_cohort``); with ``manage``, 403 unless ``can_manage_cohort``. With ``details``, its course and
    centre are read in the same statement (for a request that goes on to place trainees in it)."""
    if cohort_id > LARGEST_ID:  # no such row can exist, and the database would refuse the number
        abort(404)
    if details:
        cohort = db.session.scalars(cohort_with_details(), {"cohort_id": cohort_id}).one_or_none()
        if cohort is None:
            abort(404)
    else:
        cohort = db.get_or_404(Cohort, cohort_id)
    if not can_view_cohort(current_user, cohort):
        abort(404)
    if manage and not can_manage_cohort(current_user, cohort):
        deny(centre_refusal(current_user, cohort.centre, change=True))
    return cohort


def get_cohort_and_places_or_404(cohort_id: int, trainee: Trainee) -> tuple[Cohort, tuple]:
    """``get_cohort_by_id_or_404(cohort_id, details=True)`` for ``trainee`` applying: the cohort, and her places
    in and around it as ``enrollments.services.rules.places_of`` reads them, in the same statement (every
    application through the API reads both; ``services.apply(..., places=...)`` takes them). 404 as the loader."""
    from enrollments.services.rules import cohort_and_places  # the enrollment services build on this module

    if cohort_id > LARGEST_ID:  # no such row can exist, and the database would refuse the number
        abort(404)
    cohort, places = cohort_and_places(cohort_id, trainee)
    if cohort is None or not can_view_cohort(current_user, cohort):
        abort(404)
    return cohort, places


@functools.cache
def cohort_with_details() -> Select:
    """The cohort with ``cohort_id`` and its course and centre: a query built once (every application runs
    it)."""
    return select(Cohort).where(Cohort.id == bindparam("cohort_id")).options(*with_course_and_centre())


def get_enrollment_or_404(enrollment_id: int, *, own_allowed: bool = False) -> Enrollment:
    """The enrollment with ``enrollment_id``: 404 if none, 403 unless the user manages its cohort (or,
    with ``own_allowed``, is its trainee)."""
    if enrollment_id > LARGEST_ID:  # no such row can exist, and the database would refuse the number
        abort(404)
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    allowed = can_withdraw_enrollment if own_allowed else lambda user, e: can_manage_cohort(user, e.cohort)
    if not allowed(current_user, enrollment):
        if own_allowed and has_role(current_user, Role.TRAINEE):
            deny(_("This application is someone else's: you can change only your own."))
        deny(centre_refusal(current_user, enrollment.cohort.centre, change=True))
    return enrollment


def get_trainee_or_404(trainee_id: int) -> Trainee:
    """The trainee with ``trainee_id``: 404 if none, 403 unless ``can_view_trainee``."""
    if trainee_id > LARGEST_ID:  # no such row can exist, and the database would refuse the number
        abort(404)
    trainee = db.get_or_404(Trainee, trainee_id)
    if not can_view_trainee(current_user, trainee):
        deny(trainee_refusal(current_user))
    return trainee


def get_certificate_or_404(number: str, *, manage: bool = False) -> Certificate:
    """The certificate with ``number`` (typed any way: ``certificates.numbers.normalise_number``): 404 if
    none; 403 unless ``can_download_certificate`` (with ``manage``: ``can_revoke_certificate``)."""
    try:
        number = normalise_number(number)
    except NotANumber:
        abort(404)
    certificate = db.one_or_404(select(Certificate).where(Certificate.number == number))
    allowed = can_revoke_certificate if manage else can_download_certificate
    if not allowed(current_user, certificate):
        if has_role(current_user, Role.TRAINEE):
            deny(_("This certificate is someone else's: you can download only your own."))
        deny(centre_refusal(current_user, certificate.cohort.centre, change=manage))
    return certificate


def get_call_wave_or_404(wave_id: int) -> OutcomeWave:
    """The outcome wave with ``wave_id`` for a call: 404 if none, 403 unless ``can_take_outcome_call``."""
    if wave_id > LARGEST_ID:  # no such row can exist, and the database would refuse the number
        abort(404)
    wave = db.get_or_404(OutcomeWave, wave_id)
    if not can_take_outcome_call(current_user, wave):
        deny(_("This graduate trained outside your area: %(reach)s.", reach=_your_reach(current_user)))
    return wave


def staff_centres(user: AnyUser) -> list[Centre]:
    """The centres a staff member works at, by code; every centre for admins."""
    stmt = select(Centre).order_by(Centre.code)
    if not is_admin(user):
        stmt = stmt.join(CentreMembership, CentreMembership.centre_id == Centre.id).where(
            CentreMembership.user_id == user.id
        )
    return list(db.session.scalars(stmt))


# The predicates templates ask (``{% if can.manage_cohort(cohort) %}``), for the signed-in reader;
# registered with the other template helpers (``templating.register``).
TEMPLATE_PREDICATES = {
    "manage_cohort": lambda cohort: can_manage_cohort(current_user, cohort),
    "message_cohort": lambda cohort: can_message_cohort(current_user, cohort),
    "enter_marks": lambda cohort: can_enter_marks(current_user, cohort),
    "override_completion": lambda enrollment: can_override_completion(current_user, enrollment),
    "view_trainee": lambda trainee: can_view_trainee(current_user, trainee),
    "correct_trainee": lambda trainee: can_correct_trainee(current_user, trainee),
    "administer": lambda: can_administer(current_user),
    "take_outcome_calls": lambda: CALLERS.admits(current_user),
    "set_exchange_rates": lambda: can_set_exchange_rates(current_user),
    "change_outcome_consent": lambda trainee: can_change_outcome_consent(current_user, trainee),
    "oversee": lambda: OVERSIGHT.admits(current_user),
    "oversee_cohort": lambda cohort: can_oversee_cohort(current_user, cohort),
    "mask_identity": lambda: masks_identity(current_user),
    "download_calendar": lambda enrollment: can_download_calendar(current_user, enrollment),
    "download_certificate": lambda certificate: can_download_certificate(current_user, certificate),
    "revoke_certificate": lambda certificate: can_revoke_certificate(current_user, certificate),
}
