"""Who may apply to a cohort: one list of requirements, read by the cohort page ("who may apply") and
checked by the enrollment services, so that what is promised and what is enforced never drift.

Age is reckoned on the day the cohort starts; education by the order of ``vocabulary.Education``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from courses.models import Cohort
from enrollments.models import Trainee
from language import long_date
from vocabulary import Education, Gender, WomenOnlyAdmits


@dataclass(frozen=True)
class Requirement:
    """One condition of a cohort: ``label`` says it to applicants, ``refusal`` explains a failure."""

    code: str
    label: str
    refusal: str
    is_met_by: Callable[[Trainee], bool]


def requirements(cohort: Cohort) -> list[Requirement]:
    """The requirements of ``cohort``, in the order a person would check them, in the reader's language."""
    course = cohort.course
    found: list[Requirement] = []
    if cohort.women_only:
        if cohort.women_only_admits is WomenOnlyAdmits.WOMEN_AND_TRANSGENDER:
            admitted = (Gender.FEMALE, Gender.TRANSGENDER)
            label = _("Women and transgender people only")
            refusal = (
                _("This camp is for women and transgender people only.")
                if cohort.is_camp
                else _("This cohort is for women and transgender people only.")
            )
        else:
            admitted = (Gender.FEMALE,)
            label = _("Women only")
            refusal = _("This is a women-only camp.") if cohort.is_camp else _("This is a women-only cohort.")
        found.append(Requirement("women_only", label, refusal, lambda trainee: trainee.gender in admitted))
    if course.min_age is not None or course.max_age is not None:
        low, high = course.min_age, course.max_age
        ages = {"low": low, "high": high, "starts": long_date(cohort.starts_on)}
        if low is not None and high is not None:
            label = _("Age %(low)s–%(high)s", **ages)
            refusal = _("Age %(low)s–%(high)s on the day the course starts (%(starts)s).", **ages)
        elif low is not None:
            label = _("Age %(low)s or older", **ages)
            refusal = _("Age %(low)s or older on the day the course starts (%(starts)s).", **ages)
        else:
            label = _("Age %(high)s or younger", **ages)
            refusal = _("Age %(high)s or younger on the day the course starts (%(starts)s).", **ages)
        found.append(
            Requirement(
                "age",
                label,
                refusal,
                lambda trainee: (
                    (low is None or trainee.age_on(cohort.starts_on) >= low)
                    and (high is None or trainee.age_on(cohort.starts_on) <= high)
                ),
            )
        )
    if course.min_education is not Education.NONE:
        minimum = course.min_education
        found.append(
            Requirement(
                "education",
                _("Education: %(level)s or higher", level=minimum.label),
                _("This course needs %(level)s or higher.", level=minimum.label),
                lambda trainee: trainee.education.rank >= minimum.rank,
            )
        )
    if cohort.eligible_district is not None:
        district = cohort.eligible_district
        found.append(
            Requirement(
                "residence",
                _("Residents of %(district)s district", district=district.name),
                _("Only residents of %(district)s district may apply.", district=district.name),
                lambda trainee: trainee.district_id == district.id,
            )
        )
    elif cohort.eligible_province is not None:
        province = cohort.eligible_province
        found.append(
            Requirement(
                "residence",
                _("Residents of %(province)s", province=province.name),
                _("Only residents of %(province)s may apply.", province=province.name),
                lambda trainee: trainee.district.province_id == province.id,
            )
        )
    return found


def unmet_requirements(cohort: Cohort, trainee: Trainee) -> list[Requirement]:
    """The requirements of ``cohort`` that ``trainee`` does not meet (empty: eligible)."""
    return [requirement for requirement in requirements(cohort) if not requirement.is_met_by(trainee)]


# What a walk-in desk asks first of someone not on record (sex, age, education): the requirements about the
# person, checked before the rest of their details are typed. Residence is checked with the district, when the
# record is made.
PERSONAL_REQUIREMENTS = frozenset({"women_only", "age", "education"})


def unmet_personal_requirements(
    cohort: Cohort, *, gender: Gender, date_of_birth: date, education: Education
) -> list[Requirement]:
    """The requirements of ``cohort`` about the person (``PERSONAL_REQUIREMENTS``) that someone of
    ``gender``, born on ``date_of_birth``, with ``education``, does not meet (empty: nothing stops them
    yet). The same requirements as ``unmet_requirements``, asked of answers rather than of a record."""
    answers = Trainee(gender=gender, date_of_birth=date_of_birth, education=education)  # never added to a session
    return [
        requirement
        for requirement in requirements(cohort)
        if requirement.code in PERSONAL_REQUIREMENTS and not requirement.is_met_by(answers)
    ]
