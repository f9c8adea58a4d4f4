"""Refused requests: a clear page in the user's language for every error, rendered without
reading the request body, and the message alone for htmx, which shows it where the user is."""

import pytest
from flask import abort

from tests.factories import jpeg_bytes, make_user
from tests.integration.test_wizard import fill_steps, signed_in, start, upload
from webapp import labels

BIG = 13 * 1024 * 1024  # over MAX_CONTENT_LENGTH (12 MB)
TITLES = {
    400: ("Something in the request was wrong", "Ada yang salah dalam permintaan Anda"),
    403: ("Not allowed", "Tidak diizinkan"),
    404: ("Page not found", "Halaman tidak ditemukan"),
    405: ("Not allowed", "Tidak diizinkan"),
    413: ("File too large", "Ukuran file terlalu besar"),
    422: ("This could not be done", "Ini tidak dapat dilakukan"),
    429: ("Too many attempts", "Terlalu banyak percobaan"),
    500: ("Something went wrong on our side", "Terjadi kesalahan pada sistem kami"),
}


@pytest.fixture
def failing_app(make_app):
    """An app with a route for each refusal the product gives, and one that fails outright."""
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, not a raise

    def refuse(code: int):
        if code == 500:
            raise RuntimeError("a fault on our side")
        abort(code)

    app.add_url_rule("/test-refuse/<int:code>", "test_refuse", refuse, methods=["GET", "POST"])
    return app


def _client(app, lang: str):
    client = app.test_client()
    if lang == "en":
        client.set_cookie("lang", "en")
    return client


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("code", sorted(TITLES))
def test_every_refusal_is_a_page_in_the_users_language(failing_app, code, lang):
    client = _client(failing_app, lang)
    response = client.get(f"/test-refuse/{code}")
    title = TITLES[code][0 if lang == "en" else 1]
    assert response.status_code == code
    assert f"<h1>{title}</h1>" in response.text and "Traceback" not in response.text
    assert f'<html lang="{lang}">' in response.text


@pytest.mark.parametrize("code", sorted(TITLES))
def test_htmx_gets_the_message_alone(failing_app, code):
    response = failing_app.test_client().get(
        f"/test-refuse/{code}", headers={"HX-Request": "true", "HX-Target": "wizard"}
    )
    assert response.status_code == code
    assert "<html" not in response.text and 'class="notice notice-error request-refused"' in (
        response.text
    )
    assert TITLES[code][1] in response.text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_body_over_the_limit_gets_the_413_page_not_a_500(app, lang):
    """The header's language form must not read the body of the refused request."""
    response = _client(app, lang).post(
        "/login", data=b"x" * BIG, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert TITLES[413][0 if lang == "en" else 1] in response.text
    assert 'action="/language"' in response.text  # the language switch is still there


def test_the_real_status_codes_of_the_product(app):
    with app.app_context():
        make_user(email="siti@contoh.id", locale="en")
    client = signed_in(app)
    assert "Page not found" in client.get("/applications/nothing-here").text
    assert client.get("/admin/signals").status_code == 403
    refused = client.get("/language")
    assert refused.status_code == 405 and "Not allowed" in refused.text
    no_token = client.post("/applications", data={})
    assert no_token.status_code == 400 and "This form has expired" in no_token.text


def test_a_file_over_the_limit_keeps_the_step_and_says_so_beside_its_item(app):
    with app.app_context():
        make_user(email="siti@contoh.id", locale="en")
    client = signed_in(app)
    base = start(client)
    fill_steps(client, base)
    assert upload(client, base, "kk", jpeg_bytes()).status_code == 302
    refused = upload(client, base, "ktp", b"x" * BIG)
    assert refused.status_code == 413
    page = refused.text
    assert str(labels.UPLOAD_PROBLEMS["too_large"]) in page
    assert 'id="doc-ktp-error"' in page and 'aria-invalid="true"' in page
    assert 'id="doc-kk"' in page and "uploaded" in page  # what was uploaded before is kept
    htmx = upload(client, base, "ktp", b"x" * BIG, headers={"HX-Request": "true"})
    assert htmx.status_code == 413 and "<html" not in htmx.text
    assert str(labels.UPLOAD_PROBLEMS["too_large"]) in htmx.text
