"""The completion audit (issue 17): ``/oversight/completion``, attendance, assessment, completion by rule,
certificates, trainees at risk and backfilled seats by province, district, centre or track, split by gender or
area on request, with the definitions, a chart and the downloads (``/oversight/exports/completion.csv|xlsx``).

The query string is the audit pages' (``from``, ``to``, ``mode``, ``camps``, ``women_only``: what cannot be
used is shown as left out, as on every audit page; a download refuses it with 400), plus ``by`` (province,
district, centre or track; by default what the reader's top audit page shows), ``province`` (a code: only
that province) and ``split`` (gender or area). An unknown ``by`` or ``split`` is refused with 400 and a
sentence naming it: the table would not be the one asked for.
"""

from typing import NoReturn

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from auth.permissions import OVERSIGHT, OversightScope, allow, deny, oversight_scope, place_refusal, scope_reaches
from centres.models import Province
from extensions import db
from listing import text_arg
from oversight import bp
from oversight.completion_figures import COMPLETION_FIGURES, COMPLETION_KEYS, SPLIT_NOTE, completion_definition_rows
from oversight.export_files import ListSource, Table, send
from oversight.exports import applied, read_export_filters
from oversight.queries import (
    REPORT_GROUPINGS,
    SPLITS,
    AuditFilters,
    CompletionRow,
    audit_report,
    completion_report,
    completion_totals,
    report_totals,
)
from oversight.routes import CODE, Problem, filter_args, percent, read_filters, render_audit, shown_names
from submitting import acting_user
from vocabulary import Area, Gender, Track


def refuse(message: str) -> NoReturn:
    abort(400, message)


def top_grouping(scope: OversightScope) -> str:
    """What the reader's top audit page groups by: provinces (national), districts (a province), centres."""
    return "province" if scope.is_national else ("district" if scope.province_id is not None else "centre")


def read_choices(scope: OversightScope) -> tuple[str, str | None]:
    """``by`` and ``split`` of the query string; 400 naming the argument for a value that is neither."""
    group_by = text_arg("by", 20) or top_grouping(scope)
    if group_by not in REPORT_GROUPINGS:
        refuse(
            _(
                "%(field)s “%(value)s” must be province, district, centre or track.",
                field="by",
                value=group_by,
            )
        )
    split = text_arg("split", 20) or None
    if split is not None and split not in SPLITS:
        refuse(_("%(field)s “%(value)s” must be gender or area.", field="split", value=split))
    return group_by, split


def read_province(scope: OversightScope, problems: list[Problem] | None) -> Province | None:
    """``province`` (a code) as a province in the reader's scope (403 outside it). An unknown code is left
    out with a problem shown (``problems``, the page) or refused with 400 (``problems`` None, a download)."""
    raw = text_arg("province", 40)
    if not raw:
        return None
    place = db.session.scalar(select(Province).where(Province.code == raw.upper())) if CODE.fullmatch(raw) else None
    if place is None:
        if problems is None:
            refuse(
                _(
                    "The download was not made: %(field)s “%(value)s” is not the code of a province.",
                    field="province",
                    value=raw,
                )
            )
        problems.append(Problem("province", raw, "unknown_province"))
        return None
    if not scope_reaches(scope, province_id=place.id):
        deny(place_refusal(current_user, place))
    return place


def split_label(split: str, value: str) -> str:
    """A part of a split as the page names it, in the reader's language."""
    return Gender(value).label if split == "gender" else Area(value).label


def group_label(group_by: str, row: CompletionRow, names: dict[str, str]) -> str:
    return Track(row.key).label if group_by == "track" else names.get(row.key, row.name)


@bp.get("/completion")
@allow(OVERSIGHT)
def completion():
    """The completion audit of the reader's scope, grouped and split as asked (module docstring)."""
    scope = oversight_scope(current_user)
    group_by, split = read_choices(scope)
    filters, problems = read_filters()
    place = read_province(scope, problems)
    narrowed = AuditFilters(**(filters.arguments() | {"province_code": place.code if place else None}))
    rows = completion_report(scope, group_by, **narrowed.arguments())
    total = completion_totals(rows)
    names = shown_names(group_by, rows)
    labels = {row.key: group_label(group_by, row, names) for row in rows}
    seats = report_totals(audit_report(scope, group_by, narrowed))
    keep = filter_args(filters) | ({"province": place.code} if place else {})
    return render_audit(
        "oversight/completion.html",
        filters,
        problems,
        rows=rows,
        total=total,
        labels=labels,
        group_by=group_by,
        split=split,
        province=place,
        provinces=db.session.scalars(select(Province).order_by(Province.name)).all() if scope.is_national else [],
        figures=COMPLETION_FIGURES,
        split_note=SPLIT_NOTE,
        split_label=split_label,
        funnel=[
            ("seats", seats.seats),
            ("applied", seats.applications),
            ("enrolled", seats.trained),
            ("attended", total.figures.attended),
            ("passed", total.figures.passed),
            ("certified", total.figures.certified),
        ],
        outcomes=[
            (
                labels[row.key],
                row.figures.completed,
                row.figures.not_completed_attendance,
                row.figures.not_completed_marks,
                percent(row.figures.attendance_rate),
            )
            for row in rows
        ],
        downloads={
            fmt: url_for(
                "oversight.export_completion", fmt=fmt, by=group_by, **({"split": split} if split else {}), **keep
            )
            for fmt in ("csv", "xlsx")
        },
    )


@bp.get("/exports/completion.<any(csv, xlsx):fmt>")
@allow(OVERSIGHT)
def export_completion(fmt: str):
    """The completion table as the page shows it (same arguments), with every split: a row per group, then
    one per gender and one per area of it, and the total; the definitions under it."""
    scope = oversight_scope(current_user)
    group_by, _split = read_choices(scope)
    filters = read_export_filters()
    place = read_province(scope, None)
    narrowed = AuditFilters(**(filters.arguments() | {"province_code": place.code if place else None}))
    rows = completion_report(scope, group_by, **narrowed.arguments())

    def lines(row: CompletionRow) -> list[list]:
        parts = [("all", row.figures), *row.split("gender"), *row.split("area")]
        return [
            [row.key, row.name, part, *(getattr(figures, key) for key in COMPLETION_KEYS)] for part, figures in parts
        ]

    table = Table(
        what="completion",
        title=f"Completion by {group_by}",
        headings=["Key", group_by.capitalize(), "Part", *(figure.heading for figure in COMPLETION_FIGURES)],
        source=ListSource([line for row in [*rows, completion_totals(rows)] for line in lines(row)]),
        notes=[tuple(row) for row in completion_definition_rows()],
        filters=applied(filters, by=group_by, province=place.code if place else None),
        name_parts=(group_by,),
    )
    return send(table, fmt, actor=acting_user())
