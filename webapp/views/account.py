"""The signed-in account: profile, password change, closure."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from webapp.forms.account import ChangePasswordForm, CloseAccountForm
from webapp.forms.auth import EmptyForm
from webapp.services import accounts, booking
from webapp.views.access import signed_in
from webapp.views.limits import form_again, keeps_form_when_refused, per_account

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
@signed_in
def profile():
    return render_template("account/profile.html", logout_form=EmptyForm())


@bp.route("/password", methods=["GET", "POST"])
@signed_in
@per_account("10 per hour")
@keeps_form_when_refused(form_again("account/password.html", ChangePasswordForm))
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if accounts.change_password(user, form.current_password.data, form.password.data):
            login_user(user)  # this session carries on with the new session version
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("account.profile"))
        form.current_password.errors.append(_("The current password is not right."))
    status = 422 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status


@bp.route("/close", methods=["GET", "POST"])
@signed_in
@per_account("10 per hour")
@keeps_form_when_refused(form_again("account/close.html", CloseAccountForm))
def close():
    """Closing states first the fee of every paid appointment that closing forfeits."""
    form = CloseAccountForm()
    if form.validate_on_submit():
        reason = ": ".join(filter(None, [form.reason.data, form.details.data]))
        outcome = accounts.close_account(
            current_user,
            form.password.data,
            reason,
            forfeit_shown=request.form.get("forfeit_shown", 0, type=int),
        )
        if outcome is accounts.ClosureOutcome.CLOSED:
            logout_user()
            session.clear()
            flash(
                _("Your account is closed. Your records are kept as the law requires."), "success"
            )
            return redirect(url_for("main.index"))
        if outcome is accounts.ClosureOutcome.WRONG_PASSWORD:
            form.password.errors.append(_("The password is not right."))
        else:
            flash(
                _("An appointment was paid meanwhile. Read what closing forfeits again."), "error"
            )
    status = 422 if request.method == "POST" else 200
    appointments = booking.paid_appointments(current_user.id)
    # Asked for from the profile with htmx: the panel alone, in place.
    in_place = request.htmx.target == "close-confirmation" and request.method == "GET"
    template = "account/_close_panel.html" if in_place else "account/close.html"
    return render_template(template, form=form, appointments=appointments), status
