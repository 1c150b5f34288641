"""The outcomes report at ``/oversight/outcomes``: what graduates answered 3, 6 and 12 months after their cohort
ended — response, work, earnings and the women's and rural gaps — per wave, grouped as the reader chooses, within
her scope (``auth.permissions.oversight_scope``: the nation, her province, or her own centres). Every figure is
read from ``oversight.queries.outcomes_report`` and defined in ``oversight.outcome_figures``.

The query string (``wave``, ``by``, ``province``) is typed by anyone: a value that is not understood is left out
and the page says which and why, as on the capacity pages; a province outside the reader's scope answers 403."""

from dataclasses import dataclass

from flask import render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from auth.permissions import OVERSIGHT, OversightScope, allow, deny, oversight_scope, place_refusal, scope_reaches
from centres.models import Province
from extensions import db
from language import place_name
from listing import text_arg
from oversight import bp
from oversight.outcome_figures import OUTCOME_FIGURES, rule_texts
from oversight.queries.outcomes import (
    OUTCOME_GROUPINGS,
    SUPPRESS_BELOW,
    WAVES,
    OutcomeRow,
    headline,
    outcomes_report,
)
from oversight.routes import CODE, Problem
from vocabulary import Area, Gender, PartnerType, Track


@dataclass(frozen=True)
class OutcomeFilters:
    """What the report was asked for: the wave, the grouping and (optionally) one province by code."""

    wave: int
    group_by: str
    province_code: str | None = None

    def args(self, **changes) -> dict[str, str]:
        values = {"wave": str(self.wave), "by": self.group_by} | {
            key: str(value) for key, value in changes.items() if value is not None
        }
        if self.province_code and "province" not in changes:
            values["province"] = self.province_code
        return values


def default_grouping(scope: OversightScope) -> str:
    """What the top of the reader's scope is made of: provinces, her province's districts, or her centres."""
    return "province" if scope.is_national else ("district" if scope.province_id is not None else "centre")


def read_outcome_filters(scope: OversightScope) -> tuple[OutcomeFilters, list[Problem]]:
    """The wave (default 3), grouping (default: ``default_grouping``) and province of the query string, and what
    was left out; 403 for a province outside the reader's scope."""
    problems: list[Problem] = []
    raw_wave = text_arg("wave", 10)
    wave = 3
    if raw_wave:
        if raw_wave in {str(months) for months in WAVES}:
            wave = int(raw_wave)
        else:
            problems.append(Problem("wave", raw_wave, "unknown_wave"))
    group_by = default_grouping(scope)
    raw_by = text_arg("by", 20)
    if raw_by:
        if raw_by in OUTCOME_GROUPINGS:
            group_by = raw_by
        else:
            problems.append(Problem("by", raw_by, "unknown_grouping"))
    province_code = None
    if raw := text_arg("province", 40):
        place = db.session.scalar(select(Province).where(Province.code == raw.upper())) if CODE.fullmatch(raw) else None
        if place is None:
            problems.append(Problem("province", raw, "unknown_province"))
        elif not scope_reaches(scope, province_id=place.id):
            deny(place_refusal(current_user, place))
        else:
            province_code = place.code
    return OutcomeFilters(wave, group_by, province_code), problems


VOCABULARIES = {"track": Track, "gender": Gender, "area": Area, "partner": PartnerType}


def shown_name(group_by: str, row: OutcomeRow, places: dict[str, object]) -> str:
    """A group's name in the reader's language (the report's names are English, for the API and downloads)."""
    if group_by in VOCABULARIES:
        return VOCABULARIES[group_by](row.key).label
    if group_by == "month":
        year, month = (int(part) for part in row.key.split("-"))
        from datetime import date

        return format_date(date(year, month, 1), "LLL y")
    if row.key in places:
        return place_name(places[row.key])
    return row.name


def group_places(group_by: str, rows: list[OutcomeRow]) -> dict[str, object]:
    from oversight.queries import report_places

    return report_places(group_by, [row.key for row in rows]) if group_by in {"province", "district"} else {}


def chart_json(scope: OversightScope, filters: OutcomeFilters) -> dict:
    """The charts' numbers: the earnings quartiles by track and the trend by cohort end month (suppressed
    figures as null: Chart.js leaves a gap)."""
    by_track = outcomes_report(scope, filters.wave, "track", province_code=filters.province_code).rows
    by_month = outcomes_report(scope, filters.wave, "month", province_code=filters.province_code).rows
    return {
        "earnings": {
            "labels": [Track(row.key).label for row in by_track],
            "range": [[row.earnings_q1, row.earnings_q3] if row.earnings_q1 is not None else None for row in by_track],
            "median": [row.earnings_median for row in by_track],
            "rangeLabel": _("Lower to upper quartile (PKR a month)"),
            "medianLabel": _("Median (PKR a month)"),
            "rows": [
                (Track(row.key).label, row.earners, row.earnings_q1, row.earnings_median, row.earnings_q3)
                for row in by_track
            ],
        },
        "trend": {
            "labels": [shown_name("month", row, {}) for row in by_month],
            "median": [row.earnings_median for row in by_month],
            "earning": [None if row.share_earning is None else round(row.share_earning * 100, 1) for row in by_month],
            "medianLabel": _("Median monthly earnings (PKR)"),
            "earningLabel": _("Earning, per cent of answers"),
            "rows": [
                (shown_name("month", row, {}), row.answers, row.share_earning, row.earnings_median) for row in by_month
            ],
        },
    }


@bp.get("/outcomes")
@allow(OVERSIGHT)
def outcomes():
    """The outcomes report: the headline, the table of the chosen grouping with its total, the charts and the
    definitions."""
    scope = oversight_scope(current_user)
    filters, problems = read_outcome_filters(scope)
    report = outcomes_report(scope, filters.wave, filters.group_by, province_code=filters.province_code)
    rows, total = report.rows, report.total
    places = group_places(filters.group_by, rows)
    return render_template(
        "oversight/outcomes.html",
        filters=filters,
        problems=problems,
        rows=rows,
        total=total,
        names={row.key: shown_name(filters.group_by, row, places) for row in rows},
        top=headline(total),
        figures=OUTCOME_FIGURES,
        rules=rule_texts(_),
        minimum=SUPPRESS_BELOW,
        waves=WAVES,
        groupings=OUTCOME_GROUPINGS,
        provinces=db.session.scalars(select(Province).order_by(Province.name)).all() if scope.is_national else [],
        charts=chart_json(scope, filters) if total.waves else None,
        downloads={fmt: url_for("oversight.export_outcomes", fmt=fmt, **filters.args()) for fmt in ("csv", "xlsx")},
        self_url=request.path,
    )
