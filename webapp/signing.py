"""Signed proof tokens: what the QR code on a proof of application carries.

A token is ``base64url(payload JSON) "." base64url(Ed25519 signature of the first part)``, both
parts without padding. The payload is ``{"v": 1, "n": application number, "o": office code,
"t": slot start as ISO 8601 UTC ("2026-12-01T01:00:00Z"), "iat": issued at, Unix seconds}``.
A scanner verifies it offline with the public key published at
``/.well-known/mpaspor-proof-keys.json`` (a JWK set; see ``public_key_jwk``).

The private key is ``PROOF_SIGNING_KEY`` (setting or environment): an Ed25519 private key as
unencrypted PKCS#8 PEM, what ``openssl genpkey -algorithm ed25519`` prints. Without it, a key is
generated once into ``instance/proof_signing_key.pem`` (mode 0600), as SECRET_KEY is, so the
embedded default needs no setup. Every instance of a deployment must share the same key.
"""

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from webapp import clock

VERSION = 1
# The kinds of document a token may speak of ("k"); a proof of application carries none.
RECEIPT = "receipt"
REJECTION = "rejection"
KEY_FILE = "proof_signing_key.pem"
MAX_TOKEN_LENGTH = 1024  # real tokens are about 210 characters
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_EXTENSION = "proof_signing_key"


class InvalidToken(ValueError):
    """Not a token this service issued: malformed, altered, or signed by another key."""


class SigningKeyError(RuntimeError):
    """PROOF_SIGNING_KEY is set but is not an Ed25519 private key in PEM."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str) -> bytes:
    """Strict base64url without padding: one spelling per byte string, nothing ignored."""
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise InvalidToken("not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("not base64url") from error
    if _b64encode(data) != segment:  # stray bits in the last character
        raise InvalidToken("not canonical base64url")
    return data


def _load_pem(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError("PROOF_SIGNING_KEY is not an unencrypted PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("PROOF_SIGNING_KEY must be an Ed25519 key")
    return key


def _instance_key(instance_path: str) -> Ed25519PrivateKey:
    """A key generated once into instance/, readable by its owner only."""
    path = os.path.join(instance_path, KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            # O_EXCL: when two processes start at once, the second reads the first one's key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    with open(path, "rb") as handle:
        return _load_pem(handle.read())


def signing_key() -> Ed25519PrivateKey:
    """The current application's private key, loaded once per application."""
    app = current_app._get_current_object()
    key = app.extensions.get(_EXTENSION)
    if key is None:
        configured = app.config.get("PROOF_SIGNING_KEY") or os.environ.get("PROOF_SIGNING_KEY")
        if configured:
            pem = configured.encode() if isinstance(configured, str) else configured
            key = _load_pem(pem)
        else:
            key = _instance_key(app.instance_path)
        app.extensions[_EXTENSION] = key
    return key


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; slot times are aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_token(
    application_number: str, office_code: str, starts_at: datetime, kind: str | None = None
) -> str:
    """A signed token naming the application, its office and its slot start (or, for another
    kind of document such as a proof of rejection, the moment it speaks of, with its kind)."""
    payload = {
        "v": VERSION,
        "n": application_number,
        "o": office_code,
        "t": _utc_iso(starts_at),
        "iat": int(clock.now().timestamp()),
    }
    if kind:
        payload["k"] = kind
    encoded = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    signature = signing_key().sign(encoded.encode("ascii"))
    return f"{encoded}.{_b64encode(signature)}"


def _as_public_key(key: Ed25519PublicKey | Mapping) -> Ed25519PublicKey:
    return key_from_jwk(key) if isinstance(key, Mapping) else key


def verify_token(token: str, public_key: Ed25519PublicKey | Mapping) -> dict:
    """The payload of a genuine token; InvalidToken for anything else.

    ``public_key`` is an Ed25519 public key or its JWK (as published).
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidToken("malformed token")
    encoded, signature_part = token.split(".")
    signature = _b64decode(signature_part)
    payload_bytes = _b64decode(encoded)
    try:
        _as_public_key(public_key).verify(signature, encoded.encode("ascii"))
    except InvalidSignature as error:
        raise InvalidToken("bad signature") from error
    try:
        payload = json.loads(payload_bytes)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidToken("payload is not JSON") from error
    if not (
        isinstance(payload, dict)
        and payload.get("v") == VERSION
        and all(isinstance(payload.get(k), str) and payload[k] for k in ("n", "o", "t"))
        and type(payload.get("iat")) is int
    ):
        raise InvalidToken("unexpected payload")
    return payload


def _thumbprint(x: str) -> str:
    """RFC 7638 thumbprint of an OKP key, base64url; the first 16 characters serve as kid."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return _b64encode(hashlib.sha256(canonical.encode()).digest())


def jwk_for(key: Ed25519PublicKey) -> dict:
    x = _b64encode(_raw_public(key))
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": _thumbprint(x)[:16],
        "alg": "EdDSA",
        "use": "sig",
    }


def public_key_jwk() -> dict:
    """The current public key as a JWK, for scanners that verify offline."""
    return jwk_for(public_key())


def key_from_jwk(jwk: Mapping) -> Ed25519PublicKey:
    """The Ed25519 public key of a published JWK; InvalidToken if it is not one."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise InvalidToken("not an Ed25519 JWK")
    raw = _b64decode(jwk["x"])
    if len(raw) != 32:
        raise InvalidToken("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(raw)
