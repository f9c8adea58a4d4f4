"""Cover letter PDF: how long one takes to render, and how big it is (goal 50 ms, 100 KB).

What it measures: webapp.services.proof.cover_letter_pdf(application, locale), in this process
and without a server, for one paid, scheduled application: building the proof (its paid hold,
the Ed25519-signed token and its QR code as a PNG) and rendering templates/pdf/cover_letter.html
with WeasyPrint. That is all the /applications/<id>/proof.pdf route does besides loading the
application and sending the bytes. For Indonesian and English: BENCH_WARMUPS (3) renders not
timed (the first loads the fonts), then BENCH_RUNS (30) timed ones; median, p95 and max, the
PDF's size and its pages. The proof alone (no PDF) is timed as well, to show the split.

How it runs: the app is built on a throw-away SQLite database (bench.page_weight.make_app, which
also adds the account budi@contoh.id), migrated, and given the Makassar office of the demo data,
a slot at 09.00 WITA a week from now, and an application with a paid hold and a paid bill, as
tests/integration/test_proof.py builds them. The signing key is generated into the throw-away
instance folder. Nothing is left behind.

How to read it: one render uses one core; the median is the figure (a web worker renders one
letter at a time), p95 shows the spread. The size varies by a few bytes between renders (the
token carries the time it was issued). Settings (environment): BENCH_RUNS, BENCH_WARMUPS. The
last two lines printed are median_ms and size_bytes, of the Indonesian letter.
"""

import io
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.page_weight import SEEDED_EMAIL, make_app  # noqa: E402
from bench.verification_latency import percentile_ms  # noqa: E402
from tests.factories import ADULT_ANSWERS  # noqa: E402
from webapp import clock  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Application, Bill, Hold, Office, Slot, User  # noqa: E402
from webapp.services.offices import DEMO_OFFICES  # noqa: E402
from webapp.services.proof import cover_letter_pdf, proof_for  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
WARMUPS = int(os.environ.get("BENCH_WARMUPS", "3"))
LOCALES = ("id", "en")
TIME_BUDGET_MS = 50
SIZE_BUDGET = 100 * 1024


def scheduled_application() -> Application:
    """A paid, scheduled application with its hold on a slot a week ahead at 09.00 WITA."""
    demo = next(data for data in DEMO_OFFICES if data["code"] == "kanim-makassar")
    office = Office(**{k: v for k, v in demo.items() if k != "quotas"})
    db.session.add(office)
    db.session.flush()
    zone = ZoneInfo(office.timezone)
    day = clock.now().astimezone(zone).date() + timedelta(days=7)
    slot = Slot(
        office_id=office.id,
        starts_at=datetime.combine(day, clock_time(9), zone),
        lane="regular",
        capacity=25,
    )
    user = db.session.scalar(select(User).where(User.email == SEEDED_EMAIL))
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
    return {
        "first_ms": 1000 * first[0],
        "seconds": seconds,
        "sizes": sizes,
        "pages": len(PdfReader(io.BytesIO(document)).pages),
        "starts_with_pdf": document.startswith(b"%PDF-"),
        "proof_ms": 1000 * statistics.median(proof_seconds),
    }


def measure(app) -> dict[str, dict]:
    with app.test_request_context():  # as the route renders it: inside a request
        application = scheduled_application()
        return {locale: measure_locale(application, locale) for locale in LOCALES}


def report(results: dict[str, dict]) -> None:
    print(f"cover_letter_pdf, in-process: {WARMUPS} warm-ups, then {RUNS} timed renders per locale")
    header = (
        f"{'locale':<8}{'first ms':>9}{'median ms':>10}{'p95 ms':>8}{'max ms':>8}{'proof ms':>9}"
        f"{'bytes':>8}{'pages':>6}  budgets {TIME_BUDGET_MS} ms, {SIZE_BUDGET} B"
    )
    print(header)
    print("-" * len(header))
    for locale, result in results.items():
        seconds, sizes = result["seconds"], result["sizes"]
        median = 1000 * statistics.median(seconds)
        size = int(statistics.median(sizes))
        verdict = (
            f"{'ok' if median <= TIME_BUDGET_MS else 'OVER'} / "
            f"{'ok' if size <= SIZE_BUDGET else 'OVER'}"
        )
        spread = f" (sizes {min(sizes)}-{max(sizes)})" if min(sizes) != max(sizes) else ""
        print(
            f"{locale:<8}{result['first_ms']:>9.0f}{median:>10.1f}"
            f"{percentile_ms(seconds, 0.95):>8.1f}{percentile_ms(seconds, 1.0):>8.1f}"
            f"{result['proof_ms']:>9.1f}{size:>8}{result['pages']:>6}  {verdict}{spread}"
        )
        if not result["starts_with_pdf"]:
            print(f"  {locale}: the document does not start with %PDF-")
    print("first: the first warm-up (fonts loaded); proof: proof_for alone (hold, token, QR)")
    indonesian = results["id"]
    print(f"median_ms: {1000 * statistics.median(indonesian['seconds']):.1f}")
    print(f"size_bytes: {int(statistics.median(indonesian['sizes']))}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mpaspor-bench-letter-") as directory:
        app = make_app(Path(directory))
        try:
            results = measure(app)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    report(results)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
