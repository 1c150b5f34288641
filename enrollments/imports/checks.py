"""Checking the rows of a list (``check_rows``): every row normalised and checked, problems listed by
spreadsheet row (the heading is row 1, as the spreadsheet numbers it) and column. Existing CNICs,
enrollments and districts are looked up in bulk, one query per chunk of rows. Nothing is written."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from centres.models import Centre, District
from courses.models import Cohort
from database import chunked, utcnow
from enrollments.eligibility import unmet_requirements
from enrollments.identity import InvalidInput, check_date_of_birth, format_cnic, normalise_name
from enrollments.imports.cells import (
    cell_text,
    month_first,
    read_area,
    read_cnic,
    read_date,
    read_disability,
    read_education,
    read_email,
    read_gender,
    read_outcome_consent,
    read_phone,
)
from enrollments.imports.columns import COLUMN_OF, listed
from enrollments.imports.districts import DistrictIndex
from enrollments.imports.limits import ImportRefused
from enrollments.imports.reading import Sheet
from enrollments.models import Enrollment, Trainee
from enrollments.services import places_refusal
from enrollments.trainees import TraineeDetails
from extensions import db
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, Education


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be imported: ``row`` as the spreadsheet numbers it, ``column`` the heading as
    written in the file (empty when the problem is the row as a whole)."""

    row: int
    column: str
    message: str


@dataclass
class RowCheck:
    """One row, checked: ``details`` are its normalised values (None when a value is wrong),
    ``existing`` the national record of its CNIC when there is one."""

    number: int
    cnic: str
    full_name: str
    details: TraineeDetails | None = None
    existing: Trainee | None = None
    problems: list[Problem] = field(default_factory=list)
    education_given: bool = True

    @property
    def is_valid(self) -> bool:
        return self.details is not None and not self.problems


@dataclass
class Preview:
    """Every row of a file, checked against the data as it is now."""

    sheet: Sheet
    rows: list[RowCheck]

    @property
    def valid(self) -> list[RowCheck]:
        return [row for row in self.rows if row.is_valid]

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.problems]

    def counts(self) -> dict[str, int]:
        valid = self.valid
        existing = sum(row.existing is not None for row in valid)
        return {
            "rows": len(self.rows),
            "new": len(valid) - existing,
            "existing": existing,
            "problems": len(self.rows) - len(valid),
        }

    def report(self) -> dict[str, Any]:
        """The preview as JSON (kept on the batch for its page)."""
        return {
            "stage": "preview",
            "columns": self.sheet.columns,
            "ignored": self.sheet.ignored,
            "counts": self.counts(),
            "problems": [[problem.row, problem.column, problem.message] for problem in self.problems],
            "rows": [
                [row.number, format_cnic(row.cnic), row.full_name, "existing" if row.existing else "new"]
                for row in self.valid
            ],
        }


def check_rows(sheet: Sheet, centre: Centre, cohort: Cohort | None, *, today: date | None = None) -> Preview:
    """Normalise and check every row of ``sheet`` for an import at ``centre`` (into ``cohort`` if given).

    A row's problems: a value that is wrong (each normaliser's message, per column), a CNIC on several
    rows of the file (every such row, naming the others), and with a cohort: no education given for a
    course that asks for some (for the whole file when it has no such column), not eligible for it
    (``unmet_requirements``), already in it, or held back by her other places. A CNIC registered
    already is no problem: the national record is reused as it is. Reads in bulk, writes nothing."""
    today = today or utcnow().date()
    if cohort is not None and "education" not in sheet.columns and cohort.course.min_education is not Education.NONE:
        raise ImportRefused(
            _(
                "%(course)s needs %(level)s or higher: add a column with each trainee's education (Education), or "
                "import the list without a cohort.",
                course=cohort.course.title,
                level=cohort.course.min_education.label,
            )
        )
    districts = DistrictIndex(centre.district.province_id)
    dates_month_first = month_first(values.get("date_of_birth") for _, values in sheet.rows)
    rows = [check_values(number, values, sheet, districts, today, dates_month_first) for number, values in sheet.rows]
    flag_duplicates(rows, sheet.columns["cnic"])
    by_cnic = {row.cnic: row for row in rows if row.details is not None and not row.problems}
    for chunk in chunked(list(by_cnic)):
        for trainee in db.session.scalars(select(Trainee).where(Trainee.cnic.in_(chunk))):
            by_cnic[trainee.cnic].existing = trainee
    if cohort is not None:
        check_places(rows, cohort, districts.by_id, sheet.columns)
    return Preview(sheet=sheet, rows=rows)


def check_values(
    number: int, values: dict[str, Any], sheet: Sheet, districts: DistrictIndex, today: date, dates_month_first: bool
) -> RowCheck:
    """One row's values, normalised; a problem per wrong value, named by the file's heading."""
    problems: list[Problem] = []
    read: dict[str, Any] = {}

    def attempt(field_name: str, reader, *args) -> None:
        try:
            read[field_name] = reader(values.get(field_name), *args)
        except InvalidInput as error:
            problems.append(
                Problem(number, sheet.columns.get(field_name, str(COLUMN_OF[field_name].label)), error.message)
            )

    attempt("cnic", read_cnic)
    attempt("full_name", lambda value: normalise_name(cell_text(value)))
    attempt("gender", read_gender)
    attempt(
        "date_of_birth",
        lambda value: check_date_of_birth(
            read_date(value, epoch=sheet.epoch, month_first_order=dates_month_first), today
        ),
    )
    attempt("phone", read_phone)
    attempt("district", districts.find)
    attempt("area", read_area, read.get("district"))
    attempt("education", read_education)
    attempt("email", read_email)
    attempt("disability", read_disability)
    attempt("outcome_consent", read_outcome_consent)
    row = RowCheck(
        number=number,
        cnic=read.get("cnic") or cell_text(values.get("cnic")),
        full_name=read.get("full_name") or cell_text(values.get("full_name")),
        problems=problems,
        education_given=bool(cell_text(values.get("education"))),
    )
    if not problems:
        row.details = TraineeDetails(
            cnic=read["cnic"],
            full_name=read["full_name"],
            gender=read["gender"],
            date_of_birth=read["date_of_birth"],
            phone=read["phone"],
            district_id=read["district"].id,
            area=read["area"],
            education=read["education"],
            email=read["email"],
            disability=read["disability"],
            outcome_consent=read["outcome_consent"],
        )
    return row


def flag_duplicates(rows: list[RowCheck], column: str) -> None:
    """Every row whose (valid) CNIC is on another row too gets a problem naming the other rows: which
    one is right is for the person who made the list to say."""
    numbers: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.details is not None:
            numbers[row.cnic].append(row.number)
    for row in rows:
        others = [number for number in numbers.get(row.cnic, []) if number != row.number]
        if row.details is not None and others:
            rows_listed = listed(str(number) for number in sorted([row.number, *others]))
            row.problems.append(
                Problem(
                    row.number,
                    column,
                    _("The same CNIC is on rows %(rows)s of this file: keep one of them.", rows=rows_listed),
                )
            )


def check_places(rows: list[RowCheck], cohort: Cohort, districts: dict[int, District], columns: dict[str, str]) -> None:
    """With a target cohort: eligibility (the cohort's requirements, met by the existing record or by
    the row's values; a new trainee's education must be given when the course asks for some), and
    for existing records a place in the cohort already or the limits set by her
    other places. Places are read in bulk, one query per chunk."""
    candidates = [row for row in rows if row.is_valid]
    existing = {row.existing.id: row for row in candidates if row.existing is not None}
    in_cohort: dict[int, Enrollment] = {}
    held: dict[int, list[Enrollment]] = defaultdict(list)
    for chunk in chunked(list(existing)):
        for enrollment in db.session.scalars(
            select(Enrollment)
            .where(Enrollment.trainee_id.in_(chunk))
            .where((Enrollment.cohort_id == cohort.id) | Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES))
            .options(selectinload(Enrollment.cohort).selectinload(Cohort.course))
        ):
            if enrollment.cohort_id == cohort.id:
                in_cohort[enrollment.trainee_id] = enrollment
            else:
                held[enrollment.trainee_id].append(enrollment)
    for row in candidates:
        trainee = row.existing or applicant(row.details, districts)
        if row.existing is not None and (enrollment := in_cohort.get(row.existing.id)) is not None:
            row.problems.append(
                Problem(
                    row.number, "", _("Already in this cohort (%(status)s).", status=enrollment.status.label.lower())
                )
            )
            continue
        minimum = cohort.course.min_education
        if row.existing is None and not row.education_given and minimum is not Education.NONE:
            # Matric, assumed when nobody says, must not decide who gets a place.
            row.problems.append(
                Problem(
                    row.number,
                    columns.get("education", str(COLUMN_OF["education"].label)),
                    _("Give the trainee's education: this course needs %(level)s or higher.", level=minimum.label),
                )
            )
            continue
        if unmet := unmet_requirements(cohort, trainee):
            reasons = " ".join(requirement.refusal for requirement in unmet)
            row.problems.append(
                Problem(row.number, "", _("Not eligible for this cohort: %(reasons)s", reasons=reasons))
            )
            continue
        places = held.get(trainee.id, []) if row.existing is not None else []
        if (refusal := places_refusal(places, cohort, to_trainee=False)) is not None:
            row.problems.append(Problem(row.number, "", refusal.message))


def applicant(details: TraineeDetails, districts: dict[int, District]) -> Trainee:
    """A trainee who does not exist yet, as the eligibility rules read her (never added to the session)."""
    return Trainee(
        gender=details.gender,
        date_of_birth=details.date_of_birth,
        education=details.education,
        district_id=details.district_id,
        district=districts[details.district_id],
    )
