"""Cover letter PDF: how long one takes to render, and how big it is (goal 50 ms, 100 KB).

What it measures: webapp.services.proof.cover_letter_pdf(application, locale), in this process
and without a server, for one paid, scheduled application: building the proof (its paid hold,
the Ed25519-signed token and its QR code as a PNG) and rendering templates/pdf/cover_letter.html
with WeasyPrint. That is all the /applications/<id>/proof.pdf route does besides loading the
application and sending the bytes. For Indonesian and English: BENCH_WARMUPS (3) renders not
timed (the first loads the fonts), then BENCH_RUNS (30) timed ones; median, p95 and max, the
PDF's size and its pages (medians and percentiles by the harness's nearest rank). The proof
alone (no PDF) is timed as well, to show the split.

How it runs (bench/harness.py): the app is built on a throw-away SQLite database, migrated, and
given the account budi@contoh.id, the Makassar office of the demo data, a slot at 09.00 WITA a
week from now, and an application with a paid hold and a paid bill, as
tests/integration/test_proof.py builds them. The signing key is generated into the throw-away
instance folder. Nothing is left behind.

How to read it: one render uses one core; the median is the figure (a web worker renders one
letter at a time), p95 shows the spread. The size varies by a few bytes between renders (the
token carries the time it was issued). Settings (environment): BENCH_RUNS, BENCH_WARMUPS. The
last two lines printed are median_ms and size_bytes, of the Indonesian letter.
"""

import io
import os
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pypdf import PdfReader  # noqa: E402

from bench import harness  # noqa: E402
from tests.factories import ADULT_ANSWERS  # noqa: E402
from webapp import clock  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Application, Bill, Hold, Slot  # noqa: E402
from webapp.services.proof import cover_letter_pdf, proof_for  # noqa: E402

RUNS = harness.setting("BENCH_RUNS", 30)
WARMUPS = harness.setting("BENCH_WARMUPS", 3)
LOCALES = ("id", "en")
TIME_BUDGET_MS = 50
SIZE_BUDGET = 100 * 1024


def scheduled_application() -> Application:
    """A paid, scheduled application with its hold on a slot a week ahead at 09.00 WITA."""
    office = harness.demo_office("kanim-makassar")
    user = harness.verified_user("budi@contoh.id", "Budi Santoso", "+6281234567890")
    db.session.add_all([office, user])
    db.session.flush()
    zone = ZoneInfo(office.timezone)
    day = clock.now().astimezone(zone).date() + timedelta(days=7)
    slot = Slot(
        office_id=office.id,
        starts_at=datetime.combine(day, clock_time(9), zone),
        lane="regular",
        capacity=25,
    )
    application = Application(
        account_id=user.id,
        place=1,
        public_id="proof0000000001",
        number="2611240123456789",
        status="scheduled",
        submitted_at=clock.now() - timedelta(hours=1),
        declared_at=clock.now() - timedelta(hours=1),
        office_id=office.id,
        nik_status="verified",
        pending_inputs={},
        **ADULT_ANSWERS,
    )
    db.session.add_all([slot, application])
    db.session.flush()
    created = clock.now() - timedelta(minutes=30)
    hold = Hold(
        slot_id=slot.id,
        application_id=application.id,
        account_id=user.id,
        status="paid",
        created_at=created,
        expires_at=created + timedelta(hours=2),
    )
    db.session.add(hold)
    db.session.flush()
    db.session.add(
        Bill(
            hold_id=hold.id,
            application_id=application.id,
            code="812345678901234",
            amount=650_000,
            status="paid",
            created_at=created,
            expires_at=created + timedelta(hours=2),
            paid_at=created + timedelta(minutes=10),
        )
    )
    db.session.commit()
    return application


def timed(render) -> tuple[float, object]:
    started = time.perf_counter()
    result = render()
    return time.perf_counter() - started, result


def cpu_timed(render) -> float:
    """This process's CPU seconds for one render: what other processes competing for the
    cores do not inflate as they do the wall-clock time."""
    started = time.process_time()
    render()
    return time.process_time() - started


def measure_locale(application: Application, locale: str) -> dict:
    def render() -> bytes:
        return cover_letter_pdf(application, locale)

    first = [timed(render)[0] for _ in range(max(1, WARMUPS))]
    seconds, sizes = [], []
    for _ in range(RUNS):
        elapsed, document = timed(render)
        seconds.append(elapsed)
        sizes.append(len(document))
    proof_seconds = [timed(lambda: proof_for(application))[0] for _ in range(RUNS)]
    cpu_seconds = [cpu_timed(render) for _ in range(RUNS)]
    return {
        "first_ms": 1000 * first[0],
        "seconds": seconds,
        "sizes": sizes,
        "pages": len(PdfReader(io.BytesIO(document)).pages),
        "starts_with_pdf": document.startswith(b"%PDF-"),
        "proof_ms": harness.percentile_ms(proof_seconds, 0.5),
        "cpu_ms": harness.percentile_ms(cpu_seconds, 0.5),
    }


def measure(bench: harness.Bench) -> dict[str, dict]:
    # As the route renders it: inside a request.
    with bench.app_context(), bench.app.test_request_context():
        application = scheduled_application()
        return {locale: measure_locale(application, locale) for locale in LOCALES}


def report(results: dict[str, dict]) -> None:
    print(f"cover_letter_pdf, in-process: {WARMUPS} warm-ups, then {RUNS} timed renders per locale")
    header = (
        f"{'locale':<8}{'first ms':>9}{'median ms':>10}{'p95 ms':>8}{'max ms':>8}{'cpu ms':>8}"
        f"{'proof ms':>9}"
        f"{'bytes':>8}{'pages':>6}  budgets {TIME_BUDGET_MS} ms, {SIZE_BUDGET} B"
    )
    print(header)
    print("-" * len(header))
    for locale, result in results.items():
        seconds, sizes = result["seconds"], result["sizes"]
        median = harness.percentile_ms(seconds, 0.5)
        size = int(harness.percentile(sizes, 0.5))
        verdict = (
            f"{'ok' if median <= TIME_BUDGET_MS else 'OVER'} / "
            f"{'ok' if size <= SIZE_BUDGET else 'OVER'}"
        )
        spread = f" (sizes {min(sizes)}-{max(sizes)})" if min(sizes) != max(sizes) else ""
        print(
            f"{locale:<8}{result['first_ms']:>9.0f}{median:>10.1f}"
            f"{harness.percentile_ms(seconds, 0.95):>8.1f}"
            f"{harness.percentile_ms(seconds, 1.0):>8.1f}{result['cpu_ms']:>8.1f}"
            f"{result['proof_ms']:>9.1f}{size:>8}{result['pages']:>6}  {verdict}{spread}"
        )
        if not result["starts_with_pdf"]:
            print(f"  {locale}: the document does not start with %PDF-")
    print("first: the first warm-up (fonts loaded); proof: proof_for alone (hold, token, QR)")
    load = os.getloadavg()[0]
    print(f"cpu: this process's CPU time per render (median); load average now: {load:.1f}")
    indonesian = results["id"]
    harness.report(
        {
            "median_ms": f"{harness.percentile_ms(indonesian['seconds'], 0.5):.1f}",
            "size_bytes": int(harness.percentile(indonesian["sizes"], 0.5)),
        }
    )


def main() -> None:
    with harness.Bench(None) as bench:
        results = measure(bench)
    report(results)


if __name__ == "__main__":
    main()
