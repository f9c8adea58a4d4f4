"""The registry client over real HTTP against the stand-in served on a loopback port.

A wrong API key is a RegistryRejected: a configuration error that no retry will fix, so the job
records it at once instead of backing off for hours. The client keeps its connection open from
one check to the next, as the stand-in served with keep-alive lets it.
"""

import contextlib
import json
import os
import socket
import time
from datetime import date

import pytest

from tests import services
from webapp.integrations.population_registry import (
    HttpRegistryClient,
    InProcessRegistryClient,
    RegistryAnswer,
    RegistryRejected,
    RegistryUnavailable,
    client_from_config,
    parse_answer,
)
from webapp.integrations.registry_standin import (
    DEMO_RESIDENTS,
    FAILING_NIK,
    SLOW_NIK,
    STANDIN_API_KEY,
    UNKNOWN_NIK,
    create_standin,
    keep_alive_handler,
)
from webapp.rules.nik import parse_nik

TODAY = date(2025, 6, 1)
RESIDENTS = {resident.full_name: resident for resident in DEMO_RESIDENTS}


@pytest.fixture
def registry(registry_url):
    return HttpRegistryClient(registry_url, STANDIN_API_KEY, timeout=5.0)


def nik_birth_date(nik: str) -> date:
    return parse_nik(nik, TODAY).birth_date


@pytest.mark.parametrize("typed", ["Siti Rahayu", "SITI  RAHAYU", "siti rahayu.", " Siti-Rahayu "])
def test_verified_whatever_the_case_spacing_and_punctuation(registry, typed):
    siti = RESIDENTS["Siti Rahayu"]
    answer = registry.check(siti.nik, typed, date(1997, 11, 11))
    assert answer == RegistryAnswer("verified", (), False)


def test_birth_date_from_the_nik_that_the_registry_disagrees_with(registry):
    agus = RESIDENTS["Agus Setiawan"]
    typed = nik_birth_date(agus.nik)
    assert typed != agus.birth_date
    answer = registry.check(agus.nik, agus.full_name, typed)
    # The answer has these three fields only: the registry's own date never reaches us.
    assert answer == RegistryAnswer("mismatch", ("birth_date",), False)
    assert agus.birth_date.isoformat() not in repr(answer)


def test_values_the_registry_volunteers_are_dropped():
    body = (
        b'{"outcome": "mismatch", "mismatched": ["birth_date"], "holds_valid_passport": false,'
        b' "birth_date": "1985-03-14", "full_name": "Agus Setiawan"}'
    )
    assert parse_answer(200, body) == RegistryAnswer("mismatch", ("birth_date",), False)


def test_name_mismatch(registry):
    budi = RESIDENTS["Budi Santoso"]
    answer = registry.check(budi.nik, "Budi Santosa", budi.birth_date)
    assert answer == RegistryAnswer("mismatch", ("full_name",), False)


def test_both_fields_mismatched_in_a_fixed_order(registry):
    budi = RESIDENTS["Budi Santoso"]
    answer = registry.check(budi.nik, "Budi Santosa", date(1990, 8, 18))
    assert answer.mismatched == ("full_name", "birth_date")


def test_not_found(registry):
    answer = registry.check(UNKNOWN_NIK, "Dewi Anggraini", nik_birth_date(UNKNOWN_NIK))
    assert answer == RegistryAnswer("not_found", (), False)


def test_duplicate_is_a_definite_answer(registry):
    rina = RESIDENTS["Rina Marlina"]
    answer = registry.check(rina.nik, rina.full_name, rina.birth_date)
    assert answer == RegistryAnswer("duplicate", (), False)


def test_holds_a_valid_passport(registry):
    ahmad = RESIDENTS["Ahmad Ma'ruf"]
    answer = registry.check(ahmad.nik, "AHMAD MARUF", ahmad.birth_date)
    assert answer == RegistryAnswer("verified", (), True)


def test_passport_holding_is_not_told_to_someone_who_does_not_match(registry):
    ahmad = RESIDENTS["Ahmad Ma'ruf"]
    answer = registry.check(ahmad.nik, "Orang Lain", ahmad.birth_date)
    assert answer == RegistryAnswer("mismatch", ("full_name",), False)


def test_wrong_api_key_is_rejected(registry_url):
    client = HttpRegistryClient(registry_url, "not-the-key", timeout=5.0)
    with pytest.raises(RegistryRejected, match="401"):
        client.check(RESIDENTS["Siti Rahayu"].nik, "Siti Rahayu", date(1997, 11, 11))


def test_malformed_request_is_rejected(registry):
    with pytest.raises(RegistryRejected, match="400"):
        registry.check("51040751119700", "Siti Rahayu", date(1997, 11, 11))


def test_slow_registry_times_out(registry_url):
    client = HttpRegistryClient(registry_url, STANDIN_API_KEY, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable):
        client.check(SLOW_NIK, "Lambat Sekali", nik_birth_date(SLOW_NIK))
    assert time.monotonic() - started < 5  # a sanity bound, not a timing test


def test_failing_registry_is_unavailable(registry):
    with pytest.raises(RegistryUnavailable, match="500"):
        registry.check(FAILING_NIK, "Gagal Terus", nik_birth_date(FAILING_NIK))


def _replying(status: str, body: bytes, content_type: str = "application/json"):
    def app(environ, start_response):
        start_response(status, [("Content-Type", content_type)])
        return [body]

    return app


def _json(outcome="verified", mismatched=(), holds=False) -> bytes:
    answer = {"outcome": outcome, "mismatched": list(mismatched), "holds_valid_passport": holds}
    return json.dumps(answer).encode()


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        pytest.param("200 OK", b"<html>Sedang pemeliharaan</html>", "text/html", id="html"),
        pytest.param("200 OK", b"\xff\xfe not utf-8", "application/json", id="not-utf8"),
        pytest.param("200 OK", b'["verified"]', "application/json", id="not-an-object"),
        pytest.param(
            "200 OK", b'{"outcome": "not_found", "mismatched": []}', "application/json", id="no-key"
        ),
        pytest.param("200 OK", _json("ok"), "application/json", id="unknown-outcome"),
        pytest.param("200 OK", _json("mismatch"), "application/json", id="mismatch-no-fields"),
        pytest.param(
            "200 OK", _json("mismatch", ["mother_name"]), "application/json", id="unknown-field"
        ),
        pytest.param("200 OK", _json(holds="no"), "application/json", id="holds-not-bool"),
        pytest.param("503 Service Unavailable", b"", "text/plain", id="503"),
        pytest.param("429 Too Many Requests", b"", "text/plain", id="429"),
    ],
)
def test_an_answer_we_cannot_use_is_unavailable(status, body, content_type):
    with services.serving(_replying(status, body, content_type)) as url:
        client = HttpRegistryClient(url, STANDIN_API_KEY, timeout=5.0)
        with pytest.raises(RegistryUnavailable):
            client.check(UNKNOWN_NIK, "Dewi Anggraini", nik_birth_date(UNKNOWN_NIK))


def test_connection_refused_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpRegistryClient(f"http://127.0.0.1:{port}", STANDIN_API_KEY, timeout=5.0)
    with pytest.raises(RegistryUnavailable, match="ConnectionRefusedError"):
        client.check(UNKNOWN_NIK, "Dewi Anggraini", nik_birth_date(UNKNOWN_NIK))


@pytest.mark.parametrize("resident", DEMO_RESIDENTS, ids=lambda r: r.full_name)
def test_in_process_client_answers_like_the_http_client(registry, resident):
    in_process = InProcessRegistryClient()
    for full_name, birth_date in [
        (resident.full_name, resident.birth_date),
        ("Nama Lain", nik_birth_date(resident.nik)),
    ]:
        expected = registry.check(resident.nik, full_name, birth_date)
        assert in_process.check(resident.nik, full_name, birth_date) == expected


@pytest.mark.parametrize("resident", DEMO_RESIDENTS, ids=lambda r: r.full_name)
def test_demo_niks_are_structurally_valid_and_agree_with_the_person(resident):
    info = parse_nik(resident.nik, TODAY)
    assert info.sex == resident.sex
    # Agus Setiawan's NIK is a few days off on purpose: the common real-world mismatch.
    assert abs((info.birth_date - resident.birth_date).days) <= (
        3 if resident.full_name == "Agus Setiawan" else 0
    )


def test_drill_niks_are_structurally_valid_and_nobody_s():
    demo_niks = {resident.nik for resident in DEMO_RESIDENTS}
    for nik in (UNKNOWN_NIK, SLOW_NIK, FAILING_NIK):
        parse_nik(nik, TODAY)
        assert nik not in demo_niks
    assert len(demo_niks) == len(DEMO_RESIDENTS)


def test_client_from_config():
    in_demo = {"REGISTRY_URL": None, "DEMO_MODE": True}
    assert isinstance(client_from_config(in_demo), InProcessRegistryClient)
    with pytest.raises(ValueError, match="REGISTRY_URL is required outside demo mode"):
        client_from_config({"REGISTRY_URL": None, "DEMO_MODE": False})
    client = client_from_config(
        {"REGISTRY_URL": "https://registry.example", "REGISTRY_API_KEY": "k", "REGISTRY_TIMEOUT": 2}
    )
    assert isinstance(client, HttpRegistryClient)


# Kept-alive connections ---------------------------------------------------------------------


@contextlib.contextmanager
def kept_alive_registry(idle_seconds: float):
    """The stand-in served with keep-alive, closing connections idle for `idle_seconds`; yields
    its URL and the set of connections it was asked on (the client's port of each)."""
    standin, connections = create_standin(), set()

    def counting(environ, start_response):
        connections.add(environ["REMOTE_PORT"])
        return standin(environ, start_response)

    with services.serving(counting, keep_alive_handler(idle_seconds)) as url:
        yield url, connections


def _check_siti(url: str) -> RegistryAnswer:
    """One check with a new client, as each job makes one from the settings."""
    siti = RESIDENTS["Siti Rahayu"]
    return HttpRegistryClient(url, STANDIN_API_KEY, timeout=5.0).check(
        siti.nik, siti.full_name, siti.birth_date
    )


VERIFIED = RegistryAnswer("verified", (), False)


def test_checks_share_one_connection():
    with kept_alive_registry(idle_seconds=2) as (url, connections):
        assert [_check_siti(url) for _ in range(4)] == [VERIFIED] * 4
        wrong_key = HttpRegistryClient(url, "not-the-key", timeout=5.0)
        with pytest.raises(RegistryRejected):  # a refusal leaves the connection usable
            wrong_key.check(UNKNOWN_NIK, "Dewi Anggraini", nik_birth_date(UNKNOWN_NIK))
        assert _check_siti(url) == VERIFIED
    assert len(connections) == 1


def test_a_connection_the_registry_closed_is_opened_again():
    with kept_alive_registry(idle_seconds=0.2) as (url, connections):
        assert _check_siti(url) == VERIFIED
        time.sleep(0.6)  # the registry closes the idle connection meanwhile
        assert _check_siti(url) == VERIFIED  # no error: the check is sent on a new one
        assert _check_siti(url) == VERIFIED
    assert len(connections) == 2


def test_a_connection_never_crosses_a_fork():
    """A forked process (a work horse, a pool's worker) opens its own connection and leaves the
    one it inherited to its parent, which goes on using it."""
    with kept_alive_registry(idle_seconds=2) as (url, connections):
        assert _check_siti(url) == VERIFIED
        child = os.fork()
        if child == 0:  # the child: no pytest here, only an exit status
            try:
                os._exit(0 if _check_siti(url) == VERIFIED else 1)
            finally:
                os._exit(2)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert _check_siti(url) == VERIFIED
    assert len(connections) == 2
