"""The yardstick for the catalogue benchmark: a bare Flask page that reads the same first 20 cohorts
as the catalogue's default view with one SQLAlchemy Core query and renders them with a minimal
template. No blueprints, no sessions, no permissions, no layout."""

import os
from datetime import UTC, datetime

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

QUERY = text(
    """
    SELECT course.title, centre.name, district.name, province.name, cohort.starts_on, cohort.ends_on,
           cohort.seats - cohort.enrolled_count AS seats_left, cohort.code
    FROM cohort
    JOIN course ON course.id = cohort.course_id
    JOIN centre ON centre.id = cohort.centre_id
    JOIN district ON district.id = centre.district_id
    JOIN province ON province.id = district.province_id
    WHERE cohort.status IN ('open', 'closed', 'running', 'finished') AND centre.active AND cohort.starts_on >= :today
    ORDER BY cohort.starts_on, cohort.code
    LIMIT 20
    """
)
TEMPLATE = """<!doctype html><title>Courses</title><ul>
{% for title, centre, district, province, starts, ends, left, code in rows %}
<li><a href="/courses/cohorts/{{ code }}">{{ title }}</a> {{ centre }}, {{ district }}, {{ province }}
{{ starts }} – {{ ends }}: {{ left }} seats left</li>{% endfor %}</ul>"""

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"])


@app.get("/courses/")
def catalogue():
    with engine.connect() as connection:
        rows = connection.execute(QUERY, {"today": datetime.now(UTC).date()}).all()
    return render_template_string(TEMPLATE, rows=rows)
