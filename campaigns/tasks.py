from celery import shared_task

from campaigns.services import occurrences, uplift


@shared_task
def schedule_campaigns() -> int:
    """Beat: create and start the occurrences due now."""
    return len(occurrences.schedule_due())


@shared_task(acks_late=True)
def run_occurrence_task(occurrence_id: int) -> None:
    occurrences.run_occurrence(occurrence_id)


@shared_task
def measure_campaigns() -> int:
    """Beat: keep each campaign's uplift figure (for its list and API) measured while its windows are open."""
    return uplift.measure_open_campaigns()
