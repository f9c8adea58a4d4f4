"""Proof tokens: signed by our key, refused when anything in them changes."""

import base64
import json
import os
import stat
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from webapp import signing
from webapp.signing import InvalidToken, issue_token, verify_token

SLOT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09.00 WITA


def _pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def app(tmp_path):
    return Flask(__name__, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_round_trip(ctx):
    token = issue_token("2611240123456789", "kanim-denpasar", SLOT)
    payload = verify_token(token, signing.public_key())
    assert payload["v"] == 1
    assert payload["n"] == "2611240123456789"
    assert payload["o"] == "kanim-denpasar"
    assert payload["t"] == "2026-12-01T01:00:00Z"
    assert abs(payload["iat"] - datetime.now(UTC).timestamp()) < 60
    assert set(payload) == {"v", "n", "o", "t", "iat"}


def test_slot_start_is_written_in_utc_whatever_the_zone(ctx):
    wita = timezone(timedelta(hours=8))
    token = issue_token("1", "kanim-denpasar", datetime(2026, 12, 1, 9, 0, tzinfo=wita))
    assert verify_token(token, signing.public_key())["t"] == "2026-12-01T01:00:00Z"


def test_naive_slot_start_is_refused(ctx):
    with pytest.raises(ValueError):
        issue_token("1", "kanim-denpasar", datetime(2026, 12, 1, 1, 0))


def test_tampered_payload_is_refused(ctx):
    token = issue_token("2611240123456789", "kanim-denpasar", SLOT)
    encoded, signature = token.split(".")
    payload = json.loads(_unb64(encoded))
    payload["n"] = "2611240123456780"
    forged = _b64(json.dumps(payload, separators=(",", ":")).encode()) + "." + signature
    with pytest.raises(InvalidToken):
        verify_token(forged, signing.public_key())


def test_tampered_signature_is_refused(ctx):
    token = issue_token("2611240123456789", "kanim-denpasar", SLOT)
    encoded, signature = token.split(".")
    raw = bytearray(_unb64(signature))
    raw[10] ^= 0x01
    with pytest.raises(InvalidToken):
        verify_token(f"{encoded}.{_b64(bytes(raw))}", signing.public_key())


def test_non_canonical_base64_is_refused(ctx):
    """A 64-byte signature leaves 4 spare bits in its last character: they must be zero."""
    token = issue_token("2611240123456789", "kanim-denpasar", SLOT)
    encoded, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(signature[-1]) + 1]  # same bytes, a stray low bit set
    variant = signature[:-1] + last
    assert _unb64(variant) == _unb64(signature)
    with pytest.raises(InvalidToken):
        verify_token(f"{encoded}.{variant}", signing.public_key())


def test_another_key_is_refused(ctx):
    token = issue_token("2611240123456789", "kanim-denpasar", SLOT)
    with pytest.raises(InvalidToken):
        verify_token(token, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "abc",
        "a.b.c",
        "!!!.???",
        "eyJ2IjoxfQ",
        "eyJ2IjoxfQ.",
        ".AAAA",
        "eyJ2IjoxfQ.AAAA",
        "x" * 5000 + "." + "y" * 100,
        "éé.éé",
        None,
        b"eyJ2IjoxfQ.AAAA",
    ],
)
def test_garbage_is_refused(ctx, garbage):
    with pytest.raises(InvalidToken):
        verify_token(garbage, signing.public_key())


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2]", b'{"v": 2, "n": "1", "o": "x", "t": "t", "iat": 1}', b'{"v": 1}'],
)
def test_signed_but_unexpected_payload_is_refused(ctx, payload):
    encoded = _b64(payload)
    signature = _b64(signing.signing_key().sign(encoded.encode()))
    with pytest.raises(InvalidToken):
        verify_token(f"{encoded}.{signature}", signing.public_key())


def test_instance_key_is_made_once_and_private(app, tmp_path):
    with app.app_context():
        first = signing.public_key_jwk()
    path = tmp_path / "instance" / signing.KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = Flask(__name__, instance_path=str(tmp_path / "instance"))
    with again.app_context():
        assert signing.public_key_jwk() == first


def test_configured_pem_key_is_used(tmp_path):
    key = Ed25519PrivateKey.generate()
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config["PROOF_SIGNING_KEY"] = _pem(key)
    with app.app_context():
        token = issue_token("1", "kanim-denpasar", SLOT)
    assert verify_token(token, key.public_key())["n"] == "1"
    assert not (tmp_path / "instance" / signing.KEY_FILE).exists()


@pytest.mark.parametrize("value", ["not a key", "__ec__"])
def test_a_configured_key_that_is_not_ed25519_is_refused(tmp_path, value):
    if value == "__ec__":
        value = _pem(ec.generate_private_key(ec.SECP256R1()))
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config["PROOF_SIGNING_KEY"] = value
    with app.app_context(), pytest.raises(signing.SigningKeyError):
        signing.signing_key()


def test_jwk_verifies_tokens_and_names_its_key(ctx):
    jwk = signing.public_key_jwk()
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert len(jwk["kid"]) == 16
    published = json.loads(json.dumps(jwk))  # as a scanner reads it
    token = issue_token("1", "kanim-denpasar", SLOT)
    assert verify_token(token, published)["n"] == "1"
    assert verify_token(token, signing.key_from_jwk(published))["n"] == "1"


def test_kid_is_the_rfc_7638_thumbprint():
    """RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key."""
    key = signing.key_from_jwk(
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    )
    assert signing.jwk_for(key)["kid"] == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"[:16]


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "crv": "Ed25519", "x": "AAAA"},
        {"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519"},
    ],
)
def test_a_jwk_that_is_not_an_ed25519_key_is_refused(jwk):
    with pytest.raises(InvalidToken):
        signing.key_from_jwk(jwk)
