"""The day's receipts printed as one batch: started from the day's list, rendered by a job (a real
RQ worker on Redis, a background thread in the embedded default) whose progress the page polls,
the PDF offered when done, a failure said plainly and retried; bad batches refused whole."""

import io
import re
import threading
from datetime import timedelta

import pytest
from pypdf import PdfReader
from rq import Queue, SimpleWorker
from sqlalchemy import Update, event, func, select, update

from tests.factories import make_office
from tests.html import csrf_token
from tests.receipts import approved
from tests.reviews import counter_officer, in_service
from tests.staff import make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.jobs import BACKGROUND, QUEUES, redis_connection
from webapp.models import Application, Office, PrintBatch, User
from webapp.services import documents, receipts


def _office_with_approvals(app, count: int) -> dict:
    """An office with `count` applications approved today by one officer."""
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        ids = [approved(office, staff).id for _ in range(count)]
        return {"office": office.id, "staff": staff.email, "ids": ids}


def _post(client, path: str, data: dict, **kwargs):
    token = csrf_token(client.get("/counter/receipts"))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def _start(client, ids: list[int], paper: str = "a4", scope: str = "selected", **kwargs):
    data = {"paper": paper, "scope": scope, "application_id": [str(i) for i in ids]}
    return _post(client, "/counter/receipts/batches", data, **kwargs)


def _finish_jobs(app) -> None:
    """Let the batch's job end: a worker on Redis runs it now; in-process its thread ends."""
    if app.config["REDIS_URL"]:
        with app.app_context():
            SimpleWorker(list(QUEUES), connection=redis_connection()).work(burst=True)
    for thread in app.extensions.get(BACKGROUND, []):
        thread.join(timeout=300)
        assert not thread.is_alive()


def _batch_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PrintBatch))


def _batch_id(response) -> int:
    return int(re.fullmatch(r"/counter/receipts/batches/(\d+)", response.location).group(1))


def _pages(document: bytes) -> list:
    return PdfReader(io.BytesIO(document)).pages


def test_the_days_batch_is_printed_on_a4_one_receipt_a_page(app):
    day = _office_with_approvals(app, 3)
    client = sign_in_staff(app, day["staff"])
    started = _start(client, [], scope="all")
    assert started.status_code == 302
    batch_id = _batch_id(started)
    _finish_jobs(app)
    page = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "3 dari 3 tanda terima selesai dibuat" in page.text
    assert f"/counter/receipts/batches/{batch_id}.pdf" in page.text
    assert 'hx-trigger="every 1s"' not in page.text  # done: the polling stops
    assert "http-equiv" not in page.text
    document = client.get(f"/counter/receipts/batches/{batch_id}.pdf")
    assert document.mimetype == "application/pdf"
    pages = _pages(document.data)
    assert len(pages) == 3
    with app.app_context():
        numbers = [db.session.get(Application, i).number for i in day["ids"]]
    assert [numbers[n] in pages[n].extract_text() for n in range(3)] == [True] * 3


def test_the_roll_batch_has_one_fitted_80_mm_page_a_receipt_in_the_order_ticked(app):
    day = _office_with_approvals(app, 2)
    client = sign_in_staff(app, day["staff"])
    chosen = list(reversed(day["ids"]))
    batch_id = _batch_id(_start(client, chosen + chosen[:1], paper="roll"))  # a repeat: once
    _finish_jobs(app)
    pages = _pages(client.get(f"/counter/receipts/batches/{batch_id}.pdf").data)
    assert len(pages) == 2
    for page in pages:
        width_mm = float(page.mediabox.width) * 25.4 / 72
        height_mm = float(page.mediabox.height) * 25.4 / 72
        assert abs(width_mm - 80) < 0.3 and 120 < height_mm < 400
    with app.app_context():
        first = db.session.get(Application, chosen[0]).number
        assert db.session.get(PrintBatch, batch_id).application_ids == chosen
    assert first in pages[0].extract_text()


def test_the_progress_is_counted_receipt_by_receipt_on_a_real_worker(make_app, redis):
    app = make_app(REDIS_URL=redis, RATELIMIT_STORAGE_URI=redis)
    day = _office_with_approvals(app, 3)
    client = sign_in_staff(app, day["staff"])
    batch_id = _batch_id(_start(client, day["ids"], paper="roll"))
    # Queued on Redis, not yet run: the page polls its progress (and reloads itself without JS).
    waiting = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "0 dari 3" in waiting.text and 'hx-trigger="every 1s"' in waiting.text
    assert '{"X-Poll": "true"}' in waiting.text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting.text
    fragment = client.get(
        f"/counter/receipts/batches/{batch_id}",
        headers={"HX-Request": "true", "HX-Target": "batch-progress", "X-Poll": "true"},
    )
    assert '<div id="batch-progress"' in fragment.text and "<html" not in fragment.text
    # What the worker writes, in order, as the page would read it.
    seen: list[int] = []
    polled: list[int] = []
    done = threading.Event()

    def record(_connection, statement, *_arguments):
        if isinstance(statement, Update) and statement.table.name == "print_batches":
            values = statement.compile().params
            if "rendered" in values:
                seen.append(values["rendered"])

    def poll() -> None:
        while not done.is_set():
            text = client.get(
                f"/counter/receipts/batches/{batch_id}",
                headers={"HX-Request": "true", "HX-Target": "batch-progress", "X-Poll": "true"},
            ).text
            polled.append(int(re.search(r'value="(\d+)"', text).group(1)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_execute", record)
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        _finish_jobs(app)
    finally:
        done.set()
        poller.join(timeout=60)
        event.remove(engine, "before_execute", record)
    # Started over from zero, then one more at each receipt.
    assert seen == [0, 1, 2, 3]
    assert polled == sorted(polled) and set(polled) <= {0, 1, 2, 3}
    finished = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "3 dari 3" in finished.text and 'hx-trigger="every 1s"' not in finished.text
    assert len(_pages(client.get(f"/counter/receipts/batches/{batch_id}.pdf").data)) == 3
    with app.app_context():  # run twice: the finished batch is left as it is
        from webapp.jobs.receipts import render_batch

        render_batch(batch_id)
        batch = db.session.get(PrintBatch, batch_id)
        assert (batch.status, batch.rendered) == ("done", 3)


def test_a_batch_of_nothing_is_refused_with_a_message(app):
    day = _office_with_approvals(app, 1)
    client = sign_in_staff(app, day["staff"])
    refused = _start(client, [], follow_redirects=True)
    assert "Tidak ada tanda terima untuk dicetak" in refused.text
    assert _batch_count(app) == 0


def test_too_many_receipts_are_refused_whole_and_clearly(app):
    day = _office_with_approvals(app, 1)
    client = sign_in_staff(app, day["staff"])
    many = day["ids"] + list(range(10**6, 10**6 + receipts.MAX_BATCH))
    refused = _start(client, many, follow_redirects=True)
    assert f"{receipts.MAX_BATCH + 1} tanda terima terlalu banyak" in refused.text
    assert f"paling banyak {receipts.MAX_BATCH}" in refused.text
    with app.app_context():
        staff = db.session.scalar(select(User).filter_by(email=day["staff"]))
        with pytest.raises(receipts.BatchRefused) as two_thousand:
            receipts.start_batch(staff, list(range(1, 2001)), "a4")
        assert two_thousand.value.context == {"count": 2000, "maximum": receipts.MAX_BATCH}
    assert _batch_count(app) == 0


def test_another_offices_or_an_unapproved_application_refuses_the_whole_batch(app):
    day = _office_with_approvals(app, 1)
    elsewhere = _office_with_approvals(app, 1)
    with app.app_context():
        office = db.session.get(Office, day["office"])
        waiting = in_service(office, counter_officer(office, counter=5)).application_id
    client = sign_in_staff(app, day["staff"])
    for intruder in (elsewhere["ids"][0], waiting, 2**31 - 1, 10**30, -1):
        refused = _start(client, day["ids"] + [intruder], follow_redirects=True)
        assert "1 permohonan yang dipilih tidak memiliki tanda terima di sini" in refused.text
    garbled = _post(
        client,
        "/counter/receipts/batches",
        {"paper": "a4", "scope": "selected", "application_id": ["1; DROP"]},
        follow_redirects=True,
    )
    assert "Pilihan tidak terbaca" in garbled.text
    assert _batch_count(app) == 0


def test_another_offices_staff_find_no_batch(app):
    day = _office_with_approvals(app, 1)
    client = sign_in_staff(app, day["staff"])
    batch_id = _batch_id(_start(client, day["ids"]))
    _finish_jobs(app)
    with app.app_context():
        stranger = make_staff(make_office()).email
    other = sign_in_staff(app, stranger)
    for path in (
        f"/counter/receipts/batches/{batch_id}",
        f"/counter/receipts/batches/{batch_id}.pdf",
    ):
        answer = other.get(path)
        assert answer.status_code == 404  # as a batch that does not exist
        assert answer.mimetype == "text/html"
    assert _post(other, f"/counter/receipts/batches/{batch_id}/retry", {}).status_code == 404


def test_a_failed_batch_says_so_and_is_retried_to_the_end(app):
    day = _office_with_approvals(app, 2)
    client = sign_in_staff(app, day["staff"])
    # The storage cannot take the PDF: a file stands where its folder should be.
    with app.app_context():
        blocked = documents.storage().root / "batches"
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_bytes(b"not a folder")
    batch_id = _batch_id(_start(client, day["ids"]))
    _finish_jobs(app)
    failed = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "Gagal" in failed.text and "Pencetakan kelompok ini gagal" in failed.text
    assert f"/counter/receipts/batches/{batch_id}/retry" in failed.text
    assert 'hx-trigger="every 1s"' not in failed.text
    assert str(blocked) not in failed.text  # the server's paths stay in its logs
    not_yet = client.get(f"/counter/receipts/batches/{batch_id}.pdf")
    assert not_yet.status_code == 302 and not_yet.location.endswith(f"/batches/{batch_id}")
    blocked.unlink()
    again = _post(client, f"/counter/receipts/batches/{batch_id}/retry", {})
    assert again.location == f"/counter/receipts/batches/{batch_id}"
    _finish_jobs(app)
    done = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "2 dari 2" in done.text and "Pencetakan kelompok ini gagal" not in done.text
    assert len(_pages(client.get(f"/counter/receipts/batches/{batch_id}.pdf").data)) == 2
    # A batch that did not fail is not queued again.
    _post(client, f"/counter/receipts/batches/{batch_id}/retry", {})
    with app.app_context():
        assert db.session.get(PrintBatch, batch_id).status == "done"


def test_a_batch_whose_worker_died_is_shown_stalled_and_retried(make_app, redis):
    app = make_app(REDIS_URL=redis, RATELIMIT_STORAGE_URI=redis)
    day = _office_with_approvals(app, 1)
    client = sign_in_staff(app, day["staff"])
    batch_id = _batch_id(_start(client, day["ids"]))
    # Queued a moment ago: not stalled, so a retry changes nothing.
    assert _post(client, f"/counter/receipts/batches/{batch_id}/retry", {}).status_code == 302
    with app.app_context():
        assert Queue("default", connection=redis_connection()).count == 1
    # Started by a worker that then died: running, with no news for longer than a job may take.
    with app.app_context():
        db.session.execute(
            update(PrintBatch)
            .where(PrintBatch.id == batch_id)
            .values(
                status="running",
                touched_at=clock.now() - receipts.STALLED_AFTER - timedelta(minutes=1),
            )
        )
        db.session.commit()
        Queue("default", connection=redis_connection()).empty()
    stalled = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "berhenti sebelum selesai" in stalled.text
    assert 'hx-trigger="every 1s"' not in stalled.text and "http-equiv" not in stalled.text
    assert f"/counter/receipts/batches/{batch_id}/retry" in stalled.text
    _post(client, f"/counter/receipts/batches/{batch_id}/retry", {})
    with app.app_context():
        assert db.session.get(PrintBatch, batch_id).status == "queued"
    _finish_jobs(app)
    done = client.get(f"/counter/receipts/batches/{batch_id}")
    assert "1 dari 1" in done.text and "berhenti sebelum selesai" not in done.text
