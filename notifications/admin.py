"""The outbox page for admins: messages by status (failed first: the ones that need someone), each with its
last error, and a failed message's retry or discard behind a confirmation (``notifications.services``)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from auth.admin_forms import ConfirmForm
from auth.permissions import ADMINS, allow
from extensions import db
from listing import LARGEST_ID, page_args
from notifications import bp
from notifications.models import OutboxMessage
from notifications.services import discard_message, retry_message
from submitting import acting_user, form_status, run
from vocabulary import MessageStatus

ACTIONS = {"retry": retry_message, "discard": discard_message}


def status_counts() -> dict[MessageStatus, int]:
    """How many messages are in each status (one grouped count over the status index)."""
    by_status = select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    counts = dict(db.session.execute(by_status).all())
    return {status: counts.get(status, 0) for status in MessageStatus}


@bp.get("/outbox")
@allow(ADMINS)
def outbox():
    status = MessageStatus.parse(request.args.get("status")) or MessageStatus.FAILED
    page, per_page = page_args()
    # Newest first: the failure someone is asking about is usually the latest.
    stmt = select(OutboxMessage).where(OutboxMessage.status == status).order_by(OutboxMessage.id.desc())
    messages = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template(
        "notifications/outbox.html", messages=messages, status=status, counts=status_counts(), statuses=MessageStatus
    )


@bp.route("/outbox/<int:message_id>/<any(retry, discard):action>", methods=["GET", "POST"])
@allow(ADMINS)
def handle_failed(message_id: int, action: str):
    if message_id > LARGEST_ID:
        abort(404)
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status is not MessageStatus.FAILED and request.method == "GET":
        flash(_("This message is no longer failed (it is now: %(status)s).", status=message.status.label), "info")
        return redirect(url_for("notifications.outbox", status=message.status.value))
    form = ConfirmForm()
    if form.validate_on_submit() and run(form, lambda: ACTIONS[action](message, actor=acting_user())):
        done = {
            "retry": _("Message %(number)s is queued again: it will be sent within a minute.", number=message_id),
            "discard": _("Message %(number)s is discarded: it will not be sent.", number=message_id),
        }
        flash(done[action], "success")
        return redirect(url_for("notifications.outbox"))
    return render_template("notifications/confirm.html", form=form, message=message, action=action), form_status(
        form, refusal_status=True
    )
