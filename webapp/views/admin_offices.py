"""Administration: the offices, found by name or city, created and edited
(services/office_admin.py)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import labels
from webapp.forms.admin_offices import OfficeForm, OfficeSearchForm
from webapp.services import office_admin
from webapp.views.access import administrator

bp = Blueprint("admin_offices", __name__, url_prefix="/admin/offices")


def _refused(form: OfficeForm, refused: office_admin.OfficeRefused) -> None:
    for name, code in refused.problems.items():
        form[name].errors = [*form[name].errors, labels.OFFICE_EDIT_PROBLEMS[code]]
    if "epassport_stock" in refused.problems and refused.stock is not None:
        form.epassport_stock.data = form.stock_shown.data = str(refused.stock)  # as it is now


@bp.route("")
@administrator
def offices():
    search = OfficeSearchForm(request.args)
    query = search.q.data if search.validate() else ""
    return render_template(
        "admin/offices/list.html", search=search, rows=office_admin.listing(query), query=query
    )


@bp.route("/new", methods=["GET", "POST"])
@administrator
def new():
    form = OfficeForm()
    if form.validate_on_submit():
        try:
            office = office_admin.create(current_user.id, form.values())
        except office_admin.OfficeRefused as refused:
            _refused(form, refused)
        else:
            flash(
                _("%(name)s is added. Its supervisor sets its quota.", name=office.name), "success"
            )
            return redirect(url_for("admin_offices.edit", office_id=office.id))
    status = 422 if form.errors else 200
    return render_template("admin/offices/form.html", form=form, office=None), status


@bp.route("/<id:office_id>", methods=["GET", "POST"])
@administrator
def edit(office_id: int):
    office = office_admin.get(office_id)
    if office is None:
        abort(404)
    form = OfficeForm.of(office, request.method == "POST")
    if form.validate_on_submit():
        try:
            office_admin.update(current_user.id, office_id, form.values())
        except office_admin.OfficeRefused as refused:
            _refused(form, refused)
        except LookupError:
            abort(404)
        else:
            flash(_("The office is saved."), "success")
            return redirect(url_for("admin_offices.edit", office_id=office_id))
    status = 422 if form.errors else 200
    return render_template(
        "admin/offices/form.html",
        form=form,
        office=office,
        history=office_admin.history(office_id),
    ), status
