"""The words of the domain (DESIGN.md, "Vocabulary") as enums, each member with the label people read.

Values are what the database and the API hold; labels are what pages show, in the reader's language
(``label``). Downloads and the API's own sentences are data, the same for every reader: they use the
English label (``plain_label``).
"""

import enum

from flask import has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms.fields.choices import SelectChoice


class Choice(enum.StrEnum):
    """A stored value with a human label (``LABELS``)."""

    @property
    def label(self) -> str | LazyString:
        """What pages show, in the reader's language: a ``str`` translated now while the app runs. Before
        it runs (a constant built at import time, such as a form's choices) there is no reader yet: the
        label is then a lazy string, translated each time it is shown (``lazy_label``)."""
        return str(self.lazy_label) if has_app_context() else self.lazy_label

    @property
    def lazy_label(self) -> LazyString:
        """The label translated only when it is shown: for lists built once, at import time."""
        return LABELS[type(self)][self]

    @property
    def plain_label(self) -> str:
        """The English label, whatever the reader's language: for downloads and the API's messages."""
        with force_locale("en"):
            return str(self.lazy_label)

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """The members as options of a form's ``<select>``."""
        return [SelectChoice(member.value, member.lazy_label) for member in cls]

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


class WomenOnlyAdmits(Choice):
    """Who may join a women-only cohort: women, or women and transgender people (a cohort's setting)."""

    WOMEN = "women"
    WOMEN_AND_TRANSGENDER = "women_and_transgender"


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
    """How a cohort's seats are given: in order of application, by the centre's review, or by a published
    merit list (test and interview scores; DESIGN.md, "Selection")."""

    FIRST_COME = "first_come"
    REVIEWED = "reviewed"
    MERIT = "merit"


# The admissions whose applications wait (``pending``) for a decision: the centre's review, or the merit list.
WAITING_ADMISSIONS = (Admission.REVIEWED, Admission.MERIT)


class Pool(Choice):
    """Where a held seat comes from (DESIGN.md, "Selection"): the open seats, or the seats reserved for
    one category until the cohort's release time."""

    OPEN = "open"
    WOMEN = "women"
    RURAL = "rural"
    DISTRICT = "district"
    DISABILITY = "disability"


# The pools with reserved seats, in the order pages list them and ties are broken.
RESERVED_POOLS = (Pool.WOMEN, Pool.RURAL, Pool.DISTRICT, Pool.DISABILITY)


class CohortStatus(Choice):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class OfferState(Choice):
    """What became of the seat offered to a trainee (DESIGN.md, "Selection"; ``Enrollment.offer``): open
    until she answers or its deadline passes, then accepted, declined or expired; or cancelled, when it
    ended any other way (its cohort cancelled before she answered)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class EnrollmentStatus(Choice):
    PENDING = "pending"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    ENROLLED = "enrolled"
    REJECTED = "rejected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    DROPPED = "dropped"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"
    CANCELLED = "cancelled"


class NotCompletedReason(Choice):
    """Why a place ended ``not_completed`` when its cohort finished (DESIGN.md, "Attendance, assessment and
    certificates"): her attendance stayed below the course's threshold (she could not sit the assessment),
    or her mark was below the pass mark (or she has none)."""

    ATTENDANCE = "attendance"
    MARKS = "marks"


# Places that count against a trainee's limit of active places and against overlapping dates.
ACTIVE_ENROLLMENT_STATUSES = (
    EnrollmentStatus.PENDING,
    EnrollmentStatus.WAITLISTED,
    EnrollmentStatus.OFFERED,
    EnrollmentStatus.ENROLLED,
)
# The places that hold a seat: enrolled + offered never exceed the seats.
HOLDING_STATUSES = (EnrollmentStatus.OFFERED, EnrollmentStatus.ENROLLED)


class EnrollmentSource(Choice):
    ONLINE = "online"
    WALK_IN = "walk_in"
    IMPORT = "import"


class CertificateStatus(Choice):
    """A certificate is valid until revoked (with a reason), or replaced by a reissue with a new number."""

    VALID = "valid"
    REVOKED = "revoked"
    REPLACED = "replaced"


class Channel(Choice):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(Choice):
    """Where an outbox message is: waiting (``pending``, also between retries), accepted by the gateway
    (``sent``), confirmed by a delivery receipt (``delivered``), given up (``failed``: after the last attempt,
    or a receipt saying so), or set aside by an admin (``discarded``)."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DISCARDED = "discarded"


class Role(Choice):
    TRAINEE = "trainee"
    STAFF = "staff"
    OVERSEER = "overseer"
    ADMIN = "admin"
    # Takes outcome answers by phone (DESIGN.md, "Outcomes"): scoped to centres (memberships, like staff) or to
    # one province (``UserAccount.province``, like a provincial overseer); sees nothing else.
    CALLER = "caller"


# What pages show for each member, in the reader's language. Keyed by class first: members of two
# vocabularies with the same value (Level.INTERMEDIATE, Education.INTERMEDIATE) are equal strings.
LABELS: dict[type[Choice], dict[Choice, LazyString]] = {
    Track: {
        Track.SOFTWARE_DEVELOPMENT: _l("Software development"),
        Track.DIGITAL_MARKETING: _l("Digital marketing"),
        Track.CONTENT_CREATION: _l("Content creation"),
        Track.IT_SUPPORT: _l("IT support"),
        Track.GRAPHIC_DESIGN: _l("Graphic design"),
        Track.VIRTUAL_ASSISTANCE: _l("Virtual assistance"),
        Track.CUSTOMER_SUPPORT: _l("Customer support"),
        Track.ONLINE_TUTORING: _l("Online tutoring"),
    },
    PartnerType: {
        PartnerType.UNIVERSITY: _l("University"),
        PartnerType.COLLEGE: _l("College"),
        PartnerType.NGO: _l("NGO"),
        PartnerType.IT_BOARD: _l("IT board"),
        PartnerType.PRIVATE: _l("Private"),
    },
    Level: {
        Level.BEGINNER: _l("Beginner"),
        Level.INTERMEDIATE: _l("Intermediate"),
        Level.ADVANCED: _l("Advanced"),
    },
    Education: {
        Education.NONE: _l("No formal education"),
        Education.PRIMARY: _l("Primary"),
        Education.MIDDLE: _l("Middle"),
        Education.MATRIC: _l("Matriculation"),
        Education.INTERMEDIATE: _l("Intermediate (FA/FSc)"),
        Education.BACHELOR: _l("Bachelor's degree"),
        Education.MASTER: _l("Master's degree"),
        Education.DOCTORATE: _l("Doctorate"),
    },
    Gender: {
        Gender.FEMALE: _l("Female"),
        Gender.MALE: _l("Male"),
        Gender.TRANSGENDER: _l("Transgender"),
    },
    Area: {
        Area.URBAN: _l("Urban"),
        Area.SEMI_URBAN: _l("Semi-urban"),
        Area.RURAL: _l("Rural"),
    },
    CohortKind: {
        CohortKind.REGULAR: _l("Regular cohort"),
        CohortKind.CAMP: _l("Training camp"),
    },
    WomenOnlyAdmits: {
        WomenOnlyAdmits.WOMEN: _l("Women"),
        WomenOnlyAdmits.WOMEN_AND_TRANSGENDER: _l("Women and transgender people"),
    },
    Shift: {
        Shift.MORNING: _l("Morning"),
        Shift.AFTERNOON: _l("Afternoon"),
        Shift.EVENING: _l("Evening"),
        Shift.WEEKEND: _l("Weekend"),
    },
    Mode: {
        Mode.ON_SITE: _l("On-site"),
        Mode.ONLINE: _l("Online"),
        Mode.HYBRID: _l("Hybrid"),
    },
    Admission: {
        Admission.FIRST_COME: _l("First come, first served"),
        Admission.REVIEWED: _l("Reviewed by the centre"),
        Admission.MERIT: _l("Merit list"),
    },
    Pool: {
        Pool.OPEN: _l("Open seats"),
        Pool.WOMEN: _l("Reserved for women"),
        Pool.RURAL: _l("Reserved for rural applicants"),
        Pool.DISTRICT: _l("Reserved for residents of the district"),
        Pool.DISABILITY: _l("Reserved for persons with disability"),
    },
    CohortStatus: {
        CohortStatus.DRAFT: _l("Draft"),
        CohortStatus.OPEN: _l("Open"),
        CohortStatus.CLOSED: _l("Closed"),
        CohortStatus.RUNNING: _l("Running"),
        CohortStatus.FINISHED: _l("Finished"),
        CohortStatus.CANCELLED: _l("Cancelled"),
    },
    OfferState: {
        OfferState.OPEN: _l("Offer open"),
        OfferState.ACCEPTED: _l("Offer accepted"),
        OfferState.DECLINED: _l("Offer declined"),
        OfferState.EXPIRED: _l("Offer expired"),
        OfferState.CANCELLED: _l("Offer cancelled"),
    },
    EnrollmentStatus: {
        EnrollmentStatus.PENDING: _l("Pending"),
        EnrollmentStatus.WAITLISTED: _l("Waitlisted"),
        EnrollmentStatus.OFFERED: _l("Offered a seat"),
        EnrollmentStatus.ENROLLED: _l("Enrolled"),
        EnrollmentStatus.REJECTED: _l("Rejected"),
        EnrollmentStatus.DECLINED: _l("Declined"),
        EnrollmentStatus.WITHDRAWN: _l("Withdrawn"),
        EnrollmentStatus.DROPPED: _l("Dropped"),
        EnrollmentStatus.COMPLETED: _l("Completed"),
        EnrollmentStatus.NOT_COMPLETED: _l("Not completed"),
        EnrollmentStatus.CANCELLED: _l("Cancelled"),
    },
    NotCompletedReason: {
        NotCompletedReason.ATTENDANCE: _l("Attendance below the threshold"),
        NotCompletedReason.MARKS: _l("Mark below the pass mark, or no mark"),
    },
    EnrollmentSource: {
        EnrollmentSource.ONLINE: _l("Online"),
        EnrollmentSource.WALK_IN: _l("Walk in"),
        EnrollmentSource.IMPORT: _l("Import"),
    },
    MessageStatus: {
        MessageStatus.PENDING: _l("Waiting to be sent"),
        MessageStatus.SENT: _l("Sent"),
        MessageStatus.DELIVERED: _l("Delivered"),
        MessageStatus.FAILED: _l("Failed"),
        MessageStatus.DISCARDED: _l("Discarded"),
    },
    CertificateStatus: {
        CertificateStatus.VALID: _l("Valid"),
        CertificateStatus.REVOKED: _l("Revoked"),
        CertificateStatus.REPLACED: _l("Replaced"),
    },
    Channel: {
        Channel.EMAIL: _l("Email"),
        Channel.SMS: _l("SMS"),
    },
    Role: {
        Role.TRAINEE: _l("Trainee"),
        Role.STAFF: _l("Staff"),
        Role.OVERSEER: _l("Overseer"),
        Role.ADMIN: _l("Admin"),
        Role.CALLER: _l("Caller"),
    },
}
