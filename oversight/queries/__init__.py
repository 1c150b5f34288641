"""Reports as queries (STYLE.md, rule 5): each function returns rows computed by the database, or a
``Select`` to page through, filtered to a reader's scope; templates only format them. Figures are sums of
the cohort counters, kept in step with the enrollment table by the enrollment services.

By report: ``capacity`` (a centre's summary, the capacity report by place or track), ``capacity_audit``
(the audit pages: filters, flags, one centre's cohorts, women by month), ``trainees`` (the trainee
export's rows), ``completion`` (attendance, completion by rule and certificates, by gender and
area), ``audit_log`` (the audit trail: its actions, filters, pages and export rows). Callers use
this package's names (``from oversight.queries import capacity_report``).
"""

from oversight.queries.audit_log import (
    AUDIT_ACTIONS,
    AUDIT_OBJECT_TYPES,
    KNOWN_ACTIONS,
    AuditLogFilters,
    EventNames,
    after_audit_row,
    audit_event_labels,
    audit_event_names,
    audit_log,
    audit_log_rows,
    matching_actors,
)
from oversight.queries.capacity import (
    CURRENT_STATUSES,
    REPORT_GROUPINGS,
    REPORTED_STATUSES,
    CapacityReportRow,
    CentreSummary,
    capacity_report,
    centre_summaries,
    report_places,
    report_totals,
)
from oversight.queries.capacity_audit import (
    AuditFilters,
    Flag,
    MonthRow,
    Thresholds,
    audit_report,
    centre_cohorts,
    cohort_figures,
    flags_of,
    women_share_by_month,
)
from oversight.queries.cohort import cohort_roster
from oversight.queries.completion import (
    SPLITS,
    CompletionFigures,
    CompletionRow,
    completion_report,
    completion_totals,
)
from oversight.queries.trainees import after_trainee, district_names, trainees_for_export

__all__ = [
    "AUDIT_ACTIONS",
    "AUDIT_OBJECT_TYPES",
    "CURRENT_STATUSES",
    "KNOWN_ACTIONS",
    "REPORTED_STATUSES",
    "REPORT_GROUPINGS",
    "SPLITS",
    "AuditFilters",
    "AuditLogFilters",
    "CapacityReportRow",
    "CentreSummary",
    "CompletionFigures",
    "CompletionRow",
    "EventNames",
    "Flag",
    "MonthRow",
    "Thresholds",
    "after_audit_row",
    "after_trainee",
    "audit_event_labels",
    "audit_event_names",
    "audit_log",
    "audit_log_rows",
    "audit_report",
    "capacity_report",
    "centre_cohorts",
    "centre_summaries",
    "cohort_figures",
    "cohort_roster",
    "completion_report",
    "completion_totals",
    "district_names",
    "flags_of",
    "matching_actors",
    "report_places",
    "report_totals",
    "trainees_for_export",
    "women_share_by_month",
]
