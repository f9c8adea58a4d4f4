"""The travel-ban check job: asks the list about one application's pending check.

Safe to run twice: only a pending check is asked about, and only one answer is stored.
"""

from rq import get_current_job

from webapp.integrations.travel_ban import TravelBanUnavailable
from webapp.services import screening


def check_travel_ban(application_id: int) -> None:
    try:
        screening.run_check(application_id)
    except TravelBanUnavailable:
        job = get_current_job()
        if job is not None and job.retries_left:
            raise  # RQ tries again later, with backoff
        screening.record_outage(application_id)
