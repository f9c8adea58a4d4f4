"""The landing page, the signed-in home, and the language switch."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import HTTPException

from webapp.forms.account import LanguageForm
from webapp.forms.auth import EmptyForm
from webapp.forms.base import without_control_characters
from webapp.i18n import LANGUAGE_COOKIE
from webapp.rules import roles
from webapp.rules.statuses import DRAFT, SUBMITTED
from webapp.services import accounts, applications
from webapp.views.access import public
from webapp.views.auth import safe_next
from webapp.views.staff_auth import landing

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated and roles.needs_second_factor(current_user.role):
        return redirect(landing())  # an account of staff has no applications
    if current_user.is_authenticated:
        listed = applications.list_for_account(current_user.id)
        return render_template(
            "main/home.html",
            applications=listed,
            # Only drafts have a next step to show; the rest would cost queries for nothing.
            next_steps={
                a.id: applications.next_step(a) or "review" for a in listed if a.status == DRAFT
            },
            start_form=EmptyForm(),
        )
    return render_template("main/landing.html")


@bp.route("/terms")
@public
def terms():
    return render_template("main/terms.html")


@bp.route("/language", methods=["POST"])
@public
def language():
    # On a wizard step without JavaScript the switch submits the step's form: the language and
    # the way back come in the address, the typed answers in the body.
    form = LanguageForm(formdata=CombinedMultiDict([request.form, request.args]))
    target = safe_next(form.next.data) if form.next.data else url_for("main.index")
    response = redirect(target)
    if form.validate_on_submit():
        response.set_cookie(
            LANGUAGE_COOKIE,
            form.lang.data,
            max_age=365 * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        if current_user.is_authenticated:
            accounts.set_locale(current_user, form.lang.data)
            keep_typed_on_step(target)
    return response


def keep_typed_on_step(path: str) -> None:
    """Keep what was typed on the wizard step being left, as its autosave would."""
    try:
        endpoint, args = current_app.url_map.bind("").match(urlsplit(path).path)
    except HTTPException:
        return
    if endpoint != "apply.step":
        return
    application = applications.for_owner(current_user.id, args["public_id"])
    if application is not None and application.status in (DRAFT, SUBMITTED):
        applications.keep_typed(application, args["step"], request.form.to_dict())


@bp.app_context_processor
def language_switch():
    """What the form in every page's header offers: the other language, and the way back. It
    is never read from the request: error pages render it too, and reading the body of a
    request refused for its size (413) would raise the same error again. Plain values, not a
    LanguageForm, so that a page does not build a form only to print three hidden inputs."""

    def switch() -> dict[str, str]:
        other = "en" if (request.cookies.get(LANGUAGE_COOKIE) or "") != "en" else "id"
        if current_user.is_authenticated:
            other = "en" if current_user.locale != "en" else "id"
        # As LanguageForm's fields would hold it: stripped as every input of the base form.
        back = without_control_characters(request.full_path.rstrip("?")).strip()
        return {"lang": other, "next": back}

    return {"language_switch": switch}
