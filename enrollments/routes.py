"""Trainee records, applications, withdrawals and the cohort roster with staff decisions.

Views are thin: load (404) → authorize (403) → validate the form → call one of ``enrollments.services``
→ commit → flash and redirect. The rules, and the words of every refusal, are the services'; a refusal
is shown on the page (next to its field when it names one), the session is rolled back and nothing is
written.
"""

from dataclasses import dataclass

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from auth.permissions import (
    SIGNED_IN,
    STAFF,
    STAFF_AND_OVERSEERS,
    TRAINEES,
    allow,
    can_correct_trainee,
    can_download_calendar,
    get_cohort_or_404,
    get_enrollment_or_404,
    get_trainee_or_404,
    is_own_enrollment,
)
from courses.calendar import calendar_file_name, enrollment_calendar
from courses.catalogue import PUBLIC_STATUSES, contains_text
from courses.models import Cohort
from enrollments import bp, services
from enrollments.forms import BulkForm, ConfirmForm, CorrectTraineeForm, ReasonForm, SeatsForm, WithdrawForm
from enrollments.identity import DECIMAL_DIGITS, InvalidInput, normalise_phone, without_separators
from enrollments.imports.columns import listed
from enrollments.models import Enrollment, Trainee
from enrollments.trainees import correct_trainee as correct_trainee_record
from extensions import db
from language import deadline
from listing import page_args, text_arg
from refusals import Refusal
from submitting import acting_user, form_status, run
from vocabulary import EnrollmentStatus

S = EnrollmentStatus


@dataclass(frozen=True)
class RosterTab:
    """One tab of the roster: its label, the statuses it shows, and the cohort counter that says how many
    places it holds (None: no counter is kept; the database is asked)."""

    label: str
    statuses: tuple[EnrollmentStatus, ...]
    counter: str | None = None


# The roster's tabs, in the order shown; with no tab asked for, the roster opens on the first with people
# in it (``first_tab_with_people``). "others" are places that have ended.
ROSTER_TABS = {
    "enrolled": RosterTab(_l("Enrolled"), (S.ENROLLED,), "enrolled_count"),
    "offered": RosterTab(_l("Offered"), (S.OFFERED,), "offered_count"),
    "waitlist": RosterTab(_l("Waitlist"), (S.WAITLISTED,), "waitlisted_count"),
    "pending": RosterTab(_l("Waiting for review"), (S.PENDING,), "pending_count"),
    # The results decided when the cohort finished (and any override of them).
    "results": RosterTab(_l("Results"), (S.COMPLETED, S.NOT_COMPLETED)),
    "others": RosterTab(_l("Others"), (S.REJECTED, S.DECLINED, S.WITHDRAWN, S.DROPPED, S.CANCELLED)),
}
TAB_OF_STATUS = {status: key for key, tab in ROSTER_TABS.items() if key != "others" for status in tab.statuses}
# The shortest run of digits a roster search reads as part of a CNIC or a phone number, not of a name.
SEARCH_DIGITS = 4


# Helpers of the pages ------------------------------------------------------------------------------


def standing(enrollment: Enrollment) -> str:
    """Where the trainee stands, in her words (read before the commit: the position is a query)."""
    cohort = enrollment.cohort
    names = {"course": cohort.course.title, "code": cohort.code}
    if enrollment.status is S.ENROLLED:
        return _("You have a place in %(course)s (%(code)s).", **names)
    if enrollment.status is S.WAITLISTED:
        return _(
            "You are number %(position)s on the waitlist for %(course)s (%(code)s).",
            position=format_number(services.waitlist_position(enrollment)),
            **names,
        )
    if enrollment.status is S.PENDING:
        return _("Your application is waiting for review by %(centre)s.", centre=cohort.centre.name)
    if enrollment.status is S.OFFERED:
        return _(
            "A seat in %(course)s (%(code)s) is offered to you until %(until)s.",
            until=deadline(enrollment.offer_expires_at),
            **names,
        )
    return _(
        "Your application for %(course)s (%(code)s) is %(status)s.", status=enrollment.status.label.lower(), **names
    )


def roster_url(enrollment: Enrollment, tab: str) -> str:
    return url_for("enrollments.roster", code=enrollment.cohort.code, tab=tab)


def search_condition(text: str) -> ColumnElement[bool] | None:
    """Which trainees a roster search for ``text`` finds: those whose name holds it, in any case; and when
    it is mostly digits (at least ``SEARCH_DIGITS``), those whose CNIC or mobile number holds them however
    they were typed (``35202-1234567``, ``0300 1234567``, digits of any script). None: no search."""
    if not (text := text.strip()):
        return None
    digits = without_separators(text.translate(DECIMAL_DIGITS)).lstrip("+")
    if len(digits) < SEARCH_DIGITS or not digits.isascii() or not digits.isdigit():
        return contains_text(text, Trainee.full_name)
    try:
        phone = Trainee.phone == normalise_phone(text)
    except InvalidInput:  # part of a number: the digits after the trunk 0 (or the country code 92)
        national = digits[2:] if digits.startswith("92") and len(digits) > 10 else digits.lstrip("0")
        phone = Trainee.phone.contains(national, autoescape=True)
    return or_(contains_text(text, Trainee.full_name), Trainee.cnic.contains(digits, autoescape=True), phone)


def roster_select(cohort: Cohort, tab: str, search: ColumnElement[bool] | None = None):
    """The places of ``cohort`` shown on ``tab`` (those whose trainee ``search`` finds, if given), with
    their trainees: the waitlist and the review queue in the waitlist's order (``line_order``), the
    enrolled by name, ended places latest first."""
    stmt = (
        select(Enrollment)
        .join(Enrollment.trainee)
        .options(contains_eager(Enrollment.trainee))
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(ROSTER_TABS[tab].statuses))
    )
    if search is not None:
        stmt = stmt.where(search)
    if tab == "enrolled":
        return stmt.order_by(Trainee.full_name, Enrollment.id)
    if tab == "others":
        return stmt.order_by(Enrollment.updated_at.desc(), Enrollment.id.desc())
    if tab == "offered":  # the soonest deadline first
        return stmt.order_by(Enrollment.offer_expires_at, Enrollment.id)
    return stmt.order_by(*services.line_order(cohort))


def tab_counts(cohort: Cohort, search: ColumnElement[bool] | None = None) -> dict[str, int]:
    """How many places each roster tab holds (a tab left out was not counted). Without ``search``, from the
    cohort's counters; the tabs that have none are counted only when every counted tab is empty (to choose
    the tab the roster opens on). With ``search``, how many places of each tab it finds. One grouped count
    at most."""
    if search is None:
        counts = {key: getattr(cohort, tab.counter) for key, tab in ROSTER_TABS.items() if tab.counter}
        if any(counts.values()):
            return counts
    stmt = (
        select(Enrollment.status, func.count())
        .select_from(Enrollment)
        .where(Enrollment.cohort_id == cohort.id)
        .group_by(Enrollment.status)
    )
    if search is not None:
        stmt = stmt.join(Enrollment.trainee).where(search)
    by_status = dict(db.session.execute(stmt).all())
    return {key: sum(by_status.get(status, 0) for status in tab.statuses) for key, tab in ROSTER_TABS.items()}


def first_tab_with_people(counts: dict[str, int]) -> str:
    """The tab a roster opens on when none is asked for: the first (in ``ROSTER_TABS``' order) with anyone
    in it, so that waiting applications are never hidden behind an empty tab; the first tab when all are
    empty."""
    return next((key for key in ROSTER_TABS if counts.get(key)), next(iter(ROSTER_TABS)))


def most_promoted(cohort: Cohort, seats: int) -> int:
    """How many waitlisted trainees ``seats`` seats would promote at most (``services.change_seats``
    skips anyone who has since taken a clashing place, so it may be fewer)."""
    return min(max(seats - cohort.enrolled_count, 0), cohort.waitlisted_count)


# Trainee records -----------------------------------------------------------------------------------


@bp.get("/trainees/<int:trainee_id>")
@allow(STAFF_AND_OVERSEERS)
def trainee_detail(trainee_id: int):
    trainee = get_trainee_or_404(trainee_id)
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.trainee_id == trainee.id)
        .options(
            selectinload(Enrollment.cohort).selectinload(Cohort.centre),
            selectinload(Enrollment.cohort).selectinload(Cohort.course),
        )
        .order_by(Enrollment.applied_at.desc())
    ).all()
    return render_template("enrollments/trainee_detail.html", trainee=trainee, enrollments=enrollments)


@bp.route("/trainees/<int:trainee_id>/correct", methods=["GET", "POST"])
@allow(STAFF)
def correct_trainee(trainee_id: int):
    """Correct her gender or area, with a reason (``enrollments.trainees.correct_trainee``)."""
    trainee = get_trainee_or_404(trainee_id)
    if not can_correct_trainee(current_user, trainee):
        abort(403)
    form = CorrectTraineeForm(data={"gender": trainee.gender.value, "area": trainee.area.value})
    if form.validate_on_submit() and run(form, lambda: corrected(trainee, form)):
        flash(_("%(name)s's record is corrected; her cohorts' figures follow.", name=trainee.full_name), "success")
        return redirect(url_for("enrollments.trainee_detail", trainee_id=trainee.id))
    return render_template("enrollments/correct_trainee.html", trainee=trainee, form=form), form_status(form)


def corrected(trainee: Trainee, form: CorrectTraineeForm) -> Trainee:
    return correct_trainee_record(
        trainee, actor=acting_user(), reason=form.reason.data or "", gender=form.gender.data, area=form.area.data
    )


# Trainees: applying and withdrawing ----------------------------------------------------------------


@bp.post("/cohorts/<code>/apply")
@allow(TRAINEES)
def apply(code: str):
    cohort = db.one_or_404(select(Cohort).where(Cohort.code == code, Cohort.status.in_(PUBLIC_STATUSES)))
    trainee = current_user.trainee
    if trainee is None:  # a trainee account whose record was removed by an admin
        abort(404)
    told = run(None, lambda: applied(services.apply(trainee, cohort, actor=acting_user())))
    if told is None:  # refused: the reason is flashed on the cohort's page
        return redirect(url_for("courses.cohort_detail", code=code))
    flash(*told)
    return redirect(url_for("auth.profile"))


def applied(placement: services.Placement) -> tuple[str, str]:
    """What she is told of her application, and how (a flash's message and category)."""
    message = standing(placement.enrollment)
    if placement.created:
        return message, "success"
    # The same form sent twice (a double tap, a reload): her place stands.
    return _("You applied already: %(standing)s", standing=message[0].lower() + message[1:]), "info"


@bp.route("/<int:enrollment_id>/withdraw", methods=["GET", "POST"])
@allow(SIGNED_IN)
def withdraw(enrollment_id: int):
    enrollment = get_enrollment_or_404(enrollment_id, own_allowed=True)
    own, tab = is_own_enrollment(current_user, enrollment), TAB_OF_STATUS.get(enrollment.status, "others")
    back = url_for("auth.profile") if own else roster_url(enrollment, tab)
    form = WithdrawForm()
    if form.validate_on_submit() and (message := run(form, lambda: withdrawn(enrollment, form.reason.data, own=own))):
        flash(message, "success")
        return redirect(back)
    page = render_template("enrollments/withdraw.html", form=form, enrollment=enrollment, own=own)
    return page, form_status(form, refusal_status=True)


@bp.get("/<int:enrollment_id>/calendar.ics")
@allow(TRAINEES)
def calendar(enrollment_id: int):
    """Her cohort's class days as a file her phone's calendar imports (``courses.calendar``): for a place she
    holds or waits for (``can_download_calendar``); 404 for one that has ended."""
    enrollment = get_enrollment_or_404(enrollment_id, own_allowed=True)
    if not can_download_calendar(current_user, enrollment):
        abort(404)
    return Response(
        enrollment_calendar(enrollment),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{calendar_file_name(enrollment.cohort)}"'},
    )


def withdrawn(enrollment: Enrollment, reason: str | None, *, own: bool) -> str:
    """Withdraw ``enrollment`` (``services.withdraw``); what she (``own``) or staff are told."""
    services.withdraw(enrollment, actor=acting_user(), reason=reason or "")
    cohort = enrollment.cohort
    if own:
        return _("You have withdrawn from %(course)s.", course=cohort.course.title)
    return _("%(name)s is withdrawn from %(code)s.", name=enrollment.trainee.full_name, code=cohort.code)


# Staff: the roster and decisions -------------------------------------------------------------------


@bp.get("/cohorts/<code>/roster")
@allow(STAFF)
def roster(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    query = text_arg("q")
    search = search_condition(query)
    counts = tab_counts(cohort, search)
    tab = request.args.get("tab", "")
    if tab not in ROSTER_TABS:
        tab = first_tab_with_people(counts)
    page, per_page = page_args()
    places = db.paginate(roster_select(cohort, tab, search), page=page, per_page=per_page, error_out=False)
    return render_template(
        "enrollments/roster.html",
        cohort=cohort,
        tab=tab,
        tabs=ROSTER_TABS,
        counts=counts,
        query=query,
        places=places,
        bulk_actions=bulk_actions_of(cohort, tab),
        select_all=request.args.get("select") == "all",
        waitlist_position=services.waitlist_position,
    )


def decide(enrollment_id: int, action: str, form, call, outcome, tab: str | None = None):
    """A staff decision on one enrollment, behind its confirmation page: load it (403 unless the user
    manages its cohort), run ``call(enrollment, form)`` — one service, returning the enrollment — on a
    valid POST, commit once, flash ``outcome(enrollment)`` and go back to the roster tab it was on (or
    ``tab``). A refusal shows its message on the page and writes nothing."""
    enrollment = get_enrollment_or_404(enrollment_id)
    tab = tab or TAB_OF_STATUS.get(enrollment.status, "others")
    if form.validate_on_submit() and (message := run(form, lambda: outcome(call(enrollment, form)))):
        flash(message, "success")
        return redirect(roster_url(enrollment, tab))
    page = render_template("enrollments/decide.html", enrollment=enrollment, action=action, form=form)
    return page, form_status(form, refusal_status=True)


def approved(enrollment: Enrollment) -> str:
    name, position = enrollment.trainee.full_name, services.waitlist_position(enrollment)
    return (
        _(
            "No seat was free: %(name)s is number %(position)s on the waitlist.",
            name=name,
            position=format_number(position),
        )
        if position
        else _("Approved: %(name)s has a place.", name=name)
    )


@bp.route("/<int:enrollment_id>/approve", methods=["GET", "POST"])
@allow(STAFF)
def approve(enrollment_id: int):
    return decide(
        enrollment_id, "approve", ConfirmForm(), lambda e, form: services.approve(e, actor=acting_user()), approved
    )


@bp.route("/<int:enrollment_id>/reject", methods=["GET", "POST"])
@allow(STAFF)
def reject(enrollment_id: int):
    return decide(
        enrollment_id,
        "reject",
        ReasonForm(),
        lambda e, form: services.reject(e, actor=acting_user(), reason=form.reason.data or ""),
        lambda e: _("%(name)s's application is rejected; they are told your reason.", name=e.trainee.full_name),
    )


@bp.route("/<int:enrollment_id>/drop", methods=["GET", "POST"])
@allow(STAFF)
def drop(enrollment_id: int):
    return decide(
        enrollment_id,
        "drop",
        ReasonForm(),
        lambda e, form: services.drop(e, actor=acting_user(), reason=form.reason.data or ""),
        lambda e: _("%(name)s is dropped; they are told your reason.", name=e.trainee.full_name),
        tab="enrolled",
    )


def overridden(enrollment: Enrollment) -> str:
    name = enrollment.trainee.full_name
    if enrollment.status is S.COMPLETED:
        return _("%(name)s's result is now completed; her certificate is issued.", name=name)
    return _("%(name)s's result is now not completed; any certificate of hers is revoked.", name=name)


@bp.route("/<int:enrollment_id>/override", methods=["GET", "POST"])
@allow(STAFF)
def override(enrollment_id: int):
    """Override the rule's decision on one place of a finished cohort, with a written reason
    (``services.override``)."""
    return decide(
        enrollment_id,
        "override",
        ReasonForm(),
        lambda e, form: services.override(e, actor=acting_user(), reason=form.reason.data or ""),
        overridden,
        tab="others",
    )


def bulk_actions_of(cohort: Cohort, tab: str) -> list[services.BulkAction]:
    """The decisions the roster's ``tab`` offers on many places at once (``services.bulk_actions``)."""
    statuses = ROSTER_TABS[tab].statuses
    return services.bulk_actions(cohort, statuses[0]) if len(statuses) == 1 else []


@bp.post("/cohorts/<code>/bulk")
@allow(STAFF)
def bulk_decision(code: str):
    """The roster's bulk decision: the choice sent from the roster shows a confirmation page listing who;
    confirmed, one service call decides them all (``services.decide_many``) and the roster says who was
    decided and who was not, and why."""
    cohort = get_cohort_or_404(code, manage=True)
    form = BulkForm()
    action = services.BULK_ACTIONS.get(form.action.data or "")
    if action is None:  # only a hand-made request names no decision the roster offers
        abort(400)
    back = url_for("enrollments.roster", code=code, tab=TAB_OF_STATUS[action.status])
    if form.validate_on_submit():
        if not form.confirmed.data:
            if (places := run(None, lambda: services.chosen_places(cohort, form.selected.data))) is None:
                return redirect(back)  # nobody chosen: the roster says so
            page = render_template("enrollments/bulk.html", cohort=cohort, action=action, form=form, places=places)
            return page
        told = run(form, lambda: bulk_decided(cohort, action, form), field="selected")
        if told is not None:
            for message in told:
                flash(*message)
            return redirect(back)
    try:
        places = services.chosen_places(cohort, form.selected.data or [])
    except Refusal:
        places = []
    page = render_template("enrollments/bulk.html", cohort=cohort, action=action, form=form, places=places)
    return page, form_status(form, refusal_status=True)


def bulk_decided(cohort: Cohort, action: services.BulkAction, form: BulkForm) -> list[tuple[str, str]]:
    """Take ``action`` on the places chosen on ``form`` (``services.decide_many``): what staff are told,
    as flashes (message, category): who was decided, and each refusal with the person's name."""
    outcome = services.decide_many(
        cohort, form.selected.data, action, actor=acting_user(), reason=form.reason.data or ""
    )
    told = []
    if outcome.done:
        names = listed(place.trainee.full_name for place in outcome.done)
        count = len(outcome.done)
        if action.key == "approve":
            text = ngettext(
                "%(num)s application approved: %(names)s.",
                "%(num)s applications approved: %(names)s.",
                count,
                names=names,
            )
            if waiting := [place.trainee.full_name for place in outcome.done if place.status is S.WAITLISTED]:
                text += " " + _(
                    "No seat was free for %(names)s: they are on the waitlist, in order of application.",
                    names=listed(waiting),
                )
        elif action.key == "reject":
            text = ngettext(
                "%(num)s application rejected: %(names)s. They are told your reason.",
                "%(num)s applications rejected: %(names)s. They are told your reason.",
                count,
                names=names,
            )
        else:  # remove
            text = ngettext(
                "%(num)s person taken off the waitlist: %(names)s.",
                "%(num)s people taken off the waitlist: %(names)s.",
                count,
                names=names,
            )
        told.append((text, "success"))
    for place, reason in outcome.refused:
        told.append(
            (_("Nothing changed for %(name)s: %(reason)s", name=place.trainee.full_name, reason=reason), "error")
        )
    return told


@bp.route("/cohorts/<code>/seats", methods=["GET", "POST"])
@allow(STAFF)
def change_seats(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form, preview = SeatsForm(), None
    if form.validate_on_submit():
        if form.preview.data:  # "what would change?": the same rule is applied, nothing is written
            preview = run(form, lambda: most_promoted(cohort, services.check_seats(cohort, form.seats.data)))
        elif message := run(form, lambda: seats_changed(cohort, form.seats.data)):
            flash(message, "success")
            return redirect(url_for("enrollments.roster", code=code))
    page = render_template("enrollments/seats.html", cohort=cohort, form=form, preview=preview)
    return page, form_status(form, refusal_status=True)


def seats_changed(cohort: Cohort, seats: int) -> str:
    """Give ``cohort`` ``seats`` seats (``services.change_seats``); what staff are told of it."""
    promoted = services.change_seats(cohort, seats, actor=acting_user())
    names = ", ".join(enrollment.trainee.full_name for enrollment in promoted)
    figures = {"code": cohort.code, "seats": format_number(seats)}
    if names:
        return _("%(code)s has %(seats)s seats. Promoted from the waitlist: %(names)s.", names=names, **figures)
    return _("%(code)s has %(seats)s seats. Nobody was promoted from the waitlist.", **figures)


@bp.route("/cohorts/<code>/cancel", methods=["GET", "POST"])
@allow(STAFF)
def cancel_cohort(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = ReasonForm()
    if form.validate_on_submit() and (message := run(form, lambda: cancelled(cohort, form.reason.data))):
        flash(message, "success")
        return redirect(url_for("enrollments.roster", code=code, tab="others"))
    page = render_template("enrollments/cancel_cohort.html", cohort=cohort, form=form)
    return page, form_status(form, refusal_status=True)


def cancelled(cohort: Cohort, reason: str | None) -> str:
    """Cancel ``cohort`` and every place in it (``services.cancel_cohort``); what staff are told of it."""
    places = services.cancel_cohort(cohort, actor=acting_user(), reason=reason or "")
    return _(
        "%(code)s is cancelled. %(cancelled)s places were cancelled; each trainee is told your reason.",
        code=cohort.code,
        cancelled=format_number(places),
    )
