"""Messages from a centre to the people of one cohort (the enrolled, the waitlist, those waiting for
review): written by staff, queued in the outbox for each trainee on every channel they have (SMS, and email
when they gave one), with an opening line in the trainee's own language, and kept in the audit trail
(``cohort.message``)."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_message_cohort
from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from enrollments.services.rules import NotAllowed
from extensions import db
from language import message_language
from notifications.outbox import Message, outbox_rows, queue_many
from notifications.segments import count_segments
from refusals import Refusal
from vocabulary import EnrollmentStatus

S = EnrollmentStatus
# Who a message can go to: the places of the cohort in these statuses.
AUDIENCES = {
    "enrolled": (_l("Everyone enrolled"), (S.ENROLLED,)),
    "waitlist": (_l("Everyone on the waitlist"), (S.WAITLISTED,)),
    "pending": (_l("Everyone waiting for review"), (S.PENDING,)),
}
# Three SMS parts in Urdu (67 characters each once split), a little more in English: a message that says
# one thing, as an SMS should.
MAX_MESSAGE_LENGTH = 200
MAX_SUBJECT_LENGTH = 100


@dataclass(frozen=True)
class Announcement:
    """What a message to a cohort's people would do (``preview_message``) or did (``message_cohort``):
    how many people it reaches and how many messages that makes (an SMS each, and an email for those who
    gave an address), and the text as the reader of the page would receive it."""

    recipients: int
    messages: int
    subject: str
    body: str
    # Before sending (``preview_message``): the SMS among the messages, the segments they make together
    # (each trainee's text in her own language: Urdu goes as Unicode, 70 characters a segment or 67 once
    # split), and what that costs at ``MARKAZ_SMS_COST_PER_SEGMENT`` (0: no estimate).
    segments: int = 0
    cost: float = 0.0
    unicode: bool = False


def recipients_select(cohort: Cohort, audience: str):
    """The places of ``cohort`` in ``audience`` with their trainees, in order of application."""
    return (
        select(Enrollment, Trainee)
        .join(Trainee, Enrollment.trainee_id == Trainee.id)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(AUDIENCES[audience][1]))
        .order_by(Enrollment.applied_at, Enrollment.id)
    )


def checked_text(audience: str, subject: str, body: str) -> tuple[str, str]:
    """``subject`` and ``body`` stripped, or a refusal naming the field: an audience that is not one of
    ``AUDIENCES``, no message, one longer than ``MAX_MESSAGE_LENGTH`` (or a subject longer than
    ``MAX_SUBJECT_LENGTH``)."""
    if audience not in AUDIENCES:
        raise Refusal(_("Choose who the message is for."), "audience")
    subject, body = (subject or "").strip(), (body or "").strip()
    if not body:
        raise Refusal(_("Write the message."), "body")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise Refusal(
            _(
                "The message has %(length)s characters; at most %(most)s fit in a few SMS.",
                length=format_number(len(body)),
                most=format_number(MAX_MESSAGE_LENGTH),
            ),
            "body",
        )
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise Refusal(
            _("The subject can have at most %(most)s characters.", most=format_number(MAX_SUBJECT_LENGTH)),
            "subject",
        )
    return subject, body


def written_for(trainee: Trainee, cohort: Cohort, subject: str, body: str) -> tuple[str, str]:
    """The subject and body as ``trainee`` receives them: an opening line naming the centre and the
    course in their language, then the staff's own words as written."""
    with message_language(trainee.language):
        return written(cohort, subject, body)


def written(cohort: Cohort, subject: str, body: str) -> tuple[str, str]:
    """The subject and body in the current language (``written_for`` chooses it)."""
    opening = _(
        "%(centre)s, about %(course)s (%(code)s):",
        centre=cohort.centre.name,
        course=cohort.course.title,
        code=cohort.code,
    )
    return _("Markaz: %(subject)s", subject=subject or _("a message from your centre")), f"{opening}\n{body}"


def require_messenger(actor: UserAccount, cohort: Cohort) -> None:
    if not can_message_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can message its trainees."))


def preview_message(cohort: Cohort, audience: str, subject: str, body: str, *, actor: UserAccount) -> Announcement:
    """What ``message_cohort`` would send, read without writing anything: the people and messages it
    would count, and the text in the reader's language. Refused as ``message_cohort`` is (but for an
    audience with nobody in it: the count says so)."""
    require_messenger(actor, cohort)
    subject, body = checked_text(audience, subject, body)
    statuses = AUDIENCES[audience][1]
    where = (Enrollment.cohort_id == cohort.id, Enrollment.status.in_(statuses))
    people, emails = db.session.execute(
        select(func.count(Enrollment.id), func.count(Trainee.email))
        .select_from(Enrollment)
        .join(Trainee, Enrollment.trainee_id == Trainee.id)
        .where(*where)
    ).one()
    shown_subject, shown_body = written(cohort, subject, body)
    by_language = db.session.execute(
        select(Trainee.language, func.count(Enrollment.id))
        .select_from(Enrollment)
        .join(Trainee, Enrollment.trainee_id == Trainee.id)
        .where(*where)
        .group_by(Trainee.language)
    ).all()
    segments, unicode = 0, False
    for language, count in by_language:
        with message_language(language):
            their_segments = count_segments(written(cohort, subject, body)[1])
        segments += their_segments.count * count
        unicode = unicode or their_segments.unicode
    cost = segments * current_app.config["SMS_COST_PER_SEGMENT"]
    return Announcement(people, people + emails, shown_subject, shown_body, segments, cost, unicode)


def message_cohort(cohort: Cohort, audience: str, subject: str, body: str, *, actor: UserAccount) -> Announcement:
    """Queue ``body`` (and ``subject``, for email) for every trainee of ``cohort`` in ``audience`` (one of
    ``AUDIENCES``), each on every channel they have and with the opening line in their language, in one
    multi-row insert; record one ``cohort.message`` event (who, how many, the words). Flushes, never
    commits.

    Refused, nothing written: the actor may not message this cohort (``NotAllowed``), the text
    (``checked_text``), nobody in ``audience`` (field ``audience``)."""
    require_messenger(actor, cohort)
    subject, body = checked_text(audience, subject, body)
    messages = []
    for enrollment, trainee in db.session.execute(recipients_select(cohort, audience)).all():
        their_subject, their_body = written_for(trainee, cohort, subject, body)
        messages.append(Message(trainee, "cohort.message", their_subject, their_body, enrollment.id))
    if not messages:
        raise Refusal(_("Nobody is on this list: there is no one to send it to."), "audience")
    rows = sum(len(outbox_rows(message)) for message in messages)
    queue_many(messages)
    record(
        actor,
        "cohort.message",
        cohort,
        after={"audience": audience, "recipients": len(messages), "messages": rows, "subject": subject, "body": body},
        centre_id=cohort.centre_id,
    )
    shown_subject, shown_body = written(cohort, subject, body)
    return Announcement(len(messages), rows, shown_subject, shown_body)
