"""Stored files in an S3 bucket, as several servers share them: uploads, their thumbnails and
receipt batches land in the bucket and are served back from it, nothing on the server's disk;
with the bucket out of reach an upload is refused plainly, nothing half-kept, and sent again."""

import http.client
import io
import os
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from tests import loopback, services
from tests.conftest import Mailbox
from tests.factories import jpeg_bytes, make_application, make_user
from tests.html import csrf_token
from tests.integration.test_receipt_batches import (
    _batch_id,
    _finish_jobs,
    _office_with_approvals,
    _start,
)
from tests.integration.test_wizard import signed_in, upload
from tests.staff import sign_in_staff
from webapp.extensions import db
from webapp.models import Document
from webapp.models.applications import StepSubmission

HTMX = {"HX-Request": "true"}
SAVED_LATER = "could not be saved just now, and nothing was kept"


def s3_settings(endpoint_url: str, bucket: str) -> dict:
    return {"STORAGE_S3_BUCKET": bucket, "STORAGE_S3_ENDPOINT_URL": endpoint_url}


def closed_endpoint() -> str:
    return f"http://127.0.0.1:{loopback.free_port()}"


@pytest.fixture
def bucket_app(make_app, s3_server, s3_bucket):
    return make_app(**s3_settings(s3_server, s3_bucket))


def draft_of(app) -> str:
    """The path of a draft whose documents step is open, its owner signed in elsewhere."""
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        return f"/applications/{make_application(user, nik_status='verified').public_id}"


def uploads_on_disk(app) -> list[str]:
    root = os.path.join(app.instance_path, "uploads")
    return [name for _, _, names in os.walk(root) for name in names]


def stored_document(app) -> Document:
    with app.app_context():
        document = db.session.scalar(select(Document))
        db.session.expunge(document)
        return document


def test_an_upload_and_its_thumbnail_land_in_the_bucket_and_come_back_from_it(
    bucket_app, s3_server, s3_bucket
):
    base = draft_of(bucket_app)
    client = signed_in(bucket_app)

    assert upload(client, base, "ktp", jpeg_bytes()).status_code == 302
    Mailbox(bucket_app).run_jobs()  # the quality check reads the file back from the bucket

    document = stored_document(bucket_app)
    assert document.check_status == "ok"
    keys = sorted([document.storage_key, document.thumbnail_key])
    assert services.bucket_keys(s3_server, s3_bucket) == keys
    bucket = services.s3_client(s3_server)
    for variant, key in (("file", document.storage_key), ("thumbnail", document.thumbnail_key)):
        served = client.get(f"{base}/documents/ktp/{variant}")
        assert served.status_code == 200
        assert served.data == bucket.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert served.mimetype == "image/jpeg" and served.data[:3] == b"\xff\xd8\xff"
    assert uploads_on_disk(bucket_app) == []


def test_a_replaced_upload_leaves_the_bucket(bucket_app, s3_server, s3_bucket):
    base = draft_of(bucket_app)
    client = signed_in(bucket_app)
    upload(client, base, "ktp", jpeg_bytes())
    first = stored_document(bucket_app)

    upload(client, base, "ktp", jpeg_bytes(colour="#f0f0f0"))

    now = stored_document(bucket_app)
    assert now.storage_key != first.storage_key
    assert services.bucket_keys(s3_server, s3_bucket) == sorted(
        [now.storage_key, now.thumbnail_key]
    )


def test_a_receipt_batch_pdf_lands_in_the_bucket(bucket_app, s3_server, s3_bucket):
    day = _office_with_approvals(bucket_app, 1)
    client = sign_in_staff(bucket_app, day["staff"])

    batch_id = _batch_id(_start(client, day["ids"]))
    _finish_jobs(bucket_app)

    pdf = client.get(f"/counter/receipts/batches/{batch_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bucket = services.s3_client(s3_server)
    kept = bucket.get_object(Bucket=s3_bucket, Key=f"batches/{batch_id}.pdf")["Body"].read()
    assert pdf.data == kept
    assert uploads_on_disk(bucket_app) == []


def test_health_reports_the_bucket(bucket_app, make_app):
    healthy = bucket_app.test_client().get("/healthz")
    assert (healthy.status_code, healthy.json["storage"]) == (200, "ok")

    endpoint = closed_endpoint()
    down = make_app(**s3_settings(endpoint, "mpaspor")).test_client().get("/healthz")
    assert down.status_code == 503
    assert (down.json["status"], down.json["storage"]) == ("degraded", "down")
    assert endpoint.rsplit(":", 1)[1] not in down.text and "mpaspor" not in down.text


def _post_file(client, base: str, code: str, content: bytes, key: str, headers=None):
    token = csrf_token(client.get(f"{base}/documents"))
    data = {"csrf_token": token, "submission_key": key, "file": (io.BytesIO(content), "ktp.jpg")}
    return client.post(f"{base}/documents/{code}", data=data, headers=headers or {})


def _documents_and_submissions(app) -> tuple[int, int]:
    with app.app_context():
        count = func.count()
        return (
            db.session.scalar(select(count).select_from(Document)),
            db.session.scalar(select(count).select_from(StepSubmission)),
        )


def test_with_storage_down_an_upload_is_refused_plainly_and_nothing_is_kept(make_app):
    app = make_app(**s3_settings(closed_endpoint(), "mpaspor"))
    base = draft_of(app)
    client = signed_in(app)

    page = _post_file(client, base, "ktp", jpeg_bytes(), "k" * 32)
    assert page.status_code == 503
    assert SAVED_LATER in page.text and 'id="doc-ktp-error"' in page.text

    fragment = _post_file(client, base, "ktp", jpeg_bytes(), "k" * 32, HTMX)
    assert fragment.status_code == 503  # the offline outbox keeps it and sends it again
    assert "request-refused" in fragment.text and SAVED_LATER in fragment.text

    assert _documents_and_submissions(app) == (0, 0)
    assert uploads_on_disk(app) == []


def test_an_upload_refused_while_the_bucket_was_away_goes_through_when_sent_again(
    make_app, s3_server
):
    bucket = services.bucket_name()
    app = make_app(**s3_settings(s3_server, bucket))  # a bucket not there yet
    base = draft_of(app)
    client = signed_in(app)
    assert _post_file(client, base, "ktp", jpeg_bytes(), "k" * 32, HTMX).status_code == 503

    services.create_bucket(s3_server, bucket)
    sent_again = _post_file(client, base, "ktp", jpeg_bytes(), "k" * 32, HTMX)

    assert sent_again.status_code == 200 and "doc-ktp" in sent_again.text
    assert _documents_and_submissions(app) == (1, 1)
    document = stored_document(app)
    assert services.bucket_keys(s3_server, bucket) == sorted(
        [document.storage_key, document.thumbnail_key]
    )


def test_with_storage_down_a_document_is_not_served_and_the_page_says_so(bucket_app, make_app):
    base = draft_of(bucket_app)
    upload(signed_in(bucket_app), base, "ktp", jpeg_bytes())
    elsewhere = make_app(**s3_settings(closed_endpoint(), "mpaspor"))  # same database

    client = signed_in(elsewhere)
    response = client.get(f"{base}/documents/ktp/file")

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert "cannot be reached just now" in response.text
    assert client.get(f"{base}/documents").status_code == 200


class FlakyStorage:
    """An S3 endpoint in front of the test server that, once `flaking`, answers 503 to every
    thumbnail written: the storage failing halfway through an upload."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.flaking = threading.Event()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.flaking.is_set() and request.method == "PUT" and "-thumb" in request.path:
            refusal = Response(b"<Error><Code>SlowDown</Code></Error>", 503, mimetype="text/xml")
            return refusal(environ, start_response)
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        path = request.full_path.rstrip("?")
        connection.request(request.method, path, request.get_data(), headers)
        answer = connection.getresponse()
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() != "transfer-encoding"]
        response = Response(answer.read(), answer.status, headers=kept)
        connection.close()
        return response(environ, start_response)


def test_storage_failing_halfway_takes_back_what_it_stored_and_keeps_the_upload_before(
    make_app, s3_server, s3_bucket
):
    flaky = FlakyStorage(s3_server)
    with services.serving(flaky) as endpoint:
        app = make_app(**s3_settings(endpoint, s3_bucket))
        base = draft_of(app)
        client = signed_in(app)
        upload(client, base, "ktp", jpeg_bytes())
        before = stored_document(app)

        flaky.flaking.set()
        refused = upload(client, base, "ktp", jpeg_bytes(colour="#f0f0f0"))

        assert refused.status_code == 503 and SAVED_LATER in refused.text
        keys = [before.storage_key, before.thumbnail_key]
        after = stored_document(app)
        assert [after.storage_key, after.thumbnail_key] == keys
        assert services.bucket_keys(s3_server, s3_bucket) == sorted(keys)  # the new file taken back
        flaky.flaking.clear()
        assert client.get(f"{base}/documents/ktp/file").status_code == 200
