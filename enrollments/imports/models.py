"""Uploaded lists of trainees, kept between the preview and the confirmation.

The app keeps no state in its processes (several hosts serve it), so the file itself waits in the
database, referenced by id in the confirmation form. Its preview (counts, problems, rows) is kept as
JSON so that the preview page can be paged through without reading the file again; the file is
re-read and re-checked when the import is confirmed, because the data may have changed meanwhile.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import Choice

if TYPE_CHECKING:
    from auth.models import UserAccount
    from centres.models import Centre
    from courses.models import Cohort


class ImportStatus(Choice):
    """``uploaded``: previewed, waiting for confirmation; ``imported``: confirmed (the file is then
    dropped, the result kept); ``expired``: left unconfirmed for more than a day (file dropped)."""

    UPLOADED = "uploaded"
    IMPORTED = "imported"
    EXPIRED = "expired"


class ImportBatch(db.Model):
    """One uploaded list of trainees for one centre (and optionally one of its cohorts).

    ``content`` is deferred: pages that show a batch read its ``report``, never the file."""

    __tablename__ = "import_batch"
    __table_args__ = (Index("ix_import_batch_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[ImportStatus] = mapped_column(enum_type(ImportStatus, "status"), default=ImportStatus.UPLOADED)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre: Mapped["Centre"] = relationship()
    cohort: Mapped["Cohort | None"] = relationship()
    uploaded_by: Mapped["UserAccount"] = relationship()

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.status.value}>"
