"""The enrollment rules (DESIGN.md, "Enrollment rules"): the only code that changes enrollment state.

Every function takes the acting user, checks the rules before writing anything, raises a refusal a
person can read, writes one audit event per enrollment that changes (with the reason for staff
decisions), queues the trainee's notification in the same transaction, flushes, and never commits.

By domain: ``rules`` (the refusals and the checks, read-only), ``applying`` (apply, register, a whole
list, and what a trainee can do on a cohort's page), ``decisions`` (approve, reject, withdraw, drop),
``marks`` (assessment marks), ``completion`` (completion by rule when a cohort finishes, and overrides),
``bulk`` (one decision on many places), ``waitlist`` (promoting the next in line who
qualifies for the free seat's pool, releasing reserved seats, what is due when a cohort is touched),
``offers`` (accept, decline, expiry and reminders), ``cohorts`` (seats and reserved seats, the start,
cancelling), ``announcements`` (a message to a cohort's trainees);
``changes`` (locks, counters, the status move and its audit event) and ``messages`` (what the trainee is
told) serve them all. Callers use this package's names: ``from enrollments import services``,
``services.apply(...)``.

Concurrency. Seats are taken with one conditional UPDATE (``enrolled_count < seats``), so two
requests can never both take the last seat, on SQLite or PostgreSQL, and the database's CHECK
constraint backs it up. A trainee's limits (at most ``MAX_ACTIVE_PLACES`` active places, none
overlapping) span cohorts: every place made for her stamps her record (``Trainee.updated_at``), and an
application writes her record only if the stamp is still the one read before her places were (else her row
is locked and her places read again), so two applications of hers never both pass the limits. On
PostgreSQL rows are locked with ``SELECT ... FOR NO KEY UPDATE`` (re-read, never a stale copy); SQLite's
``BEGIN IMMEDIATE`` serialises writers anyway. Locks are always taken in one order: the cohort first, then
trainees. Every operation concerns exactly one cohort, so no two transactions can each hold a cohort the
other waits for; and a withdrawal that promotes the next in line never waits for a trainee while someone
holding that trainee waits for the cohort (the deadlock the concurrency tests found with the other order).
The common application, an open seat in a first-come cohort, takes no lock before its seat's UPDATE
(``applying.place_in_open_seat``): the cohort's row is held only from the seat to the commit.
"""

from enrollments.services.announcements import (
    AUDIENCES,
    MAX_MESSAGE_LENGTH,
    MAX_SUBJECT_LENGTH,
    Announcement,
    message_cohort,
    preview_message,
)
from enrollments.services.applying import Placement, Prospect, apply, prospect, register
from enrollments.services.bulk import (
    BULK_ACTIONS,
    MAX_BULK_PLACES,
    BulkAction,
    BulkOutcome,
    bulk_actions,
    chosen_places,
    decide_many,
)
from enrollments.services.changes import change_counters
from enrollments.services.cohorts import (
    MAX_SEATS,
    MIN_SEATS,
    cancel_cohort,
    change_capacity,
    change_seats,
    check_reserve_numbers,
    check_reserves,
    check_seat_count,
    check_seats,
    end_waiting,
    start_training,
)
from enrollments.services.completion import FinishPreview, decide_places, override, preview_finish
from enrollments.services.decisions import (
    FreedPlace,
    approve,
    drop,
    drop_place,
    reject,
    withdraw,
    withdraw_place,
)
from enrollments.services.lists import ListPlacement, register_many
from enrollments.services.marks import MarkEntry, MarksRefused, enter_marks, markable_places
from enrollments.services.messages import message_for
from enrollments.services.offers import accept, decline, due_cohorts, settle_for_timer
from enrollments.services.rules import (
    ApplicationsClosed,
    EnrollmentRefused,
    NotAllowed,
    NotEligible,
    NotPossibleNow,
    OverlappingPlace,
    ReasonRequired,
    TooManyPlaces,
    closed_reason,
    line_order,
    overlaps,
    places_refusal,
    waitlist_position,
)
from enrollments.services.waitlist import fill, promote_next, release, settle_due, whole_waitlist

__all__ = [
    "AUDIENCES",
    "BULK_ACTIONS",
    "MAX_BULK_PLACES",
    "MAX_MESSAGE_LENGTH",
    "MAX_SEATS",
    "MAX_SUBJECT_LENGTH",
    "MIN_SEATS",
    "Announcement",
    "ApplicationsClosed",
    "BulkAction",
    "BulkOutcome",
    "EnrollmentRefused",
    "FinishPreview",
    "FreedPlace",
    "ListPlacement",
    "MarkEntry",
    "MarksRefused",
    "NotAllowed",
    "NotEligible",
    "NotPossibleNow",
    "OverlappingPlace",
    "Placement",
    "Prospect",
    "ReasonRequired",
    "TooManyPlaces",
    "accept",
    "apply",
    "approve",
    "bulk_actions",
    "cancel_cohort",
    "change_capacity",
    "change_counters",
    "change_seats",
    "check_reserve_numbers",
    "check_reserves",
    "check_seat_count",
    "check_seats",
    "chosen_places",
    "closed_reason",
    "decide_many",
    "decide_places",
    "decline",
    "drop",
    "drop_place",
    "due_cohorts",
    "end_waiting",
    "enter_marks",
    "fill",
    "line_order",
    "markable_places",
    "message_cohort",
    "message_for",
    "overlaps",
    "override",
    "places_refusal",
    "preview_finish",
    "preview_message",
    "promote_next",
    "prospect",
    "register",
    "register_many",
    "reject",
    "release",
    "settle_due",
    "settle_for_timer",
    "start_training",
    "waitlist_position",
    "whole_waitlist",
    "withdraw",
    "withdraw_place",
]
