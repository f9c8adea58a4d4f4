"""Payment channels (banks and aggregators) telling us a billing code was paid.

The protocol: the channel POSTs a JSON body to NOTIFY_PATH,

    {"transaction_id": "...", "billing_code": "15 digits", "amount": 650000,
     "paid_at": "2026-11-24T02:15:00Z"}

`paid_at` is when the payer paid, by the bank's clock, with its zone: the payment deadline is
judged by it (webapp.rules.bills), so a retry that arrives late still counts as paid in time.

with the header `X-Signature: sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`.
The signature covers the exact bytes received, so it is checked before the body is parsed.

The stand-in channel (StandinBank) is a bank in-process: it builds a notice, signs it with the
shared secret and POSTs it to the same webhook through the application's test client, so a demo
payment goes through the very signature check, parser and service a real bank's notice does.
"""

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask

from webapp import clock

NOTIFY_PATH = "/payments/notify"
SIGNATURE_HEADER = "X-Signature"
SIGNATURE_SCHEME = "sha256"
FIELDS = ("transaction_id", "billing_code", "amount", "paid_at")
MAX_TRANSACTION_ID = 64  # the width of payment_notices.transaction_id
MAX_AMOUNT = 2**31 - 1  # the largest amount the integer columns hold

_BILLING_CODE = re.compile(r"[0-9]{15}")
# Printable ASCII without spaces: nothing that could break a log line or a database column.
_TRANSACTION_ID = re.compile(rf"[\x21-\x7e]{{1,{MAX_TRANSACTION_ID}}}")


class MalformedNotice(ValueError):
    """The body is not a notice of this protocol. The message never repeats the body."""


@dataclass(frozen=True)
class Notice:
    transaction_id: str  # the channel's own id: the same payment always carries the same one
    billing_code: str  # 15 digits
    amount: int  # whole rupiah, positive
    paid_at: datetime  # aware UTC; naive as sent when the channel gave no zone (refused later)


def sign(body: bytes, secret: str) -> str:
    """The X-Signature header value for a body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """Whether the header signs exactly this body with the secret; compared in constant time.

    An empty secret accepts nothing: a missing setting must not turn the check into a formality.
    """
    if not secret or not header or not header.isascii():
        return False
    scheme, separator, digest = header.strip().partition("=")
    if not separator or scheme.lower() != SIGNATURE_SCHEME:
        return False
    expected = sign(body, secret).partition("=")[2]
    return hmac.compare_digest(expected.encode(), digest.lower().encode())


def parse_notice(body: bytes) -> Notice:
    """Read a notice body; MalformedNotice for anything that is not exactly one.

    Keys other than FIELDS are ignored, so that a channel may add its own without breaking us.
    """
    try:
        data = json.loads(body)
    except ValueError as error:  # also UnicodeDecodeError for bytes that are not UTF-8
        raise MalformedNotice("body is not JSON") from error
    if not isinstance(data, dict):
        raise MalformedNotice("body is not a JSON object")
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise MalformedNotice(f"missing {', '.join(missing)}")
    transaction_id, code, amount, paid_at = (data[name] for name in FIELDS)
    if not isinstance(transaction_id, str) or not _TRANSACTION_ID.fullmatch(transaction_id):
        raise MalformedNotice(
            f"transaction_id must be 1 to {MAX_TRANSACTION_ID} printable characters"
        )
    if not isinstance(code, str) or not _BILLING_CODE.fullmatch(code):
        raise MalformedNotice("billing_code must be 15 digits")
    # bool is an int in Python, and 650000.0 is not a whole-rupiah amount in this protocol.
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:
        raise MalformedNotice("amount must be a positive whole number of rupiah")
    return Notice(transaction_id, code, amount, _timestamp(paid_at))


def _timestamp(value: object) -> datetime:
    # A date alone is not a moment: Python would read it as midnight.
    if not isinstance(value, str) or len(value) > 40 or "T" not in value:
        raise MalformedNotice("paid_at must be an ISO-8601 timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise MalformedNotice("paid_at must be an ISO-8601 timestamp") from error
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment  # well formed but not believable: recorded, then refused by the service
    return moment.astimezone(UTC)


def encode_notice(notice: Notice) -> bytes:
    """The body a channel sends for a notice."""
    return json.dumps(
        {
            "transaction_id": notice.transaction_id,
            "billing_code": notice.billing_code,
            "amount": notice.amount,
            "paid_at": notice.paid_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        },
        separators=(",", ":"),
    ).encode()


@dataclass(frozen=True)
class ChannelReply:
    status: int  # the webhook's HTTP status
    outcome: str | None  # its {"outcome": ...}, None when the answer was not JSON


class StandinBank:
    """A payment channel in-process, for demos and the embedded default.

    It pays the amount it is told to, signs the notice with the shared secret and posts it to the
    webhook as any bank would; it knows nothing of bills, holds or the database.
    """

    def __init__(self, app: Flask, secret: str):
        self.app = app
        self.secret = secret

    def pay(self, billing_code: str, amount: int) -> ChannelReply:
        notice = Notice(
            transaction_id="STANDIN-" + secrets.token_hex(12),
            billing_code=billing_code,
            amount=amount,
            paid_at=clock.now(),
        )
        return self.send(encode_notice(notice))

    def send(self, body: bytes) -> ChannelReply:
        # A fresh application context: the webhook gets its own database session and `g`, as a
        # request from outside would, instead of sharing those of the page that asked to pay.
        with self.app.app_context():
            response = self.app.test_client().post(
                NOTIFY_PATH,
                data=body,
                headers={SIGNATURE_HEADER: sign(body, self.secret)},
                content_type="application/json",
            )
        answer = response.get_json(silent=True)
        outcome = answer.get("outcome") if isinstance(answer, dict) else None
        return ChannelReply(response.status_code, outcome if isinstance(outcome, str) else None)
