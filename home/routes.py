"""The front page: what Markaz is, a search box, the tracks, and live counts."""

from flask import render_template

from auth.permissions import PUBLIC, allow
from courses.catalogue import catalogue_counts
from database import utcnow
from home import bp
from vocabulary import Track


@bp.get("/")
@allow(PUBLIC)
def index():
    return render_template("home/index.html", counts=catalogue_counts(utcnow().date()), tracks=list(Track))
