"""Admin pages at ``/auth/admin``: the admin's home, and user accounts (list, create, edit, deactivate,
reactivate). New staff, overseer and admin accounts get no password from the admin: the person is
emailed a link to choose their own.

Every view is for admins only; the rules live in ``auth.services``.
"""

import secrets
from dataclasses import replace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from auth import bp
from auth.admin_forms import AccountForm, ConfirmForm, EditAccountForm
from auth.models import CentreMembership, UserAccount
from auth.permissions import ADMINS, allow
from auth.services import AccountDetails, create_account, link_max_age, password_reset_token, update_account
from centres.models import Centre, Province
from courses.catalogue import escape_like
from courses.models import Course
from extensions import db
from links import absolute_url
from listing import LARGEST_ID, page_args, text_arg
from mail import send_email
from submitting import acting_user, form_status, run
from vocabulary import MessageStatus, Role

ACTIVE_FILTER = {"1": True, "0": False}


def get_account_or_404(user_id: int) -> UserAccount:
    """The account with ``user_id``; 404 if none (ids past the column's range included)."""
    if user_id > LARGEST_ID:
        abort(404)
    return db.get_or_404(UserAccount, user_id)


def account_details(form: AccountForm) -> AccountDetails:
    """What the admin typed, as the account services take it (a trainee's form has no scope fields)."""
    province_id = form.province.data if "province" in form else None
    centre_ids = form.centres.data if "centres" in form else []
    centres = (
        tuple(db.session.scalars(select(Centre).where(Centre.id.in_(centre_ids)).order_by(Centre.code)))
        if centre_ids
        else ()
    )
    return AccountDetails(
        email=form.email.data,
        full_name=form.full_name.data,
        role=form.role.data,
        province=db.session.get(Province, province_id) if province_id else None,
        centres=centres,
        active=form.active.data if "active" in form else True,
    )


def create_account_for(form: AccountForm) -> UserAccount:
    """The account the admin typed in, with a random password nobody knows (the person chooses hers)."""
    return create_account(account_details(form), secrets.token_urlsafe(32), actor=acting_user())


def details_as_they_are(user: UserAccount) -> AccountDetails:
    return AccountDetails(
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        province=user.province,
        centres=tuple(m.centre for m in user.memberships),
        active=user.active,
    )


def welcome_sent(user: UserAccount) -> tuple[str, str]:
    """Email a new account its link to choose a password (after the commit: the link must name an account
    that exists); what the admin is told of it, and how."""
    if email_password_link(user, new_account=True):
        sent = _("Account created for %(email)s. We emailed them a link to choose their password.", email=user.label)
        return sent, "success"
    unsent = _(
        "Account created for %(email)s, but the email with their password link could not be sent. "
        "Send it again from their account page.",
        email=user.label,
    )
    return unsent, "warning"


def change_active(user: UserAccount, active: bool) -> UserAccount:
    """Deactivate or reactivate ``user``, the rest of the account as it is (``update_account``)."""
    return update_account(user, replace(details_as_they_are(user), active=active), actor=acting_user())


def scope_label(user: UserAccount) -> str:
    """What an account covers, in a few words: a province, centre codes, or everything."""
    if user.role is Role.OVERSEER:
        return user.province.name if user.province else _("National")
    if user.role is Role.CALLER and user.province is not None:
        return user.province.name
    if user.role in (Role.STAFF, Role.CALLER):
        return ", ".join(sorted(m.centre.code for m in user.memberships)) or _("No centre")
    if user.role is Role.ADMIN:
        return _("Everything")
    return _("Own records")


def link_lifetime(purpose: str) -> str:
    """How long a ``purpose`` link works, in words: "7 days", "1 hour", "30 minutes"."""
    seconds = link_max_age(purpose)
    if seconds >= 2 * 86400:
        return ngettext("%(num)d day", "%(num)d days", seconds // 86400)
    if seconds >= 3600:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3600)
    return ngettext("%(num)d minute", "%(num)d minutes", max(seconds // 60, 1))


def email_password_link(user: UserAccount, *, new_account: bool) -> bool:
    """Email ``user`` a link to choose their password; False when the mail server refused it (logged).
    Call it after the commit: the link must never name an account that was rolled back."""
    purpose = "welcome" if new_account else "reset"
    link = absolute_url("auth.reset_password", token=password_reset_token(user, purpose))
    # In the language of this request (the admin's), as every email to an account holder is.
    if new_account:
        subject = _("Your Markaz account: choose your password")
        opening = _(
            "An administrator has made you a Markaz account (%(role)s) with this email address.", role=user.role.label
        )
    else:
        subject = _("Markaz: choose your password")
        opening = _("An administrator has sent you a link to choose a new password for your Markaz account.")
    greeting = _("Hello %(name)s,", name=user.full_name or user.label)
    lifetime = _(
        "The link works once, for %(lifetime)s. If it has expired, use “Forgot your password?” on the sign-in page, "
        "or ask your administrator for a new link.",
        lifetime=link_lifetime(purpose),
    )
    choose = _("Choose your password here:")
    unexpected = _("If you were not expecting this message, you can ignore it.")
    body = f"{greeting}\n\n{opening}\n{choose}\n\n{link}\n\n{lifetime}\n\n{unexpected}\n"
    try:
        send_email(user.email, subject, body)
    except OSError:
        current_app.logger.exception("Could not email a password link to account %s", user.id)
        return False
    return True


# The admin's home ------------------------------------------------------------------------------------


def administration_counts() -> dict:
    """Centres active and inactive, courses, accounts by role (with how many are deactivated), and the
    outbox's messages waiting and failed."""
    from notifications.admin import status_counts

    messages = status_counts()
    centres = dict(db.session.execute(select(Centre.active, func.count(Centre.id)).group_by(Centre.active)).all())
    roles = dict(
        db.session.execute(select(UserAccount.role, func.count(UserAccount.id)).group_by(UserAccount.role)).all()
    )
    return {
        "centres_active": centres.get(True, 0),
        "centres_inactive": centres.get(False, 0),
        "courses": db.session.scalar(select(func.count(Course.id))) or 0,
        "roles": [(role, roles.get(role, 0)) for role in Role],
        "accounts_inactive": db.session.scalar(select(func.count(UserAccount.id)).where(UserAccount.active.is_(False)))
        or 0,
        "messages_pending": messages[MessageStatus.PENDING],
        "messages_failed": messages[MessageStatus.FAILED],
    }


@bp.get("/admin/")
@allow(ADMINS)
def administration():
    return render_template("auth/admin/index.html", counts=administration_counts())


# Accounts --------------------------------------------------------------------------------------------


@bp.get("/admin/users")
@allow(ADMINS)
def users():
    page, per_page = page_args()
    query = text_arg("q")
    role = Role.parse(request.args.get("role"))
    active = ACTIVE_FILTER.get(request.args.get("active", ""))
    stmt = (
        select(UserAccount)
        .options(
            joinedload(UserAccount.province),
            selectinload(UserAccount.memberships).joinedload(CentreMembership.centre),
        )
        .order_by(UserAccount.email, UserAccount.id)
    )
    if query:
        pattern = f"%{escape_like(query)}%"
        stmt = stmt.where(
            or_(UserAccount.email.ilike(pattern, escape="\\"), UserAccount.full_name.ilike(pattern, escape="\\"))
        )
    if role:
        stmt = stmt.where(UserAccount.role == role)
    if active is not None:
        stmt = stmt.where(UserAccount.active.is_(active))
    accounts = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return render_template(
        "auth/admin/users.html",
        accounts=accounts,
        scopes={user.id: scope_label(user) for user in accounts.items},
        query=query,
        chosen_role=role,  # not "role": base.html sets that name for the navigation bar
        active=request.args.get("active", "") if active is not None else "",
        roles=list(Role),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow(ADMINS)
def create_user():
    form = AccountForm()
    if form.validate_on_submit() and (user := run(form, lambda: create_account_for(form))):
        flash(*welcome_sent(user))
        return redirect(url_for("auth.users"))
    return render_template("auth/admin/user_form.html", form=form, user=None), form_status(form)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@allow(ADMINS)
def edit_user(user_id: int):
    user = get_account_or_404(user_id)
    form = EditAccountForm(data=AccountForm.data_of(user) if request.method == "GET" else None, account=user)
    if form.validate_on_submit() and run(
        form, lambda: update_account(user, account_details(form), actor=acting_user())
    ):
        flash(_("Saved the account of %(email)s.", email=user.label), "success")
        return redirect(url_for("auth.users"))
    return render_user_form(user, form, form_status(form))


def render_user_form(user: UserAccount, form: EditAccountForm, status: int):
    """The edit page, with the one-click status actions in a form of their own (prefixed, so that the
    two CSRF fields on the page have different ids)."""
    action_form = ConfirmForm(prefix="status")
    return render_template(
        "auth/admin/user_form.html", form=form, user=user, scope=scope_label(user), action_form=action_form
    ), status


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@allow(ADMINS)
def deactivate_user(user_id: int):
    user = get_account_or_404(user_id)
    if not user.active:
        flash(_("%(email)s is deactivated already.", email=user.label), "info")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    form = ConfirmForm()
    if form.validate_on_submit() and run(form, lambda: change_active(user, False)):
        flash(
            _(
                "%(email)s is deactivated: they can no longer sign in, their sessions have ended and their "
                "API tokens are revoked.",
                email=user.label,
            ),
            "success",
        )
        return redirect(url_for("auth.users"))
    return render_template("auth/admin/user_deactivate.html", form=form, user=user), form_status(form)


@bp.post("/admin/users/<int:user_id>/reactivate")
@allow(ADMINS)
def reactivate_user(user_id: int):
    user = get_account_or_404(user_id)
    if user.active:
        flash(_("%(email)s is active already.", email=user.label), "info")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    # A refusal is shown on the account as it is, next to the field to fix.
    form = EditAccountForm(formdata=None, data=AccountForm.data_of(user), account=user)
    if not run(form, lambda: change_active(user, True)):
        return render_user_form(user, form, form_status(form))
    flash(
        _(
            "%(email)s is active again and can sign in. Their old sessions and API tokens stay revoked.",
            email=user.label,
        ),
        "success",
    )
    return redirect(url_for("auth.edit_user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/password-link")
@allow(ADMINS)
def send_password_link(user_id: int):
    """Email the person a new link to choose their password (nothing is written)."""
    user = get_account_or_404(user_id)
    if not user.active:
        flash(_("Reactivate the account first: a deactivated account cannot choose a password."), "error")
    elif not user.email:
        flash(
            _(
                "This account has no email: its owner resets the password with a code sent by SMS, "
                "from the sign-in page."
            ),
            "error",
        )
    elif email_password_link(user, new_account=False):
        flash(_("We emailed %(email)s a link to choose their password.", email=user.label), "success")
    else:
        flash(_("The email to %(email)s could not be sent. Try again later.", email=user.label), "error")
    return redirect(url_for("auth.edit_user", user_id=user.id))
