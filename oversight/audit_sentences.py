"""The audit log as sentences in the reader's language: "Sana Iqbal approved Ayesha Khan's application to
PB-LHR-01-C02.", each name a link (the trainee's record, the cohort's oversight page, the centre's, the actor's
other events), where the page once showed ``enrollment.approve`` and ``trainee_id 2011``. The recorded
detail (before and after, reason) stays on the page behind a toggle.

``SENTENCES`` has one sentence for every action the code writes to the audit trail: whoever adds an action
(``audit.events.record(actor, "cohort.message", ...)``) adds its sentence here, and
``tests/test_audit_sentences.py`` fails, naming the action, until she does. A sentence names what it
needs with these placeholders, filled by ``describe``:

- ``%(actor)s`` who did it (``The system`` for timed work);
- ``%(account)s``, ``%(centre)s``, ``%(course)s``, ``%(cohort)s``, ``%(trainee)s``: the object, by kind;
  an enrollment gives ``%(trainee)s`` and ``%(cohort)s``, an API token ``%(token)s`` and ``%(owner)s``,
  an uploaded list ``%(file)s`` and ``%(centre)s``;
- ``%(before)s`` and ``%(after)s``: the value changed (a cohort's status or seats);
- ``%(format)s`` and ``%(rows)s``: a download's format and number of rows;
- ``%(certificate)s`` (and for a reissue ``%(replaced)s``, the number it replaced), with ``%(trainee)s`` and
  ``%(cohort)s``, for a certificate;
- ``%(version)s``: a merit list's version;
- ``%(rows)s``: how many marks a save of a cohort's marks changed;
- ``%(result)s``: a place's result (completed, or not completed with the reason) decided or overridden.
- ``%(how)s``: how an outcome answer came (her link, or by phone and by whom); ``%(month)s`` an exchange rate's.
"""

from collections.abc import Callable

from flask import url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from audit.models import AuditEvent
from oversight.queries import EventNames
from vocabulary import CohortStatus, EnrollmentStatus, NotCompletedReason

SENTENCES: dict[str, str] = {
    "account.create": _l("%(actor)s created the account of %(account)s."),
    "account.update": _l("%(actor)s changed the account of %(account)s."),
    "account.deactivate": _l("%(actor)s deactivated the account of %(account)s."),
    "account.reactivate": _l("%(actor)s reactivated the account of %(account)s."),
    "account.sign_up": _l("%(account)s signed up."),
    "account.password_change": _l("%(account)s changed their password."),
    "account.password_set": _l("%(actor)s set a new password for the account of %(account)s."),
    "account.sign_out_everywhere": _l("%(account)s signed out on every device."),
    "token.create": _l("%(actor)s created the API token “%(token)s” of %(owner)s."),
    "token.revoke": _l("%(actor)s revoked the API token “%(token)s” of %(owner)s."),
    "centre.create": _l("%(actor)s created the centre %(centre)s."),
    "centre.update": _l("%(actor)s changed the details of the centre %(centre)s."),
    "centre.deactivate": _l("%(actor)s deactivated the centre %(centre)s."),
    "centre.reactivate": _l("%(actor)s reactivated the centre %(centre)s."),
    "course.create": _l("%(actor)s added the course %(course)s to the catalogue."),
    "course.update": _l("%(actor)s changed the course %(course)s."),
    "cohort.create": _l("%(actor)s created the cohort %(cohort)s."),
    "cohort.update": _l("%(actor)s changed the details of the cohort %(cohort)s."),
    "cohort.status": _l("%(actor)s changed the status of the cohort %(cohort)s from %(before)s to %(after)s."),
    "cohort.seats": _l("%(actor)s changed the seats of the cohort %(cohort)s from %(before)s to %(after)s."),
    "cohort.cancel": _l("%(actor)s cancelled the cohort %(cohort)s."),
    "cohort.message": _l("%(actor)s sent a message to the trainees of the cohort %(cohort)s."),
    "cohort.attendance": _l("%(actor)s took the attendance of a class day of the cohort %(cohort)s."),
    "cohort.attendance_correct": _l("%(actor)s corrected the attendance of a class day of the cohort %(cohort)s."),
    "cohort.class_day_add": _l("%(actor)s added a class day to the cohort %(cohort)s."),
    "cohort.class_day_cancel": _l("%(actor)s cancelled a class day of the cohort %(cohort)s."),
    "cohort.marks": _l("%(actor)s entered %(rows)s assessment marks of the cohort %(cohort)s."),
    "trainee.create": _l("%(actor)s created the trainee record of %(trainee)s."),
    "trainee.update": _l("%(actor)s changed the trainee record of %(trainee)s."),
    "trainee.correct": _l("%(actor)s corrected the trainee record of %(trainee)s."),
    "trainee.lookup": _l("%(actor)s looked up the trainee record of %(trainee)s by CNIC."),
    "trainee.link_account": _l("%(actor)s linked their account to the trainee record of %(trainee)s."),
    "enrollment.apply": _l("%(trainee)s applied to %(cohort)s."),
    "enrollment.register": _l("%(actor)s registered %(trainee)s for %(cohort)s."),
    "enrollment.approve": _l("%(actor)s approved %(trainee)s's application to %(cohort)s."),
    "enrollment.reject": _l("%(actor)s rejected %(trainee)s's application to %(cohort)s."),
    "enrollment.promote": _l("%(trainee)s got a seat in %(cohort)s from the waitlist, after a change by %(actor)s."),
    "enrollment.withdrawn": _l("%(actor)s withdrew %(trainee)s's place or application in %(cohort)s."),
    "enrollment.dropped": _l("%(actor)s dropped %(trainee)s from %(cohort)s."),
    "enrollment.complete": _l("%(actor)s marked that %(trainee)s completed %(cohort)s."),
    "enrollment.finish_completed": _l(
        "%(trainee)s completed %(cohort)s by the rule (attendance and mark) when %(actor)s finished the cohort."
    ),
    "enrollment.finish_not_completed": _l(
        "%(trainee)s did not complete %(cohort)s by the rule (%(result)s) when %(actor)s finished the cohort."
    ),
    "enrollment.override": _l("%(actor)s overrode the result of %(trainee)s in %(cohort)s: now %(result)s."),
    "enrollment.cancel": _l("%(trainee)s's place in %(cohort)s ended: %(actor)s cancelled the cohort."),
    "account.confirm": _l("%(account)s confirmed their mobile number with the code sent by SMS."),
    "cohort.release": _l("%(actor)s released the unfilled reserved seats of the cohort %(cohort)s."),
    "cohort.reserves": _l("%(actor)s changed the reserved seats of the cohort %(cohort)s."),
    "enrollment.accept": _l("%(actor)s accepted %(trainee)s's offer of a seat in %(cohort)s."),
    "enrollment.decline": _l("%(actor)s declined %(trainee)s's offer of a seat in %(cohort)s."),
    "enrollment.expire": _l("%(trainee)s's offer of a seat in %(cohort)s expired."),
    "enrollment.offer": _l("%(trainee)s was offered a seat in %(cohort)s, after a change by %(actor)s."),
    "enrollment.score": _l("%(actor)s entered the test and interview scores of %(trainee)s in %(cohort)s."),
    "enrollment.wait": _l("%(actor)s put %(trainee)s on the waitlist of %(cohort)s, by the merit list."),
    "merit_list.publish": _l("%(actor)s published the merit list of the cohort %(cohort)s (version %(version)s)."),
    "merit_list.correct": _l("%(actor)s corrected the merit list of the cohort %(cohort)s (version %(version)s)."),
    "import.confirm": _l("%(actor)s imported the list “%(file)s” at %(centre)s."),
    "export.capacity": _l("%(actor)s downloaded the capacity report (%(format)s; rows: %(rows)s)."),
    "export.completion": _l("%(actor)s downloaded the completion report (%(format)s; rows: %(rows)s)."),
    "export.cohorts": _l("%(actor)s downloaded the cohorts of %(centre)s (%(format)s; rows: %(rows)s)."),
    "export.roster": _l("%(actor)s downloaded the roster of %(cohort)s (%(format)s; rows: %(rows)s)."),
    "export.trainees": _l("%(actor)s downloaded the list of trainees (%(format)s; rows: %(rows)s)."),
    "export.audit_log": _l("%(actor)s downloaded the audit log (%(format)s; rows: %(rows)s)."),
    "export.certificates": _l("%(actor)s downloaded the certificates of %(cohort)s (%(format)s; rows: %(rows)s)."),
    "certificate.issue": _l("%(actor)s issued the certificate %(certificate)s to %(trainee)s for %(cohort)s."),
    "certificate.revoke": _l("%(actor)s revoked the certificate %(certificate)s of %(trainee)s."),
    "certificate.reissue": _l("%(actor)s reissued the certificate %(replaced)s of %(trainee)s as %(certificate)s."),
    "export.mark_sheet": _l(
        "%(actor)s downloaded the mark sheet of the cohort %(cohort)s (%(format)s; rows: %(rows)s)."
    ),
    "outcome_answer.create": _l("A graduate of %(centre)s answered her follow-up %(how)s."),
    "outcome_answer.correct": _l("A graduate of %(centre)s corrected her follow-up answer %(how)s."),
    "trainee.outcome_consent": _l("Follow-up messages to %(trainee)s were turned %(after)s (%(actor)s)."),
    "exchange_rate.set": _l("%(actor)s set the exchange rate of %(month)s: %(after)s rupees for one US dollar."),
    "export.score_sheet": _l(
        "%(actor)s downloaded the score sheet of the cohort %(cohort)s (%(format)s; rows: %(rows)s)."
    ),
    "outbox.retry": _l("%(actor)s queued the failed message %(message)s again."),
    "outbox.discard": _l("%(actor)s discarded the failed message %(message)s."),
}
# An action recorded before its sentence was written (an old event whose action was renamed since).
UNKNOWN_ACTION = _l("%(actor)s: “%(action)s” on %(object)s.")


def linked(text: str, url: str | None) -> Markup:
    """``text`` isolated from the sentence's direction (a Latin name or a code inside Urdu, an Urdu name
    inside English) and, with ``url``, a link."""
    name = Markup("<bdi>{}</bdi>").format(text)
    return Markup('<a href="{}">{}</a>').format(url, name) if url else name


def account_name(names: EventNames, account_id: int | None) -> Markup:
    """An account by its owner's name (else its email), linked to the audit log of what it did."""
    if account_id is None:
        return Markup(escape(_("The system")))
    account = names.accounts.get(account_id)
    if account is None:
        return linked(_("account #%(number)s", number=account_id), None)
    email = getattr(account, "email", None)
    label = account.full_name or email or _("account #%(number)s", number=account_id)
    return linked(label, url_for("oversight.audit_log_page", actor=email) if email else None)


def cohort_name(code: str | None, number: int | None) -> Markup:
    if code is None:
        return linked(_("cohort #%(number)s", number=number), None)
    return linked(code, url_for("oversight.cohort", code=code))


def trainee_name(name: str | None, number: int | None) -> Markup:
    """A trainee by name (``trainee #31`` when the page's lookup did not find her), linked to her record."""
    label = name if name is not None else _("trainee #%(number)s", number=number)
    return linked(label, url_for("enrollments.trainee_detail", trainee_id=number) if number is not None else None)


def certificate_number(number: str | None) -> Markup:
    """A certificate by its number, linked to its public verification page."""
    if not number:
        return Markup("–")
    return linked(number, url_for("certificates.verify", number=number))


def centre_name(names: EventNames, centre_id: int | None) -> Markup:
    centre = names.centres.get(centre_id)
    if centre is None:
        return linked(_("centre #%(number)s", number=centre_id), None) if centre_id else Markup("–")
    return linked(centre.name, url_for("oversight.centre", code=centre.code))


def status_label(value) -> str:
    try:
        return str(CohortStatus(value).label)
    except ValueError:
        return str(value)


def result_label(after: dict) -> str:
    """A decided place's result as a sentence reads it: "completed", or "not completed" with its reason."""
    try:
        status = EnrollmentStatus(after.get("status"))
    except ValueError:
        return str(after.get("status"))
    if status is EnrollmentStatus.NOT_COMPLETED and after.get("reason") in set(NotCompletedReason):
        return f"{str(status.label).lower()}: {str(NotCompletedReason(after['reason']).label).lower()}"
    return str(status.label).lower()


def values_of(event: AuditEvent, names: EventNames) -> dict[str, Markup | str]:
    """The placeholders of ``event``'s sentence, each a name (linked where there is a page for it)."""
    number = event.object_id
    kind = event.object_type
    after = event.after if isinstance(event.after, dict) else {}
    before = event.before if isinstance(event.before, dict) else {}
    values: dict[str, Markup | str] = {"actor": account_name(names, event.actor_id)}
    if kind == "user_account":
        values["account"] = account_name(names, number)
    elif kind == "api_token":
        token_name, owner = names.tokens.get(number, (after.get("prefix", ""), after.get("user_id")))
        values |= {"token": linked(token_name or after.get("prefix", ""), None), "owner": account_name(names, owner)}
    elif kind == "centre":
        values["centre"] = centre_name(names, number)
    elif kind == "course":
        code, title = names.courses.get(number, (None, None))
        course = f"{title} ({code})" if code else _("course #%(number)s", number=number)
        values["course"] = linked(course, url_for("courses.course_detail", code=code) if code else None)
    elif kind == "cohort":
        values["cohort"] = cohort_name(names.cohorts.get(number), number)
    elif kind == "trainee":
        values["trainee"] = trainee_name(names.trainees.get(number), number)
    elif kind == "enrollment":
        trainee_id, name, code = names.enrollments.get(number, (after.get("trainee_id"), None, after.get("cohort")))
        values |= {"trainee": trainee_name(name, trainee_id), "cohort": cohort_name(code, None)}
    elif kind == "certificate":
        # The certificate's number and name as recorded (a reissue keeps the number it replaced in ``before``).
        values |= {
            "certificate": certificate_number(after.get("number")),
            "trainee": trainee_name(after.get("full_name"), after.get("trainee_id")),
            "cohort": cohort_name(after.get("cohort"), None),
            "replaced": certificate_number(before.get("number")),
        }
    elif kind == "outbox_message":
        values["message"] = linked(_("#%(number)s (%(kind)s)", number=number, kind=after.get("kind", "")), None)
    elif kind == "import_batch":
        values["file"] = linked(names.imports.get(number) or after.get("filename", ""), None)
    values.setdefault("centre", centre_name(names, event.centre_id))
    if event.action == "cohort.status":
        values |= {"before": status_label(before.get("status")), "after": status_label(after.get("status"))}
    elif event.action == "cohort.seats":
        values |= {"before": format_number(before.get("seats", 0)), "after": format_number(after.get("seats", 0))}
    elif event.action == "cohort.marks":
        values["rows"] = format_number(after.get("count") or 0)
    elif event.action in ("enrollment.finish_completed", "enrollment.finish_not_completed", "enrollment.override"):
        values["result"] = result_label(after)
    elif event.action.startswith("merit_list."):
        values["version"] = format_number(after.get("version") or 0)
    elif event.action.startswith("outcome_answer."):
        # A web answer comes from her link (no account); a phone answer names who took it.
        values["how"] = (
            _("by her link") if event.actor_id is None else _("by phone, taken by %(actor)s", actor=values["actor"])
        )
    elif event.action == "trainee.outcome_consent":
        values["after"] = _("on") if after.get("outcome_consent") else _("off")
        if event.actor_id is None:
            values["actor"] = _("by her opt-out link")
    elif event.action == "exchange_rate.set":
        values |= {"month": str(after.get("month", ""))[:7], "after": str(after.get("usd_pkr", ""))}
    if event.action.startswith("export."):
        values |= {"format": str(after.get("format", "")).upper(), "rows": format_number(after.get("rows") or 0)}
    return values


def describe(event: AuditEvent, names: EventNames) -> Markup:
    """``event`` as a sentence of the reader's language, its names escaped and linked (``SENTENCES``)."""
    values = values_of(event, names)
    template = SENTENCES.get(event.action)
    if template is None:
        values |= {"action": event.action, "object": f"{event.object_type} #{event.object_id}"}
        template = UNKNOWN_ACTION
    # The translated sentence is text (escaped); the names put into it are already safe markup.
    return Markup(escape(str(template))) % values


def describer(names: EventNames) -> Callable[[AuditEvent], Markup]:
    """``describe`` for one page of events (its names looked up once): what the template calls."""
    return lambda event: describe(event, names)
