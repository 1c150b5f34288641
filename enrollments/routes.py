"""Trainee records, as staff, overseers and admins see them."""

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth.permissions import STAFF_AND_OVERSEERS, allow, get_trainee_or_404
from courses.models import Cohort
from enrollments import bp
from enrollments.models import Enrollment
from extensions import db


@bp.get("/trainees/<int:trainee_id>")
@allow(STAFF_AND_OVERSEERS)
def trainee_detail(trainee_id: int):
    trainee = get_trainee_or_404(trainee_id)
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.trainee_id == trainee.id)
        .options(
            selectinload(Enrollment.cohort).selectinload(Cohort.centre),
            selectinload(Enrollment.cohort).selectinload(Cohort.course),
        )
        .order_by(Enrollment.applied_at.desc())
    ).all()
    return render_template("enrollments/trainee_detail.html", trainee=trainee, enrollments=enrollments)
