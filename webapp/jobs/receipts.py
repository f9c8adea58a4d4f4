"""Receipt jobs: a batch of receipts rendered into one PDF, its progress counted as it goes.
Safe to run twice or after a failure: a finished batch is left alone, any other starts over."""

from webapp.services import receipts


def render_batch(batch_id: int) -> None:
    receipts.render_batch(batch_id)
