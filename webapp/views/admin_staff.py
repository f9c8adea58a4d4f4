"""Administration: staff and supervisor accounts of every office, invited by mail, disabled and
enabled again (services/invitations.py)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.admin_staff import InvitationForm, StaffFilterForm
from webapp.forms.auth import EmptyForm
from webapp.services import invitations, office_admin
from webapp.views.access import administrator

bp = Blueprint("admin_staff", __name__, url_prefix="/admin/staff")


@bp.route("")
@administrator
def staff():
    offices = office_admin.every_office()
    chosen = request.args.get("office", "")
    office = next((o for o in offices if o.code == chosen), None)
    form = StaffFilterForm(request.args).with_offices(offices)
    office_id = office.id if office else None
    return render_template(
        "admin/staff/list.html",
        filter_form=form,
        office=office,
        members=invitations.members(office_id),
        pending=invitations.pending(office_id),
        action_form=EmptyForm(),
    )


@bp.route("/invite", methods=["GET", "POST"])
@administrator
def invite():
    form = InvitationForm().with_offices(office_admin.every_office())
    if not form.is_submitted() and request.args.get("office", "").isdigit():
        form.office_id.data = request.args["office"]
    if form.validate_on_submit():
        try:
            invitation = invitations.invite(
                current_user.id, form.full_name.data, form.email.data, form.office(), form.role.data
            )
        except invitations.InvitationRefused as refused:
            field = form[refused.field or "email"]
            field.errors = [*field.errors, labels.INVITATION_PROBLEMS[refused.code]]
        else:
            flash(_("The invitation is mailed to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("admin_staff.staff"))
    status = 422 if form.errors else 200
    return render_template("admin/staff/invite.html", form=form), status


def _act(action, target_id: int, done: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(current_user.id, target_id)
    except invitations.InvitationRefused as refused:
        flash(labels.INVITATION_PROBLEMS[refused.code], "error")
    else:
        flash(done, "success")
    # Back to the list as it was filtered: an office code, or every office.
    return redirect(url_for("admin_staff.staff", office=request.form.get("office") or None))


@bp.route("/invitations/<id:invitation_id>/resend", methods=["POST"])
@administrator
def resend(invitation_id: int):
    return _act(
        invitations.resend,
        invitation_id,
        _("A new invitation is mailed; the old link no longer works."),
    )


@bp.route("/<id:account_id>/disable", methods=["POST"])
@administrator
def disable(account_id: int):
    return _act(
        invitations.disable, account_id, _("The account is disabled: it can no longer sign in.")
    )


@bp.route("/<id:account_id>/enable", methods=["POST"])
@administrator
def enable(account_id: int):
    return _act(invitations.enable, account_id, _("The account is enabled again."))
