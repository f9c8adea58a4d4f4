"""The link an invited member of staff opens: they choose their password and so make their
account (services/invitations.py); a used, late or replaced link says so and offers nothing."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from webapp import labels
from webapp.forms.admin_staff import AcceptInvitationForm
from webapp.services import invitations
from webapp.views.access import public
from webapp.views.limits import back_with_refusal, keeps_form_when_refused, per_address

bp = Blueprint("invitation", __name__, url_prefix="/invitation")


def _unusable(state: str):
    return render_template(
        "invitation/unusable.html", message=labels.INVITATION_PROBLEMS[state]
    ), 404 if state == invitations.UNKNOWN else 410


@bp.route("/<token>", methods=["GET", "POST"])
@public
@per_address()
@keeps_form_when_refused(lambda message: back_with_refusal(request.path, message))
def accept(token: str):
    state, invitation = invitations.look_up(token)
    if invitation is None:
        return _unusable(state)
    form = AcceptInvitationForm(email=invitation.email)
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.password.data)
        except invitations.InvitationRefused as refused:
            if refused.field is None:
                return _unusable(refused.code)  # used meanwhile, say, from another tab
            form.password.errors.append(labels.INVITATION_PROBLEMS[refused.code])
        else:
            session["pending_email"] = user.email  # the login form offers it
            flash(
                _("Your account is made. Log in, then set up the second factor on your phone."),
                "success",
            )
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template(
        "invitation/accept.html",
        form=form,
        invitation=invitation,
        office=invitations.mail_context(invitation.id)[1],
    ), status
