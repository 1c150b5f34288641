"""The messages telling a trainee what happened to her place, written in her language and queued in the
same transaction as the change (``notifications.outbox``)."""

from flask_babel import format_number
from flask_babel import gettext as _

from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from enrollments.services.rules import waitlist_position
from language import deadline, long_date, message_language
from notifications.outbox import Message, queue
from vocabulary import NotCompletedReason


def message_for(enrollment: Enrollment, kind: str, *, position: int | None = None) -> Message:
    """The message telling the trainee of ``enrollment`` about ``kind`` (``"waitlisted"`` and ``"ranked"``,
    her rank in a merit list, name her place in line: ``position``, or read from the database when not
    given), written in her language
    (``trainee.language``), whoever's action caused it."""
    trainee = enrollment.trainee
    if kind in ("waitlisted", "ranked"):
        position = position or waitlist_position(enrollment)
    with message_language(trainee.language):
        subject, body = message_text(enrollment, kind, position)
        subject = _("Markaz: %(subject)s", subject=subject)
    return Message(trainee, f"enrollment.{kind}", subject, body, enrollment.id)


def new_place_message(trainee: Trainee, cohort: Cohort, kind: str) -> Message:
    """The message ``message_for`` writes about her new place in ``cohort`` when it puts her in no line
    (``kind``: ``"enrolled"`` or ``"pending"``), written before the place exists: for a writer that queues it
    in the statement that makes the place (``changes.write_open_place``), which fills in its enrollment."""
    with message_language(trainee.language):
        subject, body = new_place_text(cohort, kind)
        subject = _("Markaz: %(subject)s", subject=subject)
    return Message(trainee, f"enrollment.{kind}", subject, body)


def where_text(cohort: Cohort) -> str:
    """The cohort as messages name it: course, centre and first day."""
    return _(
        "%(course)s at %(centre)s, starting %(starts)s",
        course=cohort.course.title,
        centre=cohort.centre.name,
        starts=long_date(cohort.starts_on),
    )


def new_place_text(cohort: Cohort, kind: str) -> tuple[str, str]:
    """Subject and body of the message about a new place in no line (``kind``: enrolled, pending)."""
    where = where_text(cohort)
    if kind == "enrolled":
        return _("You have a place"), _("You have a place in %(where)s.", where=where)
    if kind == "pending":
        return _("Application received"), _(
            "Your application for %(where)s is waiting for the centre's review.", where=where
        )
    raise ValueError(f"{kind!r} is not a new place in no line")


def message_text(enrollment: Enrollment, kind: str, position: int | None) -> tuple[str, str]:
    """Subject and body of the message about ``kind``, in the current locale."""
    cohort = enrollment.cohort
    if kind in ("enrolled", "pending"):
        return new_place_text(cohort, kind)
    names = {"course": cohort.course.title, "reason": enrollment.reason}
    where = where_text(cohort)
    if kind == "waitlisted":
        return _("You are on the waitlist"), _(
            "%(course)s is full. You are number %(position)s on the waitlist for %(where)s; "
            "you will be told at once if a seat frees.",
            course=names["course"],
            position=format_number(position),
            where=where,
        )
    if kind == "ranked":  # a merit list was published (or corrected) and she waits in line by her rank
        return _("Merit list published"), _(
            "The merit list for %(where)s is published: you are ranked %(rank)s and number %(position)s on the "
            "waitlist. If a seat frees for you, it is offered to you at once.",
            where=where,
            rank=format_number(enrollment.merit_rank),
            position=format_number(position),
        )
    if kind == "promoted":
        return _("A seat is yours"), _("A seat freed up: you now have a place in %(where)s.", where=where)
    if kind in ("offered", "reminder"):
        from enrollments.offer_links import offer_link  # the link module reads the enrollment model only

        answer = {"until": deadline(enrollment.offer_expires_at), "link": offer_link(enrollment)}
        if kind == "offered":
            return _("A seat is offered to you"), _(
                "A seat is offered to you in %(where)s. It is held for you until %(until)s: accept or decline "
                "here: %(link)s",
                where=where,
                **answer,
            )
        return _("Your seat offer ends soon"), _(
            "Reminder: the seat offered to you in %(where)s is held only until %(until)s. Accept or decline "
            "here: %(link)s",
            where=where,
            **answer,
        )
    if kind == "accepted":
        return _("You have a place"), _("You accepted the seat: you have a place in %(where)s.", where=where)
    if kind == "declined":
        return _("Seat declined"), _(
            "You declined the seat offered in %(where)s; it goes to the next in line.", where=where
        )
    if kind == "expired":
        return _("Seat offer expired"), _(
            "The seat offered to you in %(where)s was not accepted in time and has gone to the next in line.",
            where=where,
        )
    if kind == "rejected":
        return _("Application not accepted"), _(
            "Your application for %(where)s was not accepted: %(reason)s", where=where, reason=names["reason"]
        )
    if kind == "withdrawn":
        return _("Place withdrawn"), _("Your place in %(where)s has been withdrawn.", where=where)
    if kind == "dropped":
        return _("Removed from the course"), _(
            "You have been removed from %(where)s: %(reason)s", where=where, reason=names["reason"]
        )
    if kind == "completed":
        return _("Course completed"), _(
            "Congratulations: you have completed %(where)s. Your certificate is on your profile.", where=where
        )
    if kind == "not_completed":
        if enrollment.not_completed_reason is NotCompletedReason.ATTENDANCE:
            return _("Course not completed"), _(
                "%(where)s has ended. Your attendance was below the %(threshold)s%% needed to sit the assessment, "
                "so the course is not completed and no certificate is issued. Ask the centre about the next cohort.",
                where=where,
                threshold=format_number(cohort.course.attendance_threshold),
            )
        return _("Course not completed"), _(
            "%(where)s has ended. Your mark was below the pass mark of %(pass_mark)s%% (or you have no mark), so "
            "the course is not completed and no certificate is issued. Ask the centre about the next cohort.",
            where=where,
            pass_mark=format_number(cohort.course.pass_mark),
        )
    if kind == "certificate_revoked":
        return _("Course result changed"), _(
            "The centre changed your result in %(where)s to not completed, and your certificate was revoked: "
            "%(reason)s",
            where=where,
            reason=enrollment.completion_override_reason or "",
        )
    if kind == "cancelled":
        return _("Cohort cancelled"), _(
            "%(where)s has been cancelled by the centre: %(reason)s", where=where, reason=names["reason"]
        )
    raise ValueError(f"no message for {kind!r}")


def tell(enrollment: Enrollment, kind: str, *, position: int | None = None) -> None:
    """Queue the message about ``kind`` for the trainee of ``enrollment`` (``position``: see ``message_for``)."""
    message = message_for(enrollment, kind, position=position)
    queue(message.trainee, message.kind, message.subject, message.body, enrollment=enrollment)
