"""Registration, activation by emailed code, login, logout and forgotten passwords."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from webapp.forms.auth import (
    CodeForm,
    EmptyForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from webapp.i18n import select_locale
from webapp.rules import roles
from webapp.services import accounts, devices
from webapp.views.access import public, signed_in
from webapp.views.limits import (
    back_with_refusal,
    form_again,
    keeps_form_when_refused,
    per_address,
    per_email,
    per_pending_account,
    per_reset_link,
    with_refusal,
)
from webapp.views.staff_auth import second_factor_page

bp = Blueprint("auth", __name__)


def _render(template: str, form, **context):
    """Re-show a form; 422 when it was posted and refused, so the client knows."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


@bp.route("/register", methods=["GET", "POST"])
@public
@per_address()
@per_email("5 per hour")
@keeps_form_when_refused(form_again("auth/register.html", RegisterForm))
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        accounts.register(
            full_name=form.full_name.data,
            email=form.email.data,
            phone=form.phone.data,
            password=form.password.data,
            locale=select_locale(),
        )
        session["pending_email"] = accounts.normalise_email(form.email.data)
        return redirect(url_for("auth.verify"))
    return _render("auth/register.html", form)


def _pending_email() -> str | None:
    if current_user.is_authenticated:
        return current_user.email
    return session.get("pending_email")


def _verify_refused(message: str):
    email = _pending_email()
    if email is None:
        return redirect(url_for("auth.login"))
    form = with_refusal(CodeForm(), message)
    return render_template("auth/verify.html", form=form, email=email, resend_form=EmptyForm())


@bp.route("/verify", methods=["GET", "POST"])
@public
@per_pending_account("10 per 15 minutes")
@keeps_form_when_refused(_verify_refused)
def verify():
    email = _pending_email()
    if email is None:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        check = accounts.check_activation_code(email, form.code.data)
        if check.outcome in (accounts.CodeOutcome.VERIFIED, accounts.CodeOutcome.ALREADY_VERIFIED):
            flash(_("Your email address is confirmed."), "success")
            return redirect(
                url_for("main.index" if current_user.is_authenticated else "auth.login")
            )
        form.code.errors.append(_code_message(check))
    return _render("auth/verify.html", form, email=email, resend_form=EmptyForm())


def _code_message(check: accounts.CodeCheck) -> str:
    if check.outcome is accounts.CodeOutcome.WRONG:
        return _("That code is not right. %(count)d tries left.", count=check.attempts_left)
    if check.outcome is accounts.CodeOutcome.EXPIRED:
        return _("That code has expired. Ask for a new one below.")
    if check.outcome is accounts.CodeOutcome.LOCKED:
        return _("Too many wrong tries. Ask for a new code below.")
    return _("There is no valid code. Ask for a new one below.")


@bp.route("/verify/resend", methods=["POST"])
@public
@per_pending_account("5 per hour")
@keeps_form_when_refused(lambda message: back_with_refusal(url_for("auth.verify"), message))
def resend_code():
    email = _pending_email()
    user = accounts.find_by_email(email) if email else None
    if EmptyForm().validate_on_submit() and user is not None and not user.is_verified:
        try:
            accounts.send_activation_code(user)
            flash(_("We sent a new code. Codes sent earlier no longer work."), "success")
        except accounts.ResendRefused as refused:
            flash(
                _(
                    "Please wait %(seconds)d seconds before asking for another code.",
                    seconds=refused.wait_seconds,
                ),
                "error",
            )
    return redirect(url_for("auth.verify"))


def start_session(user) -> None:
    """A fresh session at login: nothing from before it carries over, not even the CSRF token."""
    session.clear()
    session.permanent = True
    login_user(user)
    devices.record_sign_in(user)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, so login cannot redirect people away."""
    parts = urlsplit(target or "")
    printable = target is not None and all(32 < ord(c) < 127 for c in target)
    if printable and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@per_address()
@per_email("10 per 15 minutes")
@keeps_form_when_refused(form_again("auth/login.html", LoginForm))
def login():
    form = LoginForm(email=session.get("pending_email"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            if roles.needs_second_factor(user.role):
                return redirect(second_factor_page(user))
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("The email address or password is not right."))
    return _render("auth/login.html", form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        session.clear()
        flash(_("You are logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@per_address()
@per_email("5 per hour")
@keeps_form_when_refused(form_again("auth/forgot.html", ForgotPasswordForm))
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return _render("auth/forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@per_address()
@per_reset_link("10 per hour")
@keeps_form_when_refused(form_again("auth/reset.html", ResetPasswordForm))
def reset_password(token: str):
    if not accounts.reset_link_is_valid(token):
        return render_template("auth/reset_invalid.html"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if accounts.reset_password(token, form.password.data):
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
        return render_template("auth/reset_invalid.html"), 410
    return _render("auth/reset.html", form)
