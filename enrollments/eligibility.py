"""Who may apply to a cohort: one list of requirements, read by the cohort page ("who may apply") and
checked by the enrollment services, so that what is promised and what is enforced never drift.

Age is reckoned on the day the cohort starts; education by the order of ``vocabulary.Education``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from courses.models import Cohort
from enrollments.models import Trainee
from vocabulary import Education, Gender


@dataclass(frozen=True)
class Requirement:
    """One condition of a cohort: ``label`` says it to applicants, ``refusal`` explains a failure."""

    code: str
    label: str
    refusal: str
    is_met_by: Callable[[Trainee], bool]


def requirements(cohort: Cohort) -> list[Requirement]:
    """The requirements of ``cohort``, in the order a person would check them."""
    course = cohort.course
    found: list[Requirement] = []
    if cohort.women_only:
        noun = "camp" if cohort.is_camp else "cohort"
        found.append(
            Requirement(
                "women_only",
                "Women only",
                f"This is a women-only {noun}.",
                lambda trainee: trainee.gender is Gender.FEMALE,
            )
        )
    if course.min_age is not None or course.max_age is not None:
        low, high = course.min_age, course.max_age
        label = (
            f"Age {low}–{high}"
            if low is not None and high is not None
            else (f"Age {low} or older" if low is not None else f"Age {high} or younger")
        )
        found.append(
            Requirement(
                "age",
                label,
                f"{label} on the day the course starts ({cohort.starts_on:%d %b %Y}).",
                lambda trainee: (
                    (low is None or trainee.age_on(cohort.starts_on) >= low)
                    and (high is None or trainee.age_on(cohort.starts_on) <= high)
                ),
            )
        )
    if course.min_education is not Education.NONE:
        minimum = course.min_education
        label = f"Education: {minimum.label} or higher"
        found.append(
            Requirement(
                "education",
                label,
                f"This course needs {minimum.label} or higher.",
                lambda trainee: trainee.education.rank >= minimum.rank,
            )
        )
    if cohort.eligible_district is not None:
        district = cohort.eligible_district
        found.append(
            Requirement(
                "residence",
                f"Residents of {district.name} district",
                f"Only residents of {district.name} district may apply.",
                lambda trainee: trainee.district_id == district.id,
            )
        )
    elif cohort.eligible_province is not None:
        province = cohort.eligible_province
        found.append(
            Requirement(
                "residence",
                f"Residents of {province.name}",
                f"Only residents of {province.name} may apply.",
                lambda trainee: trainee.district.province_id == province.id,
            )
        )
    return found


def unmet_requirements(cohort: Cohort, trainee: Trainee) -> list[Requirement]:
    """The requirements of ``cohort`` that ``trainee`` does not meet (empty: eligible)."""
    return [requirement for requirement in requirements(cohort) if not requirement.is_met_by(trainee)]
