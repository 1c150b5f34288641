"""Signing in and out (by email or mobile number), trainee sign-up and its code by SMS, the trainee's
profile, passwords (reset by email link or by SMS code), and each user's API tokens."""

from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth import bp
from auth.admin_forms import ConfirmForm
from auth.codes import CODE_MINUTES, issue_code, spend_attempt
from auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    MessageLanguageForm,
    NewCodeForm,
    ResetCodeForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignUpForm,
)
from auth.models import ApiToken, CodePurpose, PhoneCode, UserAccount
from auth.permissions import PUBLIC, SIGNED_IN, TRAINEES, allow, can_revoke_token, staff_centres
from auth.services import (
    SignUp,
    active_user_by_email,
    active_user_by_phone,
    authenticate,
    change_password,
    confirm_account,
    end_every_session,
    password_reset_token,
    set_password,
    sign_in_key,
    sign_up_trainee,
    user_for_reset_token,
)
from auth.services import reset_with_code as reset_password_with_code
from auth.sessions import current_session, idle_timeout, live_sessions, sign_in, sign_out
from auth.throttling import (
    CONFIRMING,
    count_code_sent,
    count_failure,
    throttle_codes,
    throttle_sign_in,
    throttled_message,
)
from auth.tokens import issue_token, tokens_of
from auth.tokens import revoke_token as revoke
from certificates.services import certificates_of_trainee
from courses.models import Cohort
from database import utcnow
from enrollments.identity import normalise_phone
from enrollments.models import Enrollment
from enrollments.trainees import choose_message_language
from extensions import db, limiter
from language import LANGUAGE_NAMES_IN_TEXT
from links import absolute_url
from listing import LARGEST_ID
from mail import send_email
from notifications.sender import send_now
from outcomes.forms import ConsentForm
from outcomes.services import set_outcome_consent
from refusals import Refusal
from submitting import acting_user, form_status, run
from vocabulary import Area, Education, Gender, Role

# The session key holding the mobile number a password reset by SMS code is for (``reset_with_code``).
RESET_NUMBER = "reset_number"


def home_for(user) -> str:
    """Where someone lands after signing in: her profile, his centre(s), the oversight area, a caller's
    calls due, admin."""
    if user.role is Role.TRAINEE:
        return url_for("auth.profile")
    if user.role is Role.STAFF:
        centres = staff_centres(user)
        if len(centres) == 1:
            return url_for("centres.dashboard", code=centres[0].code)
        return url_for("centres.mine")
    if user.role is Role.OVERSEER:
        return url_for("oversight.index")
    if user.role is Role.CALLER:
        return url_for("outcomes.calls")
    return url_for("auth.administration")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: ``next`` must never send anyone elsewhere
    (``//evil.example``, ``https://evil.example``, ``/\\evil.example`` and control characters are refused)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 32 or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def tokens_revoked_note(count: int) -> str:
    """What a new password did to the account's API tokens, as a sentence after the flash ("" for none)."""
    if not count:
        return ""
    return " " + ngettext(
        "Your API token has been revoked: make a new one for the program that used it.",
        "Your %(num)d API tokens have been revoked: make new ones for the programs that used them.",
        count,
    )


def wanted_next() -> str | None:
    """Where the reader was going (``?next=``, a path on this site: ``safe_next``), carried through sign-up,
    the code step and a password reset, so that she lands where she started (the cohort she wants)."""
    return safe_next(request.args.get("next"))


def sign_up(form: SignUpForm) -> tuple[UserAccount, int]:
    """Her account and trainee record (``sign_up_trainee``), waiting for the code queued for her number:
    the account and the id of the code's SMS, to send once committed."""
    user = sign_up_trainee(
        SignUp(
            email=form.email.data or None,
            password=form.password.data,
            cnic=form.cnic.data,
            full_name=form.full_name.data,
            gender=Gender(form.gender.data),
            date_of_birth=form.date_of_birth.data,
            phone=form.phone.data,
            district_id=form.district_id.data,
            area=Area(form.area.data),
            education=Education(form.education.data),
            gender_confirmed=form.gender_confirmed.data,
            outcome_consent=form.outcome_consent.data,
        )
    )
    return user, issue_code(user, CodePurpose.CONFIRM)


def send_code(message_id: int) -> None:
    """Send the SMS of a code just committed (``send_now``), counted by the limits of codes."""
    count_code_sent()
    send_now(message_id)


def wait_for_code(user: UserAccount) -> Response:
    """Send ``user`` (her password right, or her account just made) to the code step: this browser may try
    codes for her account, and nothing else, until she types the right one."""
    session[CONFIRMING] = user.id
    return redirect(url_for("auth.confirm", next=wanted_next()))


def waiting_account() -> UserAccount | None:
    """The account whose code this browser may type (``wait_for_code``), while it still waits for one."""
    user_id = session.get(CONFIRMING)
    user = db.session.get(UserAccount, user_id) if isinstance(user_id, int) and user_id <= LARGEST_ID else None
    return user if user is not None and user.active and not user.confirmed else None


def confirmed_and_signed_in(user: UserAccount, code: PhoneCode, typed: str) -> UserAccount:
    """``confirm_account``, then her signed in on this browser (a fresh session)."""
    confirm_account(user, code, typed)
    sign_in(user)
    return user


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@throttle_sign_in
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None and not user.confirmed:
            flash(_("Your account is waiting for the code we sent by SMS: type it here, or ask for a new one."), "info")
            return wait_for_code(user)
        if user is not None:
            sign_in(user)  # a fresh session, recorded server-side: nothing from before sign-in survives it
            db.session.commit()
            return redirect(wanted_next() or home_for(user))
        count_failure()
        # One message whether the account is unknown or the password wrong: nobody learns who has an account.
        form.form_errors.append(_("The email, mobile number or password is not correct."))
    status = 401 if form.form_errors else (422 if form.errors else 200)
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@allow(SIGNED_IN)
def logout():
    sign_out()
    db.session.commit()
    flash(_("You have signed out."), "success")
    return redirect(url_for("home.index"))


@bp.get("/sessions")
@allow(SIGNED_IN)
def sessions():
    user = acting_user()
    return render_template(
        "auth/sessions.html",
        sessions=live_sessions(user),
        current=current_session(),
        idle_minutes=int(idle_timeout(user).total_seconds() // 60),
        max_hours=current_app.config["SESSION_MAX_HOURS"],
    )


@bp.post("/sessions/sign-out-everywhere")
@allow(SIGNED_IN)
def sign_out_everywhere():
    end_every_session(acting_user())
    sign_out()
    db.session.commit()
    flash(_("You have signed out on every device and browser."), "success")
    return redirect(url_for("home.index"))


@bp.route("/signup", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("10 per hour", methods=["POST"], error_message=throttled_message)
@throttle_codes
def signup():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignUpForm()
    if form.validate_on_submit() and (made := run(form, lambda: sign_up(form))):
        user, message_id = made
        send_code(message_id)
        return wait_for_code(user)
    return render_template("auth/signup.html", form=form), form_status(form)


@bp.route("/confirm", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("30 per hour", methods=["POST"], error_message=throttled_message)
def confirm():
    """The code step: she types the code sent to her number, and is signed in where she was going."""
    if current_user.is_authenticated:  # confirmed already (she signed in)
        return redirect(home_for(current_user))
    user = waiting_account()
    if user is None:
        flash(_("Sign in with your mobile number or email to confirm your account."), "info")
        return redirect(url_for("auth.login", next=wanted_next()))
    form = CodeForm()
    # Two commits: the try is spent (and kept) before the code is compared, so that a wrong code, which
    # rolls back, still counts towards the code's 5 tries (``auth/codes.py``).
    if (
        form.validate_on_submit()
        and (code := run(form, lambda: spend_attempt(user, CodePurpose.CONFIRM)))
        and run(form, lambda: confirmed_and_signed_in(user, code, form.code.data))
    ):
        flash(_("Welcome to Markaz. Your account is ready: you can now apply to courses."), "success")
        return redirect(wanted_next() or url_for("auth.profile"))
    return render_template(
        "auth/confirm.html", form=form, user=user, new_code=NewCodeForm(), code_minutes=CODE_MINUTES
    ), form_status(form)


@bp.post("/confirm/new-code")
@allow(PUBLIC)
@throttle_codes
def new_code():
    """Another code for the account waiting for one (the last has expired, or never arrived)."""
    if current_user.is_authenticated:  # confirmed already (she signed in)
        return redirect(home_for(current_user))
    user = waiting_account()
    if user is None:
        flash(_("Sign in with your mobile number or email to confirm your account."), "info")
        return redirect(url_for("auth.login", next=wanted_next()))
    if NewCodeForm().validate_on_submit() and (message_id := run(None, lambda: issue_code(user, CodePurpose.CONFIRM))):
        send_code(message_id)
        flash(_("We have sent you a new code by SMS. The codes sent before it no longer work."), "success")
    return redirect(url_for("auth.confirm", next=wanted_next()))


def own_trainee():
    """The signed-in trainee's record; 404 for a trainee account whose record was removed by an admin."""
    trainee = current_user.trainee
    if trainee is None:
        abort(404)
    return trainee


def profile_page(trainee, language_form: MessageLanguageForm, consent_form: ConsentForm | None = None):
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.trainee_id == trainee.id)
        .options(selectinload(Enrollment.cohort).selectinload(Cohort.course))
        .order_by(Enrollment.applied_at.desc())
    ).all()
    return render_template(
        "auth/profile.html",
        trainee=trainee,
        enrollments=enrollments,
        certificates=certificates_of_trainee(trainee),
        language_form=language_form,
        consent_form=consent_form or ConsentForm(data={"outcome_consent": "yes" if trainee.outcome_consent else "no"}),
    )


@bp.get("/profile")
@allow(TRAINEES)
def profile():
    trainee = own_trainee()
    return profile_page(trainee, MessageLanguageForm(data={"language": trainee.language}))


@bp.post("/profile/message-language")
@allow(TRAINEES)
def message_language():
    trainee, form = own_trainee(), MessageLanguageForm()
    if form.validate_on_submit() and run(
        form, lambda: choose_message_language(trainee, form.language.data, actor=acting_user())
    ):
        chosen = str(LANGUAGE_NAMES_IN_TEXT[trainee.language])
        flash(
            _("Your SMS and email will be in %(language)s, whatever language you read the site in.", language=chosen),
            "success",
        )
        return redirect(url_for("auth.profile"))
    return profile_page(trainee, form), form_status(form)


@bp.post("/profile/outcome-consent")
@allow(TRAINEES)
def outcome_consent():
    trainee, form = own_trainee(), ConsentForm()
    if form.validate_on_submit() and run(
        form,
        lambda: set_outcome_consent(trainee, form.outcome_consent.data == "yes", actor=acting_user(), now=utcnow()),
    ):
        if trainee.outcome_consent:
            flash(_("Thank you: we will ask you about your work after your courses."), "success")
        else:
            flash(_("We will not ask you about your work after your courses."), "success")
        return redirect(url_for("auth.profile"))
    return profile_page(trainee, MessageLanguageForm(data={"language": trainee.language}), form), form_status(form)


@bp.route("/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def password():
    form, user = ChangePasswordForm(), acting_user()
    if form.validate_on_submit():
        current, new = form.current_password.data, form.new_password.data
        if revoked := run(form, lambda: change_password(user, current, new, keep=current_session())):
            flash(
                _("Your password has been changed. Other devices signed in to your account are signed out.")
                + tokens_revoked_note(revoked.tokens),
                "success",
            )
            return redirect(home_for(user))
    return render_template("auth/password.html", form=form), form_status(form)


def reset_email_key() -> str:
    return "reset:" + sign_in_key(request.form.get("email", ""))


def email_reset_link(user: UserAccount) -> None:
    """Email ``user`` a link to choose a new password (it carries ``next`` to the sign-in after it)."""
    link = absolute_url("auth.reset_password", token=password_reset_token(user), next=wanted_next())
    body = _(
        "Someone (we hope you) asked to reset the password of your Markaz account.\n\n"
        "Open this link within an hour to choose a new password:\n%(link)s\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.",
        link=link,
    )
    send_email(user.email, _("Reset your Markaz password"), body)


@bp.route("/reset", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("10 per hour", methods=["POST"], error_message=throttled_message)
@limiter.limit("3 per hour", key_func=reset_email_key, methods=["POST"], error_message=throttled_message)
@throttle_codes
def request_reset():
    """A reset link by email, or, for an account without email, a code by SMS (then ``reset_with_code``).
    The same answer whether or not the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        if "@" in form.email.data:
            user = active_user_by_email(form.email.data)
            if user is not None:
                email_reset_link(user)
            flash(_("If an account exists for that email, we have sent it a link to reset the password."), "info")
            return redirect(url_for("auth.login", next=wanted_next()))
        phone = normalise_phone(form.email.data)
        user = active_user_by_phone(phone)
        if user is not None and user.email:
            email_reset_link(user)
        elif user is not None and (message_id := run(None, lambda: issue_code(user, CodePurpose.RESET))):
            send_code(message_id)
        session[RESET_NUMBER] = phone
        flash(
            _(
                "If an account has this mobile number, we have sent it a code by SMS — or, if the account has an "
                "email, a link there."
            ),
            "info",
        )
        return redirect(url_for("auth.reset_with_code", next=wanted_next()))
    return render_template("auth/reset_request.html", form=form), form_status(form)


def new_password_signed_in(user: UserAccount, form: ResetPasswordForm):
    """``set_password`` from a reset or welcome link (every other session of hers ends), then her signed in
    on this browser: she has just proved she holds the link, and typed the password twice."""
    revoked = set_password(user, form.new_password.data, actor=user, reason="reset link")
    sign_in(user)
    return revoked


@bp.route("/reset/code", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("30 per hour", methods=["POST"], error_message=throttled_message)
def reset_with_code():
    """The code sent by SMS and a new password, for the number typed on the reset page. An unknown number
    reads like a wrong code: nobody learns which numbers have accounts here."""
    phone = session.get(RESET_NUMBER)
    if not isinstance(phone, str):
        return redirect(url_for("auth.request_reset", next=wanted_next()))
    user = active_user_by_phone(phone)
    form = ResetCodeForm()
    # Two commits, as at the sign-up's code step: a wrong code counts towards the code's tries.
    if (
        form.validate_on_submit()
        and (code := run(form, lambda: spend_attempt(user, CodePurpose.RESET)))
        and (revoked := run(form, lambda: reset_password_with_code(user, code, form.code.data, form.new_password.data)))
    ):
        session.pop(RESET_NUMBER, None)
        flash(_("Your new password is set. Sign in with it.") + tokens_revoked_note(revoked.tokens), "success")
        return redirect(url_for("auth.login", next=wanted_next()))
    return render_template("auth/reset_code.html", form=form, phone=phone, code_minutes=CODE_MINUTES), form_status(form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def reset_password(token: str):
    try:
        user = user_for_reset_token(token)
    except Refusal as error:
        flash(error.message, "error")
        return redirect(url_for("auth.request_reset", next=wanted_next()))
    form = ResetPasswordForm()
    if form.validate_on_submit() and (revoked := run(form, lambda: new_password_signed_in(user, form))):
        flash(_("Your new password is set, and you are signed in.") + tokens_revoked_note(revoked.tokens), "success")
        # Staff land on the list of their centres (a new staff member's first page: where her work is).
        return redirect(url_for("centres.mine") if user.role is Role.STAFF else home_for(user))
    return render_template("auth/reset_password.html", form=form), form_status(form)


# API tokens -----------------------------------------------------------------------------------------


def token_status(token: ApiToken, now) -> str:
    """What the token page says of a token: "revoked", "expired" or "active"."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if now >= token.expires_at else "active"


def unusable_message(token: ApiToken, status: str) -> str:
    """What the token pages say of a token nothing can use any more (``status`` "revoked" or "expired")."""
    if status == "expired":
        return _(
            "The token “%(name)s” (%(prefix)s…) is expired: nothing can use it any more.",
            name=token.name,
            prefix=token.prefix,
        )
    return _(
        "The token “%(name)s” (%(prefix)s…) is revoked: nothing can use it any more.",
        name=token.name,
        prefix=token.prefix,
    )


def get_token_or_404(token_id: int) -> ApiToken:
    """The API token with ``token_id``: 404 if none, 403 unless ``can_revoke_token`` (its owner, admins).
    A token of someone else is refused, not hidden, as the site's other loaders do."""
    if token_id > LARGEST_ID:  # no such row can exist, and the database would refuse the number
        abort(404)
    token = db.get_or_404(ApiToken, token_id)
    if not can_revoke_token(current_user, token):
        abort(403, _("This token belongs to another account: only its owner or an admin can revoke it."))
    return token


@bp.route("/tokens", methods=["GET", "POST"])
@allow(SIGNED_IN)
def tokens():
    user = acting_user()
    form = ApiTokenForm()
    made = secret = None
    if form.validate_on_submit() and (issued := run(form, lambda: issue_token(user, name=form.name.data, actor=user))):
        made, secret = issued
        form = ApiTokenForm(formdata=None)
    # A new token is shown in the answer to the POST that made it, not after a redirect: it is never
    # stored anywhere (the database keeps its digest only), not even for a moment in the session
    # cookie, which would carry it back to us and keep it in the browser's cookie jar. Reloading the
    # page asks to send the form again, which makes another token rather than showing this one.
    status = 201 if made else form_status(form)
    listed = tokens_of(user)
    now = utcnow()
    statuses = {token.id: token_status(token, now) for token in listed}
    page = render_template("auth/tokens.html", form=form, tokens=listed, statuses=statuses, made=made, secret=secret)
    return page, status


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@allow(SIGNED_IN)
def revoke_token(token_id: int):
    token = get_token_or_404(token_id)
    status = token_status(token, utcnow())
    if status != "active":
        flash(unusable_message(token, status), "info")
        return redirect(url_for("auth.tokens"))
    form = ConfirmForm()
    if form.validate_on_submit() and run(form, lambda: revoke(token, actor=acting_user())):
        flash(unusable_message(token, "revoked"), "success")
        return redirect(url_for("auth.tokens"))
    return render_template("auth/revoke_token.html", form=form, token=token), form_status(form)
