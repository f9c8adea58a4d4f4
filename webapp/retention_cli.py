"""`flask purge-uploads`: the retention purge, for a crontab when there is no RQ scheduler."""

import click
from flask import current_app


@click.command("purge-uploads")
def purge_uploads() -> None:
    """Delete the uploads of applications ended more than UPLOAD_RETENTION_DAYS ago."""
    from webapp.services.documents import purge_ended_uploads

    days = current_app.config["UPLOAD_RETENTION_DAYS"]
    click.echo(f"applications purged (ended over {days} days ago): {purge_ended_uploads()}")
