"""The certificate rules: issue one when a place is completed, revoke one with a reason, reissue one (a name
corrected) under a new number. Like every service: the acting user passed in, a refusal a person can read
(naming its field) raised before anything is written, one audit event per change, flush, never commit.

Reading: ``verification`` answers ``/verify/<number>`` and the API from one indexed query.
"""

import functools
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Row, Select, bindparam, select

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_manage_cohort, can_revoke_certificate
from certificates.models import Certificate
from certificates.numbers import new_number
from clock import local_today
from courses.models import Cohort
from database import utcnow
from enrollments.identity import checked, mask_cnic, normalise_name
from enrollments.models import Enrollment, Trainee
from enrollments.tallies import certificate_tallies, keep_certificate_tallies
from extensions import db
from refusals import Conflict, Refusal
from vocabulary import CertificateStatus, EnrollmentStatus, Shift

C = CertificateStatus
MAX_REASON_LENGTH = 500
# Class hours a week by shift, until class days record their own hours: weekday shifts meet five days for
# three hours, the weekend shift two days for six. A certificate prints the hours of its cohort's weeks.
CLASS_HOURS_PER_WEEK = {Shift.MORNING: 15, Shift.AFTERNOON: 15, Shift.EVENING: 15, Shift.WEEKEND: 12}


# Refusals ------------------------------------------------------------------------------------------


class CertificateRefused(Refusal):
    """A certificate action refused by the rules."""


class NotAllowed(CertificateRefused):
    code, status = "forbidden", 403


class NotCompleted(CertificateRefused):
    """Only a completed place earns a certificate."""

    code, status = "not_completed", 409


class AlreadyIssued(Conflict):
    """The place has a valid certificate already: one per completed place."""

    code = "already_issued"


class NotValid(CertificateRefused):
    """Revoking or reissuing a certificate that is no longer valid (revoked, or replaced)."""

    code, status = "not_valid", 409


class NothingToReissue(CertificateRefused):
    code, status = "nothing_to_reissue", 422


# The facts printed -----------------------------------------------------------------------------------


def hours_of(cohort: Cohort) -> int:
    """The class hours a certificate of ``cohort`` prints: its weeks times its shift's weekly hours."""
    return cohort.length_weeks * CLASS_HOURS_PER_WEEK[cohort.shift]


def printed_facts(enrollment: Enrollment, full_name: str) -> dict:
    """What a certificate of ``enrollment`` prints, taken from the records as they are now."""
    cohort, trainee = enrollment.cohort, enrollment.trainee
    return {
        "full_name": full_name,
        "cnic_masked": mask_cnic(trainee.cnic),
        "course_title": cohort.course.title,
        "course_code": cohort.course.code,
        "track": cohort.course.track,
        "hours": hours_of(cohort),
        "centre_name": cohort.centre.name,
        "centre_code": cohort.centre.code,
        "partner_name": cohort.centre.partner_name,
        "cohort_code": cohort.code,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
    }


def audit_state(certificate: Certificate) -> dict:
    """What a certificate's audit events keep of it: enough for the log's sentence without a lookup."""
    return {
        "number": certificate.number,
        "status": certificate.status.value,
        "full_name": certificate.full_name,
        "trainee_id": certificate.trainee_id,
        "cohort": certificate.cohort_code,
    }


def audit(actor: UserAccount | None, action: str, certificate: Certificate, before: dict | None, reason: str = ""):
    record(
        actor,
        action,
        certificate,
        before=before,
        after=audit_state(certificate),
        reason=reason,
        centre_id=certificate.cohort.centre_id,
    )


def checked_reason(reason: str | None) -> str:
    """A staff reason: required, at most ``MAX_REASON_LENGTH`` characters; raises a refusal naming ``reason``."""
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_("Give a reason: it is shown on the verification page and kept in the audit log."), "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise Refusal(_("The reason is too long: at most %(count)d characters.", count=MAX_REASON_LENGTH), "reason")
    return reason


def valid_certificate_of(enrollment: Enrollment) -> Certificate | None:
    """The place's valid certificate (None: none issued, or revoked)."""
    return db.session.scalar(
        select(Certificate).where(Certificate.enrollment_id == enrollment.id, Certificate.status == C.VALID)
    )


def locked(certificate: Certificate) -> Certificate:
    """``certificate`` locked until the transaction ends and re-read (its status as it is now)."""
    return db.session.get(Certificate, certificate.id, with_for_update=True, populate_existing=True)


# Issuing, revoking, reissuing -------------------------------------------------------------------------


def issue(enrollment: Enrollment, *, actor: UserAccount | None, now: datetime | None = None) -> Certificate:
    """Issue the certificate of a completed place: a new number, the facts printed taken from the records
    now, issued today (in Pakistan). Called by the completion (``enrollments.services.completion``); ``actor``
    None is the system (a completion rule run by a timer). One ``certificate.issue`` audit event.

    Raises ``NotAllowed`` (not staff of the cohort's centre, nor an admin), ``NotCompleted`` (the place is
    not completed), ``AlreadyIssued`` (it has a valid certificate; the database's partial unique index
    backs this up). Flushes, never commits."""
    if actor is not None and not can_manage_cohort(actor, enrollment.cohort):
        raise NotAllowed(_("Only staff of this centre can issue its certificates."))
    if enrollment.status is not EnrollmentStatus.COMPLETED:
        raise NotCompleted(_("Only a completed course earns a certificate."))
    if valid_certificate_of(enrollment) is not None:
        raise AlreadyIssued(_("This place has a valid certificate already."))
    now = now or utcnow()
    certificate = Certificate(
        number=new_number(),
        enrollment=enrollment,
        trainee_id=enrollment.trainee_id,
        cohort=enrollment.cohort,
        issued_on=local_today(now),
        created_at=now,
        **printed_facts(enrollment, enrollment.trainee.full_name),
    )
    db.session.add(certificate)
    db.session.flush()
    keep_certificate_tallies(certificate, None)
    audit(actor, "certificate.issue", certificate, None)
    return certificate


def revoke(certificate: Certificate, *, actor: UserAccount, reason: str, now: datetime | None = None) -> Certificate:
    """Revoke a valid certificate, with a reason: its verification page says revoked, with the reason and
    the date. Staff of the issuing centre and admins (``can_revoke_certificate``). One
    ``certificate.revoke`` audit event with the reason.

    Raises ``NotAllowed``; a ``Refusal`` naming ``reason`` (none, or over 500 characters); ``NotValid``
    (revoked or replaced already). Flushes, never commits."""
    if not can_revoke_certificate(actor, certificate):
        raise NotAllowed(_("Only staff of the centre that issued this certificate can revoke it."))
    reason = checked_reason(reason)
    certificate = locked(certificate)
    require_valid(certificate)
    before = {"status": certificate.status.value}
    tallied = certificate_tallies(certificate)
    certificate.status = C.REVOKED
    certificate.revoked_reason = reason
    certificate.revoked_at = now or utcnow()
    db.session.flush()
    keep_certificate_tallies(certificate, tallied)
    audit(actor, "certificate.revoke", certificate, before, reason)
    return certificate


def reissue(
    certificate: Certificate,
    *,
    actor: UserAccount,
    reason: str,
    full_name: str | None = None,
    now: datetime | None = None,
) -> Certificate:
    """Reissue a valid certificate under a new number, printing ``full_name`` (normalised as names are;
    None: her record's name now) and the other facts as the records have them now. The old certificate
    becomes ``replaced``, pointing at the new one, whose number its verification page names. Staff of
    the issuing centre and admins. One ``certificate.reissue`` audit event (on the new certificate,
    naming the old number), with the reason.

    Raises ``NotAllowed``; a ``Refusal`` naming ``reason`` or ``full_name`` (not a name);
    ``NothingToReissue`` naming ``full_name`` (the new certificate would print exactly what the old one
    does); ``NotValid`` (revoked or replaced already). Flushes, never commits."""
    if not can_revoke_certificate(actor, certificate):
        raise NotAllowed(_("Only staff of the centre that issued this certificate can reissue it."))
    reason = checked_reason(reason)
    name = checked("full_name", normalise_name, full_name) if full_name is not None else None
    old = locked(certificate)
    require_valid(old)
    facts = printed_facts(old.enrollment, name or old.trainee.full_name)
    if all(getattr(old, key) == value for key, value in facts.items()):
        raise NothingToReissue(
            _("The certificate already prints this name and these facts: correct the name to reissue it."),
            "full_name",
        )
    now = now or utcnow()
    # The old certificate stops being valid first: only one valid certificate per place (the unique index).
    tallied = certificate_tallies(old)
    old.status = C.REPLACED
    db.session.flush()
    keep_certificate_tallies(old, tallied)
    new = Certificate(
        number=new_number(),
        enrollment_id=old.enrollment_id,
        trainee_id=old.trainee_id,
        cohort_id=old.cohort_id,
        issued_on=local_today(now),
        created_at=now,
        **facts,
    )
    db.session.add(new)
    db.session.flush()
    keep_certificate_tallies(new, None)
    old.replaced_by = new
    db.session.flush()
    audit(actor, "certificate.reissue", new, {"number": old.number, "full_name": old.full_name}, reason)
    return new


def require_valid(certificate: Certificate) -> None:
    if certificate.status is C.REVOKED:
        raise NotValid(_("This certificate was revoked already."))
    if certificate.status is C.REPLACED:
        raise NotValid(_("This certificate was replaced by a reissue: act on the new one."))


# Reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the verification page and the API show of a number: the certificate (a row of its columns, read
    as the model's attributes are: ``number``, ``status``, ``track``, the facts printed) and, when it was
    replaced, the number of the one that replaced it."""

    certificate: Row
    replaced_by_number: str | None


@functools.cache
def verification_statement() -> Select:
    """``verification``'s query, built once: building it, and loading its row as an ORM object, cost more
    than running it (bench/verify_profile.py)."""
    table = Certificate.__table__
    replacement = table.alias("replacement")
    return (
        select(*table.c, replacement.c.number.label("replaced_by_number"))
        .select_from(table.outerjoin(replacement, table.c.replaced_by_id == replacement.c.id))
        .where(table.c.number == bindparam("number"))
    )


def verification(number: str) -> Verification | None:
    """The certificate with ``number`` (in its printed form) and the number that replaced it: one indexed
    query (the snapshot row holds every fact shown), read on PostgreSQL on a connection of its own in
    autocommit. None: no certificate has that number.

    Why not the session's connection: a lone SELECT needs no transaction, and the session's BEGIN and
    ROLLBACK were two of the lookup's four round trips to the database (with the pool's ping and the query):
    on a busy machine each round trip is a wait for the database's turn on the CPU, and the lookup took about
    twice as long (bench/verify_profile.py; README, "Certificates anyone can verify"). It reads only what was
    committed, which is all a public page may show. SQLite has no round trips (it is in the process) and one
    writer at a time: there the session's connection is used, as a second connection would wait for the
    session's own write lock when a caller holds one."""
    if db.engine.dialect.name == "sqlite":
        found = db.session.connection().execute(verification_statement(), {"number": number}).first()
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            found = connection.execute(verification_statement(), {"number": number}).first()
    return Verification(found, found.replaced_by_number) if found is not None else None


def certificates_of_trainee(trainee: Trainee) -> list[Certificate]:
    """Her certificates, newest first: valid ones, and those revoked (which she should know of)."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.trainee_id == trainee.id, Certificate.status != C.REPLACED)
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        )
    )


def valid_certificates_of_cohort(cohort: Cohort) -> list[Certificate]:
    """The cohort's valid certificates, by the name printed (the order of the ZIP)."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.cohort_id == cohort.id, Certificate.status == C.VALID)
            .order_by(Certificate.full_name, Certificate.id)
        )
    )
