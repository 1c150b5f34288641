"""The words of the domain (DESIGN.md, "Vocabulary") as enums, each member with the label people read.

Values are what the database and the API hold; labels are what pages show (and later translate).
"""

import enum

from wtforms.fields.choices import SelectChoice


class Choice(enum.StrEnum):
    """A stored value with a human label; ``label`` defaults to the value with spaces and a capital."""

    @property
    def label(self) -> str:
        return LABELS.get(self, self.value.replace("_", " ").capitalize())

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """The members as options of a form's ``<select>``."""
        return [SelectChoice(member.value, member.label) for member in cls]

    @classmethod
    def parse(cls, value: str | None) -> "Choice | None":
        """The member for ``value``, or None when it is empty or not one of ours (filters ignore it)."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


class Track(Choice):
    SOFTWARE_DEVELOPMENT = "software_development"
    DIGITAL_MARKETING = "digital_marketing"
    CONTENT_CREATION = "content_creation"
    IT_SUPPORT = "it_support"
    GRAPHIC_DESIGN = "graphic_design"
    VIRTUAL_ASSISTANCE = "virtual_assistance"
    CUSTOMER_SUPPORT = "customer_support"
    ONLINE_TUTORING = "online_tutoring"


class PartnerType(Choice):
    UNIVERSITY = "university"
    COLLEGE = "college"
    NGO = "ngo"
    IT_BOARD = "it_board"
    PRIVATE = "private"


class Level(Choice):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Education(Choice):
    """Highest completed education, in ascending order: eligibility compares positions in this list."""

    NONE = "none"
    PRIMARY = "primary"
    MIDDLE = "middle"
    MATRIC = "matric"
    INTERMEDIATE = "intermediate"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"

    @property
    def rank(self) -> int:
        return list(Education).index(self)


class Gender(Choice):
    FEMALE = "female"
    MALE = "male"
    TRANSGENDER = "transgender"


class Area(Choice):
    URBAN = "urban"
    SEMI_URBAN = "semi_urban"
    RURAL = "rural"


class CohortKind(Choice):
    REGULAR = "regular"
    CAMP = "camp"


class Shift(Choice):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    WEEKEND = "weekend"


class Mode(Choice):
    ON_SITE = "on_site"
    ONLINE = "online"
    HYBRID = "hybrid"


class Admission(Choice):
    FIRST_COME = "first_come"
    REVIEWED = "reviewed"


class CohortStatus(Choice):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class EnrollmentStatus(Choice):
    PENDING = "pending"
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DROPPED = "dropped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Places that count against a trainee's limit of active places and against overlapping dates.
ACTIVE_ENROLLMENT_STATUSES = (EnrollmentStatus.PENDING, EnrollmentStatus.WAITLISTED, EnrollmentStatus.ENROLLED)


class EnrollmentSource(Choice):
    ONLINE = "online"
    WALK_IN = "walk_in"
    IMPORT = "import"


class Channel(Choice):
    EMAIL = "email"
    SMS = "sms"


class Role(Choice):
    TRAINEE = "trainee"
    STAFF = "staff"
    OVERSEER = "overseer"
    ADMIN = "admin"


LABELS: dict[enum.Enum, str] = {
    Track.IT_SUPPORT: "IT support",
    PartnerType.NGO: "NGO",
    PartnerType.IT_BOARD: "IT board",
    Channel.SMS: "SMS",
    Education.NONE: "No formal education",
    Education.MATRIC: "Matriculation",
    Education.INTERMEDIATE: "Intermediate (FA/FSc)",
    Education.BACHELOR: "Bachelor's degree",
    Education.MASTER: "Master's degree",
    Area.SEMI_URBAN: "Semi-urban",
    Mode.ON_SITE: "On-site",
    Admission.FIRST_COME: "First come, first served",
    Admission.REVIEWED: "Reviewed by the centre",
    CohortKind.CAMP: "Training camp",
    CohortKind.REGULAR: "Regular cohort",
}
