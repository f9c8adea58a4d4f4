"""Payments: the webhook the channels notify, and the stand-in channel's page in demo mode."""

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from webapp import labels
from webapp.extensions import csrf, limiter
from webapp.forms.payments import BillingCodeForm
from webapp.integrations import payment_gateway as gateway
from webapp.rules import bills
from webapp.services import payments
from webapp.views.access import public
from webapp.views.limits import form_again, keeps_form_when_refused, per_address

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__)

# The webhook's answer per outcome: a 2xx tells the channel to stop retrying.
HTTP_STATUS = {
    payments.APPLIED: 200,
    payments.DUPLICATE: 200,
    payments.ALREADY_PAID: 200,
    payments.REFUND_REVIEW: 200,
    payments.VOID: 200,
    payments.BAD_PAID_AT: 422,
    payments.UNKNOWN_CODE: 404,
    payments.WRONG_AMOUNT: 422,
}


# Only refused notices (unsigned, forged, malformed) count against an address: a channel's signed
# notices are never throttled, however many a quota opening brings at once.
@bp.route(gateway.NOTIFY_PATH, methods=["POST"])
@public
@csrf.exempt  # a machine endpoint: the signature over the body stands in for the CSRF token
@limiter.limit("600 per minute", deduct_when=lambda response: response.status_code in (400, 401))
def notify():
    body = request.get_data()
    secret = current_app.config["PAYMENT_WEBHOOK_SECRET"]
    if not gateway.signature_valid(body, request.headers.get(gateway.SIGNATURE_HEADER), secret):
        log.warning("payment notice refused: bad or missing signature from %s", request.remote_addr)
        return jsonify(outcome="bad_signature"), 401
    try:
        notice = gateway.parse_notice(body)
    except gateway.MalformedNotice as error:
        log.warning("payment notice refused: malformed (%s) from %s", error, request.remote_addr)
        return jsonify(outcome="malformed"), 400
    outcome = payments.apply_notice(notice)
    log.info(
        "payment notice %s: transaction %s, billing code %s",
        outcome,
        notice.transaction_id,
        notice.billing_code,
    )
    return jsonify(outcome=outcome), HTTP_STATUS[outcome]


def _paid_message(outcome: str | None, purpose: str | None) -> tuple[str, str]:
    if outcome == payments.APPLIED and purpose == bills.FINE:
        return _("Payment received. The fine is paid."), "success"
    if outcome == payments.APPLIED:
        return _("Payment received. The appointment is confirmed."), "success"
    if outcome == payments.REFUND_REVIEW:
        return _("This code has expired: the payment is held for refund."), "error"
    if outcome in (payments.ALREADY_PAID, payments.DUPLICATE):
        return _("This code was already paid: this payment is held for refund."), "error"
    if outcome == payments.NOT_DUE:
        return _("No unpaid bill has this code. Nothing was paid."), "error"
    if outcome == payments.VOID:
        return str(labels.VOID_BILL), "error"
    if outcome is None:
        return _("The payment could not be sent. Nothing was paid; try again."), "error"
    return _("The payment was refused. Nothing was paid."), "error"


@public
@per_address()  # each try is a guess at a billing code
@keeps_form_when_refused(form_again("payments/pay.html", BillingCodeForm, due=None))
def pay():
    """A bank's counter in miniature: type a code, see the amount due, pay it (demo mode only)."""
    form = BillingCodeForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("payments/pay.html", form=form, due=None), status
    if request.form.get("pay"):
        message, category = _paid_message(*payments.pay_at_standin(form.billing_code.data))
        flash(message, category)
        return redirect(url_for("payments.pay"))
    try:
        due = payments.amount_due(form.billing_code.data)
    except payments.NotDue as nothing:
        form.billing_code.errors.append(
            labels.VOID_BILL
            if nothing.outcome == payments.VOID
            else _("No unpaid bill has this code. Check the 15 digits.")
        )
        return render_template("payments/pay.html", form=form, due=None), 422
    return render_template("payments/pay.html", form=form, due=due)


@bp.record
def _standin_channel(state) -> None:
    # It pays any bill for free: outside demo mode the route is not even registered.
    if state.app.config["DEMO_MODE"]:
        state.add_url_rule("/pay", view_func=pay, methods=["GET", "POST"])
