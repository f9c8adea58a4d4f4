"""Command-line tasks: administrators and office staff, slots, demo data, the RQ workers and their
cron."""

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(create_staff)
    app.cli.add_command(demo_totp)
    app.cli.add_command(extend_slots)
    app.cli.add_command(worker)
    app.cli.add_command(sweep_holds)
    app.cli.add_command(cron)
    app.cli.add_command(purge_uploads)
    app.cli.add_command(sweep_owed)
    app.cli.add_command(roll_up_figures)
    app.cli.add_command(sweep_no_shows)
    app.cli.add_command(sweep_uncollected)
    app.cli.add_command(waiting_rooms)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo accounts and offices (idempotent; demo mode only)."""
    from webapp.services.demo import DemoModeOnly, load_demo_data

    try:
        report = load_demo_data()
    except DemoModeOnly as refused:
        raise click.ClickException(str(refused)) from refused
    for line in report:
        click.echo(line)


PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of asking twice.",
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt="Email address", help="The administrator's email address.")
@click.option("--full-name", prompt="Full name", help="The administrator's full name.")
@PASSWORD_STDIN
def create_admin(email: str, full_name: str, password_stdin: bool) -> None:
    """Make an administrator account, the first or another; running it again changes nothing."""
    from webapp.services.administrators import (
        AccountRefused,
        administrator_exists,
        create_administrator,
    )

    try:
        if administrator_exists(email, full_name):
            click.echo(f"exists: {email.strip()} is already an administrator; nothing changed.")
            return
        created = create_administrator(email, full_name, _password(password_stdin))
    except AccountRefused as refused:
        raise click.ClickException(str(refused)) from refused
    state = "created" if created else "exists"
    click.echo(f"{state}: administrator {email.strip()}")


@click.command("create-staff")
@with_appcontext
@click.option("--email", prompt="Email address", help="The staff member's email address.")
@click.option("--full-name", prompt="Full name", help="The staff member's full name.")
@click.option(
    "--office", "office_code", prompt="Office code", help="The office, e.g. kanim-makassar."
)
@click.option(
    "--role",
    type=click.Choice(["staff", "supervisor"]),
    default="staff",
    show_default=True,
    help="A counter officer (staff) or the office's supervisor.",
)
@PASSWORD_STDIN
def create_staff(
    email: str, full_name: str, office_code: str, role: str, password_stdin: bool
) -> None:
    """Make a staff account of one office; it enrols its second factor at its first sign-in.
    Running it again changes nothing."""
    from webapp.services import staff_accounts
    from webapp.services.administrators import AccountRefused

    what = f"{role} {email.strip()} of {office_code.strip()}"
    try:
        if staff_accounts.staff_exists(email, full_name, office_code, role):
            click.echo(f"exists: {what}; nothing changed.")
            return
        created = staff_accounts.create_staff(
            email, full_name, office_code, role, _password(password_stdin)
        )
    except AccountRefused as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"{'created' if created else 'exists'}: {what}")


@click.command("demo-totp")
@with_appcontext
@click.argument("email")
def demo_totp(email: str) -> None:
    """Print the current second-factor code of a demo account (demo mode only)."""
    from webapp.services.demo import DemoModeOnly, current_demo_code

    try:
        click.echo(current_demo_code(email))
    except DemoModeOnly as refused:
        raise click.ClickException(str(refused)) from refused


@click.command("extend-slots")
@with_appcontext
def extend_slots() -> None:
    """Fill every office's window of slots from its settings (idempotent; `flask cron` runs it
    daily)."""
    from webapp.services.offices import extend_slots as extend

    for line in extend():
        click.echo(line)


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--workers",
    "size",
    type=click.IntRange(min=1),
    envvar="WORKERS",
    default=lambda: os.cpu_count() or 1,
    show_default="the number of cores",
    help="Workers for the checks and the other jobs (env WORKERS); one more sends the mail.",
)
def worker(burst: bool, size: int) -> None:
    """Run the pool of RQ workers, with their scheduler: WORKERS on the verification and default
    queues, one on mail (webapp/jobs/pool.py). Ctrl-C or SIGTERM lets running jobs end, then
    stops them all; a worker that dies is replaced."""
    from webapp.jobs import redis_connection
    from webapp.jobs.pool import SplitWorkerPool, groups

    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: jobs already run in-process.")
    # No connection may cross the fork into a worker.
    db.engine.dispose()
    SplitWorkerPool(groups(size, burst), connection=redis_connection()).start(burst=burst)


@click.command("sweep-holds")
@with_appcontext
def sweep_holds() -> None:
    """Expire unpaid holds past their deadline (the periodic safety net behind the jobs)."""
    from webapp.services.booking import sweep_expired

    click.echo(f"expired: {sweep_expired()}")


@click.command("purge-uploads")
@with_appcontext
def purge_uploads() -> None:
    """Delete the uploads of applications ended more than UPLOAD_RETENTION_DAYS ago."""
    from webapp.services.documents import purge_ended_uploads

    days = current_app.config["UPLOAD_RETENTION_DAYS"]
    click.echo(f"applications purged (ended over {days} days ago): {purge_ended_uploads()}")


@click.command("sweep-owed")
@with_appcontext
def sweep_owed() -> None:
    """Reject incomplete applications whose owed documents did not come by the deadline."""
    from webapp.services.review import sweep_owed as sweep

    click.echo(f"rejected: {sweep()}")


DAILY = 24 * 60 * 60
HOURLY = 60 * 60


def periodic_jobs() -> list[dict]:
    """What `flask cron` schedules: the sweeps of holds and of the waitlist's offers every
    minute; the sweeps of overdue owed documents, of no-shows, of uncollected passports and of
    closures' unanswered offers hourly; the slot window, the upload retention purge and the
    roll-up of past days' figures daily."""
    from webapp.jobs.booking import sweep_holds as sweep_job
    from webapp.jobs.closures import sweep_offers as offers_job
    from webapp.jobs.endings import sweep_no_shows as no_show_job
    from webapp.jobs.endings import sweep_uncollected as uncollected_job
    from webapp.jobs.figures import roll_up_figures as figures_job
    from webapp.jobs.offices import extend_slots as extend_job
    from webapp.jobs.retention import purge_uploads as purge_job
    from webapp.jobs.review import sweep_owed as owed_job
    from webapp.jobs.waitlist import sweep_offers as waitlist_job

    return [
        {"func": sweep_job, "queue_name": "default", "interval": 60, "job_timeout": 120},
        {"func": waitlist_job, "queue_name": "default", "interval": 60, "job_timeout": 120},
        {
            "func": extend_job,
            "queue_name": "default",
            "interval": DAILY,
            "job_timeout": 600,
        },
        {"func": purge_job, "queue_name": "default", "interval": DAILY, "job_timeout": 600},
        {"func": owed_job, "queue_name": "default", "interval": HOURLY, "job_timeout": 600},
        {"func": no_show_job, "queue_name": "default", "interval": HOURLY, "job_timeout": 600},
        {"func": uncollected_job, "queue_name": "default", "interval": HOURLY, "job_timeout": 600},
        {"func": offers_job, "queue_name": "default", "interval": HOURLY, "job_timeout": 600},
        {"func": figures_job, "queue_name": "default", "interval": DAILY, "job_timeout": 1200},
    ]


@click.command("cron")
@with_appcontext
def cron() -> None:
    """Run the periodic jobs on RQ: the hold sweep every minute; the sweeps of owed documents,
    no-shows and uncollected passports hourly; the slot window and the upload purge daily (and
    once at start)."""
    from rq.cron import CronScheduler

    from webapp.jobs import redis_connection

    if not current_app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL is not set: run `flask sweep-holds`, `flask sweep-owed`, "
            "`flask sweep-no-shows`, `flask sweep-uncollected`, "
            "`flask extend-slots` and `flask purge-uploads` from cron."
        )
    scheduler = CronScheduler(connection=redis_connection())
    for job in periodic_jobs():
        scheduler.register(**job)
    scheduler.start()


# Applications that end by the clock (services/endings.py) ---------------------------------------


@click.command("sweep-no-shows")
@with_appcontext
def sweep_no_shows() -> None:
    """Make no-shows of scheduled applications whose appointment day ended (office time) without
    a check-in; the fee is forfeited and the applicant mailed (idempotent; hourly in cron)."""
    from webapp.services.endings import sweep_no_shows as sweep

    click.echo(f"no-shows: {sweep()}")


@click.command("sweep-uncollected")
@with_appcontext
def sweep_uncollected() -> None:
    """Cancel passports ready for 30 days and not collected (uncollected), and remind those
    ready for 23 days, once (idempotent; hourly in cron)."""
    from webapp.services.endings import sweep_uncollected as sweep

    swept = sweep()
    click.echo(f"uncollected: {swept.uncollected}")
    click.echo(f"reminded: {swept.reminded}")


# The figures of days that are over, kept for the national pages (services/reports.py) ----------


@click.command("roll-up-figures")
@click.option("--days", default=1, show_default=True, help="How many days back to keep.")
@with_appcontext
def roll_up_figures(days: int) -> None:
    """Keep every office's figures of the last `days` days that can change no more (daily in
    cron; --days 366 fills a year)."""
    from datetime import timedelta

    from webapp.services import reports

    last = reports.last_day_to_keep()
    for back in range(max(days, 1)):
        day = last - timedelta(days=back)
        click.echo(f"{day.isoformat()}: {reports.roll_up(day)} offices")


# The waiting rooms of quota releases (services/waiting_room.py) ---------------------------------


@click.command("waiting-rooms")
@with_appcontext
def waiting_rooms() -> None:
    """Run the waiting rooms' clock: rooms made ahead, draws at the release, admissions and
    lapses, every second (one process beside the workers; a second one is safe)."""
    from webapp.jobs.waiting_rooms import run_forever

    db.engine.dispose()  # the loop opens its own connections
    run_forever(current_app._get_current_object())
