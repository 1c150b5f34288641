"""The batch: an uploaded list kept between its preview and its confirmation (``ImportBatch``).

``stage_import`` checks an upload and keeps it with its preview; ``confirm_import`` checks the stored file
again (the data may have changed since the preview), then creates every valid row's record and registers
them all in the caller's transaction. Nothing here commits.
"""

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_handle_import, can_manage_centre
from centres.models import Centre
from courses.models import Cohort
from database import utcnow
from enrollments.identity import format_cnic
from enrollments.imports.checks import Preview, Problem, RowCheck, check_rows
from enrollments.imports.limits import ImportRefused
from enrollments.imports.models import ImportBatch, ImportStatus
from enrollments.imports.reading import Sheet, read_sheet
from enrollments.models import Trainee
from enrollments.services import ListPlacement, NotAllowed, closed_reason, register_many
from enrollments.trainees import CreatedTrainees, create_trainees, record_lookups
from extensions import db
from refusals import Conflict, Refusal
from vocabulary import CohortStatus, EnrollmentSource, EnrollmentStatus

# How long an upload waits for its confirmation; after that it must be uploaded again.
BATCH_LIFETIME = timedelta(days=1)


class ImportNotPossible(Conflict):
    """The batch cannot be confirmed (imported already, too old, its cohort stopped taking applications)."""

    code = "import_not_possible"


def preview_file(data: bytes, filename: str, centre: Centre, cohort: Cohort | None) -> Preview:
    """Read and check a file (``read_sheet`` then ``check_rows``); writes nothing."""
    return check_rows(read_sheet(data, filename), centre, cohort)


def clean_filename(filename: str | None) -> str:
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:255] or "upload"


def check_may_upload(centre: Centre, cohort: Cohort | None, *, actor: UserAccount, now: datetime) -> None:
    """Only staff of ``centre`` and admins may upload a list there (``NotAllowed``); ``cohort`` must be one
    of the centre's, taking applications (``ImportRefused`` on the cohort field)."""
    if not can_manage_centre(actor, centre):
        raise NotAllowed(_("Only staff of this centre can import lists of trainees here."))
    if cohort is not None:
        if cohort.centre_id != centre.id:
            raise ImportRefused(_("Choose a cohort of this centre."), "cohort")
        if (reason := closed_reason(cohort, now)) is not None:
            raise ImportRefused(reason, "cohort")


def preview_upload(
    data: bytes, filename: str | None, centre: Centre, cohort: Cohort | None, *, actor: UserAccount
) -> Preview:
    """Read and check an uploaded list for ``stage_import``, refusing first what ``check_may_upload``
    refuses. Reads only: pages call it before their request starts writing, so that reading a file, however
    long it takes, holds no lock. Raises ``NotAllowed`` or ``ImportRefused``."""
    check_may_upload(centre, cohort, actor=actor, now=utcnow())
    return preview_file(data, filename or "", centre, cohort)


def stage_import(
    data: bytes,
    filename: str | None,
    centre: Centre,
    cohort: Cohort | None,
    *,
    actor: UserAccount,
    preview: Preview | None = None,
) -> ImportBatch:
    """Check an uploaded list and keep it, with its preview, as an ``ImportBatch`` waiting for
    confirmation. Only staff of ``centre`` and admins may; ``cohort`` must be one of the centre's,
    taking applications (``check_may_upload``, checked here whatever was checked before). Raises
    ``ImportRefused`` (nothing kept) when the file cannot be read at all. ``preview`` is the file as
    ``preview_upload`` read and checked it earlier in the request; without it the file is read here.

    Writes to the batch table, and one ``trainee.lookup`` audit event per record on file whose CNIC the
    list holds (the preview shows staff that she is on record, and what her places allow); also marks
    batches left unconfirmed for more than a day as expired, dropping their files (they hold personal data
    that nobody imported)."""
    now = utcnow()
    check_may_upload(centre, cohort, actor=actor, now=now)
    if preview is None:
        preview = preview_file(data, filename or "", centre, cohort)
    # The preview tells which rows' CNICs are on record, and what their records' places allow: lookups.
    record_lookups([row.existing for row in preview.rows if row.existing is not None], actor=actor, centre=centre)
    expire_old_batches(now)
    batch = ImportBatch(
        centre=centre,
        cohort=cohort,
        uploaded_by=actor,
        filename=clean_filename(filename),
        size=len(data),
        content=data,
        status=ImportStatus.UPLOADED,
        report=preview.report(),
        created_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def expire_old_batches(now: datetime) -> None:
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.status == ImportStatus.UPLOADED, ImportBatch.created_at < now - BATCH_LIFETIME)
        .values(status=ImportStatus.EXPIRED, content=b"", report={})
        .execution_options(synchronize_session=False)
    )


def is_expired(batch: ImportBatch, now: datetime | None = None) -> bool:
    return batch.status is ImportStatus.EXPIRED or (
        batch.status is ImportStatus.UPLOADED and batch.created_at < (now or utcnow()) - BATCH_LIFETIME
    )


def refusal_for_confirming(batch: ImportBatch, now: datetime | None = None) -> str | None:
    """Why ``batch`` cannot be confirmed now (None: it can)."""
    if batch.status is ImportStatus.IMPORTED:
        return _("This list has been imported already.")
    if is_expired(batch, now):
        return _("This upload is more than a day old: upload it again.")
    if batch.cohort is not None and (reason := closed_reason(batch.cohort, now or utcnow())) is not None:
        return _(
            "%(code)s is no longer taking applications (%(reason)s): upload the list again and choose another "
            "cohort, or none.",
            code=batch.cohort.code,
            reason=reason.rstrip(".۔"),
        )
    return None


@dataclass
class ImportResult:
    """What ``confirm_import`` did, row by row."""

    created: int = 0
    reused: int = 0
    placed: dict[str, int] = field(default_factory=lambda: {status.value: 0 for status in PLACED})
    problems: list[Problem] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len({problem.row for problem in self.problems})

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "reused": self.reused, **self.placed, "skipped": self.skipped}


PLACED = (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED, EnrollmentStatus.PENDING)


def read_batch(batch: ImportBatch) -> Sheet | None:
    """The stored file of ``batch`` as ``read_sheet`` reads it, for ``confirm_import``; None when there is
    no file to read (the batch was imported or has expired: confirming it is refused anyway). Reads no
    table: pages call it before their request starts writing."""
    if batch.status is not ImportStatus.UPLOADED or not batch.content:
        return None
    return read_sheet(batch.content, batch.filename)


def confirm_import(
    batch: ImportBatch, *, actor: UserAccount, now: datetime | None = None, sheet: Sheet | None = None
) -> ImportResult:
    """Import a previewed batch: only its uploader (while she manages the centre) or an admin, once,
    within a day of the upload, and — with a cohort — while it takes applications (``ImportNotPossible``
    otherwise; ``NotAllowed`` for anyone else).

    The file is checked again against the data as it is now; then, in the caller's transaction, the
    valid rows create the trainees whose CNICs are new (``create_trainees``, registered at the batch's
    centre) and, with a cohort, register them all in file order (``register_many``, source import:
    enrolled, waitlisted when full, or pending for reviewed admission) — the same rules as one by one,
    in a few statements per 500 rows. A row the enrollment rules refuse at this point is reported with
    the rows that had problems; a refusal about the whole list (the cohort stopped taking applications meanwhile, the
    actor may no longer register here) raises ``ImportNotPossible``, and like any other error leaves
    the caller to roll back everything.

    The batch is marked imported first (so that it is imported once), its file dropped and its result
    kept; one audit event records the import (the trainees and enrollments write their own). ``sheet``
    is the stored file as ``read_batch`` read it earlier in the request; without it the file is read here.
    """
    now = now or utcnow()
    check_may_confirm(batch, actor=actor, now=now)
    claim(batch, now)
    cohort = batch.cohort
    preview = check_rows(sheet or read_sheet(batch.content, batch.filename), batch.centre, cohort)
    valid = preview.valid
    written = create_and_register(valid, batch.centre, cohort, actor=actor, now=now)
    result = outcome_by_row(preview, valid, written)
    keep_result(batch, preview, result, now)
    record(
        actor,
        "import.confirm",
        batch,
        after={"filename": batch.filename, "cohort": cohort.code if cohort else None, **result.counts()},
        centre_id=batch.centre_id,
    )
    return result


def check_may_confirm(batch: ImportBatch, *, actor: UserAccount, now: datetime) -> None:
    """Only the batch's uploader (while she manages the centre) or an admin may confirm it (``NotAllowed``),
    and only while ``refusal_for_confirming`` finds nothing against it (``ImportNotPossible``)."""
    if not can_handle_import(actor, batch):
        raise NotAllowed(_("Only the person who uploaded this list, or an admin, can import it."))
    if (reason := refusal_for_confirming(batch, now)) is not None:
        raise ImportNotPossible(reason)


def claim(batch: ImportBatch, now: datetime) -> None:
    """Mark ``batch`` imported in one conditional UPDATE, before anything else is written, so that it is
    imported once. Raises ``ImportNotPossible`` when it is no longer waiting (another confirmation took it)."""
    # Of two confirmations at once (a double click), the second waits for the first and then finds it
    # imported (or, if the first rolled back, imports it).
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.UPLOADED)
        .values(status=ImportStatus.IMPORTED, imported_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ImportNotPossible(_("This list has been imported already."))


@dataclass
class Written:
    """What ``create_and_register`` wrote for the valid rows: the records created or found on file
    (``made``), each row's trainee in file order, and — with a cohort — what ``register_many`` did."""

    made: CreatedTrainees
    trainees: list[Trainee]
    placed: ListPlacement | None


def create_and_register(
    valid: list[RowCheck], centre: Centre, cohort: Cohort | None, *, actor: UserAccount, now: datetime
) -> Written:
    """Create the records of the ``valid`` rows whose CNICs are new (``create_trainees``, registered at
    ``centre``) and, with a ``cohort``, register every row's trainee there in file order (``register_many``,
    source import). A refusal about the whole list (the cohort stopped taking applications meanwhile, the
    actor may no longer register here) raises ``ImportNotPossible``: the caller rolls back everything."""
    try:
        made = create_trainees([row.details for row in valid if row.existing is None], actor=actor, centre=centre)
        trainees = [row.existing or made.created.get(row.cnic) or made.existing[row.cnic] for row in valid]
        placed = None
        if cohort is not None:
            placed = register_many(trainees, cohort, actor=actor, source=EnrollmentSource.IMPORT, now=now)
    except Refusal as refusal:  # about the whole list, not a row: the cohort closed meanwhile, say
        raise ImportNotPossible(_("%(refusal)s Nothing was imported.", refusal=refusal.message)) from refusal
    return Written(made=made, trainees=trainees, placed=placed)


def outcome_by_row(preview: Preview, valid: list[RowCheck], written: Written) -> ImportResult:
    """What the import did, row by row: the preview's problems, then for each valid row whether her record
    is new or reused and, with a cohort, her place — or why she got none (``not_placed``)."""
    result = ImportResult(problems=preview.problems)
    for row, trainee in zip(valid, written.trainees, strict=True):
        created = row.cnic in written.made.created
        result.created += created
        status = None
        if written.placed is not None:
            if (problem := not_placed(row, trainee, written.placed, created=created)) is not None:
                result.problems.append(problem)
                continue
            status = written.placed.placed[trainee.id].status
            result.placed[status.value] += 1
        result.reused += not created
        outcome = "new" if created else "existing"
        result.rows.append([row.number, format_cnic(row.cnic), row.full_name, outcome, status and status.value])
    result.problems.sort(key=lambda problem: problem.row)
    return result


def not_placed(row: RowCheck, trainee: Trainee, placed: ListPlacement, *, created: bool) -> Problem | None:
    """Why ``register_many`` gave the trainee of ``row`` no new place: refused, or in the cohort already
    (None: she has a new place). Refusals here come only from changes since the preview (her places
    elsewhere, the cohort's rules): her new record stays, without a place, and the problem says so."""
    note = " " + _("The record was created; the trainee was not registered.") if created else ""
    if (refusal := placed.refused.get(trainee.id)) is not None:
        return Problem(row.number, "", refusal.message + note)
    if (enrollment := placed.existing.get(trainee.id)) is not None:
        return Problem(
            row.number, "", _("Already in this cohort (%(status)s).", status=enrollment.status.label.lower()) + note
        )
    return None


def keep_result(batch: ImportBatch, preview: Preview, result: ImportResult, now: datetime) -> None:
    """Mark ``batch`` imported, drop its file (personal data nobody needs once imported) and keep its result
    as the report its page shows."""
    batch.status = ImportStatus.IMPORTED
    batch.imported_at = now
    batch.content = b""
    batch.report = {
        "stage": "result",
        "columns": preview.sheet.columns,
        "ignored": preview.sheet.ignored,
        "counts": {"rows": len(preview.rows), **result.counts()},
        "problems": [[problem.row, problem.column, problem.message] for problem in result.problems],
        "rows": result.rows,
    }
    db.session.flush()


def open_cohorts(centre: Centre, now: datetime | None = None) -> list[Cohort]:
    """The centre's cohorts taking applications now, by start date: the cohorts a list may go into."""
    now = now or utcnow()
    cohorts = db.session.scalars(
        select(Cohort)
        .where(Cohort.centre_id == centre.id, Cohort.status == CohortStatus.OPEN)
        .options(selectinload(Cohort.course))
        .order_by(Cohort.starts_on, Cohort.code)
    )
    return [cohort for cohort in cohorts if closed_reason(cohort, now) is None]
