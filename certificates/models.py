"""The certificate: one per completed place, numbered, with the facts it printed kept on the row."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import CertificateStatus, Track

if TYPE_CHECKING:
    from courses.models import Cohort
    from enrollments.models import Enrollment, Trainee

# Only one valid certificate per place: the partial unique index below, on both databases.
ONE_VALID = text("status = 'valid'")


class Certificate(db.Model):
    """Proof that a trainee completed a cohort: ``number`` (``certificates.numbers``) is printed with a QR
    code to ``/verify/<number>``.

    The facts printed (her name, CNIC masked, course, track, hours, centre, partner, dates) are a snapshot
    taken at issue: the verification page shows what the paper says, even after her record, the course or
    the centre change, and answers from this one row (no join). ``status`` is ``valid`` until revoked (with
    ``revoked_reason``) or replaced by a reissue (``replaced_by``, the new certificate, with a new number).
    """

    __tablename__ = "certificate"
    __table_args__ = (
        Index(
            "uq_certificate_enrollment_id_valid",
            "enrollment_id",
            unique=True,
            sqlite_where=ONE_VALID,
            postgresql_where=ONE_VALID,
        ),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint("starts_on <= ends_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    # What the certificate prints, as it was on the day it was issued.
    full_name: Mapped[str] = mapped_column(String(200))
    cnic_masked: Mapped[str] = mapped_column(String(15))
    course_title: Mapped[str] = mapped_column(String(160))
    course_code: Mapped[str] = mapped_column(String(16))
    track: Mapped[Track] = mapped_column(enum_type(Track, "track"))
    hours: Mapped[int] = mapped_column(Integer)
    centre_name: Mapped[str] = mapped_column(String(160))
    centre_code: Mapped[str] = mapped_column(String(16))
    partner_name: Mapped[str] = mapped_column(String(200))
    cohort_code: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[CertificateStatus] = mapped_column(
        enum_type(CertificateStatus, "status"), default=CertificateStatus.VALID
    )
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrollment: Mapped["Enrollment"] = relationship()
    trainee: Mapped["Trainee"] = relationship()
    cohort: Mapped["Cohort"] = relationship()
    replaced_by: Mapped["Certificate | None"] = relationship(remote_side=[id])

    @property
    def is_valid(self) -> bool:
        return self.status is CertificateStatus.VALID

    def __repr__(self) -> str:
        return f"<Certificate {self.number} {self.status.value}>"
