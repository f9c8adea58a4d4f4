"""Offline drafting under a failing signal: nothing typed is lost, nothing is applied twice, and
three camera photos cost little data.

In Chromium at 360x740, `runs` applicants (BENCH_RUNS, 50) each open the travel step of their
draft and answer its five fields while the connection drops at random moments: the browser set
offline and every request aborted, back online, or a step's answer lost after the server applied
it. Then the signal returns, a page is loaded (which sends the phone's outbox) and the bench
waits for the outbox to empty. It counts the fields typed and those that reached the server with
the value typed last (`fields_lost` must be 0), and the steps applied beyond the one submission of
each run (`duplicates_applied` must be 0). `upload_bytes_3_photos` is what the phone would send
for three 12-megapixel photos with EXIF orientation once resized on the phone.
"""

import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402
from webapp.extensions import db  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
RUNS = harness.setting("BENCH_RUNS", 50)
TEXT_FIELDS = ("destination_country", "emergency_name", "emergency_phone")
RADIOS = {"travel_purpose": ("tourism", "umrah"), "stay_length": ("under_1_month", "1_6_months")}
WORDS = {
    "destination_country": ("Jepang", "Korea", "Selatan", "Arab", "Saudi", "Belanda", "Turki"),
    "emergency_name": ("Kadek", "Putu", "Made", "Nyoman", "Ketut", "Wayan", "Ayu", "Sari"),
}
LEFT_OPEN = dict.fromkeys((*TEXT_FIELDS, *RADIOS), None)


def seed(bench: harness.Bench) -> list[tuple[str, str]]:
    """One account per run, each with a draft whose travel step is still to answer."""
    from tests.factories import make_application

    made = []
    with bench.app_context():
        for n in range(RUNS):
            user = harness.verified_user(f"sinyal{n}@contoh.id", f"Ayu {n}", f"+6281700{n:05d}")
            db.session.add(user)
            db.session.commit()
            made.append((user.email, make_application(user, **LEFT_OPEN).public_id))
        # and one whose documents step is open, for the photos
        user = harness.verified_user("foto@contoh.id", "Ayu Foto", "+6281799999999")
        db.session.add(user)
        db.session.commit()
        made.append((user.email, make_application(user).public_id))
    return made


def signal(context, on: bool) -> None:
    if on:
        context.unroute("**/*")
    else:
        context.route("**/*", lambda route: route.abort("internetdisconnected"))
    context.set_offline(not on)


def outbox_empty(page) -> bool:
    keys = page.evaluate("window.idbKeyval ? idbKeyval.keys() : []")
    return not [key for key in keys if key.startswith("outbox:")]


def one_run(browser, url: str, email: str, public_id: str, chance: random.Random) -> dict:
    """The journey; what was typed last in each field."""
    context = browser.new_context(
        base_url=url,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(harness.PASSWORD)
    page.locator('main form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(f"{url}/")
    step = f"/applications/{public_id}/travel"
    page.goto(step)
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    typed = {}
    online = True
    for name in (*RADIOS, *TEXT_FIELDS):
        if chance.random() < 0.35:
            online = not online
            signal(context, online)
        if name in RADIOS:
            value = chance.choice(RADIOS[name])
            option = page.locator(f'#wizard input[name="{name}"][value="{value}"]')
            page.locator(f'label[for="{option.get_attribute("id")}"]').click()
        else:
            value = f"0812 {chance.randrange(1000, 9999)} {chance.randrange(1000, 9999)}"
            if name != "emergency_phone":
                value = " ".join(chance.sample(WORDS[name], 2))
            page.locator(f'#wizard [name="{name}"]').fill(value)
        typed[name] = value
    if online and chance.random() < 0.3:  # the server applies it, the answer is lost

        def lose(route):
            route.fetch()
            route.abort("internetdisconnected")

        page.route(f"**{step}", lose, times=1)
    page.locator(f'#wizard form[action="{step}"] button[type="submit"]').click()
    page.wait_for_timeout(chance.randrange(100, 600))
    if not online:
        signal(context, True)
    page.goto("/")  # any page loaded sends the outbox
    for _ in range(200):
        if outbox_empty(page):
            break
        page.wait_for_timeout(100)
    context.close()
    return typed


def photo_bytes(browser, url: str, email: str, public_id: str, scratch: str) -> int:
    """The bytes of the files the phone puts into the three upload inputs."""
    from tests.e2e.test_wizard_journey import phone_photo

    context = browser.new_context(base_url=url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto("/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(harness.PASSWORD)
    page.locator('main form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(f"{url}/")
    page.goto(f"/applications/{public_id}/documents")
    total = 0
    for n, code in enumerate(("ktp", "kk", "civil_record")):
        path = os.path.join(scratch, f"photo{n}.jpg")
        phone_photo(path)
        page.locator(f"#doc-{code} input[type=file]").set_input_files(path)
        page.wait_for_function(
            "(code) => !document.querySelector(`#doc-${code} button`).disabled", arg=code
        )
        total += page.evaluate(
            "(code) => document.querySelector(`#doc-${code} input[type=file]`).files[0].size",
            code,
        )
    context.close()
    return total


def arrived(application, name: str) -> str:
    """A saved answer as it was typed (a phone number is kept as +62...)."""
    value = str(getattr(application, name) or "")
    if name == "emergency_phone" and value.startswith("+62"):
        digits = "0" + value[3:]
        return f"{digits[:4]} {digits[4:8]} {digits[8:]}"
    return value


def main() -> None:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import func, select

    from webapp.models import Application
    from webapp.models.applications import StepSubmission

    chance = random.Random(13)
    with harness.Bench(None) as bench:
        accounts = seed(bench)
        with bench.serve() as server, sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            *runs, (email, public_id) = accounts
            typed = [one_run(browser, server.url, e, pid, chance) for e, pid in runs]
            photos = photo_bytes(browser, server.url, email, public_id, bench.scratch)
            browser.close()
        harness.print_log("gunicorn", server.problems)
        with bench.app_context():
            lost = duplicates = 0
            for (_email, public_id), answers in zip(runs, typed, strict=True):
                application = db.session.scalar(select(Application).filter_by(public_id=public_id))
                lost += sum(arrived(application, k) != v for k, v in answers.items())
                applied = db.session.scalar(
                    select(func.count())
                    .select_from(StepSubmission)
                    .filter_by(application_id=application.id, step="travel")
                )
                duplicates += max(applied - 1, 0)  # each run submits the step once
    harness.report(
        {
            "runs": len(typed),
            "fields_typed": sum(len(answers) for answers in typed),
            "fields_lost": lost,
            "duplicates_applied": duplicates,
            "upload_bytes_3_photos": photos,
        }
    )


if __name__ == "__main__":
    main()
