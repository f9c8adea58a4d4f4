"""`flask purge-uploads`: the retention purge, for a crontab when there is no RQ scheduler."""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("purge-uploads")
@with_appcontext
def purge_uploads() -> None:
    """Delete the uploads of applications ended more than UPLOAD_RETENTION_DAYS ago."""
    from webapp.services.documents import purge_ended_uploads

    days = current_app.config["UPLOAD_RETENTION_DAYS"]
    click.echo(f"applications purged (ended over {days} days ago): {purge_ended_uploads()}")
