"""The proof of application as a PDF for its owner, and the public key that verifies its QR."""

import re

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from webapp import pdf, signing
from webapp.extensions import limiter
from webapp.services import proof as proofs
from webapp.services import receipts, review
from webapp.views.access import public, verified
from webapp.views.apply import owned

bp = Blueprint("proof", __name__)

KEYS_MAX_AGE = 24 * 60 * 60  # a day: scanners refresh daily, and a new key is published first
PDF_LIMIT = "30 per minute"  # each render costs about 0.1 s of CPU


def _account_key() -> str:
    # Checked before the view's login check: visitors not logged in are counted by address.
    account = current_user.get_id()
    return f"proof:account:{account}" if account else f"proof:ip:{get_remote_address()}"


@bp.route("/applications/<public_id>/proof.pdf")
@verified
@limiter.limit(PDF_LIMIT, key_func=_account_key)
def cover_letter(public_id: str):
    application = owned(public_id)
    locale = current_user.locale
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        document = proofs.cover_letter_pdf(application, locale)
    except proofs.NoProof:
        abort(404)
    return pdf.inline_response(document, f"bukti-pengajuan-{safe_number(application)}.pdf")


def safe_number(application) -> str:
    """The application number as it may appear in a file name."""
    return re.sub(r"[^0-9A-Za-z-]", "", application.number)


@bp.route("/applications/<public_id>/rejection.pdf")
@verified
@limiter.limit(PDF_LIMIT, key_func=_account_key)
def rejection(public_id: str):
    application = owned(public_id)
    try:
        document = review.rejection_pdf(application)
    except review.NotRejected:
        flash(_("This application was not rejected: it has no proof of rejection."), "error")
        return redirect(url_for("apply.overview", public_id=public_id))
    return pdf.inline_response(document, f"surat-penolakan-{safe_number(application)}.pdf")


@bp.route("/applications/<public_id>/receipt.pdf")
@verified
@limiter.limit(PDF_LIMIT, key_func=_account_key)
def receipt(public_id: str):
    """The receipt on A4, as the counter printed it, in the account's language."""
    application = owned(public_id)
    try:
        document = receipts.receipt_pdf(application, "a4")
    except receipts.NoReceipt:
        flash(
            _("This application has no receipt yet: it comes once the application is approved."),
            "error",
        )
        return redirect(url_for("apply.overview", public_id=public_id))
    return pdf.inline_response(document, f"tanda-terima-{safe_number(application)}.pdf")


@bp.route("/.well-known/mpaspor-proof-keys.json")
@public
def keys():
    response = jsonify(keys=[signing.public_key_jwk()])
    response.headers["Cache-Control"] = f"public, max-age={KEYS_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, for web scanners
    return response
