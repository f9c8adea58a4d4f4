"""Command-line tasks: demo data, the RQ worker."""

import click
from flask import Flask, current_app

from webapp import retention_cli
from webapp.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(sweep_holds)
    app.cli.add_command(cron)
    app.cli.add_command(retention_cli.purge_uploads)


@click.command("seed-demo")
def seed_demo() -> None:
    """Load demo accounts (idempotent)."""
    from webapp.services.demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker with its scheduler on every queue."""
    from rq import Worker

    from webapp.jobs import QUEUES, redis_connection

    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: jobs already run in-process.")
    # No connection may cross the fork into a job's work horse.
    db.engine.dispose()
    Worker(list(QUEUES), connection=redis_connection()).work(with_scheduler=True, burst=burst)


@click.command("sweep-holds")
def sweep_holds() -> None:
    """Expire unpaid holds past their deadline (the periodic safety net behind the jobs)."""
    from webapp.services.booking import sweep_expired

    click.echo(f"expired: {sweep_expired()}")


@click.command("cron")
def cron() -> None:
    """Run the periodic jobs on RQ: the hold sweep every minute."""
    from rq.cron import CronScheduler

    from webapp.jobs import redis_connection
    from webapp.jobs.booking import sweep_holds as sweep_job

    if not current_app.config["REDIS_URL"]:
        raise click.ClickException("REDIS_URL is not set: run `flask sweep-holds` from cron.")
    scheduler = CronScheduler(connection=redis_connection())
    scheduler.register(sweep_job, "default", interval=60, job_timeout=120)
    scheduler.start()
